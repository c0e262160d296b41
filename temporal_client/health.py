"""Whether workers poll our task queue: for the web's readiness and the worker's health check."""

from __future__ import annotations

import time
from datetime import timedelta

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

# Temporal refreshes a poller's last access about once a minute while it waits for work.
RECENT_SECONDS = 70


async def polling_workers(client: Client, task_queue: str, timeout: timedelta) -> list[str]:
    """The identities (``<pid>@<host>``) of the workers that polled ``task_queue`` for
    workflow tasks in the last RECENT_SECONDS."""
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        ),
        timeout=timeout,
    )
    now = time.time()
    return [
        poller.identity
        for poller in response.pollers
        if now - poller.last_access_time.seconds < RECENT_SECONDS
    ]
