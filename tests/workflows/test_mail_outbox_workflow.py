"""MailOutboxWorkflow's orchestration on a dev server, with a fake send: woken, it sends; a
wake during a send is kept; the safety timer sends without one; it continues as new and
keeps sending; the Schedule's sweep starts it only when it is missing."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.worker import Worker

from mentorship.config import Settings
from mentorship.rules.payloads import MailOutboxInput
from scripted.servers import dev_server
from temporal_client.mail import wake_mail
from workflows.mail_outbox import MAIL_OUTBOX_ID, MailOutboxSweepWorkflow, MailOutboxWorkflow

HOUR = 3600


@dataclass
class FakeOutbox:
    """The send activity: records when each send began; a send may be held open."""

    sends: list[float] = field(default_factory=list)
    hold: asyncio.Event | None = None  # set: sends return at once; clear: they wait for it
    sending: asyncio.Event = field(default_factory=asyncio.Event)

    @activity.defn(name="send_notifications")
    async def send_notifications(self, limit: int) -> bool:
        self.sends.append(time.monotonic())
        self.sending.set()
        if self.hold is not None:
            await self.hold.wait()
        return False  # the outbox is empty after each send

    async def wait_for_sends(self, count: int, seconds: float = 10) -> None:
        deadline = time.monotonic() + seconds
        while len(self.sends) < count:
            assert time.monotonic() < deadline, f"{len(self.sends)} of {count} sends came"
            await asyncio.sleep(0.02)


@asynccontextmanager
async def outbox_worker(outbox: FakeOutbox) -> AsyncIterator[tuple[Client, Settings]]:
    async with dev_server() as env:
        settings = Settings(task_queue=f"q-{uuid.uuid4().hex}", mail_every_seconds=HOUR)
        async with Worker(
            env.client,
            task_queue=settings.task_queue,
            workflows=[MailOutboxWorkflow, MailOutboxSweepWorkflow],
            activities=[outbox.send_notifications],
        ):
            yield env.client, settings


async def status(client: Client) -> WorkflowExecutionStatus | None:
    return (await client.get_workflow_handle(MAIL_OUTBOX_ID).describe()).status


def test_a_wake_starts_the_outbox_that_is_missing_and_wakes_the_one_that_runs() -> None:
    outbox = FakeOutbox()

    async def scenario() -> None:
        async with outbox_worker(outbox) as (client, settings):
            await wake_mail(client, settings)  # nothing runs: it starts, and sends
            await outbox.wait_for_sends(1)
            await wake_mail(client, settings)  # it runs, waiting an hour: it sends now
            await outbox.wait_for_sends(2)
            await asyncio.sleep(0.5)
            assert len(outbox.sends) == 2  # one send a wake, no more
            assert await status(client) == WorkflowExecutionStatus.RUNNING

    asyncio.run(scenario())


def test_a_wake_during_a_send_brings_one_more_send_after_it() -> None:
    outbox = FakeOutbox(hold=asyncio.Event())

    async def scenario() -> None:
        async with outbox_worker(outbox) as (client, settings):
            await wake_mail(client, settings)
            await asyncio.wait_for(outbox.sending.wait(), 10)  # the first send is under way
            for _ in range(3):  # three steps queued mail meanwhile
                await wake_mail(client, settings)
            assert len(outbox.sends) == 1
            assert outbox.hold is not None
            outbox.hold.set()  # the send ends
            await outbox.wait_for_sends(2)  # the wakes were kept: another send, at once
            await asyncio.sleep(0.5)
            assert len(outbox.sends) == 2  # one for the three wakes, then it waits

    asyncio.run(scenario())


def test_without_a_wake_the_safety_interval_sends() -> None:
    outbox = FakeOutbox()

    async def scenario() -> None:
        async with outbox_worker(outbox) as (client, settings):
            await client.start_workflow(
                MailOutboxWorkflow.run,
                MailOutboxInput(safety_seconds=1),
                id=MAIL_OUTBOX_ID,
                task_queue=settings.task_queue,
            )
            await outbox.wait_for_sends(3)

    asyncio.run(scenario())
    gaps = [b - a for a, b in zip(outbox.sends, outbox.sends[1:], strict=False)]
    assert all(0.9 < gap < 3 for gap in gaps), gaps


def test_it_continues_as_new_after_its_rounds_and_keeps_sending() -> None:
    outbox = FakeOutbox()

    async def scenario() -> None:
        async with outbox_worker(outbox) as (client, settings):
            handle = await client.start_workflow(
                MailOutboxWorkflow.run,
                MailOutboxInput(safety_seconds=HOUR, rounds_per_run=2),
                id=MAIL_OUTBOX_ID,
                task_queue=settings.task_queue,
            )
            first_run = handle.first_execution_run_id
            await outbox.wait_for_sends(1)
            await wake_mail(client, settings)  # the second round
            await outbox.wait_for_sends(2)
            await wake_mail(client, settings)  # the run's rounds are done: a new run sends
            await outbox.wait_for_sends(3)
            described = await client.get_workflow_handle(MAIL_OUTBOX_ID).describe()
            assert described.run_id != first_run
            assert described.status == WorkflowExecutionStatus.RUNNING
            await wake_mail(client, settings)  # and the new run answers a wake
            await outbox.wait_for_sends(4)
            first = client.get_workflow_handle(MAIL_OUTBOX_ID, run_id=first_run)
            assert (await first.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW

    asyncio.run(scenario())


def test_the_schedules_sweep_starts_the_outbox_only_when_it_is_missing() -> None:
    outbox = FakeOutbox()

    async def scenario() -> None:
        async with outbox_worker(outbox) as (client, settings):

            async def sweep() -> bool:
                return await client.execute_workflow(
                    MailOutboxSweepWorkflow.run,
                    MailOutboxInput(HOUR),
                    id=f"mail-outbox-sweep-{uuid.uuid4().hex}",
                    task_queue=settings.task_queue,
                )

            assert await sweep() is True  # missing: started, and it sends
            await outbox.wait_for_sends(1)
            assert await status(client) == WorkflowExecutionStatus.RUNNING  # outlives the sweep
            assert await sweep() is False  # running: left alone, no extra send
            await client.get_workflow_handle(MAIL_OUTBOX_ID).terminate("an operator's mistake")
            assert await sweep() is True  # gone: back within a sweep
            await outbox.wait_for_sends(2)
            assert len(outbox.sends) == 2

    asyncio.run(scenario())
