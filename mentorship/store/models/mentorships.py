"""A mentorship once matched: its plan and goals, sessions scheduled and logged, feedback,
certificates and follow-up surveys."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentorship.store.models.base import Base, utcnow

if TYPE_CHECKING:
    from mentorship.store.models.people import Organisation, User
    from mentorship.store.models.requests import SupportRequest


class Mentorship(Base):
    """The accepted offer: a mentor working with the SME of one request."""

    __tablename__ = "mentorships"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("match_offers.id"), unique=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # active, released, completed
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)

    request: Mapped[SupportRequest] = relationship()
    mentor: Mapped[User] = relationship(lazy="joined")
    company: Mapped[Organisation] = relationship(lazy="joined")


class SessionLog(Base):
    __tablename__ = "session_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorships.id"), index=True)
    logged_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    held_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[float] = mapped_column(Float)
    topics: Mapped[str] = mapped_column(Text)
    skills: Mapped[str] = mapped_column(Text, default="")  # skills transferred
    participants: Mapped[int] = mapped_column(Integer, default=0)  # SME employees present
    next_steps: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)


class ScheduledSession(Base):
    """A session agreed for a date: written pending by the web, applied by the workflow."""

    __tablename__ = "scheduled_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorships.id"), index=True)
    scheduled_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    minutes: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(16))  # remote or on_site
    place: Mapped[str] = mapped_column(String(300))  # a meeting link or an address
    agenda: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # scheduled, moved, ...
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # A moved session is a new row that replaces the old one and keeps its calendar
    # identity: the first row's id, and how often it moved.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("scheduled_sessions.id"))
    series_id: Mapped[int | None] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer, default=0)

    mentorship: Mapped[Mentorship] = relationship()


class MentoringPlan(Base):
    """A mentoring plan as proposed by one side; it is in force once the other accepts.

    Status: pending (written by the web) → proposed → agreed → replaced by a later plan; a
    proposal overtaken by another is superseded; one the workflow refused is refused.
    """

    __tablename__ = "mentoring_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorships.id"), index=True)
    proposed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(16))  # sme, mentor, or coordinator (extension)
    sessions: Mapped[int] = mapped_column(Integer)
    hours: Mapped[float] = mapped_column(Float)  # mentor hours planned in all
    cadence: Mapped[str] = mapped_column(String(16))
    ends_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")  # what changed, for the other side
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    agreed_at: Mapped[datetime | None] = mapped_column(DateTime)

    goals: Mapped[list[PlanGoal]] = relationship(
        order_by="PlanGoal.position", cascade="all, delete-orphan", lazy="selectin"
    )


class PlanGoal(Base):
    """One goal of a plan: what should change, how it is measured, and by when."""

    __tablename__ = "plan_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("mentoring_plans.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    goal: Mapped[str] = mapped_column(Text)
    measure: Mapped[str] = mapped_column(Text)  # the measurable result
    target_on: Mapped[date] = mapped_column(Date)


class GoalOutcome(Base):
    """One side's view, in its feedback, of how far a goal of the plan was achieved."""

    __tablename__ = "goal_outcomes"
    __table_args__ = (UniqueConstraint("feedback_id", "goal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), index=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("plan_goals.id"))
    result: Mapped[str] = mapped_column(String(16))  # achieved, partly, not_achieved
    note: Mapped[str] = mapped_column(Text, default="")

    goal: Mapped[PlanGoal] = relationship(lazy="joined")


class Feedback(Base):
    """One side's view of a finished mentorship; written pending by the web, then applied."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(16))  # sme or mentor
    rating: Mapped[int] = mapped_column(Integer)  # 1 to 5
    text: Mapped[str] = mapped_column(Text)
    achieved: Mapped[str] = mapped_column(Text)  # what was achieved, goal by goal
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Certificate(Base):
    """A certificate of participation, one for the SME and one for the mentor."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("mentorship_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorships.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # sme or mentor
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SurveyAnswer(Base):
    """The SME's answer, months after the end, on whether the changes lasted."""

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    months: Mapped[int] = mapped_column(Integer)  # 3 or 6 after completion
    lasted: Mapped[str] = mapped_column(String(8))  # yes, partly, no
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
