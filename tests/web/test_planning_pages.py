"""The mentoring plan and the session calendar through HTTP, with a recording gateway."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mentorship.rules.choices import PlanChoice, PlanRef, ScheduleRef
from mentorship.rules.payloads import RankInput, StepInput
from mentorship.rules.stages import Effect, OfferStatus, Stage, Update
from mentorship.rules.subjects import Ref
from mentorship.services import completion, projection, ranking, reservation
from mentorship.store.db import transaction
from mentorship.store.models import (
    GoalOutcome,
    MatchOffer,
    MentoringPlan,
    Mentorship,
    Reason,
    ScheduledSession,
    SupportRequest,
    User,
)
from scripted.journey import submit
from tests.web.conftest import FakeGateway, csrf, login

NONCE = "0123456789abcdef0123456789abcdef"
LATER = (date.today() + timedelta(days=90)).isoformat()
SOONER = (date.today() + timedelta(days=30)).isoformat()


@pytest.fixture
def request_id(sessions: sessionmaker[Session], people: dict[str, User]) -> int:
    """A request whose mentorship with Anna is in its sessions."""
    request_id = submit(sessions, people["sme"])
    with transaction(sessions) as session:
        offers = ranking.rank_candidates(session, RankInput(request_id, 1, []))
        assert reservation.reserve_mentorship(session, offers[0].offer_id) is not None
        offer = session.get(MatchOffer, offers[0].offer_id)
        assert offer is not None
        offer.status = OfferStatus.ACCEPTED
        request = session.get(SupportRequest, request_id)
        assert request is not None
        request.stage = Stage.SESSIONS
    return request_id


def _step(sessions: sessionmaker[Session], request_id: int, effect: Effect, subject: Ref) -> None:
    """What the workflow's step writes after it took the update."""
    with transaction(sessions) as session:
        mentorship = session.scalar(select(Mentorship).where(Mentorship.request_id == request_id))
        assert mentorship is not None
        step = StepInput(
            key=uuid.uuid4().hex,
            request_id=request_id,
            stage=Stage.SESSIONS,
            effect=effect,
            tasks=[],
            subject=subject,
            mentorship_id=mentorship.id,
        )
        projection.apply_step(session, step)


def plan_form(token: str, **changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "csrf_token": token,
        "nonce": NONCE,
        "sessions": "4",
        "hours": "8",
        "cadence": "fortnightly",
        "ends_on": LATER,
        "goal": ["Sell online", "Bookkeeping in the cloud", ""],
        "measure": ["20 orders a month through the web shop", "Invoices sent from the app", ""],
        "target_on": [SOONER, LATER, ""],
        "note": "",
    }
    form.update(changes)
    return form


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"goal": ["", "", ""], "measure": ["", "", ""], "target_on": ["", "", ""]},
            "at least one",
        ),
        ({"measure": ["", "x y z", ""]}, "Goal 1: name the goal and its measurable result"),
        ({"target_on": ["soon", LATER, ""]}, "Goal 1: give its target date"),
        ({"target_on": [SOONER, "2099-01-01", ""]}, "Goal 2: its target date is after"),
        ({"ends_on": "2020-01-01"}, "Choose an end date after today"),
        ({"sessions": "0"}, "Plan 1 to 50 sessions"),
        ({"cadence": "hourly"}, "Choose a cadence"),
    ],
)
def test_a_bad_plan_is_refused_with_a_message_and_nothing_is_written(
    client: FlaskClient,
    gateway: FakeGateway,
    sessions: sessionmaker[Session],
    request_id: int,
    changes: dict[str, Any],
    message: str,
) -> None:
    login(client, "mentor@demo.eu")
    token = csrf(client, f"/requests/{request_id}")
    response = client.post(f"/requests/{request_id}/plan", data=plan_form(token, **changes))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert gateway.calls == []
    with sessions() as session:
        assert session.scalar(select(func.count(MentoringPlan.id))) == 0


def test_the_mentor_proposes_a_plan_and_the_sme_accepts_it(
    client: FlaskClient, gateway: FakeGateway, sessions: sessionmaker[Session], request_id: int
) -> None:
    login(client, "mentor@demo.eu")
    token = csrf(client, f"/requests/{request_id}")
    response = client.post(f"/requests/{request_id}/plan", data=plan_form(token))
    assert response.status_code == 303
    name, ref = gateway.calls[-1]
    assert name == Update.PROPOSE_PLAN and isinstance(ref, PlanRef)
    assert (ref.sessions, ref.ends_on) == (4, LATER)
    with sessions() as session:
        plan = session.get(MentoringPlan, ref.plan_id)
        assert plan is not None and plan.status == "pending" and plan.role == "mentor"
        assert [(g.position, g.goal, g.target_on.isoformat()) for g in plan.goals] == [
            (1, "Sell online", SOONER),
            (2, "Bookkeeping in the cloud", LATER),
        ]
    _step(sessions, request_id, Effect.PLAN_PROPOSED, Ref.plan(ref.plan_id))
    client.post("/logout", data={"csrf_token": token})

    login(client, "sme@demo.eu")
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Proposed plan" in page and "20 orders a month through the web shop" in page
    token = csrf(client, f"/requests/{request_id}")
    accept = {"csrf_token": token, "nonce": NONCE.replace("0", "1")}
    assert client.post(f"/requests/{request_id}/plan/999/accept", data=accept).status_code == 404
    client.post(f"/requests/{request_id}/plan/{ref.plan_id}/accept", data=accept)
    assert gateway.calls[-1] == (
        Update.ACCEPT_PLAN,
        PlanChoice(gateway.calls[-1][1].actor, ref.plan_id),
    )
    _step(sessions, request_id, Effect.PLAN_AGREED, Ref.plan(ref.plan_id))
    with sessions() as session:
        plan = session.get(MentoringPlan, ref.plan_id)
        request = session.get(SupportRequest, request_id)
        assert plan is not None and plan.status == "agreed" and plan.agreed_at is not None
        assert request is not None and request.planned_sessions == 4
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Agreed" in page and "4, every two weeks" in page


def _agreed_plan(client: FlaskClient, sessions: sessionmaker[Session], request_id: int) -> int:
    login(client, "mentor@demo.eu")
    token = csrf(client, f"/requests/{request_id}")
    client.post(f"/requests/{request_id}/plan", data=plan_form(token, nonce="a" * 32))
    with sessions() as session:
        plan_id = session.scalar(select(MentoringPlan.id).order_by(MentoringPlan.id.desc()))
        assert plan_id is not None
    _step(sessions, request_id, Effect.PLAN_PROPOSED, Ref.plan(plan_id))
    _step(sessions, request_id, Effect.PLAN_AGREED, Ref.plan(plan_id))
    client.post("/logout", data={"csrf_token": token})
    return plan_id


def test_a_coordinator_extends_the_plan_with_a_reason_and_nobody_else_may(
    client: FlaskClient, gateway: FakeGateway, sessions: sessionmaker[Session], request_id: int
) -> None:
    first = _agreed_plan(client, sessions, request_id)
    login(client, "sme@demo.eu")
    token = csrf(client, f"/requests/{request_id}")
    form = {"csrf_token": token, "nonce": NONCE, "ends_on": "2099-01-01", "sessions": "5"}
    assert client.post(f"/requests/{request_id}/plan/extend", data=form).status_code == 403
    client.post("/logout", data={"csrf_token": token})

    login(client, "coordinator@demo.eu")
    token = csrf(client, f"/requests/{request_id}")
    ends_on = (date.today() + timedelta(days=200)).isoformat()
    form = {"csrf_token": token, "nonce": NONCE, "ends_on": ends_on, "sessions": "5"}
    no_reason = client.post(f"/requests/{request_id}/plan/extend", data=form)
    assert no_reason.status_code == 422
    form["reason"] = "The SME's shop moved; two more months."
    assert client.post(f"/requests/{request_id}/plan/extend", data=form).status_code == 303
    name, ref = gateway.calls[-1]
    assert name == Update.EXTEND_PLAN and (ref.sessions, ref.ends_on) == (5, ends_on)
    with sessions() as session:
        plan = session.get(MentoringPlan, ref.plan_id)
        old = session.get(MentoringPlan, first)
        reason = session.get(Reason, ref.reason_id)
        assert plan is not None and old is not None and reason is not None
        assert [g.goal for g in plan.goals] == [g.goal for g in old.goals]  # same goals
        assert reason.text == "The SME's shop moved; two more months."
    _step(sessions, request_id, Effect.PLAN_EXTENDED, Ref.plan(ref.plan_id))
    with sessions() as session:
        statuses = session.execute(select(MentoringPlan.id, MentoringPlan.status)).all()
        assert sorted(statuses) == [(first, "replaced"), (ref.plan_id, "agreed")]


def test_goals_are_confidential_to_the_parties(
    client: FlaskClient, sessions: sessionmaker[Session], request_id: int
) -> None:
    _agreed_plan(client, sessions, request_id)
    for email, sees in (
        ("sme@demo.eu", True),
        ("mentor@demo.eu", True),
        ("coordinator@demo.eu", True),
        ("admin@demo.eu", False),  # the mentor's company admin
    ):
        login(client, email)
        page = client.get(f"/requests/{request_id}")
        assert page.status_code == 200
        assert ("20 orders a month" in page.get_data(as_text=True)) is sees, email
        client.post("/logout", data={"csrf_token": csrf(client, f"/requests/{request_id}")})


def test_feedback_says_how_far_each_goal_was_achieved(
    client: FlaskClient, gateway: FakeGateway, sessions: sessionmaker[Session], request_id: int
) -> None:
    plan_id = _agreed_plan(client, sessions, request_id)
    with sessions() as session:
        plan = session.get(MentoringPlan, plan_id)
        assert plan is not None
        goals = [g.id for g in plan.goals]
    login(client, "mentor@demo.eu")
    token = csrf(client, f"/requests/{request_id}")
    form = {
        "csrf_token": token,
        "nonce": NONCE,
        "rating": "5",
        "text": "Very useful sessions.",
        "achieved": "The shop is online.",
        f"goal_{goals[0]}": "achieved",
    }
    missing = client.post(f"/requests/{request_id}/feedback", data=form)
    assert missing.status_code == 422
    assert "Say how far this goal was achieved" in missing.get_data(as_text=True)
    form[f"goal_{goals[1]}"] = "partly"
    form[f"goal_note_{goals[1]}"] = "Invoices yes, receipts not yet."
    assert client.post(f"/requests/{request_id}/feedback", data=form).status_code == 303
    name, ref = gateway.calls[-1]
    assert name == Update.GIVE_FEEDBACK
    with sessions() as session:
        rows = session.scalars(
            select(GoalOutcome).where(GoalOutcome.feedback_id == ref.feedback_id)
        ).all()
        assert sorted((r.goal_id, r.result, r.note) for r in rows) == [
            (goals[0], "achieved", ""),
            (goals[1], "partly", "Invoices yes, receipts not yet."),
        ]
    _step(sessions, request_id, Effect.FEEDBACK_GIVEN, Ref.feedback(ref.feedback_id))
    with sessions() as session:
        assert [f.id for f in completion.feedback_for(session, request_id)] == [ref.feedback_id]
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Partly achieved" in page and "Invoices yes, receipts not yet." in page


def test_a_moved_session_keeps_its_calendar_entry_and_a_cancelled_one_cancels_it(
    client: FlaskClient, gateway: FakeGateway, sessions: sessionmaker[Session], request_id: int
) -> None:
    login(client, "mentor@demo.eu")
    token = csrf(client, "/mentor")
    form = {
        "csrf_token": token,
        "nonce": NONCE,
        "day": (date.today() + timedelta(days=3)).isoformat(),
        "time": "10:00",
        "minutes": "60",
        "format": "remote",
        "place": "https://meet.example/abc",
        "agenda": "Product photos",
    }
    client.post(f"/requests/{request_id}/schedule", data=form)
    first = gateway.calls[-1][1].scheduled_id
    _step(sessions, request_id, Effect.SESSION_SCHEDULED, Ref.scheduled_session(first))
    moved = {**form, "nonce": "b" * 32, "time": "14:30", "agenda": "Photos and prices"}
    assert client.post(f"/scheduled/{first}/move", data=moved).status_code == 303
    name, ref = gateway.calls[-1]
    assert name == Update.SCHEDULE_SESSION and isinstance(ref, ScheduleRef)
    assert ref.replaces_id == first and ref.starts_at is not None
    _step(sessions, request_id, Effect.SESSION_MOVED, Ref.scheduled_session(ref.scheduled_id))
    with sessions() as session:
        old, new = (
            session.get(ScheduledSession, first),
            session.get(ScheduledSession, ref.scheduled_id),
        )
        assert old is not None and new is not None
        assert (old.status, new.status, new.series_id, new.sequence) == (
            "moved",
            "scheduled",
            first,
            1,
        )
    body = client.get(f"/scheduled/{ref.scheduled_id}.ics").get_data(as_text=True)
    assert f"UID:dv-session-{first}@digital-volunteers" in body and "SEQUENCE:1" in body
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Photos and prices" in page and "Product photos<" not in page

    client.post(
        f"/scheduled/{ref.scheduled_id}/cancel", data={"csrf_token": token, "nonce": "c" * 32}
    )
    assert gateway.calls[-1] == (Update.CANCEL_SESSION, ScheduleRef(ref.actor, ref.scheduled_id))
    _step(sessions, request_id, Effect.SESSION_CANCELLED, Ref.scheduled_session(ref.scheduled_id))
    body = client.get(f"/scheduled/{ref.scheduled_id}.ics").get_data(as_text=True)
    assert "METHOD:CANCEL" in body and "SEQUENCE:2" in body
    assert f"UID:dv-session-{first}@digital-volunteers" in body
    client.post("/logout", data={"csrf_token": token})
    login(client, "mentor2@demo.eu")  # not this mentorship's mentor
    token = csrf(client, "/mentor")
    cancel = client.post(f"/scheduled/{first}/cancel", data={"csrf_token": token, "nonce": NONCE})
    assert cancel.status_code == 404
