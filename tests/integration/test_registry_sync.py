"""Pledge entries into the reference registry, run as a real process, through
PledgeSyncWorkflow and its real activity on the time-skipping server."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.pledges import PledgeActivities
from mentorship.adapters.registry import RegistryConfig, idempotency_key
from mentorship.config import Settings
from mentorship.rules.payloads import PledgeSyncInput, RankInput, pledge_sync_id
from mentorship.rules.stages import Role, TaskKind
from mentorship.services import pledges, ranking, reservation
from mentorship.store.db import transaction
from mentorship.store.models import Notification, PledgeEntry, Task, User
from scripted.journey import submit
from temporal_client.starts import push_pledge_entry
from tests.temporal import time_skipping
from workflows.pledge_sync import PledgeSyncWorkflow

HOUR = 3600
TOKEN = "registry-test-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Registry:
    """The reference registry, `digivol registry serve`, as a subprocess."""

    def __init__(self, db: Path) -> None:
        self.port, self.db = _free_port(), db
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "digivol", "registry", "serve"]
        self.proc = subprocess.Popen(
            [
                *command,
                "--port",
                str(self.port),
                "--db",
                str(self.db),
                "--token",
                TOKEN,
                "--faults",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the reference registry did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            if self.proc.stdout:
                self.proc.stdout.close()
            self.proc = None

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def entries(self) -> list[dict[str, Any]]:
        return list(self.call("GET", "/v1/entries")["entries"])

    def posts(self) -> int:
        return int(self.call("GET", "/_stats")["posts"])


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    reg = Registry(tmp_path / "registry.sqlite3")
    yield reg
    reg.stop()


def completed_entry(sessions: sessionmaker[Session], people: dict[str, User]) -> int:
    """A finished mentorship's pledge entry, as the mentorship workflow records it."""
    request_id = submit(sessions, people["sme"])
    with transaction(sessions) as session:
        offers = ranking.rank_candidates(session, RankInput(request_id, 1, []))
        reserved = (reservation.reserve_mentorship(session, o.offer_id) for o in offers)
        mentorship_id = next(m for m in reserved if m is not None)
        return pledges.record_pledge_entry(session, mentorship_id).id


async def sync(
    env: WorkflowEnvironment,
    sessions: sessionmaker[Session],
    registry: Registry,
    entry_ids: list[int],
    during: Any = None,
) -> list[str]:
    """Run PledgeSyncWorkflow for each entry with the real activity; ``during`` runs while
    they wait. Returns their outcomes."""
    queue = f"q-{uuid.uuid4().hex}"
    acts = PledgeActivities(sessions, RegistryConfig(registry.url, TOKEN, 2))
    with ThreadPoolExecutor(4) as pool:
        async with Worker(
            env.client,
            task_queue=queue,
            workflows=[PledgeSyncWorkflow],
            activities=[acts.push_pledge_entry],
            activity_executor=pool,
        ):
            handles = [
                await env.client.start_workflow(
                    PledgeSyncWorkflow.run,
                    PledgeSyncInput(entry_id, first_retry=60, max_retry=HOUR),
                    id=pledge_sync_id(entry_id),
                    task_queue=queue,
                )
                for entry_id in entry_ids
            ]
            if during is not None:
                await during()
            return [await handle.result() for handle in handles]


def _entry(sessions: sessionmaker[Session], entry_id: int) -> PledgeEntry:
    with sessions() as session:
        entry = session.get(PledgeEntry, entry_id)
        assert entry is not None
        return entry


def test_a_registry_down_for_six_hours_gets_the_entry_once_when_it_is_back(
    sessions: sessionmaker[Session], people: dict[str, User], registry: Registry
) -> None:
    entry_id = completed_entry(sessions, people)

    async def go() -> list[str]:
        async with time_skipping() as env:

            async def outage() -> None:
                await env.sleep(6 * HOUR)  # nobody answers at the registry's address
                down = _entry(sessions, entry_id)
                assert down.registry_status == "retrying" and down.registry_attempts >= 6
                assert "no answer from the registry" in (down.registry_error or "")
                registry.start()
                await env.sleep(2 * HOUR)

            return await sync(env, sessions, registry, [entry_id], outage)

    assert asyncio.run(go()) == ["synced"]
    records = registry.entries()
    assert len(records) == 1
    entry = _entry(sessions, entry_id)
    assert records[0]["key"] == idempotency_key(entry.mentorship_id)
    assert records[0]["id"] == entry.registry_id and entry.registry_status == "synced"
    assert records[0]["entry"]["indicators"]["smes_supported"] == 1
    assert records[0]["entry"]["pledger"] == "Nordvik Cloud"


def test_three_server_errors_then_success_make_one_record(
    sessions: sessionmaker[Session], people: dict[str, User], registry: Registry
) -> None:
    entry_id = completed_entry(sessions, people)
    registry.start()
    registry.call("POST", "/_faults", {"status": 500, "times": 3})

    async def go() -> list[str]:
        async with time_skipping() as env:
            return await sync(env, sessions, registry, [entry_id])

    assert asyncio.run(go()) == ["synced"]
    assert registry.posts() == 4 and len(registry.entries()) == 1
    assert _entry(sessions, entry_id).registry_attempts == 4


def test_a_response_lost_after_the_registry_stored_the_entry_still_makes_one_record(
    sessions: sessionmaker[Session], people: dict[str, User], registry: Registry
) -> None:
    entry_id = completed_entry(sessions, people)
    registry.start()
    registry.call("POST", "/_faults", {"drop_after_store": 1})

    async def go() -> list[str]:
        async with time_skipping() as env:
            return await sync(env, sessions, registry, [entry_id])

    assert asyncio.run(go()) == ["synced"]
    records = registry.entries()
    assert registry.posts() == 2 and len(records) == 1  # the retry met duplicate detection
    assert _entry(sessions, entry_id).registry_id == records[0]["id"]


def test_a_refusal_becomes_a_coordinator_task_without_retries_and_can_be_sent_again(
    sessions: sessionmaker[Session], people: dict[str, User], registry: Registry, tmp_path: Path
) -> None:
    entry_id = completed_entry(sessions, people)
    registry.start()
    registry.call("POST", "/_faults", {"status": 400, "times": 1, "message": "Unknown pledger"})

    async def go() -> list[str]:
        async with time_skipping() as env:

            async def a_day_later() -> None:
                await env.sleep(24 * HOUR)

            outcome = await sync(env, sessions, registry, [entry_id], a_day_later)
            assert registry.posts() == 1  # no retry storm
            refused = _entry(sessions, entry_id)
            assert refused.registry_status == "rejected"
            assert refused.registry_error == "HTTP 400: Unknown pledger"
            with sessions() as session:
                task = session.scalars(
                    select(Task).where(Task.kind == TaskKind.FIX_REGISTRY_ENTRY)
                ).one()
                assert (task.role, task.subject_kind, task.subject_id, task.closed_at) == (
                    Role.COORDINATOR,
                    "pledge_entry",
                    entry_id,
                    None,
                )
                told = session.scalars(
                    select(Notification.user_id).where(
                        Notification.kind == TaskKind.FIX_REGISTRY_ENTRY
                    )
                ).all()
                assert told == [people["coordinator"].id]  # the lead, who hands it out
            # Put right at the registry; the coordinator sends it again.
            queue = f"q-{uuid.uuid4().hex}"
            acts = PledgeActivities(sessions, RegistryConfig(registry.url, TOKEN, 2))
            settings = Settings(data_dir=tmp_path, task_queue=queue)
            async with Worker(
                env.client,
                task_queue=queue,
                workflows=[PledgeSyncWorkflow],
                activities=[acts.push_pledge_entry],
                activity_executor=ThreadPoolExecutor(2),
            ):
                await push_pledge_entry(env.client, settings, entry_id)
                again = env.client.get_workflow_handle(pledge_sync_id(entry_id))
                return [*outcome, await again.result()]

    assert asyncio.run(go()) == ["rejected", "synced"]
    assert len(registry.entries()) == 1
    with sessions() as session:
        task = session.scalars(select(Task).where(Task.kind == TaskKind.FIX_REGISTRY_ENTRY)).one()
        assert task.closed_at is not None  # closed by the successful push


def test_two_completions_at_once_make_one_record_each(
    sessions: sessionmaker[Session], people: dict[str, User], registry: Registry
) -> None:
    first = completed_entry(sessions, people)
    second = completed_entry(sessions, people)
    registry.start()

    async def go() -> list[str]:
        async with time_skipping() as env:
            return await sync(env, sessions, registry, [first, second])

    assert asyncio.run(go()) == ["synced", "synced"]
    keys = sorted(r["key"] for r in registry.entries())
    with sessions() as session:
        expected = sorted(
            idempotency_key(e.mentorship_id) for e in session.scalars(select(PledgeEntry)).all()
        )
    assert keys == expected and len(keys) == 2
