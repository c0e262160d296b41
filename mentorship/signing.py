"""Confidentiality agreements as records: signing order, consent, evidence, sealing, access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentorship import audit
from mentorship.errors import NotFound
from mentorship.models import (
    Agreement,
    AuditEntry,
    Mentorship,
    Signature,
    User,
    utcnow,
)
from mentorship.stages import Effect, RenderInput, Role, SignerSlot, Stage, StepInput
from mentorship.taxonomy import CHALLENGE_AREAS

if TYPE_CHECKING:
    from mentorship.agreements import AgreementContext, CertificateContext
    from mentorship.seal import SealCheck

# Confidentiality outlives the mentorship by this many months.
AGREEMENT_SURVIVAL_MONTHS = 24

# What a signer agrees to, verbatim. A new wording gets a new version; signatures keep the
# version and the text they were shown, so old evidence never changes meaning.
CONSENT_WORDINGS = {
    "2026-11": (
        "I have read this confidentiality agreement in full, in the version whose SHA-256 "
        "fingerprint is shown on this page. I agree to sign it electronically: the full name "
        "I type below is my signature and has the same effect as my handwritten one, for "
        "myself and for the organisation I represent. I agree that the platform records my "
        "identity, the time, my IP address, my browser's user agent and the fingerprint I "
        "saw, as evidence of this signature."
    ),
}
CONSENT_VERSION = "2026-11"

# Statuses of an agreement that everyone has signed (sealing follows within seconds).
FULLY_SIGNED = frozenset({"signed", "sealed"})

ROLE_LABELS = {
    Role.SME: "SME representative",
    Role.MENTOR: "Mentor",
    Role.COMPANY_ADMIN: "Company representative",
}

# Audit kinds in plain words, for the signature certificate and the timeline.
EVENT_WORDS = {
    "agreement_issued": "Agreement issued for signature",
    "agreement_signed": "Signed",
    "agreement_reminder": "Reminder sent to the next signer",
    "agreement_declined": "Declined by a signer",
    "agreement_voided": "Voided by a coordinator",
    "agreement_expired": "Expired unsigned",
    "agreement_sealed": "Sealed by the platform",
    "agreement_downloaded": "Downloaded",
}


def consent_wording(version: str = CONSENT_VERSION) -> str:
    return CONSENT_WORDINGS[version]


def get_agreement(session: Session, agreement_id: int | None) -> Agreement:
    row = session.get(Agreement, agreement_id) if agreement_id is not None else None
    if row is None:
        raise NotFound(f"agreement {agreement_id} does not exist")
    return row


# --- issuing --------------------------------------------------------------------------


def signer_slots(session: Session, mentorship_id: int) -> list[SignerSlot]:
    """Who signs, in order: the SME, the mentor, then the company's admin if it countersigns.

    A countersigning company with no admin account yet cannot countersign: its mentor's
    signature binds it, as for every other company.
    """
    mentorship = session.get(Mentorship, mentorship_id)
    if mentorship is None:
        raise NotFound(f"mentorship {mentorship_id} does not exist")
    slots = [
        SignerSlot(Role.SME, organisation_id=mentorship.request.organisation_id),
        SignerSlot(Role.MENTOR, user_id=mentorship.mentor_id),
    ]
    company = mentorship.company
    if company.countersigns_agreements and session.scalar(
        select(User.id).where(User.organisation_id == company.id, User.role == Role.COMPANY_ADMIN)
    ):
        slots.append(SignerSlot(Role.COMPANY_ADMIN, organisation_id=company.id))
    return slots


def find_agreement(session: Session, mentorship_id: int, attempt: int) -> Agreement | None:
    return session.scalar(
        select(Agreement).where(
            Agreement.mentorship_id == mentorship_id, Agreement.attempt == attempt
        )
    )


def agreement_context(
    session: Session, inp: RenderInput, signers: list[SignerSlot]
) -> AgreementContext:
    """What the agreement says about its parties, read from the database."""
    from mentorship.agreements import AgreementContext

    mentorship = session.get(Mentorship, inp.mentorship_id)
    if mentorship is None:
        raise NotFound(f"mentorship {inp.mentorship_id} does not exist")
    request, company = mentorship.request, mentorship.company
    sme = request.organisation
    return AgreementContext(
        reference=f"DV-{request.id}-{inp.attempt}",
        sme_name=sme.name,
        sme_country=sme.country,
        sme_sector=sme.nace,
        sme_registration_number=sme.registration_number,
        sme_address=sme.address,
        company_name=company.name,
        company_country=company.country,
        company_registration_number=company.registration_number,
        company_sector=company.nace,
        company_address=company.address,
        mentor_name=mentorship.mentor.name,
        challenge_areas=[CHALLENGE_AREAS.get(a, a) for a in request.challenge_areas],
        duration_months=AGREEMENT_SURVIVAL_MONTHS,
        issued_on=utcnow().date().isoformat(),
        expires_on=inp.expires_at[:10],
        company_countersigns=any(s.role == Role.COMPANY_ADMIN for s in signers),
        second_language=request.agreement_language,
    )


def store_agreement(
    session: Session,
    inp: RenderInput,
    pdf: bytes,
    sha256: str,
    signers: list[SignerSlot],
    second_language: str | None = None,
) -> Agreement:
    """Keep the rendered agreement; a retried render returns the first one stored."""
    existing = find_agreement(session, inp.mentorship_id, inp.attempt)
    if existing is not None:
        return existing
    agreement = Agreement(
        mentorship_id=inp.mentorship_id,
        attempt=inp.attempt,
        pdf=pdf,
        sha256=sha256,
        status="pending",
        second_language=second_language,
        signer_roles=[s.role.value for s in signers],
        expires_at=datetime.fromisoformat(inp.expires_at),
    )
    session.add(agreement)
    session.flush()
    return agreement


# --- what the workflow's steps change ---------------------------------------------------

AGREEMENT_EFFECTS = frozenset(
    {
        Effect.AGREEMENT_ISSUED,
        Effect.AGREEMENT_SIGNED,
        Effect.NDA_REMINDER,
        Effect.AGREEMENT_DECLINED,
        Effect.AGREEMENT_VOIDED,
        Effect.AGREEMENT_EXPIRED,
        Effect.AGREEMENT_SEALED,
    }
)


def apply_agreement_step(session: Session, step: StepInput) -> None:
    """Write one agreement event: the rows it changes and its link in the audit chain."""
    now = utcnow()
    effect = step.effect
    if effect == Effect.AGREEMENT_SIGNED:
        signature = session.get(Signature, step.subject_id)
        if signature is None:
            raise NotFound(f"signature {step.subject_id} does not exist")
        signature.status = "applied"
        agreement = signature.agreement
        signed = {s.role for s in agreement.signatures if s.status == "applied"}
        if step.stage == Stage.SESSIONS or signed >= set(agreement.signer_roles):
            agreement.status = "signed"
        _audit(
            session,
            "agreement_signed",
            step,
            agreement,
            {
                "signature_id": signature.id,
                "role": signature.role,
                "sha256_seen": signature.sha256_seen,
                "consent_version": signature.consent_version,
            },
        )
        return
    agreement = get_agreement(session, step.subject_id)
    if effect == Effect.AGREEMENT_ISSUED:
        _audit(
            session,
            "agreement_issued",
            step,
            agreement,
            {
                "sha256": agreement.sha256,
                "attempt": agreement.attempt,
                "signers": list(agreement.signer_roles),
                "second_language": agreement.second_language,
            },
        )
    elif effect == Effect.NDA_REMINDER:
        _audit(session, "agreement_reminder", step, agreement, {})
    elif effect in (Effect.AGREEMENT_DECLINED, Effect.AGREEMENT_VOIDED, Effect.AGREEMENT_EXPIRED):
        agreement.status = {
            Effect.AGREEMENT_DECLINED: "declined",
            Effect.AGREEMENT_VOIDED: "voided",
            Effect.AGREEMENT_EXPIRED: "expired",
        }[effect]
        agreement.ended_at, agreement.reason_id = now, step.reason_id
        rematch = step.stage == Stage.MATCHING
        if rematch:  # the mentor is released and not proposed to this SME again
            agreement.mentorship.status = "released"
            agreement.mentorship.ended_at = now
        _audit(
            session,
            f"agreement_{agreement.status}",
            step,
            agreement,
            {"reason_id": step.reason_id, "rematch": rematch},
        )
    elif effect == Effect.AGREEMENT_SEALED:
        pass  # the seal and its audit entry were written by seal_agreement


def _audit(
    session: Session, kind: str, step: StepInput, agreement: Agreement, data: dict[str, object]
) -> None:
    audit.append(
        session,
        kind,
        request_id=step.request_id,
        agreement_id=agreement.id,
        actor_id=step.actor_id,
        data={"event_key": step.key, **data},
    )


# --- evidence -------------------------------------------------------------------------


def certificate_context(session: Session, agreement: Agreement) -> CertificateContext:
    """The signature certificate page: every signer and every event of this agreement."""
    from mentorship.agreements import AgreementEvent, CertificateContext, SignerRecord

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
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

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


# --- access ---------------------------------------------------------------------------


def is_party(user: User, agreement: Agreement) -> bool:
    """The SME's people, the mentor and the company's admins: the parties to the agreement."""
    mentorship = agreement.mentorship
    if user.role == Role.SME:
        return user.organisation_id == mentorship.request.organisation_id
    if user.role == Role.MENTOR:
        return user.id == mentorship.mentor_id
    if user.role == Role.COMPANY_ADMIN:
        return user.organisation_id == mentorship.company_id
    return False


def may_download(user: User, agreement: Agreement) -> bool:
    return user.role == Role.COORDINATOR or is_party(user, agreement)


def record_download(session: Session, user: User, agreement: Agreement, sealed: bool) -> None:
    """Every download is a link in the audit chain: who, when, which file."""
    audit.append(
        session,
        "agreement_downloaded",
        request_id=agreement.mentorship.request_id,
        agreement_id=agreement.id,
        actor_id=user.id,
        data={"file": "sealed" if sealed else "for_signature"},
    )


# --- pending records the web writes before an update -----------------------------------


def write_signature(
    session: Session,
    nonce: str,
    agreement: Agreement,
    user: User,
    typed_name: str,
    sha256_seen: str,
    ip: str,
    user_agent: str,
    consent_version: str = CONSENT_VERSION,
) -> Signature:
    """Store a signer's act once per form nonce, with the consent wording they were shown."""
    signature = session.scalar(select(Signature).where(Signature.nonce == nonce))
    if signature is None:
        signature = Signature(
            nonce=nonce,
            agreement_id=agreement.id,
            user_id=user.id,
            role=user.role,
            typed_name=typed_name,
            consent=True,
            consent_version=consent_version,
            consent_text=consent_wording(consent_version),
            sha256_seen=sha256_seen,
            ip_address=ip[:64],
            user_agent=user_agent[:400],
        )
        session.add(signature)
        session.flush()
    return signature


# --- the signing page ------------------------------------------------------------------


@dataclass(frozen=True)
class SignerStatus:
    role: str
    label: str
    signature: Signature | None


def signing_order(agreement: Agreement) -> list[SignerStatus]:
    """Each place in the signing order with its applied signature, if any yet."""
    applied = {s.role: s for s in agreement.signatures if s.status == "applied"}
    return [
        SignerStatus(role, ROLE_LABELS.get(Role(role), role), applied.get(role))
        for role in agreement.signer_roles
    ]


def next_role(agreement: Agreement) -> str | None:
    if agreement.status != "pending":
        return None
    return next((s.role for s in signing_order(agreement) if s.signature is None), None)


def may_sign_now(user: User, agreement: Agreement) -> bool:
    return next_role(agreement) == user.role and is_party(user, agreement)


def may_decline(user: User, agreement: Agreement) -> bool:
    """A signer who has not signed yet may decline, whether or not it is their turn."""
    waiting = {s.role for s in signing_order(agreement) if s.signature is None}
    return agreement.status == "pending" and user.role in waiting and is_party(user, agreement)


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
        return Verification(False, check.problem or "This document does not carry our seal.")
    if agreement is None:
        return Verification(
            False,
            "The seal is this platform's, but no agreement on record has this exact file.",
        )
    return Verification(
        True,
        "This is a confidentiality agreement sealed by the Digital Volunteers platform, "
        "unchanged since it was sealed.",
        completed_at=agreement.ended_at,
        organisations=tuple(sealed_parties(agreement)),
    )
