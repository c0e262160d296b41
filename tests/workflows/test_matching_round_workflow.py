"""MatchingRoundWorkflow on the time-skipping server: its pick reaches a waiting request."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import sessionmaker
from temporalio import activity
from temporalio.worker import Worker

from activities.matching import MatchingActivities
from mentorship.rules.payloads import RankedOffer, RoundInput, RoundProposal
from mentorship.rules.stages import Stage, TaskKind
from mentorship.rules.state import Durations, MentorshipInput
from scripted.driver import Driver
from tests.temporal import SANDBOXED, time_skipping
from tests.workflows.fakes import FakeActivities
from workflows.matching_round import MatchingRoundWorkflow
from workflows.mentorship import MentorshipWorkflow
from workflows.pledge_sync import PledgeSyncWorkflow


@activity.defn(name="plan_matching_round")
def plan_matching_round(inp: RoundInput) -> list[RoundProposal]:
    # Request 1 gets mentor 103; request 2 has no workflow (closed or never started).
    return [RoundProposal(1, 103), RoundProposal(2, 104)]


def test_a_round_proposes_to_the_waiting_request_which_ranks_that_mentor_first() -> None:
    fakes = FakeActivities(rounds={2: [RankedOffer(13, 103, 0.4), RankedOffer(14, 105, 0.9)]})

    async def scenario() -> int:
        async with time_skipping() as env:
            queue = f"q-{uuid.uuid4().hex}"
            # The real sender: it only needs the client, never the database.
            sender = MatchingActivities(sessionmaker(), env.client)
            with ThreadPoolExecutor(8) as pool:
                async with Worker(
                    env.client,
                    task_queue=queue,
                    workflows=[MentorshipWorkflow, MatchingRoundWorkflow, PledgeSyncWorkflow],
                    activities=[*fakes.all(), plan_matching_round, sender.send_round_proposals],
                    activity_executor=pool,
                    unsandboxed_workflow_runner=SANDBOXED,
                ):
                    await env.client.start_workflow(
                        MentorshipWorkflow.run,
                        MentorshipInput(1, 3, Durations(), 2),
                        id="mentorship-1",
                        task_queue=queue,
                    )
                    wf = Driver(env.client, 1)
                    await wf.approve_intake()
                    await wf.wait_for(stage=Stage.AWAITING_MENTORS)
                    # Started, not awaited: awaiting a result would let the test server
                    # skip time past the request's 30-day wait.
                    round_run = await env.client.start_workflow(
                        MatchingRoundWorkflow.run,
                        RoundInput(top_k=5),
                        id="matching-round-test",
                        task_queue=queue,
                    )
                    await wf.wait_for(TaskKind.APPROVE_MATCH, Stage.MATCHING)
                    told: int = await round_run.result()
                    return told

    assert asyncio.run(scenario()) == 1  # request 2 had no workflow to tell
    assert fakes.ranks[-1].preferred_mentor_ids == [103]
    assert fakes.ranks[-1].round == 2
