"""Orchestration of MentorshipWorkflow on the time-skipping server, with fake activities."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from mentorship.rules.choices import Decision, OverrideChoice, PauseChoice, SessionDecision
from mentorship.rules.payloads import RankedOffer
from mentorship.rules.stages import Actor, Role, Stage, TaskKind, Update
from mentorship.rules.state import Durations, MentorshipInput
from mentorship.rules.subjects import Ref
from scripted.driver import COORDINATOR, SECOND_COORDINATOR, Driver
from tests.temporal import SANDBOXED, time_skipping
from tests.workflows.fakes import SHA, FakeActivities
from workflows.mentorship import MentorshipWorkflow
from workflows.pledge_sync import PledgeSyncWorkflow

SME = Actor(user_id=2, role=Role.SME, organisation_id=3)
OTHER_SME = Actor(user_id=9, role=Role.SME, organisation_id=4)
ANNA = Actor(user_id=101, role=Role.MENTOR, organisation_id=8)
JONAS = Actor(user_id=102, role=Role.MENTOR, organisation_id=8)
ACME_ADMIN = Actor(user_id=150, role=Role.COMPANY_ADMIN, organisation_id=8)
OTHER_ADMIN = Actor(user_id=151, role=Role.COMPANY_ADMIN, organisation_id=9)
TWO_MENTORS = {1: [RankedOffer(11, 101, 0.9), RankedOffer(12, 102, 0.7)]}
DAY = 24 * 3600
SURVEYS_DONE = 8 * 30 * DAY  # past the 6-month survey and the month it stays open

Scenario = Callable[[WorkflowEnvironment, Driver, FakeActivities], Awaitable[None]]


DEFAULT_DURATIONS = Durations()


def run(
    scenario: Scenario,
    fakes: FakeActivities | None = None,
    durations: Durations = DEFAULT_DURATIONS,
    history_path: Path | None = None,
    planned_sessions: int = 2,
    history_limit: int = 10_000,
) -> FakeActivities:
    """Run ``scenario`` against a fresh workflow; optionally keep its history for replay."""
    fakes = fakes or FakeActivities(rounds=TWO_MENTORS)

    async def go() -> None:
        async with time_skipping() as env:
            queue = f"q-{uuid.uuid4().hex}"
            with ThreadPoolExecutor(8) as pool:
                async with Worker(
                    env.client,
                    task_queue=queue,
                    workflows=[MentorshipWorkflow, PledgeSyncWorkflow],
                    activities=fakes.all(),
                    activity_executor=pool,
                    unsandboxed_workflow_runner=SANDBOXED,
                ):
                    await env.client.start_workflow(
                        MentorshipWorkflow.run,
                        MentorshipInput(
                            request_id=1,
                            sme_organisation_id=3,
                            durations=durations,
                            planned_sessions=planned_sessions,
                            history_limit=history_limit,
                        ),
                        id="mentorship-1",
                        task_queue=queue,
                    )
                    wf = Driver(env.client, 1)
                    await scenario(env, wf, fakes)
                    if history_path is not None:
                        history = await wf.handle.fetch_history()
                        history_path.write_text(history.to_json() + "\n")

    asyncio.run(go())
    return fakes


async def accepted_by_anna(wf: Driver) -> None:
    await wf.approve_intake()
    await wf.wait_for(TaskKind.APPROVE_MATCH)
    await wf.approve_match(11)
    await wf.accept(ANNA, 11)
    await wf.wait_for(TaskKind.SIGN_AGREEMENT)


async def in_sessions(wf: Driver) -> None:
    """Signed, sealed, and a mentoring plan agreed for the planned number of sessions."""
    await accepted_by_anna(wf)
    await wf.sign(SME, 31, 701, SHA)
    await wf.sign(ANNA, 32, 701, SHA)
    await agree_plan(wf)


async def agree_plan(wf: Driver, mentor: Actor = ANNA, plan_id: int = 61) -> None:
    """The mentor proposes a plan of the planned number of sessions; the SME accepts it."""
    status = await wf.wait_for(TaskKind.PROPOSE_PLAN, Stage.SESSIONS)
    await wf.propose_plan(mentor, plan_id, status.planned_sessions)
    await wf.accept_plan(SME, plan_id)
    await wf.wait_for(TaskKind.LOG_SESSION, Stage.SESSIONS)


async def refused(call: Awaitable[object]) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await call
    return str(caught.value.cause)


async def accepted_updates(wf: Driver) -> int:
    history = await wf.handle.fetch_history()
    accepted = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    return sum(1 for e in history.events if e.event_type == accepted)


async def happy_path(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
    await in_sessions(wf)
    for log_id in (41, 42):
        await wf.log_session(ANNA, log_id)
        await wf.confirm_session(SME, log_id)
    await complete(wf)
    await env.sleep(SURVEYS_DONE)
    assert await wf.handle.result() == Stage.COMPLETED


async def complete(wf: Driver) -> None:
    """Both sides give feedback, then the coordinator approves."""
    await wf.wait_for(stage=Stage.COMPLETION_REVIEW)
    await wf.give_feedback(SME, 81)
    await wf.give_feedback(ANNA, 82)
    await wf.wait_for(TaskKind.APPROVE_COMPLETION)
    await wf.approve_completion()


def test_the_coordinator_who_approved_the_match_cannot_approve_its_completion() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await in_sessions(wf)
        for log_id in (41, 42):
            await wf.log_session(ANNA, log_id)
            await wf.confirm_session(SME, log_id)
        await wf.give_feedback(SME, 81)
        await wf.give_feedback(ANNA, 82)
        await wf.wait_for(TaskKind.APPROVE_COMPLETION)
        assert "another coordinator" in await refused(wf.approve_completion(COORDINATOR))
        assert (await wf.status()).stage == Stage.COMPLETION_REVIEW
        await wf.approve_completion(SECOND_COORDINATOR)
        await wf.wait_for(stage=Stage.COMPLETED)

    fakes = run(scenario)
    approvals = [s.actor_id for s in fakes.steps if s.effect == "completion_approved"]
    assert approvals == [SECOND_COORDINATOR.user_id]


def test_a_mentorship_writes_no_patch_marker_and_no_change_version() -> None:
    """Before 1.0 the code is changed directly (docs/versioning.md): no ``workflow.patched``."""
    markers: list[str] = []
    change_version_upserts = 0

    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        nonlocal change_version_upserts
        await happy_path(env, wf, fakes)
        for event in (await wf.handle.fetch_history()).events:
            if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
                markers.append(event.marker_recorded_event_attributes.marker_name)
            fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes
            if "TemporalChangeVersion" in fields.indexed_fields:
                change_version_upserts += 1

    run(scenario)
    assert set(markers) <= {"core_local_activity"}  # a later round's ranking, nothing else
    assert change_version_upserts == 0


def test_the_intake_approval_ranks_and_proposes_in_its_own_step() -> None:
    """One activity and one more workflow task for an intake approval: its step ranks the first
    round and proposes the candidates; a later round ranks in a local activity."""
    approval: list[str] = []  # the history between the approval's acceptance and completion
    local: list[str] = []

    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await wf.approve_intake()
        # The page after the redirect already holds the candidates to approve.
        assert [t.kind for t in (await wf.status()).tasks] == [TaskKind.APPROVE_MATCH]
        await wf.approve_match(11)
        await wf.decline(ANNA, 11)
        await wf.wait_for(TaskKind.APPROVE_MATCH)  # round 2
        stage = None
        for event in (await wf.handle.fetch_history()).events:
            kind = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
            if stage is None and kind == "WORKFLOW_EXECUTION_UPDATE_ACCEPTED":
                stage = "approving"
            elif stage == "approving" and kind == "WORKFLOW_EXECUTION_UPDATE_COMPLETED":
                stage = "approved"
            marker = event.marker_recorded_event_attributes
            if stage == "approving":
                approval.append(f"{kind} {marker.marker_name}".strip())
            if marker.marker_name == "core_local_activity":
                local.append(json.loads(marker.details["data"].payloads[0].data)["activity_type"])

    fakes = run(scenario, FakeActivities(rounds={1: TWO_MENTORS[1][:1], 2: TWO_MENTORS[1][1:]}))
    assert approval.count("ACTIVITY_TASK_SCHEDULED") == 1
    assert approval.count("WORKFLOW_TASK_COMPLETED") == 1
    assert "MARKER_RECORDED core_local_activity" not in approval
    assert fakes.effects()[:2] == ["intake_approved", "candidates_proposed"]
    proposal = fakes.steps[0].proposal
    assert proposal is not None and proposal.rank.round == 1
    assert [r.round for r in fakes.ranks] == [1, 2]
    assert local == ["rank_mentors"]  # round 2 only


def test_a_match_approved_while_the_intake_approval_step_ranks_waits_for_its_candidates() -> None:
    """The step commits the coordinator's task before the workflow learns the offers: an
    approval sent in between is taken once the step returns, not refused."""
    release = threading.Event()

    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        approving = asyncio.ensure_future(wf.approve_intake())
        assert await asyncio.to_thread(fakes.proposal_written.wait, 30)
        matching = asyncio.ensure_future(wf.approve_match(11))
        await asyncio.sleep(0.5)
        assert not matching.done()  # held until the workflow knows the candidates
        release.set()
        await approving
        await matching
        status = await wf.wait_for(TaskKind.ANSWER_OFFER)
        assert status.tasks[0].subject == Ref.offer(11)

    try:
        fakes = run(scenario, FakeActivities(rounds=TWO_MENTORS, release_proposal=release))
    finally:
        release.set()
    assert fakes.effects() == ["intake_approved", "candidates_proposed", "offer_approved"]


def test_short_activities_run_under_the_configured_step_timeout() -> None:
    """A step whose worker died is tried again after ``step_timeout``, not a fixed minute."""
    timeouts: dict[str, set[float]] = {}

    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await happy_path(env, wf, fakes)
        for event in (await wf.handle.fetch_history()).events:
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                scheduled = event.activity_task_scheduled_event_attributes
                timeouts.setdefault(scheduled.activity_type.name, set()).add(
                    scheduled.start_to_close_timeout.ToTimedelta().total_seconds()
                )

    run(scenario, durations=Durations(step_timeout=7))
    for name in ("apply_step", "reserve_mentorship", "record_pledge_entry"):
        assert timeouts[name] == {7.0}, name
    assert timeouts["render_agreement"] == {120.0}  # rendering heartbeats instead


def test_the_happy_path_reaches_completed_with_one_step_per_transition() -> None:
    fakes = run(happy_path)
    assert fakes.effects() == [
        "intake_approved",
        "candidates_proposed",
        "offer_approved",
        "offer_accepted",
        "agreement_issued",
        "agreement_signed",
        "agreement_signed",
        "agreement_sealed",
        "plan_proposed",
        "plan_agreed",
        "session_logged",
        "session_confirmed",
        "session_logged",
        "session_confirmed",
        "feedback_given",
        "feedback_given",
        "completion_approved",
        "pledge_recorded",
        "certificates_issued",
        "survey_due",
        "survey_due",
        "surveys_closed",
    ]
    assert fakes.pushed == [900]  # the pledge entry went on to the registry
    signed = [s.stage for s in fakes.steps if s.effect == "agreement_signed"]
    assert signed == [Stage.NDA, Stage.NDA]
    sealed = fakes.steps[fakes.effects().index("agreement_sealed")]
    # The seal opens sessions.
    assert (sealed.subject, sealed.stage) == (Ref.agreement(701), Stage.SESSIONS)
    assert fakes.seals == [701]
    assert fakes.steps[-1].stage == Stage.COMPLETED
    assert [s.subject for s in fakes.steps if s.effect == "survey_due"] == [
        Ref.survey_month(3),
        Ref.survey_month(6),
    ]
    assert fakes.certificates == [511]
    assert len({s.key for s in fakes.steps}) == len(fakes.steps)  # every write has its own key
    assert fakes.announcements == 1  # the mentor's capacity is free again


def test_a_rejected_intake_ends_the_workflow_with_the_reason_recorded() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await wf.wait_for(TaskKind.REVIEW_INTAKE)
        message = await refused(wf.update(Update.REJECT_INTAKE, Decision(COORDINATOR)))
        assert "needs a reason" in message
        await wf.update(Update.REJECT_INTAKE, Decision(COORDINATOR, reason_id=77))
        assert await wf.handle.result() == Stage.REJECTED

    fakes = run(scenario)
    last = fakes.steps[-1]
    assert (last.effect, last.stage, last.reason_id, last.tasks) == (
        "intake_rejected",
        Stage.REJECTED,
        77,
        [],
    )


def test_a_declined_match_offers_the_next_candidate() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await wf.approve_intake()
        await wf.wait_for(TaskKind.APPROVE_MATCH)
        await wf.approve_match(11)
        await wf.decline(ANNA, 11)
        status = await wf.wait_for(TaskKind.APPROVE_MATCH)
        assert status.stage == Stage.MATCHING
        assert "no longer available" in await refused(wf.approve_match(11))
        await wf.approve_match(12)
        await wf.accept(JONAS, 12)
        assert (await wf.wait_for(TaskKind.SIGN_AGREEMENT)).stage == Stage.NDA

    fakes = run(scenario)
    assert "offer_declined" in fakes.effects()
    assert fakes.renders[0].mentorship_id == 512


def test_a_mentor_with_no_room_left_is_refused_and_the_next_candidate_offered() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await wf.approve_intake()
        await wf.wait_for(TaskKind.APPROVE_MATCH)
        await wf.approve_match(11)
        assert "no room left" in await refused(wf.accept(ANNA, 11))
        status = await wf.wait_for(TaskKind.APPROVE_MATCH)
        assert status.stage == Stage.MATCHING and status.mentorship_id is None
        await wf.approve_match(12)
        await wf.accept(JONAS, 12)
        assert (await wf.wait_for(TaskKind.SIGN_AGREEMENT)).mentorship_id == 512

    fakes = FakeActivities(rounds=TWO_MENTORS, full_mentors={101})
    assert "mentor_full" in run(scenario, fakes).effects()


def test_when_every_candidate_declines_the_request_waits_for_the_mentor_pool() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await wf.approve_intake()
        for offer, mentor in ((11, ANNA), (12, JONAS)):
            await wf.wait_for(TaskKind.APPROVE_MATCH)
            await wf.approve_match(offer)
            await wf.decline(mentor, offer)
        await wf.wait_for(stage=Stage.AWAITING_MENTORS)
        fakes.rounds[3] = [RankedOffer(13, 103, 0.5)]
        await wf.handle.signal(MentorshipWorkflow.mentor_pool_changed)
        await wf.wait_for(TaskKind.APPROVE_MATCH, Stage.MATCHING)

    run(scenario)


def test_a_request_nobody_can_take_becomes_unmatched_after_the_timeout() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await wf.approve_intake()
        await wf.wait_for(stage=Stage.AWAITING_MENTORS)
        await env.sleep(31 * DAY)
        assert await wf.handle.result() == Stage.UNMATCHED

    fakes = run(scenario, FakeActivities(rounds={}), Durations(awaiting_mentors=30 * DAY))
    assert fakes.effects()[-2:] == ["awaiting_mentors", "unmatched"]


async def expired_agreement(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
    await accepted_by_anna(wf)
    await wf.sign(SME, 31, 701, SHA)
    await env.sleep(15 * DAY)
    status = await wf.wait_for(TaskKind.APPROVE_MATCH, Stage.MATCHING)
    assert status.mentorship_id is None and status.agreement_id is None
    await wf.approve_match(12)
    await wf.accept(JONAS, 12)
    status = await wf.wait_for(TaskKind.SIGN_AGREEMENT)
    assert status.agreement_id == 702  # a new agreement for the new attempt


EXPIRY_ROUNDS = {1: TWO_MENTORS[1], 2: TWO_MENTORS[1]}
EXPIRY_DURATIONS = Durations(nda_reminder=3 * DAY, nda_expiry=14 * DAY)


def test_an_unsigned_agreement_is_reminded_then_expires_back_to_matching() -> None:
    fakes = run(expired_agreement, FakeActivities(rounds=EXPIRY_ROUNDS), EXPIRY_DURATIONS)
    effects = fakes.effects()
    assert effects.index("nda_reminder") < effects.index("agreement_expired")
    expired = fakes.steps[effects.index("agreement_expired")]
    assert (expired.subject, expired.mentorship_id, expired.stage) == (
        Ref.agreement(701),
        511,
        Stage.MATCHING,
    )
    assert fakes.announcements == 1  # Anna was released


def test_updates_from_the_wrong_person_or_stage_are_refused_without_update_events() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await wf.wait_for(TaskKind.REVIEW_INTAKE)
        assert "cannot take this step" in await refused(wf.approve_intake(SME))
        assert "not open" in await refused(wf.approve_completion())
        assert await accepted_updates(wf) == 0
        await accepted_by_anna(wf)
        before = await accepted_updates(wf)
        assert "Only the SME" in await refused(wf.sign(OTHER_SME, 30, 701, SHA))
        assert "Only the mentor" in await refused(wf.sign(JONAS, 30, 701, SHA))
        assert "not the one on record" in await refused(wf.sign(SME, 30, 701, "0" * 64))
        await wf.sign(SME, 31, 701, SHA)
        assert "already signed" in await refused(wf.sign(SME, 33, 701, SHA))
        assert await accepted_updates(wf) == before + 1

    fakes = run(scenario)
    assert fakes.effects().count("agreement_signed") == 1


async def countersigned_path(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
    """Signing in order with a countersigning company, then the whole lifecycle."""
    await accepted_by_anna(wf)
    await wf.sign(SME, 31, 701, SHA)
    await wf.sign(ANNA, 32, 701, SHA)
    await wf.sign(ACME_ADMIN, 34, 701, SHA)
    await agree_plan(wf)
    for log_id in (41, 42):
        await wf.log_session(ANNA, log_id)
        await wf.confirm_session(SME, log_id)
    await complete(wf)
    await env.sleep(SURVEYS_DONE)
    assert await wf.handle.result() == Stage.COMPLETED


async def declined_agreement(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
    """The mentor declines after the SME signed; the next mentor signs with the SME."""
    await accepted_by_anna(wf)
    await wf.sign(SME, 31, 701, SHA)
    await wf.decline_agreement(ANNA, 701, 61)
    await wf.wait_for(TaskKind.APPROVE_MATCH, Stage.MATCHING)
    await wf.approve_match(12)
    await wf.accept(JONAS, 12)
    await wf.wait_for(TaskKind.SIGN_AGREEMENT)
    await wf.sign(SME, 37, 702, SHA)
    await wf.sign(JONAS, 38, 702, SHA)
    await agree_plan(wf, JONAS)


def test_signers_sign_in_order_and_a_countersigning_admin_signs_last() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await accepted_by_anna(wf)
        tasks = (await wf.status()).tasks
        assert [(t.kind, t.role) for t in tasks] == [(TaskKind.SIGN_AGREEMENT, Role.SME)]
        assert "not your turn" in await refused(wf.sign(ANNA, 30, 701, SHA))
        assert "not your turn" in await refused(wf.sign(ACME_ADMIN, 30, 701, SHA))
        await wf.sign(SME, 31, 701, SHA)
        tasks = (await wf.status()).tasks
        assert [(t.role, t.user_id) for t in tasks] == [(Role.MENTOR, 101)]
        await wf.sign(ANNA, 32, 701, SHA)
        tasks = (await wf.status()).tasks
        assert [(t.role, t.organisation_id) for t in tasks] == [(Role.COMPANY_ADMIN, 8)]
        assert "not a signer" in await refused(wf.sign(OTHER_ADMIN, 33, 701, SHA))
        assert fakes.seals == []  # nobody seals before the last signature
        await wf.sign(ACME_ADMIN, 34, 701, SHA)
        await agree_plan(wf)

    fakes = run(scenario, FakeActivities(rounds=TWO_MENTORS, countersigning_company=8))
    signers = [s.actor_id for s in fakes.steps if s.effect == "agreement_signed"]
    assert signers == [2, 101, 150]
    assert fakes.seals == [701]


def test_a_signer_who_declines_sends_the_request_back_to_matching_without_that_mentor() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await accepted_by_anna(wf)
        assert "needs a reason" in await refused(wf.update_decline(SME, 701))
        await wf.sign(SME, 31, 701, SHA)
        assert "has not signed yet" in await refused(wf.decline_agreement(SME, 701, 60))
        await wf.decline_agreement(ANNA, 701, 61)
        status = await wf.wait_for(TaskKind.APPROVE_MATCH, Stage.MATCHING)
        assert status.agreement_id is None and status.mentorship_id is None
        assert "not open" in await refused(wf.sign(ANNA, 32, 701, SHA))

    fakes = run(scenario, FakeActivities(rounds={1: TWO_MENTORS[1], 2: TWO_MENTORS[1]}))
    declined = fakes.steps[fakes.effects().index("agreement_declined")]
    assert (declined.subject, declined.reason_id, declined.stage) == (
        Ref.agreement(701),
        61,
        Stage.MATCHING,
    )
    assert declined.mentorship_id == 511  # Anna's mentorship ends
    assert 101 in fakes.ranks[-1].excluded_mentor_ids
    assert fakes.announcements == 1
    assert fakes.seals == []


def test_after_a_decline_the_next_mentor_signs_a_new_agreement_which_is_sealed() -> None:
    fakes = run(declined_agreement, FakeActivities(rounds=EXPIRY_ROUNDS))
    assert [r.attempt for r in fakes.renders] == [1, 2]
    assert fakes.seals == [702]


def test_a_coordinator_voids_an_agreement_and_a_fresh_one_goes_to_the_same_parties() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await accepted_by_anna(wf)
        await wf.sign(SME, 31, 701, SHA)
        assert "cannot take this step" in await refused(
            wf.void_agreement(701, 70, rematch=False, actor=SME)
        )
        await wf.void_agreement(701, 70, rematch=False)
        status = await wf.wait_for(TaskKind.SIGN_AGREEMENT)
        assert status.agreement_id == 702 and status.mentorship_id == 511
        assert [t.role for t in status.tasks] == [Role.SME]  # everyone signs the new one
        await wf.sign(SME, 35, 702, SHA)
        await wf.sign(ANNA, 36, 702, SHA)
        await agree_plan(wf)

    fakes = run(scenario)
    voided = fakes.steps[fakes.effects().index("agreement_voided")]
    assert (voided.subject, voided.reason_id, voided.stage) == (Ref.agreement(701), 70, Stage.NDA)
    assert [r.attempt for r in fakes.renders] == [1, 2]
    assert fakes.seals == [702]


def test_the_next_signer_is_reminded_on_every_interval_until_the_agreement_expires() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await accepted_by_anna(wf)
        await env.sleep(10 * DAY)
        await wf.wait_for(stage=Stage.AWAITING_MENTORS)  # expired; nobody else to propose

    durations = Durations(nda_reminder=3 * DAY, nda_expiry=10 * DAY)
    fakes = run(scenario, FakeActivities(rounds={1: TWO_MENTORS[1], 2: []}), durations)
    effects = fakes.effects()
    assert effects.count("nda_reminder") == 3  # days 3, 6 and 9
    assert effects.index("agreement_expired") > max(
        i for i, e in enumerate(effects) if e == "nda_reminder"
    )


def test_a_paused_mentorship_resumes_by_itself_on_its_resume_date() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await in_sessions(wf)
        resume_on = (await env.get_current_time() + timedelta(days=10)).date().isoformat()
        assert "needs a reason" in await refused(
            wf.update(Update.PAUSE, PauseChoice(SME, resume_on))
        )
        assert "after today" in await refused(
            wf.update(Update.PAUSE, PauseChoice(SME, "2020-01-01", 50))
        )
        await wf.update(Update.PAUSE, PauseChoice(SME, resume_on, 50))
        status = await wf.wait_for(stage=Stage.PAUSED)
        assert status.tasks == []  # nothing is asked of anyone while on hold
        assert "not open" in await refused(wf.log_session(ANNA, 41))
        await env.sleep(11 * DAY)
        await wf.wait_for(TaskKind.LOG_SESSION, Stage.SESSIONS)

    fakes = run(scenario)
    effects = fakes.effects()
    assert effects[-2:] == ["paused", "resumed"]
    resumed = fakes.steps[-1]
    assert resumed.actor_id is None  # the timer resumed it, not a person


def test_either_side_may_resume_a_pause_early_and_the_timer_then_stays_quiet() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await in_sessions(wf)
        resume_on = (await env.get_current_time() + timedelta(days=10)).date().isoformat()
        await wf.update(Update.PAUSE, PauseChoice(ANNA, resume_on, 50))
        await wf.wait_for(stage=Stage.PAUSED)
        await wf.update(Update.RESUME, Decision(SME))
        await wf.wait_for(TaskKind.LOG_SESSION, Stage.SESSIONS)
        await env.sleep(11 * DAY)
        await wf.log_session(ANNA, 41)

    fakes = run(scenario)
    assert fakes.effects()[-3:] == ["paused", "resumed", "session_logged"]


def test_termination_needs_a_reason_ends_the_workflow_and_frees_the_mentor() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await accepted_by_anna(wf)
        assert "not open" in await refused(wf.update(Update.TERMINATE, Decision(SME, 60)))
        await wf.sign(SME, 31, 701, SHA)
        await wf.sign(ANNA, 32, 701, SHA)
        await agree_plan(wf)
        assert "needs a reason" in await refused(wf.update(Update.TERMINATE, Decision(ANNA)))
        assert "Only the mentor" in await refused(wf.update(Update.TERMINATE, Decision(JONAS, 60)))
        await wf.update(Update.TERMINATE, Decision(COORDINATOR, 61))
        assert await wf.handle.result() == Stage.TERMINATED

    fakes = run(scenario)
    ended = fakes.steps[-1]
    assert (ended.effect, ended.stage, ended.reason_id, ended.mentorship_id) == (
        "terminated",
        Stage.TERMINATED,
        61,
        511,
    )
    assert ended.tasks == []
    assert fakes.announcements == 1  # waiting requests may now get Anna


async def paused_then_terminated(
    env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities
) -> None:
    """On hold for ten days, resumed by the timer, on hold again, then ended by the SME."""
    await in_sessions(wf)
    await wf.log_session(ANNA, 41)
    await wf.confirm_session(SME, 41)
    for pause in range(2):
        resume_on = (await env.get_current_time() + timedelta(days=10)).date().isoformat()
        await wf.update(Update.PAUSE, PauseChoice(SME, resume_on, 50))
        await wf.wait_for(stage=Stage.PAUSED)
        if pause == 0:
            await env.sleep(11 * DAY)
            await wf.wait_for(TaskKind.LOG_SESSION, Stage.SESSIONS)
    await wf.update(Update.TERMINATE, Decision(SME, 62))
    assert await wf.handle.result() == Stage.TERMINATED


def test_a_paused_mentorship_can_be_terminated_and_its_timer_never_fires() -> None:
    fakes = run(paused_then_terminated)
    assert fakes.effects()[-4:] == ["paused", "resumed", "paused", "terminated"]


def test_a_long_mentorship_continues_as_new_keeping_its_state_queries_and_updates() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await in_sessions(wf)
        first_run = (await wf.handle.describe()).run_id
        for log_id in range(41, 53):
            await wf.log_session(ANNA, log_id)
            await wf.confirm_session(SME, log_id)
            status = await wf.status()  # the query answers whichever run is current
            assert status.confirmed_sessions == log_id - 40
        assert "already" in await refused(wf.confirm_session(SME, 41))  # state came along
        assert "already proposed" in await refused(wf.propose_plan(SME, 61, 13))  # the plan too
        resume_on = (await env.get_current_time() + timedelta(days=5)).date().isoformat()
        await wf.update(Update.PAUSE, PauseChoice(SME, resume_on, 50))
        await env.sleep(6 * DAY)
        await wf.wait_for(TaskKind.LOG_SESSION, Stage.SESSIONS)
        await wf.log_session(ANNA, 53)
        await wf.confirm_session(SME, 53)
        await complete(wf)
        await env.sleep(SURVEYS_DONE)
        assert await wf.handle.result() == Stage.COMPLETED
        described = await wf.handle.describe()
        assert described.run_id != first_run
        history = await wf.handle.fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        assert started.continued_execution_run_id  # this run was continued from another
        assert len(history.events) < 200

    fakes = run(scenario, planned_sessions=13, history_limit=120)
    assert len({s.key for s in fakes.steps}) == len(fakes.steps)  # keys stay unique
    assert fakes.effects().count("session_confirmed") == 13
    effects = fakes.effects()
    assert effects[effects.index("resumed") :] == [
        "resumed",
        "session_logged",
        "session_confirmed",
        "feedback_given",
        "feedback_given",
        "completion_approved",
        "pledge_recorded",
        "certificates_issued",
        "survey_due",
        "survey_due",
        "surveys_closed",
    ]


async def nudged_then_escalated(
    env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities
) -> None:
    """A logged session the SME leaves unconfirmed: a reminder, then a coordinator's task."""
    await in_sessions(wf)
    await wf.log_session(ANNA, 41)
    await env.sleep(5 * DAY + 60)
    await wf.wait_for(stage=Stage.SESSIONS)
    assert fakes.effects()[-1] == "nudged"
    await env.sleep(7 * DAY)
    status = await wf.wait_for(TaskKind.FOLLOW_UP)
    assert [t.role for t in status.tasks if t.kind == TaskKind.FOLLOW_UP] == [Role.COORDINATOR]
    await wf.confirm_session(SME, 41)
    status = await wf.status()
    assert TaskKind.FOLLOW_UP not in [t.kind for t in status.tasks]  # the cause went


def test_an_unconfirmed_session_is_nudged_then_escalated_until_the_sme_confirms() -> None:
    fakes = run(nudged_then_escalated)
    tail = fakes.effects()[fakes.effects().index("session_logged") :]
    assert tail == ["session_logged", "nudged", "escalated", "session_confirmed"]
    nudged = fakes.steps[fakes.effects().index("nudged")]
    assert nudged.mentorship_id == 511 and nudged.actor_id is None


def test_nothing_on_the_calendar_for_two_weeks_is_nudged_and_a_pause_keeps_it_quiet() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await in_sessions(wf)
        resume_on = (await env.get_current_time() + timedelta(days=40)).date().isoformat()
        await wf.update(Update.PAUSE, PauseChoice(SME, resume_on, 50))
        await env.sleep(41 * DAY)  # on hold: nobody is nudged
        await wf.wait_for(TaskKind.LOG_SESSION, Stage.SESSIONS)
        assert "nudged" not in fakes.effects()
        await env.sleep(14 * DAY + 60)  # running again, and nothing scheduled for two weeks
        await wf.wait_for(stage=Stage.SESSIONS)
        await env.sleep(60)
        assert fakes.effects()[-1] == "nudged"
        await wf.log_session(ANNA, 41)  # activity: the next nudge is about this log
        await env.sleep(7 * DAY + 60)
        await wf.wait_for(stage=Stage.SESSIONS)
        await env.sleep(60)

    fakes = run(scenario)
    effects = fakes.effects()
    assert effects[effects.index("paused") :] == [
        "paused",
        "resumed",
        "nudged",
        "session_logged",
        "nudged",  # the session, unconfirmed for five days; no escalation of the earlier one
    ]


def test_completion_needs_both_sides_feedback_and_the_sme_answers_surveys_months_later() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await in_sessions(wf)
        for log_id in (41, 42):
            await wf.log_session(ANNA, log_id)
            await wf.confirm_session(SME, log_id)
        status = await wf.wait_for(TaskKind.GIVE_FEEDBACK, Stage.COMPLETION_REVIEW)
        assert {(t.role, t.user_id) for t in status.tasks} == {(Role.SME, None), (Role.MENTOR, 101)}
        assert "feedback first" in await refused(wf.approve_completion())
        await wf.give_feedback(SME, 81)
        assert "already given" in await refused(wf.give_feedback(SME, 83))
        assert "feedback first" in await refused(wf.approve_completion())
        await wf.give_feedback(ANNA, 82)
        await wf.wait_for(TaskKind.APPROVE_COMPLETION)
        await wf.approve_completion()
        await wf.wait_for(stage=Stage.COMPLETED)
        assert "not open yet" in await refused(wf.answer_survey(SME, 91, 3))
        await env.sleep(91 * DAY)
        status = await wf.wait_for(TaskKind.ANSWER_SURVEY)
        assert [(t.role, t.subject) for t in status.tasks] == [(Role.SME, Ref.survey_month(3))]
        await wf.answer_survey(SME, 91, 3)
        assert "already answered" in await refused(wf.answer_survey(SME, 92, 3))
        await env.sleep(91 * DAY)
        await wf.wait_for(TaskKind.ANSWER_SURVEY)
        await wf.answer_survey(SME, 93, 6)
        assert await wf.handle.result() == Stage.COMPLETED  # nothing left to ask

    fakes = run(scenario)
    effects = fakes.effects()
    assert effects[effects.index("feedback_given") :] == [
        "feedback_given",
        "feedback_given",
        "completion_approved",
        "pledge_recorded",
        "certificates_issued",
        "survey_due",
        "survey_answered",
        "survey_due",
        "survey_answered",
    ]
    assert fakes.steps[-1].tasks == []


async def disputed_sessions(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
    """One disputed session turned down and logged again, another counted as held."""
    await in_sessions(wf)
    await wf.log_session(ANNA, 41)
    dispute = SessionDecision(SME, 41)
    assert "what is wrong" in await refused(wf.update(Update.DISPUTE_SESSION, dispute))
    await wf.update(Update.DISPUTE_SESSION, SessionDecision(SME, 41, reason_id=70))
    status = await wf.wait_for(TaskKind.RESOLVE_DISPUTE)
    assert [(t.role, t.subject) for t in status.tasks if t.role == Role.COORDINATOR] == [
        (Role.COORDINATOR, Ref.session_log(41))
    ]
    assert "a coordinator decides" in await refused(wf.confirm_session(SME, 41))
    # Upheld: the log does not count, so the mentor logs the session again.
    await wf.update(Update.RESOLVE_DISPUTE, SessionDecision(COORDINATOR, 41, reason_id=71))
    await wf.log_session(ANNA, 42)
    await wf.log_session(ANNA, 43)  # two planned sessions, the refused one not counted
    await wf.update(Update.DISPUTE_SESSION, SessionDecision(SME, 42, reason_id=72))
    settle = SessionDecision(COORDINATOR, 42, reason_id=73, accept=True)
    await wf.update(Update.RESOLVE_DISPUTE, settle)
    await wf.confirm_session(SME, 43)
    await wf.wait_for(TaskKind.GIVE_FEEDBACK, Stage.COMPLETION_REVIEW)


def test_a_disputed_session_goes_to_a_coordinator_who_upholds_or_rejects_it() -> None:
    fakes = run(disputed_sessions)
    effects = fakes.effects()
    assert effects[effects.index("session_disputed") :] == [
        "session_disputed",
        "session_refused",
        "session_logged",
        "session_logged",
        "session_disputed",
        "session_confirmed",
        "session_confirmed",
    ]
    confirmed_by = [s.actor_id for s in fakes.steps if s.effect == "session_confirmed"]
    assert confirmed_by == [COORDINATOR.user_id, SME.user_id]


def test_the_mentorship_ends_early_only_once_both_sides_agree() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await accepted_by_anna(wf)
        await wf.sign(SME, 31, 701, SHA)
        await wf.sign(ANNA, 32, 701, SHA)
        await agree_plan(wf)
        await wf.log_session(ANNA, 41)
        await wf.confirm_session(SME, 41)
        await wf.update(Update.AGREE_TO_END_EARLY, Decision(SME))
        assert (await wf.status()).stage == Stage.SESSIONS
        assert "already agreed" in await refused(
            wf.update(Update.AGREE_TO_END_EARLY, Decision(SME))
        )
        await wf.update(Update.AGREE_TO_END_EARLY, Decision(ANNA))
        status = await wf.wait_for(TaskKind.GIVE_FEEDBACK, Stage.COMPLETION_REVIEW)
        assert status.confirmed_sessions == 1

    fakes = run(scenario)
    assert fakes.effects().count("end_early_agreed") == 2


def test_a_conflict_override_needs_a_coordinator_and_a_reason_then_ranks_that_mentor_first() -> (
    None
):
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await wf.approve_intake()
        await wf.wait_for(TaskKind.APPROVE_MATCH)
        without_reason = OverrideChoice(COORDINATOR, 109)
        assert "needs a recorded reason" in await refused(
            wf.update(Update.OVERRIDE_CONFLICT, without_reason)
        )
        by_sme = OverrideChoice(SME, 109, reason_id=55)
        assert "cannot take this step" in await refused(wf.update(Update.OVERRIDE_CONFLICT, by_sme))
        await wf.update(Update.OVERRIDE_CONFLICT, OverrideChoice(COORDINATOR, 109, reason_id=55))
        await wf.wait_for(TaskKind.APPROVE_MATCH)
        for _ in range(100):  # the workflow ranks again right after the update
            if len(fakes.ranks) == 2:
                break
            await asyncio.sleep(0.05)

    fakes = run(
        scenario, FakeActivities(rounds={1: TWO_MENTORS[1], 2: [RankedOffer(19, 109, 0.2)]})
    )
    override = next(s for s in fakes.steps if s.effect == "conflict_overridden")
    assert (override.subject, override.reason_id, override.actor_id) == (Ref.mentor(109), 55, 1)
    assert fakes.ranks[1].conflict_overrides == [109]
    assert fakes.ranks[1].preferred_mentor_ids == [109]


def test_two_concurrent_approvals_with_different_nonces_make_one_decision() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await wf.wait_for(TaskKind.REVIEW_INTAKE)
        results = await asyncio.gather(
            wf.approve_intake(), wf.approve_intake(), return_exceptions=True
        )
        failures = [r for r in results if isinstance(r, WorkflowUpdateFailedError)]
        assert len(failures) == 1 and results.count(None) == 1
        await wf.wait_for(TaskKind.APPROVE_MATCH)

    fakes = run(scenario)
    assert fakes.effects().count("intake_approved") == 1


def test_a_resubmitted_form_with_the_same_nonce_is_one_decision() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await wf.wait_for(TaskKind.REVIEW_INTAKE)
        await wf.update(Update.APPROVE_INTAKE, Decision(COORDINATOR), nonce="a" * 32)
        await wf.update(Update.APPROVE_INTAKE, Decision(COORDINATOR), nonce="a" * 32)
        await wf.wait_for(TaskKind.APPROVE_MATCH)

    fakes = run(scenario)
    assert fakes.effects().count("intake_approved") == 1
