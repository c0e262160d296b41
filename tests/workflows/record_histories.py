"""Record the histories the replay test checks: `python -m tests.workflows.record_histories`.

Run it only when a change to MentorshipWorkflow is meant to be incompatible with running
workflows (and so ships behind `workflow.patched` or a new workflow type); otherwise the
replay test is what proves the change safe for workflows already in flight.
"""

from __future__ import annotations

from pathlib import Path

from tests.workflows.fakes import FakeActivities
from tests.workflows.test_mentorship_workflow import (
    EXPIRY_DURATIONS,
    EXPIRY_ROUNDS,
    expired_agreement,
    happy_path,
    run,
)

HISTORIES = Path(__file__).parent / "histories"

if __name__ == "__main__":
    run(happy_path, history_path=HISTORIES / "happy_path.json")
    run(
        expired_agreement,
        FakeActivities(rounds=EXPIRY_ROUNDS),
        EXPIRY_DURATIONS,
        history_path=HISTORIES / "expired_agreement.json",
    )
    print(f"histories written to {HISTORIES}")
