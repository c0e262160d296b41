"""Who may act on a mentorship, when, and in what order: plain functions over its state.

The workflow's validators call these, and so does the database side
(``mentorship.services.signing`` asks the same signing order), so a rule is decided in one
place. They work over the dataclasses of ``mentorship.rules.state`` and import neither
temporalio nor flask nor a database session: a rule is tested as a function. A rule that says
no raises ``Refused`` with the English message for the catalogs and its values apart; the
workflow hands it to the caller as the update's refusal.

One module on purpose (over 400 lines): the table of who acts in which stage (``GUARDS``)
opens it and every update's check follows, in sections by stage, so a reader sees each
refusal beside the rule of who may ask.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from mentorship.errors import Refused
from mentorship.rules.choices import (
    AgreementDecision,
    Decision,
    FeedbackRef,
    OfferChoice,
    OverrideChoice,
    PauseChoice,
    PlanChoice,
    PlanRef,
    ScheduleRef,
    SessionDecision,
    SessionRef,
    SignatureRef,
    SurveyRef,
)
from mentorship.rules.stages import Actor, OfferStatus, Role, SessionStatus, Stage, Update
from mentorship.rules.state import Agreement, MentorshipState, Offer, SessionEntry, SignerSlot

RUNNING = frozenset({Stage.SESSIONS, Stage.PAUSED})  # the sessions run, or are on hold
_PARTIES = frozenset({Role.SME, Role.MENTOR})
_SIGNERS = frozenset({Role.SME, Role.MENTOR, Role.COMPANY_ADMIN})
_EVERYONE = frozenset({Role.SME, Role.MENTOR, Role.COORDINATOR})
_COORDINATOR = frozenset({Role.COORDINATOR})


def _only(stage: Stage) -> frozenset[Stage]:
    return frozenset({stage})


# Who may take each step, and in which stages: the first thing every update checks.
GUARDS: dict[Update, tuple[frozenset[Stage], frozenset[Role]]] = {
    Update.APPROVE_INTAKE: (_only(Stage.INTAKE_REVIEW), _COORDINATOR),
    Update.REJECT_INTAKE: (_only(Stage.INTAKE_REVIEW), _COORDINATOR),
    Update.APPROVE_MATCH: (_only(Stage.MATCHING), _COORDINATOR),
    Update.OVERRIDE_CONFLICT: (frozenset({Stage.MATCHING, Stage.AWAITING_MENTORS}), _COORDINATOR),
    Update.ACCEPT_OFFER: (_only(Stage.MATCHING), frozenset({Role.MENTOR})),
    Update.DECLINE_OFFER: (_only(Stage.MATCHING), frozenset({Role.MENTOR})),
    Update.SIGN: (_only(Stage.NDA), _SIGNERS),
    Update.DECLINE_AGREEMENT: (_only(Stage.NDA), _SIGNERS),
    Update.VOID_AGREEMENT: (_only(Stage.NDA), _COORDINATOR),
    Update.LOG_SESSION: (_only(Stage.SESSIONS), frozenset({Role.MENTOR})),
    Update.CONFIRM_SESSION: (_only(Stage.SESSIONS), frozenset({Role.SME})),
    Update.SCHEDULE_SESSION: (_only(Stage.SESSIONS), _PARTIES),
    Update.CANCEL_SESSION: (RUNNING, _PARTIES),
    Update.PROPOSE_PLAN: (RUNNING, _PARTIES),
    Update.ACCEPT_PLAN: (RUNNING, _PARTIES),
    Update.EXTEND_PLAN: (RUNNING, _COORDINATOR),
    Update.DISPUTE_SESSION: (_only(Stage.SESSIONS), frozenset({Role.SME})),
    Update.RESOLVE_DISPUTE: (_only(Stage.SESSIONS), _COORDINATOR),
    Update.AGREE_TO_END_EARLY: (_only(Stage.SESSIONS), _PARTIES),
    Update.APPROVE_COMPLETION: (_only(Stage.COMPLETION_REVIEW), _COORDINATOR),
    Update.GIVE_FEEDBACK: (_only(Stage.COMPLETION_REVIEW), _PARTIES),
    Update.ANSWER_SURVEY: (_only(Stage.COMPLETED), frozenset({Role.SME})),
    Update.PAUSE: (_only(Stage.SESSIONS), _EVERYONE),
    Update.RESUME: (_only(Stage.PAUSED), _EVERYONE),
    Update.TERMINATE: (RUNNING, _EVERYONE),
}


def refuse(message: str, **params: str | int) -> Refused:
    """A rule's no (``refuse`` marks the message for the catalogs: mentorship.i18n)."""
    return Refused(message, **params)


# --- who acts when ----------------------------------------------------------------------


def expect(state: MentorshipState, update: Update, actor: Actor) -> None:
    """Refuse unless the workflow is in one of ``update``'s stages and waits for this actor."""
    stages, roles = GUARDS[update]
    expect_in(state, stages, actor, roles)


def expect_in(
    state: MentorshipState, stages: Collection[Stage], actor: Actor, roles: Collection[Role]
) -> None:
    """Refuse unless the workflow is in one of ``stages`` and ``actor`` is one it waits for:
    of one of ``roles``, the SME of the request, the mentor of the mentorship."""
    if state.stage not in stages:
        raise refuse(
            "This step is not open: the request is at stage '%(stage)s'.", stage=state.stage
        )
    if actor.role not in roles:
        raise refuse("A %(role)s cannot take this step.", role=actor.role)
    if actor.role == Role.SME and actor.organisation_id != state.sme_organisation_id:
        raise refuse("Only the SME that made this request can take this step.")
    # While matching, any mentor may be the one an offer is made to (check_answer says who).
    if (
        actor.role == Role.MENTOR
        and state.stage != Stage.MATCHING
        and actor.user_id != state.mentor_id
    ):
        raise refuse("Only the mentor of this mentorship can take this step.")


# --- signing order ------------------------------------------------------------------------


class Place(Protocol):
    """A place in a signing order: the workflow's SignerSlot, or a row the database reads."""

    @property
    def role(self) -> str: ...


P = TypeVar("P", bound=Place)


def waiting_signers(order: Sequence[P], signed: Collection[str]) -> list[P]:
    """The places of the signing order whose role has not signed yet, in order."""
    return [place for place in order if place.role not in signed]


def next_signer(order: Sequence[P], signed: Collection[str]) -> P | None:
    """The one place whose turn it is to sign: the first not signed. None when all have."""
    return next(iter(waiting_signers(order, signed)), None)


def fills(slot: SignerSlot, actor: Actor) -> bool:
    """Whether ``actor`` may sign in this place of the signing order."""
    if actor.role != slot.role:
        return False
    if slot.user_id is not None and actor.user_id != slot.user_id:
        return False
    return slot.organisation_id is None or actor.organisation_id == slot.organisation_id


def is_turn(signers: Sequence[SignerSlot], signed: Collection[str], actor: Actor) -> bool:
    """Whether ``actor`` signs next."""
    slot = next_signer(signers, signed)
    return slot is not None and fills(slot, actor)


def may_decline(signers: Sequence[SignerSlot], signed: Collection[str], actor: Actor) -> bool:
    """A signer who has not signed yet may decline, whether or not it is their turn."""
    return any(fills(slot, actor) for slot in waiting_signers(signers, signed))


# --- lookups the steps refer to -------------------------------------------------------------


def open_agreement(state: MentorshipState, agreement_id: int) -> Agreement:
    """The agreement being signed, if it is ``agreement_id`` and still open."""
    agreement = state.agreement
    if agreement is None or agreement.agreement_id != agreement_id:
        raise refuse("This agreement is no longer the one to sign.")
    if agreement.outcome is not None:
        raise refuse("This agreement is closed: it was %(outcome)s.", outcome=agreement.outcome)
    return agreement


def offer(state: MentorshipState, offer_id: int) -> Offer:
    for candidate in state.offers:
        if candidate.offer_id == offer_id:
            return candidate
    raise refuse("This candidate is not among the proposed mentors.")


def session(state: MentorshipState, session_log_id: int) -> SessionEntry:
    for entry in state.sessions:
        if entry.session_log_id == session_log_id:
            return entry
    raise refuse("This session is not part of the mentorship.")


# --- intake and matching ----------------------------------------------------------------


def check_intake(state: MentorshipState, cmd: Decision) -> None:
    expect(state, Update.APPROVE_INTAKE, cmd.actor)


def check_rejection(state: MentorshipState, cmd: Decision) -> None:
    expect(state, Update.REJECT_INTAKE, cmd.actor)
    if cmd.reason_id is None:
        raise refuse("A rejection needs a reason.")


def check_match_approval(state: MentorshipState, cmd: OfferChoice) -> None:
    expect(state, Update.APPROVE_MATCH, cmd.actor)
    if state.ranking_in_step:
        return  # the offers are not known yet: the handler checks them once they are
    if state.current_offer() is not None:
        raise refuse("A match was already approved; the mentor has not answered yet.")
    if offer(state, cmd.offer_id).status != OfferStatus.PROPOSED:
        raise refuse("This candidate is no longer available.")


def check_override(state: MentorshipState, cmd: OverrideChoice) -> None:
    expect(state, Update.OVERRIDE_CONFLICT, cmd.actor)
    if cmd.reason_id is None:
        raise refuse("Overriding a conflict of interest needs a recorded reason.")
    if state.current_offer() is not None:
        raise refuse("A mentor is deciding on an offer; wait for the answer first.")
    if cmd.mentor_id in state.conflict_overrides:
        raise refuse("This mentor's conflict was already overridden.")


def check_answer(state: MentorshipState, cmd: OfferChoice) -> None:
    """The mentor accepts or declines the offer made to them."""
    expect(state, Update.ACCEPT_OFFER, cmd.actor)
    current = state.current_offer()
    if current is None or current.offer_id != cmd.offer_id:
        raise refuse("This offer is not waiting for an answer.")
    if current.mentor_id != cmd.actor.user_id:
        raise refuse("Only the mentor this offer was made to can answer it.")


# --- the agreement ------------------------------------------------------------------------


def check_signature(state: MentorshipState, cmd: SignatureRef) -> None:
    expect(state, Update.SIGN, cmd.actor)
    agreement = open_agreement(state, cmd.agreement_id)
    if cmd.sha256_seen != agreement.sha256:
        raise refuse("The document you saw is not the one on record; reload and sign again.")
    if cmd.actor.role in agreement.signed_by:
        raise refuse("This agreement was already signed on your side.")
    if not is_turn(agreement.signers, agreement.signed_by, cmd.actor):
        if any(fills(slot, cmd.actor) for slot in agreement.signers):
            raise refuse("It is not your turn to sign yet: an earlier signer has not signed.")
        raise refuse("You are not a signer of this agreement.")


def check_agreement_decline(state: MentorshipState, cmd: AgreementDecision) -> None:
    expect(state, Update.DECLINE_AGREEMENT, cmd.actor)
    agreement = open_agreement(state, cmd.agreement_id)
    if not may_decline(agreement.signers, agreement.signed_by, cmd.actor):
        raise refuse("Only a signer who has not signed yet can decline this agreement.")
    if cmd.reason_id is None:
        raise refuse("Declining an agreement needs a reason.")


def check_void(state: MentorshipState, cmd: AgreementDecision) -> None:
    expect(state, Update.VOID_AGREEMENT, cmd.actor)
    open_agreement(state, cmd.agreement_id)
    if cmd.reason_id is None:
        raise refuse("Voiding an agreement needs a reason.")


# --- sessions ---------------------------------------------------------------------------


def check_log(state: MentorshipState, cmd: SessionRef) -> None:
    expect(state, Update.LOG_SESSION, cmd.actor)
    if not state.may_log_sessions():
        if state.logged_sessions() < state.planned_sessions:
            raise refuse("Agree the mentoring plan with the SME before logging sessions.")
        raise refuse("All planned sessions are already logged.")
    if any(s.session_log_id == cmd.session_log_id for s in state.sessions):
        raise refuse("This session was already logged.")


def check_confirmation(state: MentorshipState, cmd: SessionRef) -> None:
    expect(state, Update.CONFIRM_SESSION, cmd.actor)
    status = session(state, cmd.session_log_id).status
    if status == SessionStatus.DISPUTED:
        raise refuse("This session is disputed: a coordinator decides about it.")
    if status != SessionStatus.LOGGED:
        raise refuse("This session was already confirmed.")


def check_schedule(state: MentorshipState, cmd: ScheduleRef, now: datetime) -> None:
    expect(state, Update.SCHEDULE_SESSION, cmd.actor)
    if cmd.scheduled_id in state.scheduled:
        raise refuse("This session is already scheduled.")
    if cmd.replaces_id is not None:
        check_upcoming(state, cmd.replaces_id, now)


def check_cancel(state: MentorshipState, cmd: ScheduleRef, now: datetime) -> None:
    expect(state, Update.CANCEL_SESSION, cmd.actor)
    check_upcoming(state, cmd.scheduled_id, now)


def check_upcoming(state: MentorshipState, scheduled_id: int, now: datetime) -> None:
    """Refuse unless this session is on the calendar and has not begun at ``now`` (aware)."""
    starts_at = state.session_times.get(str(scheduled_id))
    if starts_at is None:
        raise refuse("This session is no longer on the calendar.")
    if datetime.fromisoformat(starts_at).replace(tzinfo=UTC) <= now:
        raise refuse("This session has begun: log it once it is held.")


def check_dispute(state: MentorshipState, cmd: SessionDecision) -> None:
    expect(state, Update.DISPUTE_SESSION, cmd.actor)
    if session(state, cmd.session_log_id).status != SessionStatus.LOGGED:
        raise refuse("Only a session waiting for your confirmation can be disputed.")
    if cmd.reason_id is None:
        raise refuse("Say what is wrong with the logged session.")


def check_resolution(state: MentorshipState, cmd: SessionDecision) -> None:
    expect(state, Update.RESOLVE_DISPUTE, cmd.actor)
    if session(state, cmd.session_log_id).status != SessionStatus.DISPUTED:
        raise refuse("This session is not disputed.")
    if cmd.reason_id is None:
        raise refuse("Record why you settle the dispute this way.")


# --- the mentoring plan -------------------------------------------------------------------


def check_plan_proposal(state: MentorshipState, cmd: PlanRef, today: str) -> None:
    expect(state, Update.PROPOSE_PLAN, cmd.actor)
    check_terms(state, cmd.sessions, cmd.ends_on, today)
    if cmd.plan_id in (p.plan_id for p in (state.plan, state.plan_proposal) if p):
        raise refuse("This plan was already proposed.")


def check_plan_acceptance(state: MentorshipState, cmd: PlanChoice, today: str) -> None:
    expect(state, Update.ACCEPT_PLAN, cmd.actor)
    proposal = state.plan_proposal
    if proposal is None or proposal.plan_id != cmd.plan_id:
        raise refuse("This plan proposal is no longer open.")
    if proposal.proposed_by == cmd.actor.role:
        raise refuse("The other side accepts the plan you proposed.")
    check_terms(state, proposal.sessions, proposal.ends_on, today)


def check_extension(state: MentorshipState, cmd: PlanRef, today: str) -> None:
    """A coordinator moves the plan's end date later, with a reason."""
    expect(state, Update.EXTEND_PLAN, cmd.actor)
    if state.plan is None:
        raise refuse("There is no agreed plan to extend yet.")
    if cmd.ends_on <= state.plan.ends_on:
        raise refuse(
            "Choose an end date after the plan's, %(ends_on)s.", ends_on=str(state.plan.ends_on)
        )
    check_terms(state, cmd.sessions, cmd.ends_on, today)
    if cmd.reason_id is None:
        raise refuse("Extending the plan needs a reason.")


def check_terms(state: MentorshipState, sessions: int, ends_on: str, today: str) -> None:
    """A plan's numbers: no fewer sessions than are logged, and an end after ``today`` (ISO)."""
    least = max(1, state.logged_sessions())
    if sessions < least:
        raise refuse(
            "The plan needs at least %(least)s session(s): that many are logged.", least=least
        )
    if state.stage == Stage.PAUSED and sessions <= state.confirmed_sessions():
        raise refuse("This plan would end the sessions: resume the mentorship first.")
    if not (len(ends_on) == 10 and today < ends_on):
        raise refuse("Choose an end date after today.")


# --- ending -------------------------------------------------------------------------------


def check_end_early(state: MentorshipState, cmd: Decision) -> None:
    expect(state, Update.AGREE_TO_END_EARLY, cmd.actor)
    if cmd.actor.role in state.end_early_by:
        raise refuse("You already agreed to end the mentorship early.")


def check_completion(state: MentorshipState, cmd: Decision) -> None:
    expect(state, Update.APPROVE_COMPLETION, cmd.actor)
    if cmd.actor.user_id == state.match_approved_by:
        raise refuse("You approved this match: another coordinator approves its completion.")
    if len(state.feedback_from) < 2:
        raise refuse("Both the SME and the mentor give their feedback first.")


def check_feedback(state: MentorshipState, cmd: FeedbackRef) -> None:
    expect(state, Update.GIVE_FEEDBACK, cmd.actor)
    if cmd.actor.role in state.feedback_from:
        raise refuse("Your side has already given its feedback.")


def check_survey(state: MentorshipState, cmd: SurveyRef) -> None:
    expect(state, Update.ANSWER_SURVEY, cmd.actor)
    if cmd.months not in state.surveys_due:
        raise refuse("This follow-up survey is not open yet.")
    if cmd.months in state.surveys_answered:
        raise refuse("This follow-up survey was already answered. Thank you.")


def check_pause(state: MentorshipState, cmd: PauseChoice, today: str) -> None:
    expect(state, Update.PAUSE, cmd.actor)
    if cmd.reason_id is None:
        raise refuse("Putting the mentorship on hold needs a reason.")
    if not (len(cmd.resume_on) == 10 and today < cmd.resume_on):
        raise refuse("Choose a resume date after today.")


def check_resume(state: MentorshipState, cmd: Decision) -> None:
    expect(state, Update.RESUME, cmd.actor)


def check_termination(state: MentorshipState, cmd: Decision) -> None:
    expect(state, Update.TERMINATE, cmd.actor)
    if cmd.reason_id is None:
        raise refuse("Ending a mentorship early needs a reason.")
