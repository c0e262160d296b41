"""The production shape outside Docker: two `digivol worker` processes on one Temporal dev
server and PostgreSQL, configured only through the environment. One is killed in the middle
of a mentorship; the other finishes it, and nothing is lost or doubled."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import urllib.request
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mentorship import completion, services
from mentorship.audit import verify_chain
from mentorship.config import Settings
from mentorship.db import transaction
from mentorship.models import Agreement, Event, PledgeEntry, SupportRequest, Task, User
from mentorship.stages import Durations, Stage, TaskKind
from tests.factories import actor, submit
from tests.journey import to_sessions
from tests.service import free_ports
from tests.temporal import dev_server
from workflows.starter import start_mentorship


class Worker:
    """`digivol worker` as its own process; its log is kept to show when it fails."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "digivol", "worker"],
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )

    async def polling(self, seconds: float = 60) -> None:
        for _ in range(int(seconds * 10)):
            if "worker polling task queue" in self.log.read_text():
                return
            assert self.proc.poll() is None, f"{self.name} exited:\n{self.log.read_text()}"
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} never polled:\n{self.log.read_text()}")

    def kill(self) -> None:
        self.proc.kill()  # no goodbye: what it held is timed out and retried elsewhere
        self.proc.wait(timeout=30)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)


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
    queue = f"q-{uuid.uuid4().hex}"
    # A month of one second: the follow-up surveys after completion come in 3 and 6 seconds.
    settings = Settings(
        data_dir=tmp_path, task_queue=queue, planned_sessions=2, durations=Durations(month=1)
    )
    request_id = submit(sessions, people["sme"])
    async with dev_server() as env:
        config = env.client.service_client.config
        worker_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DIGIVOL_", "TEMPORAL_"))},
            "DATABASE_URL": database_url,
            "TEMPORAL_ADDRESS": config.target_host,
            "TEMPORAL_NAMESPACE": env.client.namespace,
            "DIGIVOL_TASK_QUEUE": queue,
            "DIGIVOL_DATA_DIR": str(tmp_path),  # one seal for both, as a shared volume gives
            "DIGIVOL_LOG_FORMAT": "json",
            "DIGIVOL_SHUTDOWN_GRACE_SECONDS": "5",
        }
        # Started here with the one-second month (a worker's reconciler would start it with
        # the environment's durations).
        await start_mentorship(
            env.client, settings, request_id, people["sme"].organisation_id or 0, 2
        )
        with transaction(sessions) as session:
            services.mark_workflow_started(session, request_id)
        first = Worker("worker 1", worker_env, tmp_path / "worker1.log")
        await first.polling()  # the first makes the seal; the second finds it
        metrics_port = free_ports()[0]
        second = Worker(
            "worker 2",
            {**worker_env, "DIGIVOL_METRICS_PORT": str(metrics_port)},
            tmp_path / "worker2.log",
        )
        await second.polling()
        try:
            wf, status = await to_sessions(env.client, settings, sessions, people, request_id)
            first.kill()  # mid-lifecycle: the sessions are still to come
            sme, mentor = actor(people["sme"]), actor(people["mentor"])
            for hours in (1.5, 2.0):
                with transaction(sessions) as session:
                    log = services.write_session_log(
                        session,
                        uuid.uuid4().hex,
                        status.mentorship_id or 0,
                        session.merge(people["mentor"]),
                        date(2026, 11, 1),
                        hours,
                        "Shop setup",
                        skills="Product listings",
                        participants=3,
                    )
                await wf.log_session(mentor, log.id)
                await wf.confirm_session(sme, log.id)
            await wf.wait_for(TaskKind.GIVE_FEEDBACK, Stage.COMPLETION_REVIEW, seconds=60)
            for key, author in (("sme", sme), ("mentor", mentor)):
                with transaction(sessions) as session:
                    feedback = completion.write_feedback(
                        session,
                        uuid.uuid4().hex,
                        request_id,
                        session.merge(people[key]),
                        5,
                        "Good work",
                        "Shop online.",
                    )
                await wf.give_feedback(author, feedback.id)
            await wf.wait_for(TaskKind.APPROVE_COMPLETION, seconds=60)
            await wf.approve_completion(actor(people["coordinator2"]))
            result = await asyncio.wait_for(wf.handle.result(), 120)
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
