"""Decisions sent at the same moment, against the whole service in real processes: the same
approval submitted ten times at once decides once; two coordinators approving the same task
at once: one wins, the other reads a clear message. Afterwards the invariants hold."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from collections.abc import Callable

import pytest
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus

from mentorship.services.audit import verify_chain
from mentorship.store.db import make_engine, make_session_factory
from scripted.browser import Browser, Page
from tests.integration.test_service_over_http import DESCRIPTION, poll
from tests.service import Service

pytestmark = pytest.mark.slow  # the whole service, or its parts, as processes


def at_once(*actions: Callable[[], Page]) -> list[Page]:
    """Run every action in its own thread, released together."""
    start, pages = threading.Barrier(len(actions)), [None] * len(actions)

    def run(i: int) -> None:
        start.wait()
        pages[i] = actions[i]()  # type: ignore[call-overload]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return pages  # type: ignore[return-value]


def events(service: Service, request_id: int, kind: str) -> int:
    with sqlite3.connect(service.data_dir / "digivol.sqlite3") as db:
        query = "SELECT count(*) FROM events WHERE request_id = ? AND kind = ?"
        return int(db.execute(query, (request_id, kind)).fetchone()[0])


def test_simultaneous_approvals_decide_once_and_the_loser_is_told(service: Service) -> None:
    sme, first, second = (Browser(service.url) for _ in range(3))
    sme.login("sme@demo.eu")
    first.login("coordinator@demo.eu")
    second.login("coordinator2@demo.eu")
    intake = sme.get("/sme/requests/new").form(r"^$|/sme/requests/new")
    intake.action = "/sme/requests/new"
    created = sme.submit(
        intake, challenge_areas=["e_commerce"], languages=["en"], description=DESCRIPTION,
        format="remote", employees="14", turnover_eur="1800000", balance_sheet_eur="900000",
    )  # fmt: skip
    found = re.search(r"/requests/(\d+)$", created.url)
    assert found, created.text[:300]
    request_id, path = int(found.group(1)), found.group(0)

    # The same form, sent ten times at once (a double click, a flaky network): one decision.
    form = poll(first, path, "/intake/approve").form("/intake/approve")
    pages = at_once(*[lambda: first.submit(form)] * 10)
    assert [p.status for p in pages] == [200] * 10
    assert events(service, request_id, "intake_approved") == 1

    # Two coordinators approve the proposed mentor at the same moment: one wins.
    offers = [poll(b, path, "/match/approve").form("/match/approve") for b in (first, second)]
    pages = at_once(lambda: first.submit(offers[0]), lambda: second.submit(offers[1]))
    assert [p.status for p in pages] == [200, 200]  # nobody sees an error page
    assert events(service, request_id, "offer_approved") == 1
    said = [p.text for p in pages]
    won = [t for t in said if "Match approved: the mentor has been asked." in t]
    lost = [t for t in said if "A match was already approved" in t or "not open" in t]
    assert len(won) == 1 and len(lost) == 1, said

    # The invariants: one workflow for the request, its audit chain intact, nothing failed.
    workflows = asyncio.run(_workflows(service, request_id))
    assert [w.status for w in workflows] == [WorkflowExecutionStatus.RUNNING]
    sessions = make_session_factory(
        make_engine(f"sqlite:///{service.data_dir / 'digivol.sqlite3'}")
    )
    with sessions() as session:
        assert verify_chain(session).intact


async def _workflows(service: Service, request_id: int) -> list[WorkflowExecution]:
    client = await Client.connect(f"127.0.0.1:{service.temporal_port}")
    query = f"WorkflowId = 'mentorship-{request_id}'"
    return [w async for w in client.list_workflows(query)]
