"""The arguments of the human updates: ids and choices only, never personal data.

The web builds them from a form and sends them under an ``Update`` name; the workflow's
validators read them with the rules in ``guards``.
"""

from __future__ import annotations

from dataclasses import dataclass

from mentorship.rules.stages import Actor


# Arguments of the human updates: ids and choices only.
@dataclass(frozen=True)
class Decision:
    actor: Actor
    reason_id: int | None = None  # a Reason row written by the web before the update


@dataclass(frozen=True)
class PauseChoice:
    """Put the mentorship on hold until ``resume_on`` (an ISO date), for a reason."""

    actor: Actor
    resume_on: str
    reason_id: int | None = None


@dataclass(frozen=True)
class OfferChoice:
    actor: Actor
    offer_id: int
    reason_id: int | None = None


@dataclass(frozen=True)
class OverrideChoice:
    """A coordinator proposes a mentor excluded for a conflict of interest, with a reason."""

    actor: Actor
    mentor_id: int
    reason_id: int | None = None


@dataclass(frozen=True)
class SignatureRef:
    actor: Actor
    signature_id: int
    agreement_id: int
    sha256_seen: str


@dataclass(frozen=True)
class AgreementDecision:
    """A signer declines, or a coordinator voids, an agreement; the reason is a Reason row.

    ``rematch`` (voiding only): True sends the request back to matching without this
    mentor; False issues a fresh agreement to the same parties.
    """

    actor: Actor
    agreement_id: int
    reason_id: int | None = None
    rematch: bool = True


@dataclass(frozen=True)
class ScheduleRef:
    """A session put on the calendar, moved (``replaces_id``) or cancelled."""

    actor: Actor
    scheduled_id: int
    starts_at: str | None = None  # naive UTC ISO
    replaces_id: int | None = None  # the scheduled session this one moves


@dataclass(frozen=True)
class PlanRef:
    """A proposed plan's numbers (its goals are in the database), or a coordinator's
    extension of the plan in force, with a reason."""

    actor: Actor
    plan_id: int
    sessions: int
    ends_on: str  # ISO date
    reason_id: int | None = None


@dataclass(frozen=True)
class PlanChoice:
    actor: Actor
    plan_id: int


@dataclass(frozen=True)
class SessionDecision:
    """The SME disputes a logged session, or a coordinator settles the dispute."""

    actor: Actor
    session_log_id: int
    reason_id: int | None = None
    accept: bool = False  # settling: True counts the session as held, False turns it down


@dataclass(frozen=True)
class FeedbackRef:
    actor: Actor
    feedback_id: int


@dataclass(frozen=True)
class SurveyRef:
    actor: Actor
    answer_id: int
    months: int


@dataclass(frozen=True)
class SessionRef:
    actor: Actor
    session_log_id: int
