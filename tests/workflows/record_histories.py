"""Record the histories the replay test checks: `python -m tests.workflows.record_histories`.

A history already on disk is never overwritten: it stands for workflows that may be running
somewhere, and the replay test proves every later change of MentorshipWorkflow safe for them.
Add a scenario here when a change (behind `workflow.patched`) gives workflows a new shape.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.workflows.fakes import FakeActivities
from tests.workflows.test_mentoring_plan import (
    overdue_then_extended,
    proposed_and_countered,
    rescheduled,
)
from tests.workflows.test_mentorship_workflow import (
    EXPIRY_DURATIONS,
    EXPIRY_ROUNDS,
    TWO_MENTORS,
    countersigned_path,
    declined_agreement,
    disputed_sessions,
    expired_agreement,
    happy_path,
    nudged_then_escalated,
    paused_then_terminated,
    run,
)

HISTORIES = Path(__file__).parent / "histories"

SCENARIOS: dict[str, Callable[[Path], object]] = {
    # Before signing order and sealing (kept as recorded on 2026-11-24).
    "happy_path": lambda path: run(happy_path, history_path=path),
    "expired_agreement": lambda path: run(
        expired_agreement,
        FakeActivities(rounds=EXPIRY_ROUNDS),
        EXPIRY_DURATIONS,
        history_path=path,
    ),
    # Signing in order, a countersigning company, a seal; a declined agreement.
    "countersigned_and_sealed": lambda path: run(
        countersigned_path,
        FakeActivities(rounds=TWO_MENTORS, countersigning_company=8),
        history_path=path,
    ),
    "declined_agreement": lambda path: run(
        declined_agreement,
        FakeActivities(rounds=EXPIRY_ROUNDS),
        history_path=path,
    ),
    # A pause that ends on its date, a second one, then an early end.
    "paused_then_terminated": lambda path: run(paused_then_terminated, history_path=path),
    # A session left unconfirmed: nudged, escalated, then confirmed.
    "nudged_then_escalated": lambda path: run(nudged_then_escalated, history_path=path),
    # The happy path since completion feedback, certificates and follow-up surveys.
    "completed_with_feedback": lambda path: run(happy_path, history_path=path),
    # A session disputed and turned down, another disputed and counted as held.
    "disputed_sessions": lambda path: run(disputed_sessions, history_path=path),
    # Mentoring plans: proposed, countered and accepted; sessions moved and cancelled; a plan
    # overdue, escalated and extended by a coordinator.
    "proposed_and_countered": lambda path: run(proposed_and_countered, history_path=path),
    "rescheduled": lambda path: run(rescheduled, history_path=path),
    "overdue_then_extended": lambda path: run(overdue_then_extended, history_path=path),
    # The happy path since the pledge entry is pushed to the registry by a child workflow.
    "pushed_to_registry": lambda path: run(happy_path, history_path=path),
    # The happy path while steps were written by a local activity.
    "local_steps": lambda path: run(happy_path, history_path=path),
    # ... and since they are written by a regular activity again.
    "steps_as_activities_again": lambda path: run(happy_path, history_path=path),
    # The stage search attribute upserted only when the stage changes.
    "stage_when_changed": lambda path: run(happy_path, history_path=path),
    # Every change until 2026-11-30 taken under one patch marker, written at the start.
    "changes_in_one_marker": lambda path: run(happy_path, history_path=path),
    # Mentors ranked by a local activity, under the bundle that includes it.
    "ranked_locally": lambda path: run(happy_path, history_path=path),
    # The first round ranked in the intake approval's step; after a declined agreement, the
    # next round ranked by a local activity.
    "ranked_at_intake_approval": lambda path: run(happy_path, history_path=path),
    "ranked_at_intake_approval_then_again": lambda path: run(
        declined_agreement,
        FakeActivities(rounds=EXPIRY_ROUNDS),
        history_path=path,
    ),
}

if __name__ == "__main__":
    for name, record in SCENARIOS.items():
        path = HISTORIES / f"{name}.json"
        if path.exists():
            print(f"kept {path.name}")
            continue
        record(path)
        print(f"recorded {path.name}")
