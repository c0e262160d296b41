"""The records the web writes before an update, and the reasons the workflow accepted."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentorship.rules.stages import SessionStatus
from mentorship.store.models import (
    Feedback,
    MentoringPlan,
    Reason,
    ScheduledSession,
    SessionLog,
    Signature,
    SurveyAnswer,
    User,
)
from mentorship.store.pending import write_once

# What the web writes before an update and the workflow's step marks applied (or refused).
PendingRecord = (
    Reason | Signature | SessionLog | Feedback | SurveyAnswer | ScheduledSession | MentoringPlan
)


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
