"""Signed checkpoints of the audit chain's head (``mentorship.services.audit``), and checks.

The chain alone proves nothing to someone who may write to the database: they can change an
entry, re-hash every later one and move the head. A checkpoint is the head signed with the
platform's seal key, which the database does not hold, so a rewrite no longer matches the
heads signed before it. Checkpoints are numbered 1, 2, 3… and the number is signed too, so a
checkpoint deleted from the middle leaves a gap.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mentorship.store.models import AuditCheckpoint, AuditEntry, AuditHead

if TYPE_CHECKING:
    from mentorship.adapters.seal_identity import SealIdentity

CHECKPOINT_FORMAT = "digivol-audit-checkpoint:v1"


class CheckpointError(Exception):
    """A checkpoint cannot be signed with this key; the message says why."""


@dataclass(frozen=True)
class SignedHead:
    """A checkpoint as signed: the chain's head at entry ``seq``, wherever it is kept (a row
    of ``audit_checkpoints`` or the copy embedded in a sealed agreement)."""

    number: int
    seq: int
    head: str
    at: datetime  # UTC, naive as the database keeps it
    signature: bytes
    certificate_sha256: str

    def message(self) -> bytes:
        """The bytes signed: every field, so none can be changed without the key."""
        return checkpoint_message(self.number, self.seq, self.head, self.at)

    def label(self) -> str:
        """How reports name it: ``checkpoint 3 (entry 41, signed 2026-12-09 10:00:00 UTC)``."""
        return (
            f"checkpoint {self.number} (entry {self.seq}, signed {self.at:%Y-%m-%d %H:%M:%S} UTC)"
        )

    @classmethod
    def of(cls, row: AuditCheckpoint) -> SignedHead:
        return cls(
            row.id,
            row.seq,
            row.head,
            row.at,
            base64.b64decode(row.signature),
            row.certificate_sha256,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT,
            "checkpoint": self.number,
            "seq": self.seq,
            "head": self.head,
            "at": _iso(self.at),
            "signature": base64.b64encode(self.signature).decode(),
            "certificate_sha256": self.certificate_sha256,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SignedHead:
        """Raises ValueError on anything but what `as_json` writes."""
        try:
            if data["format"] != CHECKPOINT_FORMAT:
                raise ValueError(f"unknown checkpoint format {data['format']!r}")
            return cls(
                int(data["checkpoint"]),
                int(data["seq"]),
                str(data["head"]),
                datetime.fromisoformat(data["at"]),
                base64.b64decode(data["signature"], validate=True),
                str(data["certificate_sha256"]),
            )
        except (KeyError, TypeError, binascii.Error) as exc:
            raise ValueError(f"not a signed audit head: {exc}") from None


def checkpoint_message(number: int, seq: int, head: str, at: datetime) -> bytes:
    """``digivol-audit-checkpoint:v1:<number>:<seq>:<head>:<at, ISO, UTC>``, ASCII."""
    return f"{CHECKPOINT_FORMAT}:{number}:{seq}:{head}:{_iso(at)}".encode()


def checkpoint(session: Session, identity: SealIdentity, now: datetime) -> AuditCheckpoint | None:
    """Sign the chain's head with the seal key, in the caller's transaction.

    Returns the new checkpoint, or the newest one if it already covers the head under this
    certificate (a retried seal reuses it), or None while the chain is empty. Takes the head's
    lock as `append` does, so the head cannot move while it is signed and two checkpoints
    cannot take the same number.
    """
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq))
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1)).one()
    if head.seq == 0:
        return None
    newest = session.scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
    ).first()
    fingerprint = identity.fingerprint
    if newest is not None and (newest.seq, newest.head, newest.certificate_sha256) == (
        head.seq,
        head.hash,
        fingerprint,
    ):
        return newest
    number = newest.id + 1 if newest is not None else 1
    at = _naive_utc(now)
    signature = sign(identity.key_pem, checkpoint_message(number, head.seq, head.hash, at))
    row = AuditCheckpoint(
        id=number,
        seq=head.seq,
        head=head.hash,
        at=at,
        signature=base64.b64encode(signature).decode(),
        certificate_sha256=fingerprint,
    )
    session.add(row)
    session.flush()
    return row


def sign(key_pem: bytes, message: bytes) -> bytes:
    """A signature of ``message`` by the seal's private key (EC, RSA, DSA or EdDSA), SHA-256."""
    key = serialization.load_pem_private_key(key_pem, password=None)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(message, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(message, _PSS, hashes.SHA256())
    if isinstance(key, dsa.DSAPrivateKey):
        return key.sign(message, hashes.SHA256())
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return key.sign(message)
    raise CheckpointError(
        f"the seal key is {type(key).__name__}, which cannot sign: checkpoints are signed with"
        " EC, RSA, DSA or EdDSA keys"
    )


def signature_holds(certificate: x509.Certificate, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is the certificate's key's signature of ``message``."""
    key = certificate.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, _PSS, hashes.SHA256())
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, message, hashes.SHA256())
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, message)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def certificate_sha256(certificate: x509.Certificate) -> str:
    """As `SealIdentity.fingerprint`: SHA-256 of the DER certificate, lowercase hex."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


@dataclass(frozen=True)
class CheckpointReport:
    """The outcome of checking every checkpoint; ``broken_at`` names the first bad one."""

    checked: int
    newest: SignedHead | None = None  # the newest that held, if any
    broken_at: int | None = None  # its number
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify_checkpoints(
    session: Session, certificates: Sequence[x509.Certificate]
) -> CheckpointReport:
    """Check every checkpoint's signature against the trusted seal certificates and its head
    against the chain's entry at its ``seq``.

    The stored hash is compared, which is the recomputed one wherever `verify_chain` passes:
    run both (``digivol audit verify`` does). A rewrite that re-hashed the chain passes
    `verify_chain` but not the first checkpoint signed after the entry it changed.
    """
    trusted = {certificate_sha256(c): c for c in certificates}
    newest: SignedHead | None = None
    checked = 0
    for page, chain_hashes in _checkpoints_in_order(session):
        for signed in page:
            expected = checked + 1
            if signed.number != expected:
                return CheckpointReport(
                    checked,
                    newest,
                    expected,
                    f"checkpoint {expected} is missing (checkpoints are numbered without gaps;"
                    f" the next is {signed.number})",
                )
            problem = check_signed_head(signed, chain_hashes.get(signed.seq), trusted, newest)
            if problem is not None:
                return CheckpointReport(checked, newest, signed.number, problem)
            newest, checked = signed, checked + 1
    return CheckpointReport(checked, newest)


def verify_embedded(
    session: Session, signed: SignedHead, certificates: Sequence[x509.Certificate]
) -> str | None:
    """What is wrong with a head embedded in a sealed agreement, or None: as a checkpoint,
    and also whether the database still holds that same checkpoint, so a deleted tail of
    checkpoints shows against any agreement sealed after the rewrite."""
    stored = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == signed.seq))
    trusted = {certificate_sha256(c): c for c in certificates}
    problem = check_signed_head(signed, stored, trusted)
    if problem is not None:
        return problem
    row = session.get(AuditCheckpoint, signed.number)
    if row is None:
        return f"{signed.label()} is missing from the database"
    if SignedHead.of(row) != signed:
        return f"{signed.label()} differs from the database's checkpoint {signed.number}"
    return None


def check_signed_head(
    signed: SignedHead,
    stored_hash: str | None,
    trusted: dict[str, x509.Certificate],
    holding: SignedHead | None = None,
) -> str | None:
    """What is wrong with one signed head, or None: its signature against the trusted seal
    certificates (by fingerprint), then its head against ``stored_hash``, the chain's hash of
    entry ``signed.seq`` (None: no such entry). ``holding`` is a checkpoint known to hold
    before it, to narrow down where a rewrite happened."""
    name = signed.label()
    certificate = trusted.get(signed.certificate_sha256)
    if certificate is None:
        return (
            f"{name} was signed by a certificate not trusted here (SHA-256"
            f" {signed.certificate_sha256[:16]}…): give the seal certificate with --certificate"
        )
    if not signature_holds(certificate, signed.message(), signed.signature):
        return f"{name} does not carry the seal certificate's signature: it was forged or altered"
    if stored_hash is None:
        return f"{name} covers entry {signed.seq}, which the chain no longer has"
    if stored_hash != signed.head:
        since = holding.seq + 1 if holding is not None and holding.seq < signed.seq else 1
        return (
            f"{name} does not match the chain: it signed {signed.head[:16]}…, entry"
            f" {signed.seq} now hashes to {stored_hash[:16]}…; the chain was rewritten between"
            f" entries {since} and {signed.seq}"
        )
    return None


def _checkpoints_in_order(
    session: Session, batch: int = 500
) -> Iterator[tuple[list[SignedHead], dict[int, str]]]:
    """Every checkpoint by number, a page at a time, with the chain's hashes at their entries
    (one query a page rather than one a checkpoint: half the time of a check went there)."""
    last = 0
    while True:
        stmt = select(AuditCheckpoint).where(AuditCheckpoint.id > last)
        page = [
            SignedHead.of(r)
            for r in session.scalars(stmt.order_by(AuditCheckpoint.id).limit(batch))
        ]
        seqs = {s.seq for s in page}
        rows = session.execute(
            select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.seq.in_(seqs))
        )
        yield page, {seq: hash_ for seq, hash_ in rows}
        if len(page) < batch:
            return
        last = page[-1].number
        session.expunge_all()


# PSS is the RSA padding recommended for new protocols; the salt as long as the digest.
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _iso(moment: datetime) -> str:
    return _naive_utc(moment).isoformat(timespec="microseconds")
