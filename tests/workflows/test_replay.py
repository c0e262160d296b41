"""Every stored history replays against the workflows as they are now.

Before 1.0 the histories are recorded afresh after each change of the workflows
(`python -m tests.workflows.record_histories`, docs/versioning.md); this test then catches
a change that leaves the code unable to replay what it recorded itself, and from 1.0 on it
guards the executions that are running.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from mentorship.rules.state import MentorshipInput
from tests.temporal import SANDBOXED
from tests.workflows.record_histories import ALSO_WRITTEN, SCENARIOS
from workflows.mail_outbox import MailOutboxWorkflow
from workflows.mentorship import MentorshipWorkflow
from workflows.pledge_sync import PledgeSyncWorkflow

HERE = Path(__file__).parent / "histories"
HISTORIES = sorted(HERE.glob("*.json"))


def replay(path: Path, *workflows: type) -> Any:
    history = WorkflowHistory.from_json("mentorship-1", path.read_text())
    return asyncio.run(
        Replayer(
            workflows=list(
                workflows or (MentorshipWorkflow, PledgeSyncWorkflow, MailOutboxWorkflow)
            ),
            unsandboxed_workflow_runner=SANDBOXED,
        ).replay_workflow(history, raise_on_replay_failure=False)
    )


def test_every_scenario_has_its_history_and_no_other_history_is_stored() -> None:
    assert {p.stem for p in HISTORIES} == set(SCENARIOS) | set(ALSO_WRITTEN)


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
def test_a_stored_history_replays_without_nondeterminism(path: Path) -> None:
    assert replay(path).replay_failure is None


@workflow.defn(name="MentorshipWorkflow", sandboxed=False)
class _FreesNoCapacity(MentorshipWorkflow):
    """A change that breaks replay: no activity where the recorded history has one."""

    @workflow.run
    async def run(self, inp: MentorshipInput) -> str:
        return await super().run(inp)

    async def _announce_freed_capacity(self) -> None:
        return None


def test_a_change_that_breaks_replay_fails_the_replay() -> None:
    result = replay(HERE / "happy_path.json", _FreesNoCapacity, PledgeSyncWorkflow)
    assert isinstance(result.replay_failure, NondeterminismError)
