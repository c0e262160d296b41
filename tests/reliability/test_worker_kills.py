"""The worker killed (SIGKILL, no goodbye) right after each step that sets an activity going,
and started again: ranking the mentors, reserving the mentorship and rendering the agreement,
sealing it, issuing the certificates and recording the pledge entry. The mentorship still
ends, and nothing is lost or doubled.

Rendering, sealing and the certificates heartbeat, so their loss is noticed in ten seconds; a
short activity that was running when its worker died is retried once its start-to-close
timeout runs out (the step timeout: 4 s in this test's settings, a minute by default)."""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mentorship.rules.stages import Stage, Update
from mentorship.rules.state import Durations
from mentorship.services.audit import verify_chain
from mentorship.store.models import (
    Agreement,
    Certificate,
    Mentorship,
    PledgeEntry,
    SupportRequest,
    Task,
    User,
)
from scripted.journey import Journey, quick_settings, submit, target
from scripted.script import LIFECYCLE, Step
from scripted.servers import dev_server
from tests.processes import Worker, worker_env

pytestmark = pytest.mark.slow  # the whole service, or its parts, as processes


# The steps that set an activity going: ranking the mentors; reserving the mentorship and
# rendering the agreement; sealing it (the last signature); the certificates and the pledge
# entry.
KILLED_AFTER = (
    Step(Update.APPROVE_INTAKE, "coordinator"),
    Step(Update.ACCEPT_OFFER, "mentor"),
    Step(Update.SIGN, "admin"),
    Step(Update.APPROVE_COMPLETION, "reviewer"),
)


@pytest.mark.timeout(480)
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_mentorship_survives_its_worker_killed_after_each_kind_of_activity(
    database_url: str, sessions: sessionmaker[Session], people: dict[str, User], tmp_path: Path
) -> None:
    asyncio.run(_killed_again_and_again(database_url, sessions, people, tmp_path))


async def _killed_again_and_again(
    database_url: str, sessions: sessionmaker[Session], people: dict[str, User], tmp_path: Path
) -> None:
    # A killed worker's short activity (the pledge entry, here) is tried again after 4 s, not
    # 10; the follow-up surveys the workflow waits for before it ends come after 1 and 2 s.
    quick = Durations(month=1, step_timeout=4, survey_months=[1, 2])
    settings = replace(quick_settings(tmp_path), durations=quick)
    queue = settings.task_queue
    request_id = submit(sessions, people["sme"])
    async with dev_server() as env:
        # A killed worker's step comes back once its timeout ran out and a new worker polls.
        journey = Journey(env.client, sessions, people, request_id, patience=180)
        await journey.start(settings)
        environment = worker_env(database_url, target(env), queue, tmp_path)
        kills = 0
        worker = Worker("worker", environment, tmp_path / "worker-0.log")
        await worker.polling()

        async def then_kill(step: Callable[[], Awaitable[None]]) -> None:
            """Send the step, and kill the worker while what it set going runs."""
            nonlocal worker, kills
            await step()
            worker.kill()
            kills += 1
            worker = Worker("worker", environment, tmp_path / f"worker-{kills}.log")
            await worker.polling()

        try:
            for step in LIFECYCLE:
                await (then_kill(functools.partial(journey.take, step))
                       if step in KILLED_AFTER else journey.take(step))  # fmt: skip
            assert await asyncio.wait_for(journey.wf.handle.result(), 240) == Stage.COMPLETED
        finally:
            if worker.proc.poll() is None:
                worker.kill()
        assert kills == 4
        workflows = [
            w async for w in env.client.list_workflows(f"WorkflowId = '{journey.wf.handle.id}'")
        ]
        assert len(workflows) == 1

    with sessions() as session:
        request = session.get(SupportRequest, request_id)
        assert request is not None and request.stage == Stage.COMPLETED
        assert session.scalar(select(func.count(Mentorship.id))) == 1  # reserved once
        agreements = session.scalars(select(Agreement)).all()
        assert len(agreements) == 1  # rendered once, whatever the retries
        doc = agreements[0]
        assert doc.sealed_pdf is not None  # sealed once, and the file is the one hashed
        assert hashlib.sha256(doc.sealed_pdf).hexdigest() == doc.sealed_sha256
        assert hashlib.sha256(doc.pdf).hexdigest() == doc.sha256
        certificates = session.scalars(select(Certificate)).all()
        assert sorted(c.role for c in certificates) == ["mentor", "sme"]
        assert all(hashlib.sha256(c.pdf).hexdigest() == c.sha256 for c in certificates)
        assert session.scalar(select(func.count(PledgeEntry.id))) == 1
        assert session.scalar(select(func.count(Task.id)).where(Task.closed_at.is_(None))) == 0
        assert verify_chain(session).intact
