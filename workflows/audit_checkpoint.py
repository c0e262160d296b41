"""AuditCheckpointWorkflow: signs the audit chain's head with the seal key, daily."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.audit import AuditActivities

CHECKPOINT_SCHEDULE_ID = "audit-checkpoints"
RETRY = RetryPolicy(maximum_interval=timedelta(minutes=10))


@workflow.defn
class AuditCheckpointWorkflow:
    @workflow.run
    async def run(self) -> int:
        """The number of the checkpoint that now covers the head (0 while there are none)."""
        return await workflow.execute_activity_method(
            AuditActivities.checkpoint_audit_head,
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=RETRY,
        )
