"""Worker Deployment Versioning tried on the embedded dev server (docs/versioning.md).

Two builds of one workflow type, their build ids taken from a package version, register in
one deployment; a workflow starts on the first, the second becomes current, and the workflow
is then signalled. Each build writes its own id into the result when the run starts, so
``start_replayed_by`` names the build whose code last replayed the whole history. Run once
for each behaviour; prints what happened as JSON:

    .venv/bin/python -m tests.workflows.try_worker_versioning

Not a test: it tries the server's feature, not our code; what it found is in the doc.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.api.workflowservice.v1 import SetWorkerDeploymentCurrentVersionRequest
from temporalio.client import Client
from temporalio.common import VersioningBehavior
from temporalio.worker import Worker, WorkerDeploymentConfig, WorkerDeploymentVersion

from scripted.servers import dev_server

DEPLOYMENT = "digivol"
QUEUE = "versioning-trial"
PROPAGATION = 3.0  # seconds for a new current version to reach the task queue's routing


class _Trial:
    BUILD = ""

    def __init__(self) -> None:
        self.go = False

    async def _run(self) -> list[str]:
        first = self.BUILD  # the build that ran the first task
        await workflow.wait_condition(lambda: self.go)
        return [first, self.BUILD]


@workflow.defn(name="Trial")
class Old(_Trial):
    BUILD = "0.1.0"

    @workflow.run
    async def run(self) -> list[str]:
        return await self._run()

    @workflow.signal
    def proceed(self) -> None:
        self.go = True


@workflow.defn(name="Trial")
class New(_Trial):
    BUILD = "0.2.0"

    @workflow.run
    async def run(self) -> list[str]:
        return await self._run()

    @workflow.signal
    def proceed(self) -> None:
        self.go = True


def _worker(client: Client, code: type[_Trial], behaviour: VersioningBehavior) -> Worker:
    return Worker(
        client,
        task_queue=f"{QUEUE}-{behaviour.name.lower()}",
        workflows=[code],
        deployment_config=WorkerDeploymentConfig(
            version=WorkerDeploymentVersion(deployment_name=_deployment(behaviour),
                                            build_id=code.BUILD),
            use_worker_versioning=True,
            default_versioning_behavior=behaviour,
        ),
    )  # fmt: skip


def _deployment(behaviour: VersioningBehavior) -> str:
    return f"{DEPLOYMENT}-{behaviour.name.lower()}"


async def _make_current(client: Client, deployment: str, build: str) -> None:
    for _ in range(50):  # the version exists once its worker has polled
        try:
            await client.workflow_service.set_worker_deployment_current_version(
                SetWorkerDeploymentCurrentVersionRequest(
                    namespace=client.namespace, deployment_name=deployment, build_id=build
                )
            )
            return
        except Exception:  # noqa: BLE001  (not registered yet: ask again)
            await asyncio.sleep(0.2)
    raise RuntimeError(f"build {build} never became current")


async def trial(client: Client, behaviour: VersioningBehavior) -> dict[str, Any]:
    deployment = _deployment(behaviour)
    async with _worker(client, Old, behaviour):
        await _make_current(client, deployment, Old.BUILD)
        handle = await client.start_workflow(
            "Trial", id=f"trial-{uuid.uuid4()}", task_queue=f"{QUEUE}-{behaviour.name.lower()}",
            execution_timeout=timedelta(minutes=2),
        )  # fmt: skip
        await asyncio.sleep(1)  # its first task runs on the current build
        async with _worker(client, New, behaviour):
            await _make_current(client, deployment, New.BUILD)
            await asyncio.sleep(PROPAGATION)
            await handle.signal("proceed")
            ran: list[str] = await asyncio.wait_for(handle.result(), 20)
            raw = (await handle.describe()).raw_description
            info = raw.workflow_execution_info.versioning_info
    return {
        "behaviour": behaviour.name,
        "start_replayed_by": ran[0],
        "after_the_signal_on": ran[1],
        "closed_on": info.deployment_version.build_id,
    }


async def main() -> None:
    async with dev_server() as env:
        results = [
            await trial(env.client, behaviour)
            for behaviour in (VersioningBehavior.PINNED, VersioningBehavior.AUTO_UPGRADE)
        ]
    print(json.dumps({"trial": "worker deployment versioning", "results": results}, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
