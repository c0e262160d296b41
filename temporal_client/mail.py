"""Waking the e-mail outbox: the web after an account e-mail was asked for, the worker after
each transaction that queued mail, the worker at start."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from mentorship.config import Settings
from mentorship.rules.payloads import MailOutboxInput
from workflows.mail_outbox import MAIL_OUTBOX_ID, WAKE, MailOutboxWorkflow

log = logging.getLogger("digivol.mail")


async def wake_mail(client: Client, settings: Settings) -> None:
    """Have the outbox send now: a signal-with-start, so it works whether the workflow runs
    or not (it starts one that is missing). The signal carries the safety interval only."""
    await client.start_workflow(
        MailOutboxWorkflow.run,
        MailOutboxInput(settings.mail_every_seconds),
        id=MAIL_OUTBOX_ID,
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        start_signal=WAKE,
        start_signal_args=[settings.mail_every_seconds],
    )


class MailWaker:
    """Wakes the outbox from any thread without waiting (an activity's or a web request's
    thread calls it once its transaction committed); ``wake`` runs on ``loop``.

    Wakes asked for while one is on its way make one more after it, not one each: a burst
    of steps costs two signals, and the last one follows the last commit. A failure is
    logged, never raised: the step stands, and the outbox's safety timer sends the mail.
    """

    def __init__(self, wake: Callable[[], Awaitable[None]], loop: asyncio.AbstractEventLoop):
        self._wake_now = wake  # wake_mail with its client and settings
        self._loop = loop
        self._waking: asyncio.Task[None] | None = None
        self._again = False

    def __call__(self) -> None:
        try:
            self._loop.call_soon_threadsafe(self._ask)
        except RuntimeError:  # the loop is closed: the worker is stopping
            log.warning("could not wake the mail outbox: the worker is stopping")

    def _ask(self) -> None:
        if self._waking is not None:
            self._again = True
        else:
            self._waking = self._loop.create_task(self._wake())

    async def _wake(self) -> None:
        try:
            again = True
            while again:
                self._again = False
                try:
                    await self._wake_now()
                except Exception as exc:  # whatever it was, the step must not fail of it
                    log.warning("could not wake the mail outbox: %s", exc)
                again = self._again
        finally:
            self._waking = None
