"""The e-mail outbox: one long-running workflow that sends what a step queued within seconds,
and the Schedule's sweep that starts it again should it be gone."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.mail import MailActivities
    from mentorship.rules.payloads import MailOutboxInput

MAIL_OUTBOX_ID = "mail-outbox"  # the one outbox workflow: only it sends, never two at once
MAIL_SCHEDULE_ID = "mail-outbox"  # the sweep's Schedule (schedule ids are apart from these)
WAKE = "wake"
BATCH = 100
# An unreachable mail server is retried, patiently; a wake meanwhile is kept for after it.
RETRY = RetryPolicy(maximum_interval=timedelta(minutes=2))


@workflow.defn
class MailOutboxWorkflow:
    """Sends batches until the outbox is empty, then waits for a ``wake`` (something was
    queued) or the safety interval, whichever comes first; runs for as long as the service."""

    def __init__(self) -> None:
        self._woken = False
        self._safety_seconds = 0

    @workflow.signal(name=WAKE)
    def wake(self, safety_seconds: int = 0) -> None:
        """Mail was queued: send it, now or right after the send under way. The waker's
        configured safety interval comes along (0: keep the current one)."""
        self._woken = True
        if safety_seconds > 0:
            self._safety_seconds = safety_seconds

    @workflow.run
    async def run(self, inp: MailOutboxInput) -> None:
        self._safety_seconds = self._safety_seconds or inp.safety_seconds
        for _ in range(inp.rounds_per_run):
            # A flag, not a count: a wake from here on, during the send too, asks for one
            # more round after it, however many wakes came.
            self._woken = False
            more = True
            while more and not self._continue_as_new_suggested():
                more = await workflow.execute_activity_method(
                    MailActivities.send_notifications,
                    BATCH,
                    start_to_close_timeout=timedelta(minutes=5),
                    retry_policy=RETRY,
                )
            if self._continue_as_new_suggested():
                break  # the next run starts with a send, so nothing queued waits for it
            # Past the safety interval without a wake, it sends anyway: a lost wake (Temporal
            # away when the step committed) delays a message by that long at most.
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._woken, timeout=timedelta(seconds=self._safety_seconds)
                )
        workflow.continue_as_new(replace(inp, safety_seconds=self._safety_seconds))

    def _continue_as_new_suggested(self) -> bool:
        return workflow.info().is_continue_as_new_suggested()


@workflow.defn
class MailOutboxSweepWorkflow:
    """Run by the ``mail-outbox`` Schedule at the safety interval: starts the outbox workflow
    if it is not running (terminated, or never started); the running one needs nothing."""

    @workflow.run
    async def run(self, inp: MailOutboxInput) -> bool:
        """True if it had to start the outbox workflow."""
        try:
            await workflow.start_child_workflow(
                MailOutboxWorkflow.run,
                inp,
                id=MAIL_OUTBOX_ID,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            return False
        return True
