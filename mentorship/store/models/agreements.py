"""Confidentiality agreements, their signatures, and the hash-chained audit log with its signed
checkpoints."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    DateTime,
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
    from mentorship.store.models.mentorships import Mentorship
    from mentorship.store.models.people import User


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


class AuditCheckpoint(Base):
    """The audit chain's head at entry ``seq``, signed with the platform's seal key.

    ``id`` is the checkpoint's number, 1, 2, 3…, assigned under the head's lock and signed
    with the rest, so a deleted checkpoint leaves a gap
    (mentorship.services.checkpoints.checkpoint_message).
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime)
    signature: Mapped[str] = mapped_column(Text)  # base64
    certificate_sha256: Mapped[str] = mapped_column(String(64))
