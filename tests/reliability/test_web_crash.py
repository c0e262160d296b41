"""The web commits a request, then dies before it starts the request's workflow. The worker's
reconciler starts it; the restarted web's late start, and the SME's resubmitted form, change
nothing: one request, one workflow."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mentorship.config import Settings
from mentorship.rules.stages import TaskKind
from mentorship.services import intake
from mentorship.services.audit import verify_chain
from mentorship.store.db import transaction
from mentorship.store.models import SupportRequest, User
from scripted.driver import Driver
from scripted.journey import INTAKE, target
from scripted.servers import dev_server
from temporal_client.starts import start_mentorship
from tests.processes import Worker, worker_env

pytestmark = pytest.mark.slow  # the whole service, or its parts, as processes


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_request_whose_start_was_lost_is_started_once(
    database_url: str, sessions: sessionmaker[Session], people: dict[str, User], tmp_path: Path
) -> None:
    asyncio.run(_lost_start(database_url, sessions, people, tmp_path))


async def _lost_start(
    database_url: str, sessions: sessionmaker[Session], people: dict[str, User], tmp_path: Path
) -> None:
    queue = f"q-{uuid.uuid4().hex}"
    nonce = uuid.uuid4().hex  # the form's: a resubmission carries the same one
    with transaction(sessions) as session:  # what the web commits before it starts anything
        request_id = intake.create_request(
            session, session.merge(people["sme"]), INTAKE, 2, nonce
        ).id
    # ... and here the web process died: no workflow was started.
    async with dev_server() as env:
        environment = {
            **worker_env(database_url, target(env), queue, tmp_path),
            "DIGIVOL_RECONCILE_SECONDS": "1",
        }
        worker = Worker("worker", environment, tmp_path / "worker.log")
        try:
            await worker.polling()
            wf = Driver(env.client, request_id)
            for _ in range(300):
                found = [
                    w async for w in env.client.list_workflows(f"WorkflowId = '{wf.handle.id}'")
                ]
                if found:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the reconciler never started the lost workflow")
            status = await wf.wait_for(TaskKind.REVIEW_INTAKE, seconds=60)
            first_run = (await wf.handle.describe()).run_id
            # The web, restarted, sends its start after all; the SME sends the form again.
            settings = Settings(data_dir=tmp_path, task_queue=queue, planned_sessions=2)
            sme = people["sme"]
            await start_mentorship(env.client, settings, request_id, sme.organisation_id or 0, 2)
            with transaction(sessions) as session:
                again = intake.create_request(session, session.merge(sme), INTAKE, 2, nonce)
            assert again.id == request_id
            await asyncio.sleep(2)  # two more reconciler rounds
            assert (await wf.handle.describe()).run_id == first_run
            found = [w async for w in env.client.list_workflows(f"WorkflowId = '{wf.handle.id}'")]
            assert len(found) == 1 and status.stage == "intake_review"
        finally:
            worker.stop()
    assert "reconciler started 1 workflow(s)" in (tmp_path / "worker.log").read_text()
    with sessions() as session:
        assert session.scalar(select(func.count(SupportRequest.id))) == 1
        request = session.get(SupportRequest, request_id)
        assert request is not None and request.workflow_started
        assert verify_chain(session).intact
