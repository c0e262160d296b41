"""web.temporal against a real dev server: answers, refusals, and a worker that is away."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from digivol.worker import build_worker, reconcile, reconcile_until
from mentorship.config import Settings
from mentorship.errors import Refused
from mentorship.rules.choices import Decision
from mentorship.rules.stages import Effect, Stage, Update
from mentorship.store.db import transaction
from mentorship.store.models import Event, SupportRequest, User
from scripted.journey import actor, submit
from scripted.servers import dev_server
from web.temporal import ACCEPTED, ServiceBusy, TemporalGateway


def settings_for(target: str) -> Settings:
    return Settings(
        temporal_address=target, task_queue=f"q-{uuid.uuid4().hex}", rpc_timeout_seconds=1.0
    )


@asynccontextmanager
async def served(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> AsyncIterator[tuple[Client, Settings, int, TemporalGateway]]:
    """A dev server with a worker, a request just submitted, and the web's gateway."""
    async with dev_server() as env:
        settings = settings_for(env.client.service_client.config.target_host)
        request_id = submit(sessions, people["sme"])
        gateway = TemporalGateway(settings)
        with ThreadPoolExecutor(8) as pool:
            async with build_worker(env.client, settings, sessions, pool):
                try:
                    yield env.client, settings, request_id, gateway
                finally:
                    gateway.close()


def test_with_no_worker_an_update_is_busy_within_the_timeout_and_decides_nothing(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    async def scenario() -> tuple[float, Stage]:
        async with dev_server() as env:
            settings = settings_for(env.client.service_client.config.target_host)
            request_id = submit(sessions, people["sme"])
            gateway = TemporalGateway(settings)
            try:
                await asyncio.to_thread(gateway.start, request_id, 1, 2)
                began = time.monotonic()
                with pytest.raises(ServiceBusy):
                    await asyncio.to_thread(
                        gateway.update,
                        request_id,
                        Update.APPROVE_INTAKE,
                        Decision(actor(people["coordinator"])),
                        "b" * 32,
                    )
                waited = time.monotonic() - began
                health = await asyncio.to_thread(gateway.health)
                assert health == {"temporal": "ok", "worker": "no worker polling"}
            finally:
                gateway.close()
            with sessions() as session:
                request = session.get(SupportRequest, request_id)
                assert request is not None
                return waited, Stage(request.stage)

    waited, stage = asyncio.run(scenario())
    assert waited < 10  # bounded by the rpc timeout, not the default of minutes
    assert stage == Stage.INTAKE_REVIEW


def test_a_refused_update_reaches_the_web_as_refused_with_the_workflows_words(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    async def scenario() -> int:
        async with served(sessions, people) as (client, settings, request_id, gateway):
            # The reconciler starts the request nobody started.
            assert await reconcile(client, settings, sessions) == 1
            assert await reconcile(client, settings, sessions) == 0
            sme = Decision(actor(people["sme"]))
            with pytest.raises(Refused, match="cannot take this step"):
                await asyncio.to_thread(
                    gateway.update, request_id, Update.APPROVE_INTAKE, sme, "c" * 32
                )
            coordinator = Decision(actor(people["coordinator"]))
            await asyncio.to_thread(
                gateway.update, request_id, Update.APPROVE_INTAKE, coordinator, "d" * 32
            )
            status = await asyncio.to_thread(gateway.status, request_id)
            assert status.stage == Stage.MATCHING
            return request_id

    request_id = asyncio.run(scenario())
    with transaction(sessions) as session:
        request = session.get(SupportRequest, request_id)
        assert request is not None and request.workflow_started


def test_the_worker_keeps_reconciling_so_a_start_lost_while_temporal_was_away_is_retried(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    async def scenario() -> bool:
        async with dev_server() as env:
            settings = settings_for(env.client.service_client.config.target_host)
            stop = asyncio.Event()
            loop = asyncio.create_task(
                reconcile_until(stop, env.client, settings, sessions, every_seconds=0.1)
            )
            request_id = submit(sessions, people["sme"])  # as if the web's start had failed
            for _ in range(100):
                with sessions() as session:
                    request = session.get(SupportRequest, request_id)
                    if request is not None and request.workflow_started:
                        break
                await asyncio.sleep(0.05)
            stop.set()
            await loop
            description = await env.client.get_workflow_handle(
                f"mentorship-{request_id}"
            ).describe()
            return description.id == f"mentorship-{request_id}"

    assert asyncio.run(scenario())


def test_a_step_accepted_but_slow_to_record_answers_accepted_in_time_and_is_recorded(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    """The database holds the step's write back (another transaction has the request row):
    the person is told the step was accepted within the timeout, not that the service is
    busy, and the step is recorded once the row is free."""

    async def scenario() -> tuple[object, float, int]:
        async with served(sessions, people) as (_client, _settings, request_id, gateway):
            await asyncio.to_thread(gateway.start, request_id, 1, 2)
            with sessions() as blocker:  # a writer holding the request's row
                blocker.execute(
                    update(SupportRequest)
                    .where(SupportRequest.id == request_id)
                    .values(description=SupportRequest.description)
                )
                began = time.monotonic()
                answer = await asyncio.to_thread(
                    gateway.update, request_id, Update.APPROVE_INTAKE,
                    Decision(actor(people["coordinator"])), "e" * 32,
                )  # fmt: skip
                waited = time.monotonic() - began
                with sessions() as session:
                    request = session.get(SupportRequest, request_id)
                    assert request is not None
                    assert request.stage == Stage.INTAKE_REVIEW  # not yet
                blocker.rollback()
            for _ in range(200):
                with sessions() as session:
                    request = session.get(SupportRequest, request_id)
                    if request is not None and request.stage != Stage.INTAKE_REVIEW:
                        break
                await asyncio.sleep(0.05)
            return answer, waited, request_id

    answer, waited, request_id = asyncio.run(scenario())
    assert answer is ACCEPTED
    assert waited < 5  # the one-second timeout, and the accepted answer right after it
    with sessions() as session:
        request = session.get(SupportRequest, request_id)
        assert request is not None and request.stage == Stage.MATCHING
        kinds = session.scalars(select(Event.kind).where(Event.request_id == request_id)).all()
        assert kinds.count(Effect.INTAKE_APPROVED) == 1


def test_the_reconciler_waits_for_the_database_without_holding_up_the_event_loop(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    """The worker's workflow tasks share the reconciler's event loop: while its write waits
    for a row another transaction holds, the loop goes on serving them."""

    async def scenario() -> tuple[bool, int, bool]:
        async with dev_server() as env:
            settings = settings_for(env.client.service_client.config.target_host)
            request_id = submit(sessions, people["sme"])  # as if the web's start had failed
            with sessions() as blocker:  # a writer holding the request's row
                blocker.execute(
                    update(SupportRequest)
                    .where(SupportRequest.id == request_id)
                    .values(description=SupportRequest.description)
                )
                reconciling = asyncio.create_task(reconcile(env.client, settings, sessions))
                # On a blocked loop this sleep would end only after the database gave up.
                await asyncio.sleep(1.5)
                waiting = not reconciling.done()
                blocker.rollback()
            started = await reconciling
            with sessions() as session:
                request = session.get(SupportRequest, request_id)
                return waiting, started, request is not None and request.workflow_started

    assert asyncio.run(scenario()) == (True, 1, True)
