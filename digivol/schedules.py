"""The service's recurring work and namespace set-up, made by the worker at start-up:
matching rounds, the e-mail outbox, data retention, history retention, task deadlines."""

from __future__ import annotations

from datetime import timedelta

from google.protobuf.duration_pb2 import Duration
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.workflowservice.v1 import UpdateNamespaceRequest
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.common import WorkflowIDConflictPolicy

from mentorship.config import Settings
from mentorship.rules.payloads import MailOutboxInput, RoundInput
from workflows.deadlines import DEADLINES_ID, TaskDeadlinesWorkflow
from workflows.mail_outbox import MAIL_SCHEDULE_ID, MailOutboxSweepWorkflow
from workflows.matching_round import ROUND_SCHEDULE_ID, MatchingRoundWorkflow
from workflows.retention import RETENTION_SCHEDULE_ID, RetentionWorkflow


def round_schedule(settings: Settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            MatchingRoundWorkflow.run,
            RoundInput(top_k=settings.matching_top_k),
            id="matching-round",  # the schedule appends the time of each run
            task_queue=settings.task_queue,
        ),
        spec=ScheduleSpec(
            intervals=[
                ScheduleIntervalSpec(every=timedelta(seconds=settings.matching_round_every_seconds))
            ]
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


def mail_schedule(settings: Settings) -> Schedule:
    """The safety net of the e-mail outbox: at the safety interval, a sweep starts the
    long-running outbox workflow if it is not running (the steps' wakes keep it going)."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            MailOutboxSweepWorkflow.run,
            MailOutboxInput(settings.mail_every_seconds),
            id="mail-outbox-sweep",  # the schedule appends the time of each run
            task_queue=settings.task_queue,
        ),
        spec=ScheduleSpec(
            intervals=[ScheduleIntervalSpec(every=timedelta(seconds=settings.mail_every_seconds))]
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


def retention_schedule(settings: Settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            RetentionWorkflow.run, id="privacy-retention", task_queue=settings.task_queue
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(days=1))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_schedule(client: Client, schedule_id: str, schedule: Schedule) -> None:
    """Create a schedule, or bring an existing one to the configured cadence."""
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(schedule_id).update(replace)


async def ensure_schedules(client: Client, settings: Settings) -> None:
    """The service's recurring work: matching rounds, the e-mail outbox's safety net, data
    retention."""
    await ensure_schedule(client, ROUND_SCHEDULE_ID, round_schedule(settings))
    await ensure_schedule(client, MAIL_SCHEDULE_ID, mail_schedule(settings))
    await ensure_schedule(client, RETENTION_SCHEDULE_ID, retention_schedule(settings))


async def ensure_history_retention(client: Client, settings: Settings) -> None:
    """Keep closed workflows' histories only as long as configured (they hold ids only)."""
    await client.workflow_service.update_namespace(
        UpdateNamespaceRequest(
            namespace=settings.temporal_namespace,
            config=NamespaceConfig(
                workflow_execution_retention_ttl=Duration(
                    seconds=settings.history_retention_days * 24 * 3600
                )
            ),
        )
    )


async def start_task_deadlines(client: Client, settings: Settings) -> None:
    """The one workflow that escalates overdue coordinator tasks; nothing if it runs."""
    await client.start_workflow(
        TaskDeadlinesWorkflow.run,
        id=DEADLINES_ID,
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
