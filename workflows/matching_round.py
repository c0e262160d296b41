"""MatchingRoundWorkflow: one global assignment, proposed to each waiting mentorship."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.matching import MatchingActivities
    from mentorship.rules.payloads import RoundInput

ROUND_SCHEDULE_ID = "matching-rounds"
RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5))


@workflow.defn
class MatchingRoundWorkflow:
    """Runs on a Schedule and on demand. Each mentorship still asks the coordinator and the
    mentor to confirm the proposal; the round only decides who is proposed to whom."""

    @workflow.run
    async def run(self, inp: RoundInput) -> int:
        proposals = await workflow.execute_activity_method(
            MatchingActivities.plan_matching_round,
            inp,
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
        )
        if not proposals:
            return 0
        return await workflow.execute_activity_method(
            MatchingActivities.send_round_proposals,
            proposals,
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(minutes=1),
            retry_policy=RETRY,
        )
