"""Stages of a mentorship, the workflow's state, and the payloads shared with the workflow.

This module is imported inside the Temporal workflow sandbox: standard library only.
Payloads carry ids, enumerated choices and actor ids, never personal data or free text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
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


@dataclass(frozen=True)
class TaskSpec:
    """One open human step, as projected into the tasks table."""

    kind: TaskKind
    role: Role
    user_id: int | None = None
    subject_id: int | None = None
    due_at: str | None = None
    organisation_id: int | None = None  # a company admin's task: any admin of this company


# What a new request waits for: written with the request row, so the inbox shows it at once.
INTAKE_TASKS = [TaskSpec(TaskKind.REVIEW_INTAKE, Role.COORDINATOR)]
PROPOSAL_TASKS = [TaskSpec(TaskKind.APPROVE_MATCH, Role.COORDINATOR)]  # candidates to approve


@dataclass(frozen=True)
class Nudge:
    """The next reminder or escalation a running mentorship is due."""

    # "confirm-<log id>", "idle-<last activity>", "unscheduled-<since>", "overdue-<end>":
    # the key changes when the cause goes.
    key: str
    due: str  # naive UTC ISO
    escalate: bool  # False: remind both sides; True: hand it to a coordinator


def _nudge_causes(state: MentorshipState) -> list[tuple[str, str, int]]:
    """What could stall the mentorship now: each cause's key, since when, and its grace."""
    d = state.durations
    causes = [
        (f"confirm-{s.session_log_id}", s.logged_at, d.unconfirmed_nudge)
        for s in state.sessions
        if s.status == SessionStatus.LOGGED and s.logged_at
    ]
    plan = state.plan
    if plan is not None and state.may_log_sessions():
        # The next session should be on the calendar within the grace after the last step
        # (a session held or scheduled, the plan agreed, a resume) or the last one scheduled.
        since = max([state.last_activity or "", *state.session_times.values()])
        causes.append((f"unscheduled-{since}", since, d.unscheduled_nudge))
    elif state.last_activity:
        causes.append((f"idle-{state.last_activity}", state.last_activity, d.idle_nudge))
    if plan is not None and state.confirmed_sessions() < state.planned_sessions:
        # The plan's last day passed with sessions still to hold: extend it, or end.
        end = f"{plan.ends_on}T00:00:00"
        causes.append((f"overdue-{plan.ends_on}", end, 24 * 3600))
    return causes


def next_nudge(state: MentorshipState) -> Nudge | None:
    """The earliest reminder or escalation due, if the mentorship is running."""
    if state.stage != Stage.SESSIONS:
        return None
    due: list[Nudge] = []
    for key, since, grace in _nudge_causes(state):
        if key in state.escalated:
            continue
        if key in state.reminded:
            when = _plus(state.reminded[key], state.durations.escalate_after)
            due.append(Nudge(key, when, escalate=True))
        else:
            due.append(Nudge(key, _plus(since, grace), escalate=False))
    return min(due, key=lambda n: n.due, default=None)


def stalled(state: MentorshipState) -> bool:
    """An escalation whose cause is still there: a coordinator should follow up."""
    live = {key for key, _, _ in _nudge_causes(state)}
    return state.stage == Stage.SESSIONS and any(k in live for k in state.escalated)


def _plus(iso: str, seconds: int) -> str:
    moment = datetime.fromisoformat(iso) + timedelta(seconds=seconds)
    return moment.isoformat(timespec="seconds")


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


@dataclass(frozen=True)
class StepInput:
    """One transition written to the database in one transaction, idempotent by ``key``."""

    key: str
    request_id: int
    stage: Stage
    effect: Effect
    tasks: list[TaskSpec]
    actor_id: int | None = None
    subject_id: int | None = None  # the offer, agreement, signature or session log acted on
    reason_id: int | None = None
    mentorship_id: int | None = None
    proposal: Proposal | None = None  # rank in the same transaction, after this step


@dataclass(frozen=True)
class Proposal:
    """A ranking written in the transaction of the step that carries it, after that step; when
    it ranks anyone, the step that proposes them (candidates_proposed) follows in that
    transaction too, under ``key``, opening ``tasks``."""

    rank: RankInput
    key: str
    tasks: list[TaskSpec]

    def step(self, carrier: StepInput) -> StepInput:
        """The proposing step, at the stage the carrying step wrote."""
        return StepInput(
            key=self.key,
            request_id=carrier.request_id,
            stage=carrier.stage,
            effect=Effect.CANDIDATES_PROPOSED,
            tasks=self.tasks,
            subject_id=self.rank.round,
        )


@dataclass(frozen=True)
class StepResult:
    mentorship_id: int | None = None
    # For the Temporal UI's filters (search attributes): the SME's country, the mentor's
    # company once there is one. Codes and ids only, never names.
    country: str = ""
    company_id: int | None = None
    ranked: list[RankedOffer] = field(default_factory=list)  # the proposal's, if it had one


@dataclass(frozen=True)
class RankInput:
    """Rank for one matching round; the round makes a retried ranking propose the same."""

    request_id: int
    round: int
    excluded_mentor_ids: list[int]
    limit: int = 5
    preferred_mentor_ids: list[int] = field(default_factory=list)  # a matching round's pick
    conflict_overrides: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class RankedOffer:
    offer_id: int
    mentor_id: int
    score: float


@dataclass(frozen=True)
class RenderInput:
    """Render one attempt's agreement; the attempt makes a retried render store one."""

    mentorship_id: int
    attempt: int
    expires_at: str


@dataclass(frozen=True)
class RenderResult:
    agreement_id: int
    sha256: str
    signers: list[SignerSlot] = field(default_factory=list)


@dataclass(frozen=True)
class SealResult:
    sealed_sha256: str


@dataclass(frozen=True)
class PledgeInput:
    mentorship_id: int  # pledge entries are unique per mentorship


@dataclass(frozen=True)
class PledgeSyncInput:
    """Push one pledge entry to the registry, waiting between attempts while it is down."""

    entry_id: int
    first_retry: int = 60  # seconds, doubling after each failed attempt
    max_retry: int = 3600
    waited: int = 0  # the wait before the next attempt, carried across continue-as-new


def pledge_sync_id(entry_id: int) -> str:
    return f"pledge-entry-{entry_id}"


@dataclass(frozen=True)
class PledgeResult:
    pledge_entry_id: int
    hours: float


@dataclass(frozen=True)
class StatusView:
    """The answer to the workflow's ``status`` query."""

    stage: Stage
    tasks: list[TaskSpec]
    mentorship_id: int | None
    agreement_id: int | None
    confirmed_sessions: int
    planned_sessions: int


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


@dataclass(frozen=True)
class RoundInput:
    """A matching round: one global assignment over every request waiting for a mentor."""

    top_k: int = 20


@dataclass(frozen=True)
class RoundProposal:
    request_id: int
    mentor_id: int
