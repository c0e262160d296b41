"""Stored histories still replay: running workflows survive a change of the code."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.temporal import SANDBOXED
from workflows.mentorship import MentorshipWorkflow
from workflows.pledge_sync import PledgeSyncWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_there_are_histories_to_replay() -> None:
    assert {p.stem for p in HISTORIES} >= {
        "happy_path",
        "expired_agreement",
        "countersigned_and_sealed",
        "declined_agreement",
        "paused_then_terminated",
        "nudged_then_escalated",
        "completed_with_feedback",
        "disputed_sessions",
        "proposed_and_countered",
        "rescheduled",
        "overdue_then_extended",
        "pushed_to_registry",
        "local_steps",
        "steps_as_activities_again",
        "stage_when_changed",
        "changes_in_one_marker",
        "ranked_locally",
        "ranked_at_intake_approval",
        "ranked_at_intake_approval_then_again",
    }


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
def test_a_stored_history_replays_without_nondeterminism(path: Path) -> None:
    history = WorkflowHistory.from_json("mentorship-1", path.read_text())
    result = asyncio.run(
        Replayer(
            workflows=[MentorshipWorkflow, PledgeSyncWorkflow],
            unsandboxed_workflow_runner=SANDBOXED,
        ).replay_workflow(history)
    )
    assert result.replay_failure is None
