"""An SME's request for support and how it is matched: offers, matching rounds, the
digital-intensity self-assessment, and the reasons people give."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentorship.rules.stages import workflow_id
from mentorship.store.models.base import Base, utcnow

if TYPE_CHECKING:
    from mentorship.store.models.people import Organisation, User


class SupportRequest(Base):
    """An SME's need; one workflow, ``mentorship-<id>``, for its whole life."""

    __tablename__ = "support_requests"
    __table_args__ = (
        Index("ix_requests_org_created", "organisation_id", "created_at"),
        Index("ix_requests_updated", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    taxonomy_version: Mapped[str] = mapped_column(String(16))
    challenge_areas: Mapped[list[str]] = mapped_column()
    languages: Mapped[list[str]] = mapped_column()
    description: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(16))  # "remote", "on_site" or "both"
    products: Mapped[list[str]] = mapped_column(default=list)  # the SME's own products
    # The agreement's second language version beside English; None for English only.
    agreement_language: Mapped[str | None] = mapped_column(String(8))
    stage: Mapped[str] = mapped_column(String(24), index=True)
    planned_sessions: Mapped[int] = mapped_column(Integer)
    workflow_started: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Its free text and certificates erased, a retention period after it closed.
    erased_at: Mapped[datetime | None] = mapped_column(DateTime)

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def workflow_id(self) -> str:
        return workflow_id(self.id)


class MatchOffer(Base):
    __tablename__ = "match_offers"
    __table_args__ = (UniqueConstraint("request_id", "round", "mentor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    breakdown: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)

    mentor: Mapped[User] = relationship(lazy="joined")


class MatchRound(Base):
    """One ranking of mentors for a request: who was excluded, by which hard rule."""

    __tablename__ = "match_rounds"
    __table_args__ = (UniqueConstraint("request_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    excluded: Mapped[dict[str, Any]] = mapped_column(default=dict)  # reason -> [mentor ids]
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class IntensityAssessment(Base):
    """An SME's Digital Intensity Index self-assessment, at intake or at completion."""

    __tablename__ = "intensity_assessments"
    __table_args__ = (UniqueConstraint("request_id", "phase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"))
    phase: Mapped[str] = mapped_column(String(16))  # "intake" or "completion"
    version: Mapped[str] = mapped_column(String(16))
    answers: Mapped[dict[str, Any]] = mapped_column()  # criterion -> yes/no
    score: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(16))
    answered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Reason(Base):
    """Free text a person gives for a decision; the update carries only its id."""

    __tablename__ = "reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(32))  # e.g. "reject_intake"
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
