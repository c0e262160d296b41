"""The workflow's state: one value, so continue-as-new carries it whole.

Its parts (offers, the agreement and its signing order, sessions, the plan's terms) and the
timer lengths it runs by (``Durations``). Plain data: the workflow sandbox imports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from mentorship.rules.stages import OfferStatus, Role, SessionStatus, Stage


@dataclass(frozen=True)
class Durations:
    """Timer lengths in seconds; they come from Settings because a workflow reads no config."""

    nda_reminder: int = 3 * 24 * 3600
    nda_expiry: int = 14 * 24 * 3600
    awaiting_mentors: int = 30 * 24 * 3600
    unconfirmed_nudge: int = 5 * 24 * 3600  # a logged session the SME has not confirmed
    idle_nudge: int = 21 * 24 * 3600  # no session logged or confirmed for this long
    escalate_after: int = 7 * 24 * 3600  # a reminder nobody acted on goes to a coordinator
    # No session scheduled or held for this long after the plan or the last session.
    unscheduled_nudge: int = 14 * 24 * 3600
    survey_months: list[int] = field(default_factory=lambda: [3, 6])  # after completion
    # Pushing a pledge entry to a registry that is down: wait this long, doubling, up to max.
    registry_first_retry: int = 60
    registry_max_retry: int = 3600
    month: int = 30 * 24 * 3600
    # A short activity (a database write) whose worker died is tried again after this long
    # (its start-to-close timeout): twice SQLite's 30 s busy timeout, the longest wait for
    # the lock.
    step_timeout: int = 60


@dataclass(frozen=True)
class MentorshipInput:
    request_id: int
    sme_organisation_id: int
    durations: Durations = field(default_factory=Durations)
    planned_sessions: int = 4
    # Continue-as-new once the history passes this many events (or Temporal suggests it);
    # the new run starts from ``state``.
    history_limit: int = 10_000
    state: MentorshipState | None = None


@dataclass
class Offer:
    offer_id: int
    mentor_id: int
    status: OfferStatus = OfferStatus.PROPOSED


class AgreementOutcome(StrEnum):
    SIGNED = "signed"  # by everyone: the platform seals it next
    DECLINED = "declined"  # by a signer: the request goes back to matching
    VOIDED = "voided"  # by a coordinator: reissued, or back to matching
    EXPIRED = "expired"  # not signed in time: back to matching


@dataclass(frozen=True)
class SignerSlot:
    """One place in an agreement's signing order: a role, and who may fill it."""

    role: Role
    user_id: int | None = None  # the mentor
    organisation_id: int | None = None  # the SME, or the company whose admin countersigns


@dataclass
class Agreement:
    agreement_id: int
    sha256: str
    expires_at: str
    signed_by: list[str] = field(default_factory=list)  # roles that have signed
    signers: list[SignerSlot] = field(default_factory=list)
    outcome: AgreementOutcome | None = None


@dataclass
class SessionEntry:
    session_log_id: int
    status: SessionStatus = SessionStatus.LOGGED
    logged_at: str | None = None  # naive UTC ISO


@dataclass(frozen=True)
class PlanTerms:
    """What the workflow keeps of a mentoring plan; its goals stay in the database."""

    plan_id: int
    sessions: int
    ends_on: str  # ISO date: the last day of the mentorship
    proposed_by: str  # the role that proposed it (a coordinator's extension applies at once)
    agreed_at: str | None = None  # naive UTC ISO, when the other side accepted


@dataclass
class MentorshipState:
    """The workflow's whole state, in one value so continue-as-new can carry it."""

    request_id: int
    sme_organisation_id: int
    durations: Durations
    planned_sessions: int
    stage: Stage = Stage.INTAKE_REVIEW
    seq: int = 0
    round: int = 0
    offers: list[Offer] = field(default_factory=list)
    excluded_mentor_ids: list[int] = field(default_factory=list)
    mentor_id: int | None = None
    mentorship_id: int | None = None
    agreement: Agreement | None = None
    agreements_made: int = 0
    sessions: list[SessionEntry] = field(default_factory=list)
    end_early_by: list[str] = field(default_factory=list)
    pool_changed: bool = False
    round_mentor_ids: list[int] = field(default_factory=list)  # proposed by a matching round
    conflict_overrides: list[int] = field(default_factory=list)  # mentors waived, with reason
    rerank: bool = False  # rank again now (a coordinator's override)
    # The intake approval's step is ranking the first round (see Proposal): until it returns,
    # the workflow does not know the offers the database may already show.
    ranking_in_step: bool = False
    pledge_entry_id: int | None = None
    paused_until: str | None = None  # naive UTC ISO: resumes by itself then
    last_activity: str | None = None  # naive UTC ISO of the last session logged or confirmed
    reminded: dict[str, str] = field(default_factory=dict)  # nudge key -> when reminded
    escalated: list[str] = field(default_factory=list)  # nudge keys handed to a coordinator
    # Completion needs feedback from both sides, then certificates and follow-up surveys.
    feedback_from: list[str] = field(default_factory=list)  # roles that gave feedback
    surveys_due: list[int] = field(default_factory=list)  # months after completion
    surveys_answered: list[int] = field(default_factory=list)
    scheduled: list[int] = field(default_factory=list)  # scheduled session ids
    surveys_closed: bool = False  # a month after the last one: unanswered ones lapse
    # Sessions follow a mentoring plan both sides agreed.
    plan: PlanTerms | None = None  # the plan in force
    plan_proposal: PlanTerms | None = None  # a first plan or a change, awaiting the other side
    session_times: dict[str, str] = field(default_factory=dict)  # scheduled id -> naive UTC
    # Four eyes: the coordinator who approved the mentorship's match does not approve its
    # completion. None until a match is approved.
    match_approved_by: int | None = None
    # What the Temporal UI was last told (search attributes), so each is upserted on change.
    shown_country: str = ""
    shown_company_id: int | None = None

    def current_offer(self) -> Offer | None:
        """The offer the coordinator approved and the mentor has not yet answered."""
        return next((o for o in self.offers if o.status == OfferStatus.APPROVED), None)

    def proposed_offers(self) -> list[Offer]:
        return [o for o in self.offers if o.status == OfferStatus.PROPOSED]

    def logged_sessions(self) -> int:
        """Sessions logged and not turned down by a coordinator."""
        return sum(1 for s in self.sessions if s.status != SessionStatus.REFUSED)

    def confirmed_sessions(self) -> int:
        return sum(1 for s in self.sessions if s.status == SessionStatus.CONFIRMED)

    def may_log_sessions(self) -> bool:
        """Sessions are logged against an agreed plan, until the planned number is reached."""
        return self.plan is not None and self.logged_sessions() < self.planned_sessions
