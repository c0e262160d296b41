"""SQLAlchemy 2 models: the facts of the programme. The workflow owns the process."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from mentorship.stages import workflow_id


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


class Organisation(Base):
    """An SME or a mentoring company."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "sme" or "company"
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    nace: Mapped[str] = mapped_column(String(8))  # sector, e.g. "C10" or "J62"
    employees: Mapped[int] = mapped_column(Integer)
    turnover_eur: Mapped[int] = mapped_column(BigInteger)
    balance_sheet_eur: Mapped[int] = mapped_column(BigInteger)
    # Companies only: declared digital product lines and competitors (NACE codes or taxonomy
    # areas), which exclude their mentors from SMEs they overlap; an optional cap on how many
    # mentorships the company's mentors run at once.
    product_lines: Mapped[list[str]] = mapped_column(default=list)
    competitors: Mapped[list[str]] = mapped_column(default=list)
    mentor_cap: Mapped[int | None] = mapped_column(Integer)
    # Registered details printed on agreements, and whether a company's admin countersigns.
    registration_number: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(500))
    countersigns_agreements: Mapped[bool] = mapped_column(Boolean, default=False)

    users: Mapped[list[User]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role = 'coordinator' OR organisation_id IS NOT NULL",
            name="ck_users_belong_to_an_organisation",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    # None until the owner of the address followed the link sent to it: no login before.
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    erased_at: Mapped[datetime | None] = mapped_column(DateTime)  # anonymised (GDPR erasure)
    lead: Mapped[bool] = mapped_column(Boolean, default=False)  # a lead coordinator
    locale: Mapped[str] = mapped_column(String(5), default="en")  # e-mails in this language
    # A second factor (RFC 6238), set up from the account page, its secret encrypted with the
    # platform's encryption key (mentorship.encryption); the pending one until a code confirms
    # it; the last time step used, so one code logs in once.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(255))
    totp_pending_encrypted: Mapped[str | None] = mapped_column(String(255))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    organisation: Mapped[Organisation | None] = relationship(back_populates="users", lazy="joined")
    mentor_profile: Mapped[MentorProfile | None] = relationship(back_populates="user")


class LoginThrottle(Base):
    """Failed logins per account or per address in the current window, and any lock."""

    __tablename__ = "login_throttles"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)  # "account:<e-mail>", "ip:<a>"
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started: Mapped[datetime] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)


class ApiToken(Base):
    """A person's key to the API: it acts as them, under the same rules as their pages. Only
    its SHA-256 is kept; the token itself is shown once, when it is made."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class SignIn(Base):
    """A person signed in on one browser: the cookie holds a random token, the server its
    SHA-256 and what was true when it opened (``stamp``: password, role, address). A request
    with an ended, idle, too old or outdated sign-in is a request by nobody."""

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    stamp: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    seen_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_why: Mapped[str | None] = mapped_column(String(24))


class RecoveryCode(Base):
    """A single-use way past two-step login when the phone is lost; only its SHA-256 is kept
    (each code has 80 random bits, so a fast hash is as good as a slow one)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class MentorProfile(Base):
    __tablename__ = "mentor_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    taxonomy_version: Mapped[str] = mapped_column(String(16))
    proficiency: Mapped[dict[str, Any]] = mapped_column(default=dict)  # area -> level 1..3
    languages: Mapped[list[str]] = mapped_column(default=list)
    countries: Mapped[list[str]] = mapped_column(default=list)
    formats: Mapped[list[str]] = mapped_column(default=lambda: ["remote", "on_site"])
    sectors: Mapped[list[str]] = mapped_column(default=list)  # NACE divisions worked in
    capacity: Mapped[int] = mapped_column(Integer, default=1)

    user: Mapped[User] = relationship(back_populates="mentor_profile")


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


class Agreement(Base):
    """One confidentiality agreement per attempt; a decline, void or expiry makes a new one.

    ``pdf`` is the document every signer saw, hashed by ``sha256``. Once everyone has signed,
    ``sealed_pdf`` is that same byte string, a signature certificate page appended as an
    incremental update, and the platform's PAdES seal over the whole file.
    """

    __tablename__ = "agreements"
    __table_args__ = (UniqueConstraint("mentorship_id", "attempt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorships.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # read when served
    sha256: Mapped[str] = mapped_column(String(64))
    # pending, signed (by all, being sealed), sealed, declined, voided, expired
    status: Mapped[str] = mapped_column(String(16))
    second_language: Mapped[str | None] = mapped_column(String(8))
    signer_roles: Mapped[list[str]] = mapped_column(default=list)  # in signing order
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)  # sealed, declined, voided
    reason_id: Mapped[int | None] = mapped_column(ForeignKey("reasons.id"))
    sealed_pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    sealed_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)

    mentorship: Mapped[Mentorship] = relationship()
    signatures: Mapped[list[Signature]] = relationship(
        back_populates="agreement", order_by="Signature.id"
    )


class Signature(Base):
    """A signer's act; written pending by the web, applied by the workflow.

    The consent wording the signer agreed to is stored verbatim with its version.
    """

    __tablename__ = "signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(16))
    typed_name: Mapped[str] = mapped_column(String(200))
    consent: Mapped[bool] = mapped_column(Boolean)
    consent_version: Mapped[str] = mapped_column(String(16), default="")
    consent_text: Mapped[str] = mapped_column(Text, default="")
    sha256_seen: Mapped[str] = mapped_column(String(64))
    ip_address: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    agreement: Mapped[Agreement] = relationship(back_populates="signatures")
    user: Mapped[User] = relationship()


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


class AccountToken(Base):
    """What an account e-mail's link may do once: verify an address, accept an invitation,
    set a new password. The link carries the id signed with the secret key; nothing stored
    here is enough to make one."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))  # verify_email, invitation, reset
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # who invited
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class AuditEntry(Base):
    """Append-only, hash-chained record of every agreement event.

    ``hash`` covers the entry's fields and ``prev_hash``, the hash of the entry before it, so
    changing, removing or reordering any entry breaks every link after it.
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[int | None] = mapped_column(Integer, index=True)
    agreement_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)  # ids, hashes, versions
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The chain's last link, one row: locking it orders concurrent appends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


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


class AccountMailAsk(Base):
    """An account e-mail a visitor asked for: a reset, a new confirmation link, or the answer
    to a registration. Every address is asked for alike, one row, so the answer to the visitor
    cannot tell who has an account; the mail outbox run resolves the ask (a link to the
    account's owner, or nothing) and deletes it: the address is held only until then."""

    __tablename__ = "account_mail_asks"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))  # reset, verify_email, registration
    email: Mapped[str] = mapped_column(String(254))
    asked_at: Mapped[datetime] = mapped_column(DateTime)


class AuditCheckpoint(Base):
    """The audit chain's head at entry ``seq``, signed with the platform's seal key.

    ``id`` is the checkpoint's number, 1, 2, 3…, assigned under the head's lock and signed
    with the rest, so a deleted checkpoint leaves a gap (mentorship.audit.checkpoint_message).
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime)
    signature: Mapped[str] = mapped_column(Text)  # base64
    certificate_sha256: Mapped[str] = mapped_column(String(64))
