"""Record the histories the replay test checks: `python -m tests.workflows.record_histories`.

Before 1.0 no workflow runs outside tests and demos (docs/versioning.md): a change of the
workflows is made directly, and then every history is recorded afresh with this script. It
writes one history per distinct path through the workflows, overwrites the ones on disk and
deletes any it no longer records. Name scenarios to record only those:
`python -m tests.workflows.record_histories happy_path rescheduled`.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from mentorship.rules.choices import Decision, OverrideChoice, PauseChoice
from mentorship.rules.payloads import MailOutboxInput, PledgeSyncInput, RankedOffer
from mentorship.rules.stages import Stage, TaskKind, Update
from mentorship.rules.state import Durations
from scripted.driver import COORDINATOR, Driver
from tests.temporal import time_skipping
from tests.workflows.fakes import SHA, FakeActivities
from tests.workflows.test_mentoring_plan import (
    overdue_then_extended,
    proposed_and_countered,
    rescheduled,
)
from tests.workflows.test_mentorship_workflow import (
    ANNA,
    DAY,
    EXPIRY_DURATIONS,
    EXPIRY_ROUNDS,
    SME,
    SURVEYS_DONE,
    TWO_MENTORS,
    Scenario,
    accepted_by_anna,
    agree_plan,
    complete,
    countersigned_path,
    declined_agreement,
    disputed_sessions,
    expired_agreement,
    happy_path,
    in_sessions,
    nudged_then_escalated,
    paused_then_terminated,
    run,
)
from workflows.mail_outbox import MailOutboxWorkflow
from workflows.pledge_sync import PledgeSyncWorkflow

HISTORIES = Path(__file__).parent / "histories"


async def completed_with_feedback(env: WorkflowEnvironment, wf: Driver, _: FakeActivities) -> None:
    """Feedback from both sides, then both follow-up surveys answered (none lapses)."""
    await in_sessions(wf)
    for log_id in (41, 42):
        await wf.log_session(ANNA, log_id)
        await wf.confirm_session(SME, log_id)
    await complete(wf)
    await wf.wait_for(stage=Stage.COMPLETED)
    for answer_id, months in ((91, 3), (93, 6)):
        await env.sleep(91 * DAY)
        await wf.wait_for(TaskKind.ANSWER_SURVEY)
        await wf.answer_survey(SME, answer_id, months)
    assert await wf.handle.result() == Stage.COMPLETED


async def voided_agreement(env: WorkflowEnvironment, wf: Driver, _: FakeActivities) -> None:
    """A coordinator voids the agreement; the same parties sign a fresh one."""
    await accepted_by_anna(wf)
    await wf.sign(SME, 31, 701, SHA)
    await wf.void_agreement(701, 70, rematch=False)
    await wf.wait_for(TaskKind.SIGN_AGREEMENT)
    await wf.sign(SME, 35, 702, SHA)
    await wf.sign(ANNA, 36, 702, SHA)
    await agree_plan(wf)


async def ended_early(env: WorkflowEnvironment, wf: Driver, _: FakeActivities) -> None:
    """Both sides agree to end after one session; completed with feedback."""
    await in_sessions(wf)
    await wf.log_session(ANNA, 41)
    await wf.confirm_session(SME, 41)
    await wf.update(Update.AGREE_TO_END_EARLY, Decision(SME))
    await wf.update(Update.AGREE_TO_END_EARLY, Decision(ANNA))
    await complete(wf)
    await env.sleep(SURVEYS_DONE)
    assert await wf.handle.result() == Stage.COMPLETED


async def rejected_intake(env: WorkflowEnvironment, wf: Driver, _: FakeActivities) -> None:
    await wf.wait_for(TaskKind.REVIEW_INTAKE)
    await wf.update(Update.REJECT_INTAKE, Decision(COORDINATOR, reason_id=77))
    assert await wf.handle.result() == Stage.REJECTED


async def unmatched(env: WorkflowEnvironment, wf: Driver, _: FakeActivities) -> None:
    """Nobody ranked: the request waits for the mentor pool, then is unmatched."""
    await wf.approve_intake()
    await wf.wait_for(stage=Stage.AWAITING_MENTORS)
    await env.sleep(31 * DAY)
    assert await wf.handle.result() == Stage.UNMATCHED


async def conflict_overridden(env: WorkflowEnvironment, wf: Driver, f: FakeActivities) -> None:
    """A coordinator overrides a conflict; the workflow ranks again (a local activity)."""
    await wf.approve_intake()
    await wf.wait_for(TaskKind.APPROVE_MATCH)
    await wf.update(Update.OVERRIDE_CONFLICT, OverrideChoice(COORDINATOR, 109, reason_id=55))
    for _ in range(200):
        if len(f.ranks) == 2:
            break
        await asyncio.sleep(0.05)
    await wf.wait_for(TaskKind.APPROVE_MATCH)
    await wf.approve_match(19)


def continued_as_new(first_run_path: Path) -> Scenario:
    """Thirteen sessions with a short history limit: the run continues as new mid-sessions
    (this history is the last run's; ``first_run_path`` gets the first run's)."""

    async def scenario(env: WorkflowEnvironment, wf: Driver, _: FakeActivities) -> None:
        await in_sessions(wf)
        first_run = (await wf.handle.describe()).run_id
        for log_id in range(41, 53):
            await wf.log_session(ANNA, log_id)
            await wf.confirm_session(SME, log_id)
        resume_on = (await env.get_current_time() + timedelta(days=5)).date().isoformat()
        await wf.update(Update.PAUSE, PauseChoice(SME, resume_on, 50))
        await env.sleep(6 * DAY)
        await wf.wait_for(TaskKind.LOG_SESSION, Stage.SESSIONS)
        await wf.log_session(ANNA, 53)
        await wf.confirm_session(SME, 53)
        await complete(wf)
        await env.sleep(SURVEYS_DONE)
        assert await wf.handle.result() == Stage.COMPLETED
        assert (await wf.handle.describe()).run_id != first_run
        first = env.client.get_workflow_handle("mentorship-1", run_id=first_run)
        first_run_path.write_text((await first.fetch_history()).to_json() + "\n")

    return scenario


def registry_retries(path: Path) -> None:
    """PledgeSyncWorkflow: the registry is down twice, then takes the entry."""

    logging.getLogger("temporalio.activity").setLevel(logging.ERROR)  # the failures are meant

    async def go() -> None:
        answers = iter([None, None, "synced"])

        @activity.defn(name="push_pledge_entry")
        async def push_pledge_entry(entry_id: int) -> str:
            answer = next(answers)
            if answer is None:
                raise ApplicationError("the registry answered HTTP 503")
            return answer

        async with time_skipping() as env:
            queue = f"q-{uuid.uuid4().hex}"
            async with Worker(
                env.client,
                task_queue=queue,
                workflows=[PledgeSyncWorkflow],
                activities=[push_pledge_entry],
            ):
                handle = await env.client.start_workflow(
                    PledgeSyncWorkflow.run,
                    PledgeSyncInput(900, first_retry=60, max_retry=300),
                    id=f"pledge-entry-{uuid.uuid4().hex}",
                    task_queue=queue,
                )
                assert await handle.result() == "synced"
                path.write_text((await handle.fetch_history()).to_json() + "\n")

    asyncio.run(go())


def mail_outbox(path: Path) -> None:
    """MailOutboxWorkflow: woken, it sends; a wake during a send brings one more; the safety
    timer; its rounds done, it continues as new (this history is that first run's)."""

    async def go() -> None:
        sends: list[int] = []
        hold = asyncio.Event()

        @activity.defn(name="send_notifications")
        async def send_notifications(limit: int) -> bool:
            sends.append(limit)
            if len(sends) == 2:
                await hold.wait()
            return False

        async def sent(count: int) -> None:
            for _ in range(400):
                if len(sends) >= count:
                    return
                await asyncio.sleep(0.025)
            raise AssertionError(f"{len(sends)} of {count} sends")

        async with time_skipping() as env:
            queue = f"q-{uuid.uuid4().hex}"
            async with Worker(
                env.client,
                task_queue=queue,
                workflows=[MailOutboxWorkflow],
                activities=[send_notifications],
            ):
                handle = await env.client.start_workflow(
                    MailOutboxWorkflow.run,
                    MailOutboxInput(safety_seconds=600, rounds_per_run=3),
                    id=f"mail-outbox-{uuid.uuid4().hex}",
                    task_queue=queue,
                )
                await sent(1)
                await handle.signal(MailOutboxWorkflow.wake, 600)
                await sent(2)  # held: a wake comes during the send
                await handle.signal(MailOutboxWorkflow.wake)
                hold.set()
                await sent(3)
                await env.sleep(600)  # the safety timer ends the third round: a new run
                await sent(4)
                first = env.client.get_workflow_handle(
                    handle.id, run_id=handle.first_execution_run_id
                )
                path.write_text((await first.fetch_history()).to_json() + "\n")

    asyncio.run(go())


SCENARIOS: dict[str, Callable[[Path], object]] = {
    # Signed in order, sealed, a plan agreed, two sessions, feedback, the pledge entry pushed
    # to the registry by a child workflow, surveys left to lapse.
    "happy_path": lambda path: run(happy_path, history_path=path),
    "completed_with_feedback": lambda path: run(completed_with_feedback, history_path=path),
    "countersigned_and_sealed": lambda path: run(
        countersigned_path,
        FakeActivities(rounds=TWO_MENTORS, countersigning_company=8),
        history_path=path,
    ),
    # A signer declines; the next round is ranked by a local activity and its mentor signs.
    "declined_agreement": lambda path: run(
        declined_agreement, FakeActivities(rounds=EXPIRY_ROUNDS), history_path=path
    ),
    "expired_agreement": lambda path: run(
        expired_agreement,
        FakeActivities(rounds=EXPIRY_ROUNDS),
        EXPIRY_DURATIONS,
        history_path=path,
    ),
    "voided_agreement": lambda path: run(voided_agreement, history_path=path),
    "rejected_intake": lambda path: run(rejected_intake, history_path=path),
    "unmatched": lambda path: run(
        unmatched,
        FakeActivities(rounds={}),
        Durations(awaiting_mentors=30 * DAY),
        history_path=path,
    ),
    "conflict_overridden": lambda path: run(
        conflict_overridden,
        FakeActivities(rounds={1: TWO_MENTORS[1], 2: [RankedOffer(19, 109, 0.2)]}),
        history_path=path,
    ),
    # Mentoring plans: proposed, countered and accepted; sessions moved and cancelled; a plan
    # overdue, escalated and extended by a coordinator.
    "proposed_and_countered": lambda path: run(proposed_and_countered, history_path=path),
    "rescheduled": lambda path: run(rescheduled, history_path=path),
    "overdue_then_extended": lambda path: run(overdue_then_extended, history_path=path),
    # A session left unconfirmed: nudged, escalated, then confirmed.
    "nudged_then_escalated": lambda path: run(nudged_then_escalated, history_path=path),
    # A pause that ends on its date, a second one, then an early end.
    "paused_then_terminated": lambda path: run(paused_then_terminated, history_path=path),
    # A session disputed and turned down, another disputed and counted as held.
    "disputed_sessions": lambda path: run(disputed_sessions, history_path=path),
    "ended_early": lambda path: run(ended_early, history_path=path),
    # A long mentorship: the first run, which continued as new, and the run after it.
    "continued_as_new": lambda path: run(
        continued_as_new(path.with_name("continued_as_new_first_run.json")),
        planned_sessions=13,
        history_limit=120,
        history_path=path,
    ),
    "registry_retries": registry_retries,
    "mail_outbox": mail_outbox,
}
# Histories a scenario writes besides its own.
ALSO_WRITTEN = {"continued_as_new_first_run": "continued_as_new"}


def main(names: list[str]) -> None:
    unknown = set(names) - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"no such scenario: {', '.join(sorted(unknown))}")
    if not names:
        known = set(SCENARIOS) | set(ALSO_WRITTEN)
        for stale in sorted(HISTORIES.glob("*.json")):
            if stale.stem not in known:
                stale.unlink()
                print(f"deleted {stale.name}")
    for name in names or list(SCENARIOS):
        SCENARIOS[name](HISTORIES / f"{name}.json")
        print(f"recorded {name}.json")


if __name__ == "__main__":
    main(sys.argv[1:])
