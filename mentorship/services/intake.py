"""Submitting a support request, its intake assessment, and starting its workflow."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentorship.errors import Ineligible, NotFound
from mentorship.i18n import N_
from mentorship.rules import intensity
from mentorship.rules.eligibility import CompanySize, sme_ineligibility
from mentorship.rules.payloads import INTAKE_TASKS
from mentorship.rules.stages import Effect, Stage
from mentorship.rules.taxonomy import TAXONOMY_VERSION
from mentorship.services import tasks
from mentorship.store.models import (
    Event,
    IntensityAssessment,
    Organisation,
    StageVisit,
    SupportRequest,
    User,
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
    tasks.sync_tasks(session, request, INTAKE_TASKS, f"{request.workflow_id}:0")
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
