"""Evidence of a signed agreement: the certificate page, the seal on record, what /verify says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentorship.adapters.documents import AgreementEvent, CertificateContext, SignerRecord
from mentorship.i18n import N_
from mentorship.rules.stages import Role
from mentorship.services import audit
from mentorship.services.signing import ROLE_LABELS, get_agreement
from mentorship.store.models import Agreement, AuditEntry, User, utcnow

if TYPE_CHECKING:
    from mentorship.adapters.seal import SealCheck

# Audit kinds in plain words, for the signature certificate and the timeline.
EVENT_WORDS = {
    "agreement_issued": N_("Agreement issued for signature"),
    "agreement_signed": N_("Signed"),
    "agreement_reminder": N_("Reminder sent to the next signer"),
    "agreement_declined": N_("Declined by a signer"),
    "agreement_voided": N_("Voided by a coordinator"),
    "agreement_expired": N_("Expired unsigned"),
    "agreement_sealed": N_("Sealed by the platform"),
    "agreement_downloaded": N_("Downloaded"),
}


def certificate_context(session: Session, agreement: Agreement) -> CertificateContext:
    """The signature certificate page: every signer and every event of this agreement."""
    request = agreement.mentorship.request
    signatures = [s for s in agreement.signatures if s.status == "applied"]
    order = {role: i for i, role in enumerate(agreement.signer_roles)}
    signatures.sort(key=lambda s: (order.get(s.role, 99), s.id))
    signers = [
        SignerRecord(
            role_label=ROLE_LABELS.get(Role(s.role), s.role),
            organisation=_organisation_name(s.user),
            typed_name=s.typed_name,
            email=s.user.email,
            signed_at=s.created_at.isoformat(timespec="seconds") + " UTC",
            ip_address=s.ip_address or "unknown",
            user_agent=printable(s.user_agent) or "unknown",
            sha256_seen=s.sha256_seen,
            consent_version=s.consent_version,
        )
        for s in signatures
    ]
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.agreement_id == agreement.id, AuditEntry.kind != "agreement_downloaded")
        .order_by(AuditEntry.seq)
    ).all()
    users = {s.user_id: s.user for s in signatures}
    events = [
        AgreementEvent(
            at=e.at.isoformat(timespec="seconds") + " UTC",
            description=EVENT_WORDS.get(e.kind, e.kind),
            actor=_actor_label(session, users, e.actor_id),
        )
        for e in entries
    ]
    return CertificateContext(
        reference=f"DV-{request.id}-{agreement.attempt}",
        document_sha256=agreement.sha256,
        pages=_page_count(agreement.pdf),
        signers=signers,
        events=events,
        completed_at=(signatures[-1].created_at if signatures else utcnow()).isoformat(
            timespec="seconds"
        )
        + " UTC",
    )


def printable(text: str) -> str:
    """A header value as plain text: control characters (never typed by people) become '?'."""
    return "".join(c if c.isprintable() else "?" for c in text).strip()


def _organisation_name(user: User) -> str:
    return user.organisation.name if user.organisation else "Digital Volunteers programme"


def _actor_label(session: Session, known: dict[int, User], user_id: int | None) -> str:
    if user_id is None:
        return "the platform"
    user = known.get(user_id) or session.get(User, user_id)
    if user is None:
        return "a former user"
    return f"{user.name} ({ROLE_LABELS.get(Role(user.role), user.role)})"


def _page_count(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader  # lazy: pyHanko, for sealing only

    return int(PdfFileReader(BytesIO(pdf)).root["/Pages"]["/Count"])


def store_seal(
    session: Session, agreement_id: int, sealed_pdf: bytes, sealed_sha256: str, seal_cert: str
) -> Agreement:
    """Keep the sealed PDF and chain its hash; a retried seal keeps the first one."""
    agreement = get_agreement(session, agreement_id)
    if agreement.sealed_sha256 is not None:
        return agreement
    agreement.sealed_pdf, agreement.sealed_sha256 = sealed_pdf, sealed_sha256
    agreement.status, agreement.ended_at = "sealed", utcnow()
    audit.append(
        session,
        "agreement_sealed",
        request_id=agreement.mentorship.request_id,
        agreement_id=agreement.id,
        data={
            "sha256_signed": agreement.sha256,
            "sha256_sealed": sealed_sha256,
            "seal_certificate_sha256": seal_cert,
        },
    )
    return agreement


def find_sealed(session: Session, sealed_sha256: str) -> Agreement | None:
    return session.scalar(select(Agreement).where(Agreement.sealed_sha256 == sealed_sha256))


def sealed_parties(agreement: Agreement) -> list[str]:
    """The organisations bound by a sealed agreement: all /verify may tell."""
    mentorship = agreement.mentorship
    return [mentorship.request.organisation.name, mentorship.company.name]


@dataclass(frozen=True)
class Verification:
    """What /verify tells about an uploaded PDF, and nothing more."""

    genuine: bool
    message: str
    completed_at: datetime | None = None
    organisations: tuple[str, ...] = ()


def verification(check: SealCheck, agreement: Agreement | None) -> Verification:
    """Turn a seal check and the agreement found by the file's hash into the public answer."""
    if not check.sealed_by_platform:
        return Verification(False, check.problem or N_("This document does not carry our seal."))
    if agreement is None:
        return Verification(
            False,
            N_("The seal is this platform's, but no agreement on record has this exact file."),
        )
    return Verification(
        True,
        N_(
            "This is a confidentiality agreement sealed by the Digital Volunteers platform, "
            "unchanged since it was sealed."
        ),
        completed_at=agreement.ended_at,
        organisations=tuple(sealed_parties(agreement)),
    )
