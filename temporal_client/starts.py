"""Starting workflows on people's behalf: deterministic ids, safe to repeat after a crash."""

from __future__ import annotations

from datetime import datetime

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from mentorship.config import Settings
from mentorship.rules.payloads import PledgeSyncInput, RoundInput, pledge_sync_id
from mentorship.rules.stages import workflow_id
from mentorship.rules.state import MentorshipInput
from workflows.matching_round import MatchingRoundWorkflow
from workflows.mentorship import MentorshipWorkflow
from workflows.pledge_sync import PledgeSyncWorkflow


async def start_mentorship(
    client: Client,
    settings: Settings,
    request_id: int,
    sme_organisation_id: int,
    planned_sessions: int,
) -> None:
    """Start the request's workflow, or do nothing if it already runs."""
    await client.start_workflow(
        MentorshipWorkflow.run,
        MentorshipInput(
            request_id=request_id,
            sme_organisation_id=sme_organisation_id,
            durations=settings.durations,
            planned_sessions=planned_sessions,
        ),
        id=workflow_id(request_id),
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )


async def push_pledge_entry(client: Client, settings: Settings, entry_id: int) -> None:
    """Send a pledge entry to the registry again (after a refusal was dealt with), or do
    nothing if it is being sent."""
    d = settings.durations
    await client.start_workflow(
        PledgeSyncWorkflow.run,
        PledgeSyncInput(entry_id, d.registry_first_retry, d.registry_max_retry),
        id=pledge_sync_id(entry_id),
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )


async def start_round(client: Client, settings: Settings, now: datetime) -> str:
    """Start a round now; a second click within the same minute joins the same round."""
    round_id = f"matching-round-manual-{now:%Y%m%dT%H%M}"
    await client.start_workflow(
        MatchingRoundWorkflow.run,
        RoundInput(top_k=settings.matching_top_k),
        id=round_id,
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    return round_id
