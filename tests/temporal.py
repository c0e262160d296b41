"""Real Temporal servers for tests, from the wheels: nothing is downloaded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.api.testservice.v1 import SleepRequest
from temporalio.bridge.testing import EphemeralServer
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
    WorkflowHandle,
)
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.testing._workflow import _V1WorkflowEnvironment
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from digivol import devserver
from workflows.mentorship import SEARCH_ATTRIBUTES

# The service runs MentorshipWorkflow outside the sandbox, for speed; workers and replayers
# in tests take this as their runner for such workflows, so the sandbox still checks it.
SANDBOXED = SandboxedWorkflowRunner()


class _SharedTestServer:
    """The session's one time-skipping test server, started by the first test that asks.

    Each test has a client of its own (its event loop's) and a task queue of its own, and
    the workflows it started are terminated when it ends. The clock is the server's, one for
    all: a test starts with it at the wall clock (tests write dates from the wall clock that
    workflows compare with theirs), so a test that moved it on leaves the server to retire.
    So does a test that leaves it held: the server holds its clock while a workflow task
    waits for a worker, and a terminated workflow can leave that hold behind.
    """

    def __init__(self) -> None:
        self.server: EphemeralServer | None = None

    async def get(self) -> EphemeralServer:
        if self.server is None:
            env = await WorkflowEnvironment.start_time_skipping(
                test_server_existing_path=devserver.binary("temporal-test-server")
            )
            await register_search_attributes(env.client)
            self.server = env._server  # type: ignore[attr-defined]  # kept; the client goes
        assert self.server is not None
        return self.server

    async def stop(self) -> None:
        """Shut the server down; the next test that asks starts a new one."""
        if self.server is not None:
            server, self.server = self.server, None
            await server.shutdown()


SHARED_TEST_SERVER = _SharedTestServer()


@asynccontextmanager
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping environment on the session's test server (``SHARED_TEST_SERVER``)."""
    server = await SHARED_TEST_SERVER.get()
    started: list[str] = []
    client = await Client.connect(server.target, interceptors=[_Started(started)])
    # The SDK's own environment over our client: it unlocks the clock while a result is
    # awaited and sleeps on the server's clock (``env.sleep``), as start_time_skipping's does.
    env = _V1WorkflowEnvironment(client, server)
    try:
        yield env
    finally:
        for workflow_id in started:  # child workflows end with their parents
            with suppress(RPCError):  # it had ended already
                await env.client.get_workflow_handle(workflow_id).terminate("the test ended")
        if not await _clock_as_it_was(env):
            await SHARED_TEST_SERVER.stop()


async def _clock_as_it_was(env: WorkflowEnvironment) -> bool:
    """Whether the server's clock is still near the wall clock, and free to skip: a second
    of it passes at once unless it is held."""
    if await env.get_current_time() - datetime.now(UTC) > timedelta(minutes=1):
        return False
    try:
        await env.client.test_service.unlock_time_skipping_with_sleep(
            SleepRequest(duration=Duration(seconds=1)), timeout=timedelta(seconds=0.5)
        )
    except RPCError:
        return False
    return True


class _Started(Interceptor):
    """Records the id of every workflow started through the client."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _StartedOutbound(next, self.ids)


class _StartedOutbound(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, ids: list[str]) -> None:
        super().__init__(next)
        self.ids = ids

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        handle = await super().start_workflow(input)
        self.ids.append(input.id)
        return handle


async def register_search_attributes(client: Client) -> None:
    # Upserting an unregistered attribute would fail every workflow task.
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={
                key.name: IndexedValueType.ValueType(key.indexed_value_type.value)
                for key in SEARCH_ATTRIBUTES
            },
        )
    )
