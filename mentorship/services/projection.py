"""Projection: writing a workflow step's effects, stage, event, tasks and notifications."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentorship.errors import NotFound
from mentorship.i18n import N_
from mentorship.rules import matching, subjects
from mentorship.rules.payloads import StepInput, StepResult
from mentorship.rules.stages import Effect, OfferStatus, Role, SessionStatus
from mentorship.rules.subjects import SubjectKind
from mentorship.services import intake, outbox, plans, ranking, signing, tasks
from mentorship.store.db import require
from mentorship.store.models import (
    Event,
    Feedback,
    MatchOffer,
    Mentorship,
    Reason,
    ScheduledSession,
    SessionLog,
    SupportRequest,
    SurveyAnswer,
    utcnow,
)


def apply_step(
    session: Session, step: StepInput, weights: matching.Weights = matching.DEFAULT_WEIGHTS
) -> StepResult:
    """Write one transition: its effect, the stage and an event; then the ranking of its
    proposal, if it carries one, and the step that proposes the ranked (see
    payloads.Proposal); then the open tasks, as the last step written leaves them.

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
    ranked = (
        []
        if step.proposal is None
        else ranking.rank_candidates(session, step.proposal.rank, weights)
    )
    if fresh:
        last = step
        if step.proposal is not None and ranked:
            last = step.proposal.step(step)
            _write_step(session, request, last)
        # Once, for the tasks the transaction ends with: nobody is told of a task that a
        # proposal in the same transaction replaces.
        tasks.sync_tasks(session, request, last.tasks, last.key)
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
    """A step's effect, its stage (and the stage visit it ends) and its event; a step whose
    subject is not of the kind its effect carries is refused (subjects.WrongSubject)."""
    subjects.check_step(step.effect, step.subject)
    _apply_effect(session, step)
    now = utcnow()
    if request.stage != step.stage:
        intake.record_stage_change(session, request.id, step.stage, now)
    request.stage = step.stage
    request.updated_at = now
    subject_kind, subject_id = subjects.columns(step.subject)
    session.add(
        Event(
            key=step.key,
            request_id=request.id,
            kind=step.effect,
            stage=step.stage,
            actor_id=step.actor_id,
            subject_kind=subject_kind,
            subject_id=subject_id,
        )
    )


CALENDAR_EFFECTS = frozenset(
    {Effect.SESSION_SCHEDULED, Effect.SESSION_MOVED, Effect.SESSION_CANCELLED}
)
# Steps both the SME's people and the mentor are told about. A proposed plan is not: the
# side that accepts it has a task, and hears of that.
BOTH_SIDES_HEAR = CALENDAR_EFFECTS | {Effect.PLAN_AGREED, Effect.PLAN_EXTENDED, Effect.NUDGED}


def _apply_effect(session: Session, step: StepInput) -> None:
    if step.reason_id is not None:
        require(session, Reason, step.reason_id).status = "applied"
    handler = HANDLERS.get(step.effect)
    if handler is not None:
        handler(session, step, utcnow())
    if step.effect in BOTH_SIDES_HEAR:
        request = require(session, SupportRequest, step.request_id)
        people = _both_sides(session, request, step.mentorship_id)
        outbox.queue(session, request.id, dict.fromkeys(people, step.effect), step.key)


def _decide_offer(session: Session, step: StepInput, now: datetime) -> None:
    offer = require(session, MatchOffer, step.subject_of(SubjectKind.OFFER))
    approved = step.effect == Effect.OFFER_APPROVED
    offer.status = OfferStatus.APPROVED if approved else OfferStatus.DECLINED
    offer.decided_at = now


def _withdraw_earlier_proposals(session: Session, step: StepInput, now: datetime) -> None:
    # A new round replaces the proposals of earlier ones that nobody approved (the
    # first round has none before it).
    round_ = step.subject_of(SubjectKind.ROUND)
    if round_ > 1:
        stale = select(MatchOffer).where(
            MatchOffer.request_id == step.request_id,
            MatchOffer.round < round_,
            MatchOffer.status == OfferStatus.PROPOSED,
        )
        for offer in session.scalars(stale):
            offer.status, offer.decided_at = OfferStatus.WITHDRAWN, now


def _accept_offer(session: Session, step: StepInput, now: datetime) -> None:
    offer = require(session, MatchOffer, step.subject_of(SubjectKind.OFFER))
    offer.status, offer.decided_at = OfferStatus.ACCEPTED, now
    others = select(MatchOffer).where(
        MatchOffer.request_id == offer.request_id,
        MatchOffer.id != offer.id,
        MatchOffer.status.in_([OfferStatus.PROPOSED, OfferStatus.APPROVED]),
    )
    for other in session.scalars(others):
        other.status, other.decided_at = OfferStatus.WITHDRAWN, now


def _agreement_step(session: Session, step: StepInput, now: datetime) -> None:
    signing.apply_agreement_step(session, step)
    if step.effect == Effect.NDA_REMINDER:
        request = require(session, SupportRequest, step.request_id)
        tasks.notify(session, request, step.tasks, step.key, kind=Effect.NDA_REMINDER)


def _log_session(session: Session, step: StepInput, now: datetime) -> None:
    log = require(session, SessionLog, step.subject_of(SubjectKind.SESSION_LOG))
    if step.effect == Effect.SESSION_LOGGED:
        log.status = SessionStatus.LOGGED
    else:
        log.status = SessionStatus.CONFIRMED
        log.confirmed_by, log.confirmed_at = step.actor_id, now


def _complete(session: Session, step: StepInput, now: datetime) -> None:
    mentorship = require(session, Mentorship, step.mentorship_id)
    mentorship.status, mentorship.ended_at = "completed", now


def _plan_step(session: Session, step: StepInput, now: datetime) -> None:
    plans.apply_plan_step(session, step)


def _apply_calendar_change(session: Session, step: StepInput, now: datetime) -> None:
    row = require(session, ScheduledSession, step.subject_of(SubjectKind.SCHEDULED_SESSION))
    if step.effect == Effect.SESSION_CANCELLED:
        row.status = "cancelled"
        return
    row.status = "scheduled"
    if step.effect == Effect.SESSION_MOVED:
        require(session, ScheduledSession, row.replaces_id).status = "moved"


def _contest_session(session: Session, step: StepInput, now: datetime) -> None:
    log = require(session, SessionLog, step.subject_of(SubjectKind.SESSION_LOG))
    disputed = step.effect == Effect.SESSION_DISPUTED
    log.status = SessionStatus.DISPUTED if disputed else SessionStatus.REFUSED


def _apply_feedback(session: Session, step: StepInput, now: datetime) -> None:
    require(session, Feedback, step.subject_of(SubjectKind.FEEDBACK)).status = "applied"


def _apply_survey_answer(session: Session, step: StepInput, now: datetime) -> None:
    require(session, SurveyAnswer, step.subject_of(SubjectKind.SURVEY_ANSWER)).status = "applied"


def _terminate(session: Session, step: StepInput, now: datetime) -> None:
    # The mentor's and the company's capacity is free again.
    mentorship = require(session, Mentorship, step.mentorship_id)
    mentorship.status, mentorship.ended_at = "terminated", now


def _both_sides(session: Session, request: SupportRequest, mentorship_id: int | None) -> list[int]:
    """The SME's people and the mentor of the mentorship."""
    mentorship = require(session, Mentorship, mentorship_id)
    return [*tasks.members(session, Role.SME, request.organisation_id), mentorship.mentor_id]


Handler = Callable[[Session, StepInput, datetime], None]

# Which handler writes each effect's rows; an effect not here writes only its stage and
# event. Listed by precedence: where two entries name the same effect, the first wins.
_PRECEDENCE: list[tuple[Iterable[str], Handler]] = [
    ((Effect.OFFER_APPROVED, Effect.OFFER_DECLINED, Effect.MENTOR_FULL), _decide_offer),
    ((Effect.CANDIDATES_PROPOSED,), _withdraw_earlier_proposals),
    ((Effect.OFFER_ACCEPTED,), _accept_offer),
    (signing.AGREEMENT_EFFECTS, _agreement_step),
    ((Effect.SESSION_LOGGED, Effect.SESSION_CONFIRMED), _log_session),
    ((Effect.PLEDGE_RECORDED,), _complete),
    (plans.PLAN_EFFECTS, _plan_step),
    (CALENDAR_EFFECTS, _apply_calendar_change),
    ((Effect.SESSION_DISPUTED, Effect.SESSION_REFUSED), _contest_session),
    ((Effect.FEEDBACK_GIVEN,), _apply_feedback),
    ((Effect.SURVEY_ANSWERED,), _apply_survey_answer),
    ((Effect.TERMINATED,), _terminate),
]
HANDLERS: dict[str, Handler] = {
    effect: handler for effects, handler in reversed(_PRECEDENCE) for effect in effects
}
