"""Starting a mentorship workflow: deterministic id, safe to repeat after a crash."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from mentorship.config import Settings
from mentorship.stages import MentorshipInput, workflow_id
from workflows.mentorship import MentorshipWorkflow


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
