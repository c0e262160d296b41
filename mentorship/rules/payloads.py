"""What the workflow and its activities pass each other: ids, enumerated choices, actor ids.

Never personal data or free text: these values are written into the workflow's history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mentorship.rules import subjects
from mentorship.rules.stages import Effect, Role, Stage, TaskKind
from mentorship.rules.state import SignerSlot
from mentorship.rules.subjects import Ref, SubjectKind


@dataclass(frozen=True)
class TaskSpec:
    """One open human step, as projected into the tasks table."""

    kind: TaskKind
    role: Role
    user_id: int | None = None
    subject: Ref | None = None  # of the kind subjects.TASK_SUBJECTS names for ``kind``
    due_at: str | None = None
    organisation_id: int | None = None  # a company admin's task: any admin of this company


# What a new request waits for: written with the request row, so the inbox shows it at once.
INTAKE_TASKS = [TaskSpec(TaskKind.REVIEW_INTAKE, Role.COORDINATOR)]
PROPOSAL_TASKS = [TaskSpec(TaskKind.APPROVE_MATCH, Role.COORDINATOR)]  # candidates to approve


@dataclass(frozen=True)
class StepInput:
    """One transition written to the database in one transaction, idempotent by ``key``."""

    key: str
    request_id: int
    stage: Stage
    effect: Effect
    tasks: list[TaskSpec]
    actor_id: int | None = None
    subject: Ref | None = None  # of the kind subjects.SUBJECTS names for ``effect``
    reason_id: int | None = None
    mentorship_id: int | None = None
    proposal: Proposal | None = None  # rank in the same transaction, after this step

    def subject_of(self, kind: SubjectKind) -> int:
        """The id of the subject this step acts on, which must be of ``kind``."""
        return subjects.id_of(self.subject, kind, f"step {self.effect}")


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
            subject=Ref.round(self.rank.round),
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


@dataclass(frozen=True)
class RoundInput:
    """A matching round: one global assignment over every request waiting for a mentor."""

    top_k: int = 20


@dataclass(frozen=True)
class MailOutboxInput:
    """The e-mail outbox: sent when woken, and at the latest every ``safety_seconds``."""

    safety_seconds: int = 600
    # Rounds (a send, then a wait) before the run continues as new, unless Temporal suggests
    # it sooner: the history stays short (about 10 events a round; idle, 144 rounds a day).
    rounds_per_run: int = 200


@dataclass(frozen=True)
class RoundProposal:
    request_id: int
    mentor_id: int
