"""The production shape outside Docker: two `digivol worker` processes on one Temporal dev
server and PostgreSQL, configured only through the environment. One is killed in the middle
of a mentorship; the other finishes it, and nothing is lost or doubled."""

from __future__ import annotations

import asyncio
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mentorship.rules.stages import Stage, Update
from mentorship.services.audit import verify_chain
from mentorship.store.models import Agreement, Event, PledgeEntry, SupportRequest, Task, User
from scripted.journey import Journey, quick_settings, submit, target
from scripted.processes import free_ports
from scripted.script import after, until
from scripted.servers import dev_server
from tests.processes import Worker, worker_env

pytestmark = pytest.mark.slow  # the whole service, or its parts, as processes


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_killed_worker_s_mentorship_is_finished_by_the_other(
    database_url: str,
    sessions: sessionmaker[Session],
    people: dict[str, User],
    tmp_path: Path,
) -> None:
    asyncio.run(_two_workers(database_url, sessions, people, tmp_path))


async def _two_workers(
    database_url: str, sessions: sessionmaker[Session], people: dict[str, User], tmp_path: Path
) -> None:
    settings = quick_settings(tmp_path)
    queue = settings.task_queue
    request_id = submit(sessions, people["sme"])
    async with dev_server() as env:
        # Started here with the one-second month (a worker's reconciler would start it with
        # the environment's durations).
        journey = Journey(env.client, sessions, people, request_id, patience=60)
        await journey.start(settings)
        environment = {
            **worker_env(database_url, target(env), queue, tmp_path),
            "DIGIVOL_LOG_FORMAT": "json",
            "DIGIVOL_SHUTDOWN_GRACE_SECONDS": "5",
        }
        first = Worker("worker 1", environment, tmp_path / "worker1.log")
        await first.polling()  # the first makes the seal; the second finds it
        metrics_port = free_ports()[0]
        second = Worker(
            "worker 2",
            {**environment, "DIGIVOL_METRICS_PORT": str(metrics_port)},
            tmp_path / "worker2.log",
        )
        await second.polling()
        try:
            await journey.play(until(Update.ACCEPT_PLAN))
            first.kill()  # mid-lifecycle: the sessions are still to come
            await journey.play(after(Update.ACCEPT_PLAN))
            result = await asyncio.wait_for(journey.wf.handle.result(), 120)
            assert result == Stage.COMPLETED
            # The SDK's own metrics, for Prometheus to scrape from the surviving worker.
            url = f"http://127.0.0.1:{metrics_port}/metrics"
            with urllib.request.urlopen(url, timeout=5) as answer:
                metrics = answer.read().decode()
            assert "temporal_activity_execution_latency" in metrics
            assert f'task_queue="{queue}"' in metrics
            assert second.stop() == 0  # a graceful stop: finish, then exit cleanly
        finally:
            for worker in (first, second):
                if worker.proc.poll() is None:
                    worker.kill()
        workflows = [
            w async for w in env.client.list_workflows(f"WorkflowId = 'mentorship-{request_id}'")
        ]
        assert len(workflows) == 1  # one workflow for the request, never a second start
    assert "worker polling task queue" in (tmp_path / "worker2.log").read_text()

    with sessions() as session:
        request = session.get(SupportRequest, request_id)
        assert request is not None and request.stage == Stage.COMPLETED
        entries = session.scalars(select(PledgeEntry)).all()
        assert len(entries) == 1 and entries[0].mentor_hours == 3.5  # once, whoever wrote it
        assert session.scalar(select(func.count(Task.id)).where(Task.closed_at.is_(None))) == 0
        doc = session.scalars(select(Agreement)).one()
        assert doc.status == "sealed" and doc.sealed_pdf is not None
        kinds = session.scalars(select(Event.kind).order_by(Event.id)).all()
        assert kinds.count("session_confirmed") == 2 and kinds.count("pledge_recorded") == 1
        assert verify_chain(session).intact
