"""PledgeSyncWorkflow: one pledge entry into the Coalition's registry, however long it takes."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.pledges import PledgeActivities
    from mentorship.rules.payloads import PledgeSyncInput

# One try per activity: the waiting between tries is this workflow's durable timers, so a
# registry down for days costs a timer, not a stuck activity, and the wait is visible.
ONE_TRY = RetryPolicy(maximum_attempts=1)


@workflow.defn
class PledgeSyncWorkflow:
    """Push until the registry takes the entry or refuses it; never drop it silently.

    The registry's duplicate detection on the entry's Idempotency-Key makes every retry safe,
    even one after a response that was lost on the way back.
    """

    @workflow.run
    async def run(self, inp: PledgeSyncInput) -> str:
        wait = inp.waited or inp.first_retry
        while True:
            try:
                outcome: str = await workflow.execute_activity_method(
                    PledgeActivities.push_pledge_entry,
                    inp.entry_id,
                    start_to_close_timeout=timedelta(seconds=60),
                    retry_policy=ONE_TRY,
                )
                return outcome
            except ActivityError:
                await workflow.sleep(timedelta(seconds=wait))
                wait = min(wait * 2, inp.max_retry)
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(dataclasses.replace(inp, waited=wait))
