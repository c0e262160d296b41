"""The only web module that talks to Temporal: one event-loop thread, blocking methods."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RetryConfig, RPCError, RPCStatusCode

from mentorship.config import Settings
from mentorship.errors import Refused
from mentorship.i18n import N_
from mentorship.rules.payloads import StatusView
from mentorship.rules.stages import workflow_id
from temporal_client.connect import client_args
from temporal_client.health import polling_workers
from temporal_client.mail import MailWaker, wake_mail
from temporal_client.starts import push_pledge_entry, start_mentorship, start_round
from workflows.mentorship import MentorshipWorkflow

T = TypeVar("T")
log = logging.getLogger("digivol.web")


class ServiceBusy(Exception):
    """Temporal or the worker did not accept the step in time; it may still go through."""


class Accepted:
    """The answer to a step the workflow accepted but had not finished recording in time:
    the step is taken (its checks passed) and its writes are on their way."""


ACCEPTED = Accepted()
# After a step's timeout, how long to wait for the answer to "did the workflow take it?".
ACCEPTANCE_CHECK = timedelta(seconds=1)


class TemporalGateway:
    """Blocking facade over an asyncio Temporal client, safe to call from any thread."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._timeout = timedelta(seconds=settings.rpc_timeout_seconds)
        # A call to a server that is away (restarting) is retried for the timeout at most, not
        # the SDK's 10 s: the person who clicked gets "the service is busy" in time.
        self._retries = RetryConfig(
            max_elapsed_time_millis=int(settings.rpc_timeout_seconds * 1000)
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, daemon=True, name="temporal-gateway"
        )
        self._thread.start()
        self._client: Client | None = None
        self._connect_lock = asyncio.Lock()
        self._mail_waker = MailWaker(self._wake_mail, self._loop)

    def _call(self, make: Callable[[], Awaitable[T]]) -> T:
        async def run() -> T:
            return await make()

        future = asyncio.run_coroutine_threadsafe(run(), self._loop)
        try:
            return future.result(self._settings.rpc_timeout_seconds + 5)
        except FutureTimeout as exc:
            future.cancel()
            raise ServiceBusy("The workflow service did not answer in time.") from exc
        except (
            RPCError,
            WorkflowUpdateRPCTimeoutOrCancelledError,
            TimeoutError,
            RuntimeError,
        ) as exc:
            raise ServiceBusy(str(exc)) from exc

    async def _client_(self) -> Client:
        async with self._connect_lock:
            if self._client is None:
                self._client = await asyncio.wait_for(
                    Client.connect(**client_args(self._settings), retry_config=self._retries),
                    self._settings.rpc_timeout_seconds,
                )
            return self._client

    def start(self, request_id: int, sme_organisation_id: int, planned_sessions: int) -> None:
        async def go() -> None:
            client = await self._client_()
            await start_mentorship(
                client, self._settings, request_id, sme_organisation_id, planned_sessions
            )

        self._call(go)

    def push_pledge_entry(self, entry_id: int) -> None:
        async def go() -> None:
            client = await self._client_()
            await push_pledge_entry(client, self._settings, entry_id)

        self._call(go)

    def send_mail_now(self) -> None:
        """Wake the outbox to send now, without waiting for the answer (it is called as a
        transaction commits); if Temporal is away, the outbox's safety timer sends."""
        self._mail_waker()

    async def _wake_mail(self) -> None:
        client = await self._client_()
        await wake_mail(client, self._settings)

    def mentor_pool_changed(self, request_ids: list[int]) -> None:
        """Tell the requests waiting for a mentor that one joined; the next matching round
        finds them anyway if Temporal is away now."""

        async def go() -> None:
            client = await self._client_()
            for request_id in request_ids:
                handle = client.get_workflow_handle(workflow_id(request_id))
                try:
                    await handle.signal("mentor_pool_changed", rpc_timeout=self._timeout)
                except RPCError as exc:
                    if exc.status != RPCStatusCode.NOT_FOUND:
                        raise

        try:
            self._call(go)
        except ServiceBusy as exc:
            log.warning("could not tell waiting requests about a new mentor: %s", exc)

    def start_round(self) -> str:
        """Start a matching round now; returns its workflow id."""

        async def go() -> str:
            client = await self._client_()
            return await start_round(client, self._settings, datetime.now(UTC))

        return self._call(go)

    def update(self, request_id: int, name: str, arg: Any, nonce: str) -> Any:
        """Send a human step; the form's nonce is the update id, so a resubmit is one step.

        Raises Refused with the workflow's message when the step is not accepted, and
        ServiceBusy when no answer came in time. A step accepted whose recording takes longer
        than the timeout answers ACCEPTED rather than keep the person waiting (found out by a
        second call, ACCEPTANCE_CHECK at most: the usual case needs one call, not two).
        """

        async def go() -> Any:
            client = await self._client_()
            handle = client.get_workflow_handle(workflow_id(request_id))
            try:
                try:  # one call when the step is recorded in time, as nearly every one is
                    return await handle.execute_update(
                        name, arg, id=nonce, rpc_timeout=self._timeout
                    )
                except WorkflowUpdateRPCTimeoutOrCancelledError:
                    # Not recorded in time: ask again by the same id (one step still) whether
                    # the workflow took it at all. If not now, the service is busy.
                    await handle.start_update(
                        name, arg, id=nonce, wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                        rpc_timeout=ACCEPTANCE_CHECK,
                    )  # fmt: skip
                    log.info("step %s accepted; still being recorded", name)
                    return ACCEPTED
            except WorkflowUpdateFailedError as exc:
                cause = exc.cause
                if isinstance(cause, ApplicationError) and len(cause.details) == 2:
                    message, params = cause.details  # refuse(): catalog text and its values
                    raise Refused(message, **params) from exc
                if isinstance(cause, ApplicationError):
                    raise Refused(cause.message) from exc
                raise Refused(N_("This step was not accepted.")) from exc

        return self._call(go)

    def status(self, request_id: int) -> StatusView:
        async def go() -> StatusView:
            client = await self._client_()
            handle = client.get_workflow_handle(workflow_id(request_id))
            return await handle.query(MentorshipWorkflow.status, rpc_timeout=self._timeout)

        return self._call(go)

    def health(self) -> dict[str, str]:
        """Temporal's reachability and whether a worker polled the task queue lately."""

        async def go() -> dict[str, str]:
            client = await self._client_()
            workers = await polling_workers(client, self._settings.task_queue, self._timeout)
            return {"temporal": "ok", "worker": "ok" if workers else "no worker polling"}

        try:
            return self._call(go)
        except ServiceBusy as exc:
            return {"temporal": f"unreachable: {exc}", "worker": "unknown"}

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
