"""What a step or a task acts on: a reference that names its kind, never a bare id.

``SUBJECTS`` says which kind of subject each workflow step's effect carries, ``TASK_SUBJECTS``
which kind each task kind points at; a reference of another kind is refused before it is
written. This module is imported inside the Temporal workflow sandbox: standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mentorship.rules.stages import Effect, TaskKind


class SubjectKind(StrEnum):
    OFFER = "offer"
    ROUND = "round"  # a matching round, by its number
    MENTOR = "mentor"
    AGREEMENT = "agreement"
    SIGNATURE = "signature"
    SESSION_LOG = "session_log"
    SCHEDULED_SESSION = "scheduled_session"
    PLAN = "plan"
    FEEDBACK = "feedback"
    SURVEY_ANSWER = "survey_answer"
    SURVEY_MONTH = "survey_month"  # a follow-up survey, by the months after completion
    PLEDGE_ENTRY = "pledge_entry"


class WrongSubject(ValueError):
    """A step or a task refers to a subject of another kind than the one it acts on."""


@dataclass(frozen=True)
class Ref:
    """One subject: its kind and its id (a row's id, or a round's or a survey's number)."""

    kind: SubjectKind
    id: int

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"

    @classmethod
    def offer(cls, offer_id: int) -> Ref:
        return cls(SubjectKind.OFFER, offer_id)

    @classmethod
    def round(cls, number: int) -> Ref:
        return cls(SubjectKind.ROUND, number)

    @classmethod
    def mentor(cls, user_id: int) -> Ref:
        return cls(SubjectKind.MENTOR, user_id)

    @classmethod
    def agreement(cls, agreement_id: int) -> Ref:
        return cls(SubjectKind.AGREEMENT, agreement_id)

    @classmethod
    def signature(cls, signature_id: int) -> Ref:
        return cls(SubjectKind.SIGNATURE, signature_id)

    @classmethod
    def session_log(cls, session_log_id: int) -> Ref:
        return cls(SubjectKind.SESSION_LOG, session_log_id)

    @classmethod
    def scheduled_session(cls, scheduled_id: int) -> Ref:
        return cls(SubjectKind.SCHEDULED_SESSION, scheduled_id)

    @classmethod
    def plan(cls, plan_id: int) -> Ref:
        return cls(SubjectKind.PLAN, plan_id)

    @classmethod
    def feedback(cls, feedback_id: int) -> Ref:
        return cls(SubjectKind.FEEDBACK, feedback_id)

    @classmethod
    def survey_answer(cls, answer_id: int) -> Ref:
        return cls(SubjectKind.SURVEY_ANSWER, answer_id)

    @classmethod
    def survey_month(cls, months: int) -> Ref:
        return cls(SubjectKind.SURVEY_MONTH, months)

    @classmethod
    def pledge_entry(cls, entry_id: int) -> Ref:
        return cls(SubjectKind.PLEDGE_ENTRY, entry_id)


# The kind of subject each effect's step carries; None: the step carries none.
SUBJECTS: dict[Effect, SubjectKind | None] = {
    Effect.SUBMITTED: None,
    Effect.INTAKE_APPROVED: None,
    Effect.INTAKE_REJECTED: None,
    Effect.CANDIDATES_PROPOSED: SubjectKind.ROUND,
    Effect.CONFLICT_OVERRIDDEN: SubjectKind.MENTOR,
    Effect.OFFER_APPROVED: SubjectKind.OFFER,
    Effect.OFFER_ACCEPTED: SubjectKind.OFFER,
    Effect.OFFER_DECLINED: SubjectKind.OFFER,
    Effect.MENTOR_FULL: SubjectKind.OFFER,
    Effect.AGREEMENT_ISSUED: SubjectKind.AGREEMENT,
    Effect.AGREEMENT_SIGNED: SubjectKind.SIGNATURE,
    Effect.AGREEMENT_EXPIRED: SubjectKind.AGREEMENT,
    Effect.AGREEMENT_DECLINED: SubjectKind.AGREEMENT,
    Effect.AGREEMENT_VOIDED: SubjectKind.AGREEMENT,
    Effect.AGREEMENT_SEALED: SubjectKind.AGREEMENT,
    Effect.NDA_REMINDER: SubjectKind.AGREEMENT,
    Effect.SESSION_LOGGED: SubjectKind.SESSION_LOG,
    Effect.SESSION_CONFIRMED: SubjectKind.SESSION_LOG,
    Effect.END_EARLY_AGREED: None,
    Effect.COMPLETION_APPROVED: None,
    Effect.PLEDGE_RECORDED: SubjectKind.PLEDGE_ENTRY,
    Effect.PAUSED: None,
    Effect.RESUMED: None,
    Effect.TERMINATED: None,
    Effect.SESSION_SCHEDULED: SubjectKind.SCHEDULED_SESSION,
    Effect.SESSION_DISPUTED: SubjectKind.SESSION_LOG,
    Effect.SESSION_REFUSED: SubjectKind.SESSION_LOG,
    Effect.FEEDBACK_GIVEN: SubjectKind.FEEDBACK,
    Effect.CERTIFICATES_ISSUED: None,
    Effect.SURVEY_DUE: SubjectKind.SURVEY_MONTH,
    Effect.SURVEY_ANSWERED: SubjectKind.SURVEY_ANSWER,
    Effect.SURVEYS_CLOSED: None,
    Effect.NUDGED: None,
    Effect.ESCALATED: None,
    Effect.UNMATCHED: None,
    Effect.AWAITING_MENTORS: None,
    Effect.PLAN_PROPOSED: SubjectKind.PLAN,
    Effect.PLAN_AGREED: SubjectKind.PLAN,
    Effect.PLAN_EXTENDED: SubjectKind.PLAN,
    Effect.SESSION_MOVED: SubjectKind.SCHEDULED_SESSION,
    Effect.SESSION_CANCELLED: SubjectKind.SCHEDULED_SESSION,
}

# The kind of subject each kind of task points at; None: the task points at none.
TASK_SUBJECTS: dict[TaskKind, SubjectKind | None] = {
    TaskKind.REVIEW_INTAKE: None,
    TaskKind.APPROVE_MATCH: None,
    TaskKind.ANSWER_OFFER: SubjectKind.OFFER,
    TaskKind.SIGN_AGREEMENT: SubjectKind.AGREEMENT,
    TaskKind.LOG_SESSION: None,
    TaskKind.CONFIRM_SESSION: SubjectKind.SESSION_LOG,
    TaskKind.APPROVE_COMPLETION: None,
    TaskKind.FOLLOW_UP: None,
    TaskKind.RESOLVE_DISPUTE: SubjectKind.SESSION_LOG,
    TaskKind.GIVE_FEEDBACK: None,
    TaskKind.ANSWER_SURVEY: SubjectKind.SURVEY_MONTH,
    TaskKind.PROPOSE_PLAN: None,
    TaskKind.ACCEPT_PLAN: SubjectKind.PLAN,
    TaskKind.FIX_REGISTRY_ENTRY: SubjectKind.PLEDGE_ENTRY,
}


def check_step(effect: Effect, subject: Ref | None) -> None:
    """Raise ``WrongSubject`` unless ``subject`` is of the kind ``effect`` carries."""
    _check(f"step {effect}", SUBJECTS[effect], subject)


def check_task(kind: TaskKind, subject: Ref | None) -> None:
    """Raise ``WrongSubject`` unless ``subject`` is of the kind a ``kind`` task points at."""
    _check(f"task {kind}", TASK_SUBJECTS[kind], subject)


def id_of(subject: Ref | None, kind: SubjectKind, what: str = "a reference") -> int:
    """The id of ``subject``, which must be of ``kind``; ``what`` names the holder in the error."""
    if subject is None or subject.kind != kind:
        raise WrongSubject(f"{what} needs a subject of kind {kind}, got {subject or 'none'}")
    return subject.id


def columns(subject: Ref | None) -> tuple[SubjectKind | None, int | None]:
    """The subject as the ``subject_kind`` and ``subject_id`` columns store it."""
    return (None, None) if subject is None else (subject.kind, subject.id)


def _check(what: str, expected: SubjectKind | None, subject: Ref | None) -> None:
    if expected is None:
        if subject is not None:
            raise WrongSubject(f"{what} takes no subject, got {subject}")
        return
    id_of(subject, expected, what)
