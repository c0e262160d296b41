"""RetentionWorkflow: erases what the retention period no longer allows keeping, daily."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.privacy import PrivacyActivities

RETENTION_SCHEDULE_ID = "privacy-retention"
BATCH = 200
MAX_BATCHES = 50  # what is left waits for tomorrow's run: the history stays short
RETRY = RetryPolicy(maximum_interval=timedelta(minutes=10))


@workflow.defn
class RetentionWorkflow:
    @workflow.run
    async def run(self) -> int:
        """Erase in batches until nothing is due; returns how many requests were erased."""
        total = 0
        for _ in range(MAX_BATCHES):
            erased = await workflow.execute_activity_method(
                PrivacyActivities.erase_closed_mentorships,
                BATCH,
                start_to_close_timeout=timedelta(minutes=10),
                retry_policy=RETRY,
            )
            total += erased
            if erased < BATCH:
                break
        return total
