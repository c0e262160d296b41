"""The coordinators' inbox: filters, search, sort and pages; claims that the server enforces;
assignment by a lead; bulk approval of intakes; one query per page however many rows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from mentorship.rules.choices import Decision
from mentorship.rules.stages import Update
from mentorship.services.inbox import ASSIGNED
from mentorship.store.models import Notification, Organisation, Task, User, utcnow
from scripted.journey import actor, submit
from tests.web.conftest import FakeGateway, csrf, login

NONCE = "0123456789abcdef0123456789abcdef"


def another_sme(sessions: sessionmaker[Session], name: str, country: str) -> User:
    with sessions.begin() as session:
        org = Organisation(kind="sme", name=name, country=country, nace="I56", employees=5,
                           turnover_eur=1, balance_sheet_eur=1)  # fmt: skip
        user = User(email=f"{name.split()[0].lower()}@x.eu", name=name, password_hash="",
                    role="sme", organisation=org)  # fmt: skip
        session.add(user)
    return user


def task_of(sessions: sessionmaker[Session], request_id: int) -> Task:
    with sessions() as session:
        return session.scalars(select(Task).where(Task.request_id == request_id)).one()


def shown(client: FlaskClient, query: str = "") -> list[int]:
    page = client.get(f"/inbox{query}").get_data(as_text=True)
    table = page.split("<h2>Recently active requests</h2>")[0]
    return [int(n) for n in re.findall(r'<td><a href="/requests/(\d+)">#', table)]


def as_coordinator(client: FlaskClient, email: str) -> str:
    login(client, email)
    return csrf(client, "/inbox")


def test_the_inbox_filters_searches_and_sorts_and_says_what_is_wrong_with_a_filter(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    bakery = submit(sessions, people["sme"])
    kafe = submit(sessions, another_sme(sessions, "Kohvik Tallinn", "EE"))
    with sessions.begin() as session:  # the café's review is overdue, and was escalated
        task = session.scalars(select(Task).where(Task.request_id == kafe)).one()
        task.due_at, task.escalated_at = utcnow() - timedelta(hours=1), utcnow()
    as_coordinator(client, "coordinator@demo.eu")
    assert shown(client) == [kafe, bakery]  # escalated first
    assert shown(client, "?sort=age") == [bakery, kafe]
    assert shown(client, "?q=PANIF") == [bakery]
    assert shown(client, "?country=EE") == [kafe]
    assert shown(client, "?overdue=true") == [kafe]
    assert shown(client, "?stage=matching") == []
    assert shown(client, "?q=%25") == []  # a wildcard is a character, not a pattern
    page = client.get("/inbox").get_data(as_text=True)
    assert "<strong>Escalated</strong>" in page and "Kohvik Tallinn" in page
    bad = client.get("/inbox?sort=colour&country=XX")
    assert bad.status_code == 422
    assert "<strong>Sort</strong>" in bad.get_data(
        as_text=True
    ) and "Choose an EU country." in bad.get_data(as_text=True)


def test_a_claimed_task_is_decided_by_its_claimer_or_a_lead_only(
    app: Flask,
    client: FlaskClient,
    gateway: FakeGateway,
    sessions: sessionmaker[Session],
    people: dict[str, User],
) -> None:
    request_id = submit(sessions, people["sme"])
    task = task_of(sessions, request_id)
    token = as_coordinator(client, "coordinator2@demo.eu")
    assert client.post(f"/tasks/{task.id}/claim", data={"csrf_token": token}).status_code == 303
    assert task_of(sessions, request_id).claimed_by == people["coordinator2"].id
    assert shown(client, "?mine=true") == [request_id]

    claire = app.test_client()
    claire_token = as_coordinator(claire, "coordinator@demo.eu")
    again = claire.post(f"/tasks/{task.id}/claim", data={"csrf_token": claire_token})
    assert again.status_code == 303  # refused, back where she was, with the reason
    assert "Another coordinator has claimed" in claire.get("/inbox").get_data(as_text=True)
    # Claire leads: she may still decide, and give the task back.
    approve = f"/requests/{request_id}/intake/approve"
    assert (
        claire.post(approve, data={"csrf_token": claire_token, "nonce": NONCE}).status_code == 303
    )
    assert gateway.calls[-1] == (Update.APPROVE_INTAKE, Decision(actor(people["coordinator"])))

    other = submit(sessions, people["sme"])
    other_task = task_of(sessions, other)
    claire.post(f"/tasks/{other_task.id}/claim", data={"csrf_token": claire_token})
    refused = client.post(
        f"/requests/{other}/intake/approve", data={"csrf_token": token, "nonce": NONCE}
    )
    assert refused.status_code == 403
    assert "Claire Dubois has claimed this task" in refused.get_data(as_text=True)
    give_back = client.post(f"/tasks/{other_task.id}/unclaim", data={"csrf_token": token})
    assert give_back.status_code == 403  # not his to give back
    claire.post(f"/tasks/{other_task.id}/unclaim", data={"csrf_token": claire_token})
    assert task_of(sessions, other).claimed_by is None
    ok = client.post(
        f"/requests/{other}/intake/approve", data={"csrf_token": token, "nonce": NONCE}
    )
    assert ok.status_code == 303


def test_a_lead_assigns_a_task_and_nobody_else_does(
    app: Flask,
    client: FlaskClient,
    gateway: FakeGateway,
    sessions: sessionmaker[Session],
    people: dict[str, User],
) -> None:
    request_id = submit(sessions, people["sme"])
    task = task_of(sessions, request_id)
    token = as_coordinator(client, "coordinator@demo.eu")
    assign = f"/tasks/{task.id}/assign"
    to_tomas = {"csrf_token": token, "assignee_id": str(people["coordinator2"].id)}
    assert client.post(assign, data=to_tomas).status_code == 303
    assert task_of(sessions, request_id).claimed_by == people["coordinator2"].id
    assert client.post(assign, data=to_tomas).status_code == 303  # the same hand-over again
    assert told_of_assignment(sessions) == [(people["coordinator2"].id, request_id)]  # once
    assert gateway.calls == [("send_mail_now", None)]  # the outbox woken for it, once
    to_mentor = client.post(assign, data={**to_tomas, "assignee_id": str(people["mentor"].id)})
    assert to_mentor.status_code == 303
    assert "coordinators only" in client.get("/inbox").get_data(as_text=True)
    tomas = app.test_client()
    tomas_token = as_coordinator(tomas, "coordinator2@demo.eu")
    back = {"csrf_token": tomas_token, "assignee_id": str(people["coordinator"].id)}
    assert tomas.post(assign, data=back).status_code == 403


def told_of_assignment(sessions: sessionmaker[Session]) -> list[tuple[int, int | None]]:
    with sessions() as session:
        rows = session.scalars(select(Notification).where(Notification.kind == ASSIGNED))
        return [(n.user_id, n.request_id) for n in rows]


def test_a_lead_who_takes_a_task_themselves_is_not_mailed_about_it(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    task = task_of(sessions, submit(sessions, people["sme"]))
    token = as_coordinator(client, "coordinator@demo.eu")
    to_me = {"csrf_token": token, "assignee_id": str(people["coordinator"].id)}
    assert client.post(f"/tasks/{task.id}/assign", data=to_me).status_code == 303
    assert task_of(sessions, task.request_id).claimed_by == people["coordinator"].id
    assert told_of_assignment(sessions) == []


def test_intakes_are_approved_in_bulk_each_on_its_own_authority(
    app: Flask,
    client: FlaskClient,
    gateway: FakeGateway,
    sessions: sessionmaker[Session],
    people: dict[str, User],
) -> None:
    first, second, claimed = (submit(sessions, people["sme"]) for _ in range(3))
    claire = app.test_client()
    claire_token = as_coordinator(claire, "coordinator@demo.eu")
    claire.post(f"/tasks/{task_of(sessions, claimed).id}/claim", data={"csrf_token": claire_token})
    token = as_coordinator(client, "coordinator2@demo.eu")
    form: dict[str, Any] = {"csrf_token": token, "nonce": NONCE}
    empty = client.post("/inbox/approve-intakes", data=form)
    assert empty.status_code == 422 and "Tick the intakes" in empty.get_data(as_text=True)
    ids = [str(first), str(second), str(claimed)]
    done = client.post("/inbox/approve-intakes", data={**form, "request_ids": ids})
    assert done.status_code == 303
    approvals = [c for c in gateway.calls if c[0] == Update.APPROVE_INTAKE]
    assert len(approvals) == 2
    page = client.get("/inbox").get_data(as_text=True)
    assert "2 intake(s) approved" in page
    assert f"#{claimed}: Claire Dubois has claimed this task" in page


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    engine = app.extensions["digivol.sessions"].kw["bind"]
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_inbox_page_takes_the_same_number_of_queries_for_2_or_40_rows(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    for _ in range(2):
        submit(sessions, people["sme"])
    as_coordinator(client, "coordinator@demo.eu")
    with statements(app) as few:
        assert len(shown(client)) == 2
    for n in range(38):
        submit(sessions, another_sme(sessions, f"Shop{n} Ltd", "FR"))
    with statements(app) as many:
        assert len(shown(client)) == 40
    assert len(many) == len(few), many
