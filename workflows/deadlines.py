"""TaskDeadlinesWorkflow: one durable timer to the next coordinator task's due date."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.inbox import InboxActivities

DEADLINES_ID = "task-deadlines"
# Tasks opened after the timer was set may fall due before it fires: look at least hourly.
LONGEST_WAIT = 3600
ROUNDS_PER_RUN = 200  # then continue as new: the history stays short


@workflow.defn
class TaskDeadlinesWorkflow:
    """Sleeps until the earliest due date among open coordinator tasks (or an hour), then
    escalates every task past due to the lead coordinators; runs for as long as the service."""

    @workflow.run
    async def run(self) -> None:
        for _ in range(ROUNDS_PER_RUN):
            now = workflow.now().replace(tzinfo=None).isoformat()
            until_next = await workflow.execute_activity_method(
                InboxActivities.escalate_overdue,
                now,
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5)),
            )
            wait = LONGEST_WAIT if until_next < 0 else min(until_next, LONGEST_WAIT)
            await workflow.sleep(timedelta(seconds=wait))
        workflow.continue_as_new()
