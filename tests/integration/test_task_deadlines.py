"""A coordinator task past its due date escalates to the lead coordinators: a durable timer
in TaskDeadlinesWorkflow, with its real activity, on the time-skipping server."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.worker import Worker

from activities.inbox import InboxActivities
from mentorship.rules.stages import TaskKind
from mentorship.services import inbox
from mentorship.store.models import Notification, Task, User
from scripted.journey import submit
from tests.temporal import time_skipping
from workflows.deadlines import DEADLINES_ID, TaskDeadlinesWorkflow

DAY = 24 * 3600


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_intake_left_past_its_three_days_escalates_to_the_leads_once(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id = submit(sessions, people["sme"])
    with sessions() as session:
        task = session.scalars(select(Task).where(Task.request_id == request_id)).one()
        assert task.kind == TaskKind.REVIEW_INTAKE and task.due_at is not None
        assert task.due_at - task.created_at == inbox.SLA[TaskKind.REVIEW_INTAKE]

    async def scenario() -> None:
        queue = f"q-{uuid.uuid4().hex}"
        async with time_skipping() as env:
            with ThreadPoolExecutor(2) as pool:
                async with Worker(
                    env.client,
                    task_queue=queue,
                    workflows=[TaskDeadlinesWorkflow],
                    activities=[InboxActivities(sessions).escalate_overdue],
                    activity_executor=pool,
                ):
                    handle = await env.client.start_workflow(
                        TaskDeadlinesWorkflow.run, id=DEADLINES_ID, task_queue=queue
                    )
                    await env.sleep(2 * DAY)
                    assert escalated() is None  # not yet due
                    await env.sleep(1.5 * DAY)
                    for _ in range(100):
                        if escalated() is not None:
                            break
                        await asyncio.sleep(0.05)
                    await env.sleep(3 * DAY)  # later rounds escalate nothing twice
                    await handle.terminate()

    def escalated() -> object:
        with sessions() as session:
            return session.scalar(select(Task.escalated_at).where(Task.request_id == request_id))

    asyncio.run(scenario())
    assert escalated() is not None
    with sessions() as session:
        told = session.scalars(
            select(Notification.user_id).where(Notification.kind == inbox.ESCALATED)
        ).all()
    assert told == [people["coordinator"].id]  # the lead, once; not the other coordinator
