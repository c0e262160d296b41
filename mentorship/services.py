"""Use cases. Each takes a Session; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import BindParameter, bindparam, func, select, update
from sqlalchemy.orm import Session

from mentorship import inbox, intensity, matching, outbox, plans, signing
from mentorship.assignment import Problem, solve
from mentorship.eligibility import CompanySize, sme_ineligibility
from mentorship.errors import Ineligible, NotFound
from mentorship.i18n import N_
from mentorship.models import (
    Event,
    Feedback,
    IntensityAssessment,
    MatchOffer,
    MatchRound,
    MentoringPlan,
    MentorProfile,
    Mentorship,
    Organisation,
    Reason,
    ScheduledSession,
    SessionLog,
    Signature,
    StageVisit,
    SupportRequest,
    SurveyAnswer,
    Task,
    User,
    utcnow,
)
from mentorship.pending import write_once
from mentorship.stages import (
    INTAKE_TASKS,
    Effect,
    OfferStatus,
    RankedOffer,
    RankInput,
    Role,
    RoundProposal,
    SessionStatus,
    Stage,
    StepInput,
    StepResult,
    TaskKind,
    TaskSpec,
)
from mentorship.taxonomy import TAXONOMY_VERSION

T = TypeVar("T")

# What the web writes before an update and the workflow's step marks applied (or refused).
PendingRecord = (
    Reason | Signature | SessionLog | Feedback | SurveyAnswer | ScheduledSession | MentoringPlan
)


@dataclass(frozen=True)
class IntakeForm:
    challenge_areas: list[str]
    languages: list[str]
    description: str
    format: str
    employees: int
    turnover_eur: int
    balance_sheet_eur: int
    products: list[str] = field(default_factory=list)  # NACE codes or taxonomy areas
    agreement_language: str | None = None  # second language version of the agreement
    # Digital Intensity Index criteria true for the business today (the others are not).
    digital_intensity: list[str] = field(default_factory=list)


def create_request(
    session: Session, user: User, form: IntakeForm, planned_sessions: int, nonce: str
) -> SupportRequest:
    """Record an SME's need, after checking that its organisation is an SME.

    The row is written with ``workflow_started`` false; the caller starts the workflow after
    the commit, and the reconciler starts any the caller could not. The form's nonce makes a
    double submit return the request the first submit made.
    """
    existing = session.scalar(select(SupportRequest).where(SupportRequest.nonce == nonce))
    if existing is not None and existing.created_by == user.id:
        return existing
    org = session.get(Organisation, user.organisation_id)
    if org is None or org.kind != "sme":
        raise NotFound(N_("Only an SME representative can ask for support."))
    size = CompanySize(form.employees, form.turnover_eur, form.balance_sheet_eur)
    reasons = sme_ineligibility(size)
    if reasons:
        raise Ineligible(reasons)
    org.employees, org.turnover_eur = form.employees, form.turnover_eur
    org.balance_sheet_eur = form.balance_sheet_eur
    request = SupportRequest(
        nonce=nonce,
        organisation_id=org.id,
        created_by=user.id,
        taxonomy_version=TAXONOMY_VERSION,
        challenge_areas=sorted(form.challenge_areas),
        languages=sorted(form.languages),
        description=form.description,
        format=form.format,
        products=sorted({p.strip().upper() for p in form.products if p.strip()}),
        agreement_language=form.agreement_language,
        stage=Stage.INTAKE_REVIEW,
        planned_sessions=planned_sessions,
        workflow_started=False,
    )
    session.add(request)
    session.flush()
    record_stage_change(session, request.id, Stage.INTAKE_REVIEW, request.created_at)
    yes = set(form.digital_intensity)
    record_assessment(session, request, "intake", {k: k in yes for k in intensity.KEYS}, user)
    sync_tasks(session, request, INTAKE_TASKS, f"{request.workflow_id}:0")
    session.add(
        Event(
            key=f"{request.workflow_id}:0",
            request_id=request.id,
            kind=Effect.SUBMITTED,
            stage=request.stage,
            actor_id=user.id,
        )
    )
    return request


def record_stage_change(session: Session, request_id: int, stage: str, now: datetime) -> None:
    """Close the request's current stage visit and open one for ``stage``."""
    current = session.scalar(
        select(StageVisit).where(StageVisit.request_id == request_id, StageVisit.left_at.is_(None))
    )
    if current is not None:
        current.left_at = now
        current.seconds = int((now - current.entered_at).total_seconds())
    session.add(StageVisit(request_id=request_id, stage=stage, entered_at=now))


def record_assessment(
    session: Session,
    request: SupportRequest,
    phase: str,
    answers: dict[str, bool],
    user: User,
) -> IntensityAssessment:
    """Keep the SME's DII self-assessment for one phase; the first answer per phase stands."""
    existing = session.scalar(
        select(IntensityAssessment).where(
            IntensityAssessment.request_id == request.id, IntensityAssessment.phase == phase
        )
    )
    if existing is not None:
        return existing
    result = intensity.assess(answers)
    row = IntensityAssessment(
        request_id=request.id,
        phase=phase,
        version=result.version,
        answers=result.answers,
        score=result.score,
        level=result.level,
        answered_by=user.id,
    )
    session.add(row)
    session.flush()
    return row


def assessments(session: Session, request_id: int) -> dict[str, IntensityAssessment]:
    """The request's DII self-assessments by phase."""
    rows = session.scalars(
        select(IntensityAssessment).where(IntensityAssessment.request_id == request_id)
    )
    return {row.phase: row for row in rows}


def unstarted_requests(session: Session) -> list[SupportRequest]:
    stmt = select(SupportRequest).where(SupportRequest.workflow_started.is_(False))
    return list(session.scalars(stmt.order_by(SupportRequest.id)))


def waiting_request_ids(session: Session) -> list[int]:
    """Requests waiting for a mentor to become available."""
    stmt = select(SupportRequest.id).where(SupportRequest.stage == Stage.AWAITING_MENTORS)
    return list(session.scalars(stmt.order_by(SupportRequest.id)))


def mark_workflow_started(session: Session, request_id: int) -> None:
    request = session.get(SupportRequest, request_id)
    if request is not None:
        request.workflow_started = True


# --- the workflow's writes -------------------------------------------------------------


def apply_step(
    session: Session, step: StepInput, weights: matching.Weights = matching.DEFAULT_WEIGHTS
) -> StepResult:
    """Write one transition: its effect, the stage and an event; then the ranking of its
    proposal, if it carries one, and the step that proposes the ranked (see
    stages.Proposal); then the open tasks, as the last step written leaves them.

    Temporal runs an activity at least once, so a step whose event already exists is not
    applied again; its result is read back instead (a ranking too: rank_candidates). A step
    and its proposal share one transaction, so the one's event stands for both.
    """
    request = session.get(SupportRequest, step.request_id)
    if request is None:
        raise NotFound(N_("support request %(id)s does not exist"), id=step.request_id)
    fresh = session.scalar(select(Event.id).where(Event.key == step.key)) is None
    if fresh:
        _write_step(session, request, step)
    ranked = [] if step.proposal is None else rank_candidates(session, step.proposal.rank, weights)
    if fresh:
        last = step
        if step.proposal is not None and ranked:
            last = step.proposal.step(step)
            _write_step(session, request, last)
        # Once, for the tasks the transaction ends with: nobody is told of a task that a
        # proposal in the same transaction replaces.
        sync_tasks(session, request, last.tasks, last.key)
        session.flush()
    company_id = None
    if step.mentorship_id is not None:
        company_id = session.scalar(
            select(Mentorship.company_id).where(Mentorship.id == step.mentorship_id)
        )
    return StepResult(
        mentorship_id=step.mentorship_id,
        country=request.organisation.country,
        company_id=company_id,
        ranked=ranked,
    )


def _write_step(session: Session, request: SupportRequest, step: StepInput) -> None:
    """A step's effect, its stage (and the stage visit it ends) and its event."""
    _apply_effect(session, step)
    now = utcnow()
    if request.stage != step.stage:
        record_stage_change(session, request.id, step.stage, now)
    request.stage = step.stage
    request.updated_at = now
    session.add(
        Event(
            key=step.key,
            request_id=request.id,
            kind=step.effect,
            stage=step.stage,
            actor_id=step.actor_id,
            subject_id=step.subject_id,
        )
    )


CALENDAR_EFFECTS = frozenset(
    {Effect.SESSION_SCHEDULED, Effect.SESSION_MOVED, Effect.SESSION_CANCELLED}
)
# Steps both the SME's people and the mentor are told about. A proposed plan is not: the
# side that accepts it has a task, and hears of that.
BOTH_SIDES_HEAR = CALENDAR_EFFECTS | {Effect.PLAN_AGREED, Effect.PLAN_EXTENDED, Effect.NUDGED}


def _apply_effect(session: Session, step: StepInput) -> None:
    now = utcnow()
    effect = step.effect
    if step.reason_id is not None:
        _get(session, Reason, step.reason_id).status = "applied"
    if effect in (Effect.OFFER_APPROVED, Effect.OFFER_DECLINED, Effect.MENTOR_FULL):
        offer = _get(session, MatchOffer, step.subject_id)
        approved = effect == Effect.OFFER_APPROVED
        offer.status = OfferStatus.APPROVED if approved else OfferStatus.DECLINED
        offer.decided_at = now
    elif effect == Effect.CANDIDATES_PROPOSED:
        # A new round replaces the proposals of earlier ones that nobody approved (the
        # first round has none before it).
        round_ = step.subject_id or 0
        if round_ > 1:
            stale = select(MatchOffer).where(
                MatchOffer.request_id == step.request_id,
                MatchOffer.round < round_,
                MatchOffer.status == OfferStatus.PROPOSED,
            )
            for offer in session.scalars(stale):
                offer.status, offer.decided_at = OfferStatus.WITHDRAWN, now
    elif effect == Effect.OFFER_ACCEPTED:
        _accept_offer(session, _get(session, MatchOffer, step.subject_id), now)
    elif effect in signing.AGREEMENT_EFFECTS:
        signing.apply_agreement_step(session, step)
        if effect == Effect.NDA_REMINDER:
            request = _get(session, SupportRequest, step.request_id)
            _notify(session, request, step.tasks, step.key, kind=Effect.NDA_REMINDER)
    elif effect in (Effect.SESSION_LOGGED, Effect.SESSION_CONFIRMED):
        log = _get(session, SessionLog, step.subject_id)
        if effect == Effect.SESSION_LOGGED:
            log.status = SessionStatus.LOGGED
        else:
            log.status = SessionStatus.CONFIRMED
            log.confirmed_by, log.confirmed_at = step.actor_id, now
    elif effect == Effect.PLEDGE_RECORDED:
        mentorship = _get(session, Mentorship, step.mentorship_id)
        mentorship.status, mentorship.ended_at = "completed", now
    elif effect in plans.PLAN_EFFECTS:
        plans.apply_plan_step(session, step)
    elif effect in CALENDAR_EFFECTS:
        _apply_calendar_change(session, step)
    elif effect in (Effect.SESSION_DISPUTED, Effect.SESSION_REFUSED):
        log = _get(session, SessionLog, step.subject_id)
        disputed = effect == Effect.SESSION_DISPUTED
        log.status = SessionStatus.DISPUTED if disputed else SessionStatus.REFUSED
    elif effect == Effect.FEEDBACK_GIVEN:
        _get(session, Feedback, step.subject_id).status = "applied"
    elif effect == Effect.SURVEY_ANSWERED:
        _get(session, SurveyAnswer, step.subject_id).status = "applied"
    elif effect == Effect.TERMINATED:  # the mentor's and the company's capacity is free again
        mentorship = _get(session, Mentorship, step.mentorship_id)
        mentorship.status, mentorship.ended_at = "terminated", now
    if effect in BOTH_SIDES_HEAR:
        request = _get(session, SupportRequest, step.request_id)
        people = _both_sides(session, request, step.mentorship_id)
        outbox.queue(session, request.id, dict.fromkeys(people, effect), step.key)


def _apply_calendar_change(session: Session, step: StepInput) -> None:
    row = _get(session, ScheduledSession, step.subject_id)
    if step.effect == Effect.SESSION_CANCELLED:
        row.status = "cancelled"
        return
    row.status = "scheduled"
    if step.effect == Effect.SESSION_MOVED:
        _get(session, ScheduledSession, row.replaces_id).status = "moved"


def _accept_offer(session: Session, offer: MatchOffer, now: datetime) -> None:
    offer.status, offer.decided_at = OfferStatus.ACCEPTED, now
    others = select(MatchOffer).where(
        MatchOffer.request_id == offer.request_id,
        MatchOffer.id != offer.id,
        MatchOffer.status.in_([OfferStatus.PROPOSED, OfferStatus.APPROVED]),
    )
    for other in session.scalars(others):
        other.status, other.decided_at = OfferStatus.WITHDRAWN, now


def reserve_mentorship(session: Session, offer_id: int) -> int | None:
    """Create the mentorship of an accepted offer if its mentor and company still have room.

    Mentors can be proposed to several requests at once; this is where capacity is decided.
    The mentor's (and a capped company's) row is written first, which locks it on PostgreSQL
    and takes SQLite's write lock, so two acceptances cannot both take the last place.
    Returns the mentorship's id, or None when there is no room. Idempotent per offer.
    """
    offer = _get(session, MatchOffer, offer_id)
    existing = session.scalar(select(Mentorship.id).where(Mentorship.offer_id == offer.id))
    if existing is not None:
        return existing
    mentor = _get(session, User, offer.mentor_id)
    company = _get(session, Organisation, mentor.organisation_id)
    session.execute(
        update(MentorProfile)
        .where(MentorProfile.user_id == mentor.id)
        .values(capacity=MentorProfile.capacity)
    )
    if company.mentor_cap is not None:
        session.execute(
            update(Organisation)
            .where(Organisation.id == company.id)
            .values(mentor_cap=Organisation.mentor_cap)
        )
    profile = _get(session, MentorProfile, mentor.id)
    active = select(func.count(Mentorship.id)).where(Mentorship.status == "active")
    if (session.scalar(active.where(Mentorship.mentor_id == mentor.id)) or 0) >= profile.capacity:
        return None
    company_active = session.scalar(active.where(Mentorship.company_id == company.id)) or 0
    if company.mentor_cap is not None and company_active >= company.mentor_cap:
        return None
    mentorship = Mentorship(
        request_id=offer.request_id,
        offer_id=offer.id,
        mentor_id=mentor.id,
        company_id=company.id,
        status="active",
    )
    session.add(mentorship)
    session.flush()
    return mentorship.id


def _get(session: Session, model: type[T], ident: int | None) -> T:
    row = session.get(model, ident) if ident is not None else None
    if row is None:
        raise NotFound(N_("%(model)s %(id)s does not exist"), model=model.__name__, id=ident)
    return row


# Tasks the mentorship's projection leaves alone: another workflow opens and closes them.
TASKS_KEPT_ELSEWHERE = [TaskKind.FIX_REGISTRY_ENTRY]


def sync_tasks(session: Session, request: SupportRequest, wanted: list[TaskSpec], key: str) -> None:
    """Make the request's open task rows equal ``wanted``; notify whoever gets a new one."""
    now = utcnow()
    open_rows = session.scalars(
        select(Task).where(
            Task.request_id == request.id,
            Task.closed_at.is_(None),
            Task.kind.not_in(TASKS_KEPT_ELSEWHERE),
        )
    ).all()
    by_identity = {
        (t.kind, t.role, t.user_id, t.subject_id, t.organisation_id): t for t in open_rows
    }
    new_specs = []
    for spec in wanted:
        identity = (spec.kind, spec.role, spec.user_id, spec.subject_id, spec.organisation_id)
        if by_identity.pop(identity, None) is None:
            new_specs.append(spec)
            session.add(new_task(request, spec, now))
    for stale in by_identity.values():
        stale.closed_at = now
    _notify(session, request, new_specs, key)


def new_task(request: SupportRequest, spec: TaskSpec, now: datetime) -> Task:
    """The row of a task opened now; a coordinator's is due after its SLA unless the
    workflow set a due date."""
    return Task(
        request_id=request.id,
        kind=spec.kind,
        role=spec.role,
        user_id=spec.user_id,
        subject_id=spec.subject_id,
        organisation_id=spec.organisation_id,
        due_at=(
            datetime.fromisoformat(spec.due_at)
            if spec.due_at
            else inbox.due_for(spec.kind, spec.role, now)
        ),
        created_at=now,
    )


def notify(session: Session, request: SupportRequest, specs: list[TaskSpec], key: str) -> None:
    """Tell the assignees of tasks opened outside the mentorship's projection."""
    _notify(session, request, specs, key)


def _notify(
    session: Session,
    request: SupportRequest,
    specs: list[TaskSpec],
    key: str,
    kind: str | None = None,
) -> None:
    """Queue one notification per assignee of each task: the task itself, or a reminder."""
    wanted: dict[int, str] = {}
    for spec in specs:
        for user_id in assignees(session, request, spec):
            wanted.setdefault(user_id, kind or spec.kind)  # one per person, the first task's
    outbox.queue(session, request.id, wanted, key)


def _both_sides(session: Session, request: SupportRequest, mentorship_id: int | None) -> list[int]:
    """The SME's people and the mentor of the mentorship."""
    mentorship = _get(session, Mentorship, mentorship_id)
    return [*_members(session, Role.SME, request.organisation_id), mentorship.mentor_id]


def assignees(session: Session, request: SupportRequest, spec: TaskSpec) -> list[int]:
    """The users told of a task: one named user, the SME's people, a company's admins, or,
    for the coordinators' shared inbox, the leads who hand its tasks out."""
    if spec.user_id is not None:
        return [spec.user_id]
    if spec.role == Role.SME:
        return _members(session, Role.SME, request.organisation_id)
    if spec.role == Role.COMPANY_ADMIN:
        return _members(session, Role.COMPANY_ADMIN, spec.organisation_id)
    return inbox.told_of_new_tasks(session)


def _members(session: Session, role: str, organisation_id: int | None) -> list[int]:
    """The users of one organisation with this role."""
    stmt = select(User.id).where(User.role == role, User.organisation_id == organisation_id)
    return list(session.scalars(stmt.order_by(User.id)))


def rank_candidates(
    session: Session, inp: RankInput, weights: matching.Weights = matching.DEFAULT_WEIGHTS
) -> list[RankedOffer]:
    """Rank eligible mentors for a request and record them as proposed offers.

    A round already written is returned as it is, so a retried activity proposes the same.
    """
    done = select(MatchRound.id).where(
        MatchRound.request_id == inp.request_id, MatchRound.round == inp.round
    )
    if session.scalar(done) is None:
        request = _get(session, SupportRequest, inp.request_id)
        tried = tried_before(session, {request.organisation_id}).get(request.organisation_id, set())
        excluded = sorted(tried | set(inp.excluded_mentor_ids))
        need = need_of(request, excluded, inp.conflict_overrides)
        pool, full = mentor_candidates(session), full_companies(session)
        ranked = matching.rank(
            need,
            pool,
            inp.limit,
            weights=weights,
            full_companies=full,
            preferred=frozenset(inp.preferred_mentor_ids),
        )
        session.add(
            MatchRound(
                request_id=request.id,
                round=inp.round,
                excluded=matching.exclusions(need, pool, full),
            )
        )
        offers = [
            MatchOffer(
                request_id=request.id,
                mentor_id=r.mentor_id,
                round=inp.round,
                rank=position,
                score=r.score,
                breakdown=r.breakdown,
                status=OfferStatus.PROPOSED,
            )
            for position, r in enumerate(ranked, start=1)
        ]
        session.add_all(offers)
        session.flush()
        return [RankedOffer(o.id, o.mentor_id, o.score) for o in offers]
    existing = session.scalars(
        select(MatchOffer)
        .where(MatchOffer.request_id == inp.request_id, MatchOffer.round == inp.round)
        .order_by(MatchOffer.rank)
    ).all()
    return [RankedOffer(o.id, o.mentor_id, o.score) for o in existing]


def need_of(
    request: SupportRequest,
    excluded_mentor_ids: list[int],
    conflict_overrides: Sequence[int] = (),
) -> matching.Need:
    org = request.organisation
    return matching.Need(
        challenge_areas=frozenset(request.challenge_areas),
        languages=frozenset(request.languages),
        country=org.country,
        sector=org.nace,
        format=request.format,
        products=frozenset(request.products or ()),
        excluded_mentor_ids=frozenset(excluded_mentor_ids),
        request_id=request.id,
        conflict_overrides=frozenset(conflict_overrides),
    )


def _active_by(column: Any) -> Any:
    return (
        select(column.label("key"), func.count().label("n"))
        .select_from(Mentorship)
        .where(Mentorship.status == "active")
        .group_by(column)
        .subquery()
    )


# The ranking's queries, built once: every intake approval ranks, and building them (their
# subqueries above all) cost as much as running them (a ranking in-process 4.4 -> 2.5 ms).
def _company_room_query() -> Any:
    active = _active_by(Mentorship.company_id)
    return (
        select(Organisation.id, Organisation.mentor_cap - func.coalesce(active.c.n, 0))
        .outerjoin(active, active.c.key == Organisation.id)
        .where(Organisation.mentor_cap.is_not(None))
    )


def _tried_before_query() -> Any:
    smes: BindParameter[int] = bindparam("organisation_ids", expanding=True)
    declined = (
        select(SupportRequest.organisation_id, MatchOffer.mentor_id)
        .join(MatchOffer, MatchOffer.request_id == SupportRequest.id)
        .where(
            SupportRequest.organisation_id.in_(smes),
            MatchOffer.status == OfferStatus.DECLINED,
        )
    )
    lapsed = (
        select(SupportRequest.organisation_id, Mentorship.mentor_id)
        .join(Mentorship, Mentorship.request_id == SupportRequest.id)
        .where(SupportRequest.organisation_id.in_(smes), Mentorship.status == "released")
    )
    return declined.union(lapsed)


def _mentor_rows_query() -> Any:
    active = _active_by(Mentorship.mentor_id)
    return (
        select(MentorProfile, Organisation, func.coalesce(active.c.n, 0))
        .join(User, User.id == MentorProfile.user_id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .outerjoin(active, active.c.key == MentorProfile.user_id)
    )


COMPANY_ROOM_QUERY = _company_room_query()
TRIED_BEFORE_QUERY = _tried_before_query()
MENTOR_ROWS_QUERY = _mentor_rows_query()


def company_room(session: Session) -> dict[int, int]:
    """How many more mentorships each company with a cap may take on."""
    rows = session.execute(COMPANY_ROOM_QUERY)
    return {company: max(0, int(room or 0)) for company, room in rows}


def full_companies(session: Session) -> frozenset[int]:
    """Companies whose mentors already run as many mentorships as the company's cap."""
    return frozenset(company for company, room in company_room(session).items() if room == 0)


def tried_before(session: Session, organisation_ids: set[int]) -> dict[int, set[int]]:
    """Per SME, the mentors who declined one of its requests or let an agreement lapse:
    none is proposed to that SME again."""
    rows = session.execute(TRIED_BEFORE_QUERY, {"organisation_ids": sorted(organisation_ids)})
    tried: dict[int, set[int]] = {}
    for organisation_id, mentor_id in rows:
        tried.setdefault(organisation_id, set()).add(mentor_id)
    return tried


def plan_round(
    session: Session, top_k: int, weights: matching.Weights = matching.DEFAULT_WEIGHTS
) -> list[RoundProposal]:
    """One global assignment for every request waiting for a mentor (a matching round).

    Mentors a request declined or whose agreement lapsed are not proposed to it again.
    """
    waiting = session.scalars(
        select(SupportRequest)
        .where(SupportRequest.stage == Stage.AWAITING_MENTORS)
        .order_by(SupportRequest.created_at)
    ).all()
    if not waiting:
        return []
    tried = tried_before(session, {r.organisation_id for r in waiting})
    pool = mentor_candidates(session)
    needs = [need_of(r, sorted(tried.get(r.organisation_id, ()))) for r in waiting]
    problem = Problem(needs, pool, company_room(session), weights)
    result = solve(problem, top_k=top_k)
    return [RoundProposal(waiting[i].id, pool[j].mentor_id) for i, j in result.pairs]


def mentor_candidates(session: Session) -> list[matching.Candidate]:
    """Every mentor with their load and their company's declarations, for ranking."""
    rows = session.execute(MENTOR_ROWS_QUERY).all()
    used: dict[int, int] = {}
    room: dict[int, int] = {}
    for profile, company, n in rows:
        used[company.id] = used.get(company.id, 0) + n
        room[company.id] = room.get(company.id, 0) + profile.capacity
    return [
        matching.Candidate(
            mentor_id=profile.user_id,
            expertise=frozenset(profile.proficiency),
            proficiency=dict(profile.proficiency),
            languages=frozenset(profile.languages),
            countries=frozenset(profile.countries),
            formats=frozenset(profile.formats),
            sectors=frozenset(profile.sectors),
            capacity=profile.capacity,
            active_mentorships=n,
            company_id=company.id,
            company_product_lines=frozenset(company.product_lines or ()),
            company_competitors=frozenset(company.competitors or ()),
            company_load=used[company.id] / room[company.id] if room[company.id] else 1.0,
        )
        for profile, company, n in rows
    ]


# --- pending records the web writes before an update -----------------------------------


def write_reason(
    session: Session, nonce: str, request_id: int, author_id: int, purpose: str, text: str
) -> Reason:
    return write_once(
        session,
        Reason,
        nonce,
        request_id=request_id,
        author_id=author_id,
        purpose=purpose,
        text=text,
    )


def write_session_log(
    session: Session,
    nonce: str,
    mentorship_id: int,
    user: User,
    held_on: date,
    hours: float,
    topics: str,
    skills: str = "",
    participants: int = 0,
    next_steps: str = "",
) -> SessionLog:
    return write_once(
        session,
        SessionLog,
        nonce,
        mentorship_id=mentorship_id,
        logged_by=user.id,
        held_on=held_on,
        hours=hours,
        topics=topics,
        skills=skills,
        participants=participants,
        next_steps=next_steps,
        status=SessionStatus.PENDING,
    )


def refuse_pending(session: Session, row: PendingRecord) -> None:
    """The workflow rejected the update this record was written for."""
    if row.status == "pending":
        row.status = "refused"


def reasons_for(session: Session, request_id: int, purposes: list[str]) -> list[Reason]:
    """Reasons given on a request, for the decisions named, that the workflow accepted."""
    stmt = select(Reason).where(
        Reason.request_id == request_id, Reason.status == "applied", Reason.purpose.in_(purposes)
    )
    return list(session.scalars(stmt.order_by(Reason.id)))
