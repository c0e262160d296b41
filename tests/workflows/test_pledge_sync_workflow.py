"""PledgeSyncWorkflow's waiting between attempts, on the time-skipping server."""

from __future__ import annotations

import asyncio
import uuid

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from mentorship.rules.payloads import PledgeSyncInput
from tests.temporal import time_skipping
from workflows.pledge_sync import PledgeSyncWorkflow


def _run(answers: list[str | None]) -> tuple[str, list[float]]:
    """Run the workflow against a push that gives ``answers`` in turn (None: unavailable);
    return its outcome and the workflow-clock seconds at which each attempt came."""
    attempts: list[float] = []

    async def go() -> str:
        async with time_skipping() as env:
            began = (await env.get_current_time()).timestamp()

            @activity.defn(name="push_pledge_entry")
            async def push_pledge_entry(entry_id: int) -> str:
                attempts.append((await env.get_current_time()).timestamp() - began)
                answer = answers[len(attempts) - 1]
                if answer is None:
                    raise ApplicationError("the registry answered HTTP 503")
                return answer

            queue = f"q-{uuid.uuid4().hex}"
            async with Worker(
                env.client,
                task_queue=queue,
                workflows=[PledgeSyncWorkflow],
                activities=[push_pledge_entry],
            ):
                return await env.client.execute_workflow(
                    PledgeSyncWorkflow.run,
                    PledgeSyncInput(7, first_retry=60, max_retry=300),
                    id="pledge-entry-7",
                    task_queue=queue,
                )

    return asyncio.run(go()), attempts


def test_an_unavailable_registry_is_tried_again_with_doubling_waits_up_to_the_maximum() -> None:
    outcome, attempts = _run([None, None, None, None, None, "synced"])
    assert outcome == "synced"
    waits = [round(b - a) for a, b in zip(attempts, attempts[1:], strict=False)]
    assert waits == [60, 120, 240, 300, 300]  # doubling, capped at five minutes


def test_a_refusal_ends_the_attempts_at_once() -> None:
    outcome, attempts = _run(["rejected", "synced"])
    assert outcome == "rejected" and len(attempts) == 1
