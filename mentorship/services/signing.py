"""Confidentiality agreements as records: signing order, consent, events, access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentorship.adapters.documents import AgreementContext
from mentorship.errors import NotFound
from mentorship.i18n import N_
from mentorship.rules import guards
from mentorship.rules.payloads import RenderInput, StepInput
from mentorship.rules.stages import Actor, Effect, Role, Stage
from mentorship.rules.state import SignerSlot
from mentorship.rules.subjects import SubjectKind
from mentorship.rules.taxonomy import CHALLENGE_AREAS
from mentorship.services import audit
from mentorship.store.models import Agreement, Mentorship, Signature, User, utcnow
from mentorship.store.pending import write_once

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


def consent_wording(version: str = CONSENT_VERSION) -> str:
    return CONSENT_WORDINGS[version]


def get_agreement(session: Session, agreement_id: int | None) -> Agreement:
    row = session.get(Agreement, agreement_id) if agreement_id is not None else None
    if row is None:
        raise NotFound(N_("agreement %(id)s does not exist"), id=agreement_id)
    return row


# --- issuing --------------------------------------------------------------------------


def signer_slots(session: Session, mentorship_id: int) -> list[SignerSlot]:
    """Who signs, in order: the SME, the mentor, then the company's admin if it countersigns.

    A countersigning company with no admin account yet cannot countersign: its mentor's
    signature binds it, as for every other company.
    """
    mentorship = session.get(Mentorship, mentorship_id)
    if mentorship is None:
        raise NotFound(N_("mentorship %(id)s does not exist"), id=mentorship_id)
    slots = [_slot(Role.SME, mentorship), _slot(Role.MENTOR, mentorship)]
    company = mentorship.company
    if company.countersigns_agreements and session.scalar(
        select(User.id).where(User.organisation_id == company.id, User.role == Role.COMPANY_ADMIN)
    ):
        slots.append(_slot(Role.COMPANY_ADMIN, mentorship))
    return slots


def _slot(role: Role, mentorship: Mentorship) -> SignerSlot:
    """Who fills ``role``'s place in the mentorship's signing order."""
    if role == Role.SME:
        return SignerSlot(Role.SME, organisation_id=mentorship.request.organisation_id)
    if role == Role.MENTOR:
        return SignerSlot(Role.MENTOR, user_id=mentorship.mentor_id)
    return SignerSlot(Role.COMPANY_ADMIN, organisation_id=mentorship.company_id)


def slots_of(agreement: Agreement) -> list[SignerSlot]:
    """The agreement's signing order as the workflow holds it (state.Agreement.signers)."""
    return [_slot(Role(role), agreement.mentorship) for role in agreement.signer_roles]


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
    mentorship = session.get(Mentorship, inp.mentorship_id)
    if mentorship is None:
        raise NotFound(N_("mentorship %(id)s does not exist"), id=inp.mentorship_id)
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
        signature_id = step.subject_of(SubjectKind.SIGNATURE)
        signature = session.get(Signature, signature_id)
        if signature is None:
            raise NotFound(N_("signature %(id)s does not exist"), id=signature_id)
        signature.status = "applied"
        agreement = signature.agreement
        order = signing_order(agreement)
        if step.stage == Stage.SESSIONS or guards.next_signer(order, _signed(order)) is None:
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
    agreement = get_agreement(session, step.subject_of(SubjectKind.AGREEMENT))
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


def may_open(user: User, agreement: Agreement) -> bool:
    """Only the parties and coordinators read, download or act on an agreement."""
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
    """A signer's act, with the consent wording they were shown, pending until applied."""
    return write_once(
        session,
        Signature,
        nonce,
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


def _signed(order: list[SignerStatus]) -> set[str]:
    return {place.role for place in order if place.signature is not None}


def next_role(agreement: Agreement) -> str | None:
    """Whose turn it is to sign, by the workflow's rule (guards.next_signer)."""
    if agreement.status != "pending":
        return None
    order = signing_order(agreement)
    place = guards.next_signer(order, _signed(order))
    return place.role if place is not None else None


# Signing and declining follow the workflow's rules, asked of the rows the page shows, so
# the page offers a step exactly when the workflow would take it.


def may_sign_now(user: User, agreement: Agreement) -> bool:
    actor = _actor(user)
    if actor is None or agreement.status != "pending":
        return False
    return guards.is_turn(slots_of(agreement), _signed(signing_order(agreement)), actor)


def may_decline(user: User, agreement: Agreement) -> bool:
    """A signer who has not signed yet may decline, whether or not it is their turn."""
    actor = _actor(user)
    if actor is None or agreement.status != "pending":
        return False
    return guards.may_decline(slots_of(agreement), _signed(signing_order(agreement)), actor)


def _actor(user: User) -> Actor | None:
    """``user`` as the workflow sees an actor; None for a role that never signs."""
    if user.role not in set(Role):
        return None
    return Actor(user.id, Role(user.role), user.organisation_id)
