"""What the workflow projects for people to act on: tasks, events, stage visits and
notifications."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentorship.store.models.base import Base, utcnow

if TYPE_CHECKING:
    from mentorship.store.models.people import User
    from mentorship.store.models.requests import SupportRequest


class Task(Base):
    """The projection of one open human step; kept equal to the workflow's open tasks."""

    __tablename__ = "tasks"
    __table_args__ = (
        # Inboxes read open tasks of a role or a user, oldest first, in index order.
        Index("ix_tasks_open_role", "closed_at", "role", "created_at"),
        Index("ix_tasks_open_user", "closed_at", "user_id", "created_at"),
        Index("ix_tasks_open_due", "closed_at", "role", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    role: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A company admin's task is for any admin of this company.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    # What the task points at: a kind of rules.subjects.SubjectKind and its id.
    subject_kind: Mapped[str | None] = mapped_column(String(24))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # A coordinator took it: only they (or a lead coordinator) complete it.
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)  # past due: leads told

    # Inbox rows always show their request and its SME: load them in the same query.
    request: Mapped[SupportRequest] = relationship(lazy="joined")
    claimer: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[claimed_by])


class Event(Base):
    """Append-only timeline of a request; ``key`` makes each activity's write happen once."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    stage: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # What the step acted on: a kind of rules.subjects.SubjectKind and its id.
    subject_kind: Mapped[str | None] = mapped_column(String(24))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")


class StageVisit(Base):
    """A request's stay in one stage: when it came and when it left (None while there)."""

    __tablename__ = "stage_visits"
    __table_args__ = (
        Index("ix_stage_visits_stage_seconds", "stage", "seconds"),
        Index("ix_stage_visits_stage_left", "stage", "left_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), index=True)
    stage: Mapped[str] = mapped_column(String(24))
    entered_at: Mapped[datetime] = mapped_column(DateTime)
    left_at: Mapped[datetime | None] = mapped_column(DateTime)
    seconds: Mapped[int | None] = mapped_column(Integer)  # how long it stayed, once it left


class Notification(Base):
    """The outbox: one e-mail to one user, written with the step or the account action that
    needs them, and sent later by the mail activity. Its words and link are composed when it
    is sent, from the kind and the ids here."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("key", "user_id"),
        Index("ix_notifications_unsent", "sent_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("support_requests.id"))
    # Account e-mails (verification, invitation, password reset) carry their link's token.
    token_id: Mapped[int | None] = mapped_column(ForeignKey("account_tokens.id"))
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    channel: Mapped[str | None] = mapped_column(String(8))  # "smtp", or "outbox" when local
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)  # the mail server's last refusal

    user: Mapped[User] = relationship(lazy="joined")
