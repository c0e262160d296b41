"""Real Temporal servers for tests, from the wheels: nothing is downloaded."""

from __future__ import annotations

import sysconfig
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from workflows.mentorship import SEARCH_ATTRIBUTES

SCRIPTS = Path(sysconfig.get_path("scripts"))
# The service runs MentorshipWorkflow outside the sandbox, for speed; workers and replayers
# in tests take this as their runner for such workflows, so the sandbox still checks it.
SANDBOXED = SandboxedWorkflowRunner()


@asynccontextmanager
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(SCRIPTS / "temporal-test-server")
    )
    try:
        await register_search_attributes(env.client)
        yield env
    finally:
        await env.shutdown()


@asynccontextmanager
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(SCRIPTS / "temporal"),
        search_attributes=list(SEARCH_ATTRIBUTES),
        # The SDK's 5 s default was once too short for a cold start on a busy machine.
        dev_server_startup_timeout=timedelta(seconds=30),
    )
    try:
        yield env
    finally:
        await env.shutdown()


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
