"""The stage machine of a mentorship and the names the workflow and the web share.

Stages and their moves, roles, task kinds, the statuses of offers and sessions, who acts
(``Actor``), a workflow step's effects (``Effect``) and the human updates (``Update``). This
module is imported inside the Temporal workflow sandbox: standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    INTAKE_REVIEW = "intake_review"
    REJECTED = "rejected"
    MATCHING = "matching"
    AWAITING_MENTORS = "awaiting_mentors"
    UNMATCHED = "unmatched"
    NDA = "nda"
    SESSIONS = "sessions"
    PAUSED = "paused"
    COMPLETION_REVIEW = "completion_review"
    PLEDGE = "pledge"
    COMPLETED = "completed"
    TERMINATED = "terminated"


def workflow_id(request_id: int) -> str:
    """The one workflow of a support request, named by its business key."""
    return f"mentorship-{request_id}"


FINAL_STAGES = frozenset({Stage.REJECTED, Stage.UNMATCHED, Stage.COMPLETED, Stage.TERMINATED})

# Every move the workflow may make. PAUSED and TERMINATED are reserved for the sessions
# issue; they are listed so the enum and the rules are complete from the start.
TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.INTAKE_REVIEW: frozenset({Stage.MATCHING, Stage.REJECTED}),
    Stage.MATCHING: frozenset({Stage.AWAITING_MENTORS, Stage.NDA, Stage.TERMINATED}),
    Stage.AWAITING_MENTORS: frozenset({Stage.MATCHING, Stage.UNMATCHED, Stage.TERMINATED}),
    Stage.NDA: frozenset({Stage.MATCHING, Stage.SESSIONS, Stage.TERMINATED}),
    Stage.SESSIONS: frozenset({Stage.COMPLETION_REVIEW, Stage.PAUSED, Stage.TERMINATED}),
    Stage.PAUSED: frozenset({Stage.SESSIONS, Stage.TERMINATED}),
    Stage.COMPLETION_REVIEW: frozenset({Stage.PLEDGE, Stage.SESSIONS}),
    Stage.PLEDGE: frozenset({Stage.COMPLETED}),
    Stage.REJECTED: frozenset(),
    Stage.UNMATCHED: frozenset(),
    Stage.COMPLETED: frozenset(),
    Stage.TERMINATED: frozenset(),
}


class IllegalTransition(ValueError):
    """Raised when the process tries a move the stage rules do not allow."""


def check_transition(current: Stage, target: Stage) -> Stage:
    """Return ``target`` if the move from ``current`` is allowed, else raise."""
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(f"cannot move from {current} to {target}")
    return target


class Role(StrEnum):
    COORDINATOR = "coordinator"
    SME = "sme"
    MENTOR = "mentor"
    COMPANY_ADMIN = "company_admin"


class TaskKind(StrEnum):
    REVIEW_INTAKE = "review_intake"
    APPROVE_MATCH = "approve_match"
    ANSWER_OFFER = "answer_offer"
    SIGN_AGREEMENT = "sign_agreement"
    LOG_SESSION = "log_session"
    CONFIRM_SESSION = "confirm_session"
    APPROVE_COMPLETION = "approve_completion"
    FOLLOW_UP = "follow_up"  # a stalled mentorship: the coordinator gets in touch
    RESOLVE_DISPUTE = "resolve_dispute"
    GIVE_FEEDBACK = "give_feedback"
    ANSWER_SURVEY = "answer_survey"
    PROPOSE_PLAN = "propose_plan"
    ACCEPT_PLAN = "accept_plan"
    # The pledge registry refused an entry: a coordinator reads why. Opened and closed by the
    # pledge sync, not by the mentorship's projection.
    FIX_REGISTRY_ENTRY = "fix_registry_entry"


class OfferStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class SessionStatus(StrEnum):
    PENDING = "pending"  # written by the web, not yet applied by the workflow
    LOGGED = "logged"
    CONFIRMED = "confirmed"
    REFUSED = "refused"
    DISPUTED = "disputed"  # the SME says it did not happen so: a coordinator decides


@dataclass(frozen=True)
class Actor:
    """Who sends an update: ids and role only."""

    user_id: int
    role: Role
    organisation_id: int | None = None


class Effect(StrEnum):
    """What a step changes in the database besides the projection."""

    SUBMITTED = "submitted"  # written with the request row, before the workflow starts
    INTAKE_APPROVED = "intake_approved"
    INTAKE_REJECTED = "intake_rejected"
    CANDIDATES_PROPOSED = "candidates_proposed"
    CONFLICT_OVERRIDDEN = "conflict_overridden"
    OFFER_APPROVED = "offer_approved"
    OFFER_ACCEPTED = "offer_accepted"
    OFFER_DECLINED = "offer_declined"
    MENTOR_FULL = "mentor_full"  # accepted, but the mentor or the company had no room left
    AGREEMENT_ISSUED = "agreement_issued"
    AGREEMENT_SIGNED = "agreement_signed"
    AGREEMENT_EXPIRED = "agreement_expired"
    AGREEMENT_DECLINED = "agreement_declined"
    AGREEMENT_VOIDED = "agreement_voided"
    AGREEMENT_SEALED = "agreement_sealed"
    NDA_REMINDER = "nda_reminder"
    SESSION_LOGGED = "session_logged"
    SESSION_CONFIRMED = "session_confirmed"
    END_EARLY_AGREED = "end_early_agreed"
    COMPLETION_APPROVED = "completion_approved"
    PLEDGE_RECORDED = "pledge_recorded"
    PAUSED = "paused"
    RESUMED = "resumed"
    TERMINATED = "terminated"
    SESSION_SCHEDULED = "session_scheduled"
    SESSION_DISPUTED = "session_disputed"
    SESSION_REFUSED = "session_refused"  # a coordinator upheld the SME's dispute
    FEEDBACK_GIVEN = "feedback_given"
    CERTIFICATES_ISSUED = "certificates_issued"
    SURVEY_DUE = "survey_due"
    SURVEY_ANSWERED = "survey_answered"
    SURVEYS_CLOSED = "surveys_closed"
    NUDGED = "nudged"  # both sides reminded that the mentorship is stalling
    ESCALATED = "escalated"  # a coordinator is asked to follow up
    UNMATCHED = "unmatched"
    AWAITING_MENTORS = "awaiting_mentors"
    PLAN_PROPOSED = "plan_proposed"
    PLAN_AGREED = "plan_agreed"
    PLAN_EXTENDED = "plan_extended"  # by a coordinator, with a reason
    SESSION_MOVED = "session_moved"
    SESSION_CANCELLED = "session_cancelled"


class Update(StrEnum):
    """The workflow's human steps, by name: the workflow declares its updates with these and
    the web sends them, so a rename is a type error and a click can be followed into the
    workflow. The values are the names in recorded histories: never change one."""

    APPROVE_INTAKE = "approve_intake"
    REJECT_INTAKE = "reject_intake"
    APPROVE_MATCH = "approve_match"
    OVERRIDE_CONFLICT = "override_conflict"
    ACCEPT_OFFER = "accept_offer"
    DECLINE_OFFER = "decline_offer"
    SIGN = "sign"
    DECLINE_AGREEMENT = "decline_agreement"
    VOID_AGREEMENT = "void_agreement"
    LOG_SESSION = "log_session"
    CONFIRM_SESSION = "confirm_session"
    SCHEDULE_SESSION = "schedule_session"
    CANCEL_SESSION = "cancel_session"
    PROPOSE_PLAN = "propose_plan"
    ACCEPT_PLAN = "accept_plan"
    EXTEND_PLAN = "extend_plan"
    DISPUTE_SESSION = "dispute_session"
    RESOLVE_DISPUTE = "resolve_dispute"
    AGREE_TO_END_EARLY = "agree_to_end_early"
    APPROVE_COMPLETION = "approve_completion"
    GIVE_FEEDBACK = "give_feedback"
    ANSWER_SURVEY = "answer_survey"
    PAUSE = "pause"
    RESUME = "resume"
    TERMINATE = "terminate"
