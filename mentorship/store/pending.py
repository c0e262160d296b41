"""Pending records the web writes before an update, once per form nonce.

Apart from the use cases in ``pending_records``: ``signing``, which ``projection`` imports to
apply agreement steps, writes its signatures here without importing ``projection`` back.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentorship.store.models import (
    Feedback,
    MentoringPlan,
    Reason,
    ScheduledSession,
    SessionLog,
    Signature,
    SurveyAnswer,
)

P = TypeVar(
    "P", Reason, Signature, SessionLog, Feedback, SurveyAnswer, ScheduledSession, MentoringPlan
)


def write_once(session: Session, model: type[P], nonce: str, **values: Any) -> P:
    """A pending record, written once per form nonce: a double submit finds the first row."""
    row = session.scalar(select(model).where(model.nonce == nonce))
    if row is None:
        row = model(nonce=nonce, **values)
        session.add(row)
        session.flush()
    return row
