"""The guard rules as plain functions: who may act when, signing order, plan terms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from itertools import permutations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from temporalio import workflow

from mentorship.errors import Refused
from mentorship.rules import guards
from mentorship.rules.choices import (
    AgreementDecision,
    Decision,
    OfferChoice,
    OverrideChoice,
    PauseChoice,
    PlanChoice,
    PlanRef,
    ScheduleRef,
    SessionRef,
    SignatureRef,
    SurveyRef,
)
from mentorship.rules.stages import Actor, OfferStatus, Role, SessionStatus, Stage, Update
from mentorship.rules.state import (
    Agreement,
    Durations,
    MentorshipState,
    Offer,
    PlanTerms,
    SessionEntry,
    SignerSlot,
)
from mentorship.services import signing
from mentorship.store import models
from workflows.mentorship import MentorshipWorkflow

SME_ORG, COMPANY, MENTOR_ID = 3, 9, 101
SME = Actor(41, Role.SME, SME_ORG)
MENTOR = Actor(MENTOR_ID, Role.MENTOR, COMPANY)
OTHER_MENTOR = Actor(102, Role.MENTOR, COMPANY)
ADMIN = Actor(51, Role.COMPANY_ADMIN, COMPANY)
COORDINATOR = Actor(1, Role.COORDINATOR)
SIGNERS = [
    SignerSlot(Role.SME, organisation_id=SME_ORG),
    SignerSlot(Role.MENTOR, user_id=MENTOR_ID),
    SignerSlot(Role.COMPANY_ADMIN, organisation_id=COMPANY),
]
SHA = "ab" * 32
TODAY = "2026-12-08"
NOW = datetime(2026, 12, 8, 12, tzinfo=UTC)


def state(**overrides: object) -> MentorshipState:
    s = MentorshipState(
        request_id=7, sme_organisation_id=SME_ORG, durations=Durations(), planned_sessions=2
    )
    s.mentor_id = MENTOR_ID
    for key, value in overrides.items():
        setattr(s, key, value)
    return s


def signing_state(*signed: str) -> MentorshipState:
    agreement = Agreement(701, SHA, "2026-12-20T10:00:00", list(signed), list(SIGNERS))
    return state(stage=Stage.NDA, agreement=agreement)


def refusal(check: Callable[..., object], *args: object) -> str:
    with pytest.raises(Refused) as caught:
        check(*args)
    return str(caught.value)


# --- who acts when ----------------------------------------------------------------------


def test_the_workflow_declares_each_update_by_its_name_in_the_enum() -> None:
    declared = workflow._Definition.must_from_class(MentorshipWorkflow).updates
    assert set(declared) == set(Update) == set(guards.GUARDS)
    assert all(isinstance(name, Update) for name in declared)


ACTORS = {Role.SME: SME, Role.MENTOR: MENTOR, Role.COMPANY_ADMIN: ADMIN}


@given(st.sampled_from(list(Update)), st.sampled_from(list(Stage)), st.sampled_from(list(Role)))
def test_a_step_is_open_only_in_its_stages_and_only_to_its_roles(
    update: Update, stage: Stage, role: Role
) -> None:
    stages, roles = guards.GUARDS[update]
    actor = ACTORS.get(role, COORDINATOR)
    s = state(stage=stage)
    if stage not in stages:
        message = refusal(guards.expect, s, update, actor)
        assert message == f"This step is not open: the request is at stage '{stage}'."
    elif role not in roles:
        assert refusal(guards.expect, s, update, actor) == f"A {role} cannot take this step."
    else:
        guards.expect(s, update, actor)


def test_only_the_requests_sme_and_the_mentorships_mentor_take_its_steps() -> None:
    other_sme = Actor(42, Role.SME, SME_ORG + 1)
    s = state(stage=Stage.SESSIONS)
    assert "Only the SME that made this request" in refusal(
        guards.expect, s, Update.SCHEDULE_SESSION, other_sme
    )
    assert "Only the mentor of this mentorship" in refusal(
        guards.expect, s, Update.SCHEDULE_SESSION, OTHER_MENTOR
    )
    guards.expect(state(stage=Stage.MATCHING), Update.ACCEPT_OFFER, OTHER_MENTOR)  # any, matching


def test_an_offer_is_answered_only_by_the_mentor_it_was_made_to() -> None:
    s = state(stage=Stage.MATCHING, offers=[Offer(11, MENTOR_ID, OfferStatus.APPROVED)])
    guards.check_answer(s, OfferChoice(MENTOR, 11))
    message = refusal(guards.check_answer, s, OfferChoice(OTHER_MENTOR, 11))
    assert message == "Only the mentor this offer was made to can answer it."
    assert "not waiting" in refusal(guards.check_answer, s, OfferChoice(MENTOR, 12))


def test_a_match_is_approved_once_and_offers_wait_while_the_step_ranks() -> None:
    offers = [Offer(11, MENTOR_ID), Offer(12, 102)]
    s = state(stage=Stage.MATCHING, offers=offers, ranking_in_step=True)
    guards.check_match_approval(s, OfferChoice(COORDINATOR, 99))  # checked once they are known
    s.ranking_in_step = False
    assert "not among" in refusal(guards.check_match_approval, s, OfferChoice(COORDINATOR, 99))
    offers[0].status = OfferStatus.APPROVED
    assert "already approved" in refusal(
        guards.check_match_approval, s, OfferChoice(COORDINATOR, 12)
    )


def test_a_conflict_override_needs_a_reason_and_no_open_offer() -> None:
    s = state(stage=Stage.AWAITING_MENTORS, conflict_overrides=[109])
    assert "recorded reason" in refusal(guards.check_override, s, OverrideChoice(COORDINATOR, 110))
    assert "already overridden" in refusal(
        guards.check_override, s, OverrideChoice(COORDINATOR, 109, 5)
    )
    guards.check_override(s, OverrideChoice(COORDINATOR, 110, 5))


# --- signing order ------------------------------------------------------------------------


@given(st.lists(st.sampled_from([Role.SME, Role.MENTOR, Role.COMPANY_ADMIN]), unique=True))
def test_the_next_signer_is_the_first_in_order_not_signed(signed: list[str]) -> None:
    waiting = guards.waiting_signers(SIGNERS, signed)
    assert [s.role for s in waiting] == [s.role for s in SIGNERS if s.role not in signed]
    assert guards.next_signer(SIGNERS, signed) == (waiting[0] if waiting else None)
    for actor in (SME, MENTOR, ADMIN):
        turn = bool(waiting) and actor.role == waiting[0].role
        assert guards.is_turn(SIGNERS, signed, actor) is turn
        assert guards.may_decline(SIGNERS, signed, actor) is (actor.role not in signed)


def test_a_place_is_filled_by_its_role_and_its_person_or_organisation() -> None:
    sme_slot, mentor_slot, admin_slot = SIGNERS
    assert guards.fills(sme_slot, SME) and not guards.fills(sme_slot, Actor(42, Role.SME, 4))
    assert guards.fills(mentor_slot, MENTOR) and not guards.fills(mentor_slot, OTHER_MENTOR)
    assert guards.fills(admin_slot, ADMIN) and not guards.fills(admin_slot, Actor(52, Role.SME, 9))
    assert not guards.fills(admin_slot, Actor(53, Role.COMPANY_ADMIN, COMPANY + 1))


def test_signers_sign_in_order_and_once() -> None:
    guards.check_signature(signing_state(), SignatureRef(SME, 1, 701, SHA))
    early = refusal(guards.check_signature, signing_state(), SignatureRef(ADMIN, 2, 701, SHA))
    assert early == "It is not your turn to sign yet: an earlier signer has not signed."
    outsider = Actor(60, Role.COMPANY_ADMIN, COMPANY + 1)
    message = refusal(guards.check_signature, signing_state(), SignatureRef(outsider, 3, 701, SHA))
    assert message == "You are not a signer of this agreement."
    twice = refusal(guards.check_signature, signing_state(Role.SME), SignatureRef(SME, 4, 701, SHA))
    assert twice == "This agreement was already signed on your side."
    stale = refusal(guards.check_signature, signing_state(), SignatureRef(SME, 5, 701, "cd" * 32))
    assert "reload and sign again" in stale
    gone = refusal(guards.check_signature, signing_state(), SignatureRef(SME, 6, 700, SHA))
    assert gone == "This agreement is no longer the one to sign."


def test_only_a_signer_yet_to_sign_declines_and_says_why() -> None:
    s = signing_state(Role.SME)
    guards.check_agreement_decline(s, AgreementDecision(ADMIN, 701, reason_id=8))
    assert "has not signed yet" in refusal(
        guards.check_agreement_decline, s, AgreementDecision(SME, 701, reason_id=8)
    )
    assert "needs a reason" in refusal(
        guards.check_agreement_decline, s, AgreementDecision(MENTOR, 701)
    )


def _db_agreement(signed: list[str]) -> models.Agreement:
    """An agreement row as the signing page reads it, not stored anywhere."""
    mentorship = models.Mentorship(mentor_id=MENTOR_ID, company_id=COMPANY)
    mentorship.request = models.SupportRequest(organisation_id=SME_ORG)
    agreement = models.Agreement(
        status="pending", signer_roles=[s.role.value for s in SIGNERS], mentorship=mentorship
    )
    agreement.signatures = [models.Signature(role=role, status="applied") for role in signed]
    return agreement


@pytest.mark.parametrize("count", range(4))
def test_the_signing_page_asks_the_workflows_rule(count: int) -> None:
    for order in permutations([Role.SME, Role.MENTOR, Role.COMPANY_ADMIN], count):
        signed: list[str] = list(order)
        row = _db_agreement(signed)
        expected = guards.next_signer(SIGNERS, signed)
        assert signing.next_role(row) == (expected.role if expected else None)
        for actor in (SME, MENTOR, ADMIN, OTHER_MENTOR):
            user = models.User(id=actor.user_id, role=actor.role.value)
            user.organisation_id = actor.organisation_id
            assert signing.may_sign_now(user, row) is guards.is_turn(SIGNERS, signed, actor)
            assert signing.may_decline(user, row) is guards.may_decline(SIGNERS, signed, actor)


# --- sessions and the plan ----------------------------------------------------------------

PLAN = PlanTerms(61, 2, "2027-03-01", Role.MENTOR, agreed_at="2026-12-01T10:00:00")


def test_plan_terms_keep_the_logged_sessions_and_end_after_today() -> None:
    logged = [SessionEntry(1, SessionStatus.CONFIRMED), SessionEntry(2)]
    s = state(stage=Stage.SESSIONS, sessions=logged)
    message = refusal(guards.check_terms, s, 1, "2027-01-01", TODAY)
    assert message == "The plan needs at least 2 session(s): that many are logged."
    assert "after today" in refusal(guards.check_terms, s, 3, TODAY, TODAY)
    assert "after today" in refusal(guards.check_terms, s, 3, "2027-1-1", TODAY)
    guards.check_terms(s, 2, "2026-12-09", TODAY)
    s.stage = Stage.PAUSED  # on hold, a plan that asks no more than was held would end it
    s.sessions = [SessionEntry(n, SessionStatus.CONFIRMED) for n in (1, 2)]
    assert "resume the mentorship first" in refusal(guards.check_terms, s, 2, "2027-01-01", TODAY)
    guards.check_terms(s, 3, "2027-01-01", TODAY)


def test_the_side_that_proposed_a_plan_does_not_accept_it() -> None:
    proposal = PlanTerms(62, 3, "2027-04-01", Role.MENTOR)
    s = state(stage=Stage.PAUSED, plan=PLAN, plan_proposal=proposal)
    guards.check_plan_acceptance(s, PlanChoice(SME, 62), TODAY)
    mine = refusal(guards.check_plan_acceptance, s, PlanChoice(MENTOR, 62), TODAY)
    assert mine == "The other side accepts the plan you proposed."
    again = refusal(guards.check_plan_proposal, s, PlanRef(SME, 61, 3, "2027-04-01"), TODAY)
    assert again == "This plan was already proposed."


def test_an_extension_moves_the_end_later_with_a_reason() -> None:
    s = state(stage=Stage.SESSIONS)
    later = PlanRef(COORDINATOR, 63, 2, "2027-05-01", reason_id=9)
    assert "no agreed plan" in refusal(guards.check_extension, s, later, TODAY)
    s.plan = PLAN
    guards.check_extension(s, later, TODAY)
    sooner = PlanRef(COORDINATOR, 63, 2, "2027-02-01", reason_id=9)
    assert refusal(guards.check_extension, s, sooner, TODAY) == (
        "Choose an end date after the plan's, 2027-03-01."
    )
    unexplained = PlanRef(COORDINATOR, 63, 2, "2027-05-01")
    assert "needs a reason" in refusal(guards.check_extension, s, unexplained, TODAY)


def test_sessions_are_logged_against_a_plan_and_confirmed_once() -> None:
    s = state(stage=Stage.SESSIONS)
    assert "Agree the mentoring plan" in refusal(guards.check_log, s, SessionRef(MENTOR, 1))
    s.plan = PLAN
    guards.check_log(s, SessionRef(MENTOR, 1))
    s.sessions = [SessionEntry(1), SessionEntry(2, SessionStatus.DISPUTED)]
    assert "already logged" in refusal(guards.check_log, s, SessionRef(MENTOR, 1))
    guards.check_confirmation(s, SessionRef(SME, 1))
    assert "disputed" in refusal(guards.check_confirmation, s, SessionRef(SME, 2))
    assert "not part of" in refusal(guards.check_confirmation, s, SessionRef(SME, 3))


def test_a_scheduled_session_is_moved_or_cancelled_only_before_it_begins() -> None:
    s = state(stage=Stage.PAUSED, session_times={"5": "2026-12-08T12:00:00"})
    assert "has begun" in refusal(guards.check_cancel, s, ScheduleRef(SME, 5), NOW)
    assert "no longer on the calendar" in refusal(guards.check_cancel, s, ScheduleRef(SME, 6), NOW)
    guards.check_cancel(s, ScheduleRef(SME, 5), datetime(2026, 12, 8, 11, tzinfo=UTC))
    s.stage = Stage.SESSIONS
    moved = ScheduleRef(MENTOR, 7, "2026-12-10T09:00:00", replaces_id=5)
    assert "has begun" in refusal(guards.check_schedule, s, moved, NOW)


# --- ending -------------------------------------------------------------------------------


def test_a_pause_needs_a_reason_and_a_resume_date_after_today() -> None:
    s = state(stage=Stage.SESSIONS)
    assert "needs a reason" in refusal(guards.check_pause, s, PauseChoice(SME, "2027-01-01"), TODAY)
    assert "resume date after today" in refusal(
        guards.check_pause, s, PauseChoice(SME, TODAY, 4), TODAY
    )
    guards.check_pause(s, PauseChoice(COORDINATOR, "2026-12-09", 4), TODAY)


def test_completion_takes_both_sides_feedback_and_another_coordinator() -> None:
    s = state(stage=Stage.COMPLETION_REVIEW, match_approved_by=COORDINATOR.user_id)
    assert "another coordinator" in refusal(guards.check_completion, s, Decision(COORDINATOR))
    second = Actor(7, Role.COORDINATOR)
    assert "feedback first" in refusal(guards.check_completion, s, Decision(second))
    s.feedback_from = [Role.SME, Role.MENTOR]
    guards.check_completion(s, Decision(second))


def test_each_side_agrees_to_end_early_once_and_ending_needs_a_reason() -> None:
    s = state(stage=Stage.SESSIONS, end_early_by=[Role.SME])
    assert "already agreed" in refusal(guards.check_end_early, s, Decision(SME))
    guards.check_end_early(s, Decision(MENTOR))
    s.stage = Stage.PAUSED
    assert "needs a reason" in refusal(guards.check_termination, s, Decision(MENTOR))
    guards.check_termination(s, Decision(MENTOR, reason_id=3))


def test_a_follow_up_survey_is_answered_once_it_is_due_and_only_once() -> None:
    s = state(stage=Stage.COMPLETED, surveys_due=[3], surveys_answered=[3])
    assert "not open yet" in refusal(guards.check_survey, s, SurveyRef(SME, 1, 6))
    assert "already answered" in refusal(guards.check_survey, s, SurveyRef(SME, 1, 3))
