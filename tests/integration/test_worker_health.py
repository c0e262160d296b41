"""The worker's health check (`digivol worker-health`, compose's): healthy only while a worker
on this host polls the task queue, as Temporal saw it; an unreachable Temporal is named."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid

import pytest
from temporalio import workflow
from temporalio.worker import Worker

from scripted.processes import clean_environment, free_ports
from scripted.servers import dev_server

pytestmark = pytest.mark.slow  # a dev server and the command as processes


@workflow.defn(name="Idle")
class Idle:
    @workflow.run
    async def run(self) -> None:
        return None


def health(address: str, task_queue: str) -> subprocess.CompletedProcess[str]:
    env = {
        **clean_environment(),
        "TEMPORAL_ADDRESS": address,
        "DIGIVOL_TASK_QUEUE": task_queue,
        "DIGIVOL_DATA_DIR": os.environ.get("TMPDIR", "/tmp"),
    }
    return subprocess.run(
        [sys.executable, "-m", "digivol", "worker-health"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_healthy_only_while_a_worker_here_polls_the_task_queue() -> None:
    queue, host = f"mentorships-{uuid.uuid4().hex[:8]}", socket.gethostname()

    async def check() -> None:
        async with dev_server() as env:
            address = env.client.service_client.config.target_host
            idle = await asyncio.to_thread(health, address, queue)
            assert idle.returncode == 1
            assert f"no worker on {host} polled {queue} in the last 70 s" in idle.stderr
            async with Worker(env.client, task_queue=queue, workflows=[Idle]):
                for _ in range(10):  # its first poll may reach Temporal after the worker starts
                    polling = await asyncio.to_thread(health, address, queue)
                    if polling.returncode == 0:
                        break
            assert polling.returncode == 0, polling.stderr
            assert f"@{host} polling {queue}" in polling.stdout

    asyncio.run(check())


def test_an_unreachable_temporal_is_unhealthy_and_named() -> None:
    port = free_ports()[0]
    answer = health(f"127.0.0.1:{port}", "mentorships")
    assert answer.returncode == 1
    assert f"Temporal at 127.0.0.1:{port}" in answer.stderr and "Traceback" not in answer.stderr
