"""A company's pledge to the Coalition: initiatives, indicators, reports and entries."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentorship.store.models.base import Base, utcnow

if TYPE_CHECKING:
    from mentorship.store.models.mentorships import Mentorship
    from mentorship.store.models.people import Organisation


class Pledge(Base):
    """A company's Digital Volunteers pledge, shaped like the Coalition's Pledge Viewer:
    organisation → pledge → initiatives → indicators, with entries counted against them."""

    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    description: Mapped[str] = mapped_column(Text, default="")
    pillars: Mapped[list[str]] = mapped_column(default=list)  # among the Coalition's four
    countries: Mapped[list[str]] = mapped_column(default=list)  # ISO codes
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    public_funding: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # submitted, approved
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    entries: Mapped[list[PledgeEntry]] = relationship(back_populates="pledge")
    initiatives: Mapped[list[Initiative]] = relationship(
        order_by="Initiative.id", cascade="all, delete-orphan", lazy="selectin"
    )


class Initiative(Base):
    """What the pledge does: for Digital Volunteers, mentoring SMEs."""

    __tablename__ = "initiatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    action_type: Mapped[str] = mapped_column(String(32))
    beneficiary_type: Mapped[str] = mapped_column(String(32))

    indicators: Mapped[list[Indicator]] = relationship(
        order_by="Indicator.id", cascade="all, delete-orphan", lazy="selectin"
    )


class Indicator(Base):
    """A target the initiative sets; what was achieved is the sum of its entries."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("initiative_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id"), index=True)
    key: Mapped[str] = mapped_column(String(32))  # smes_supported, mentor_hours, ...
    target: Mapped[float] = mapped_column(Float)


class PledgeReport(Base):
    """A periodic report on a pledge: its indicators over a period, from the entries recorded
    in it, with the company's own words; a coordinator approves it."""

    __tablename__ = "pledge_reports"
    __table_args__ = (UniqueConstraint("pledge_id", "period_start", "period_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    values: Mapped[dict[str, Any]] = mapped_column()  # indicator -> achieved in the period
    narrative: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="submitted")  # or approved
    submitted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)


class PledgeEntry(Base):
    __tablename__ = "pledge_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), index=True)
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorships.id"), unique=True)
    smes_supported: Mapped[int] = mapped_column(Integer)
    mentor_hours: Mapped[float] = mapped_column(Float)
    # The most SME employees present at one confirmed session: people attend several.
    employees_upskilled: Mapped[int] = mapped_column(Integer, default=0)
    intensity_uplift: Mapped[int | None] = mapped_column(Integer)  # DII points, where known
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The copy in the Coalition's registry: not_sent, not_configured, retrying, synced,
    # rejected (a coordinator task holds the registry's message).
    registry_status: Mapped[str] = mapped_column(String(16), default="not_sent")
    registry_id: Mapped[str | None] = mapped_column(String(64))
    registry_attempts: Mapped[int] = mapped_column(Integer, default=0)
    registry_error: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime | None] = mapped_column(DateTime)

    pledge: Mapped[Pledge] = relationship(back_populates="entries", lazy="joined")
    mentorship: Mapped[Mentorship] = relationship(lazy="joined")
