"""MailOutboxWorkflow: empties the e-mail outbox, run by a Schedule and on demand."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.mail import MailActivities

MAIL_SCHEDULE_ID = "mail-outbox"
BATCH = 100
MAX_BATCHES = 20  # a bigger backlog waits for the next run: the history stays short
# An unreachable mail server is retried, patiently, until the next scheduled run takes over.
RETRY = RetryPolicy(maximum_interval=timedelta(minutes=2), maximum_attempts=10)


@workflow.defn
class MailOutboxWorkflow:
    @workflow.run
    async def run(self) -> int:
        """Send batches until the outbox is empty; returns how many batches it took."""
        for batch in range(1, MAX_BATCHES + 1):
            more = await workflow.execute_activity_method(
                MailActivities.send_notifications,
                BATCH,
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=RETRY,
            )
            if not more:
                return batch
        return MAX_BATCHES
