"""Organisations and the people in them: accounts, sign-ins, second factors, throttles, API
tokens, one-time links, and mentor profiles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentorship.store.models.base import Base, utcnow


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
    # platform's encryption key (mentorship.adapters.encryption); the pending one until a code
    # confirms it; the last time step used, so one code logs in once.
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
