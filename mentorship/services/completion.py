"""The end of a mentorship: feedback from both sides, certificates, follow-up surveys."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mentorship import i18n
from mentorship.adapters.agreements import sha256_hex
from mentorship.adapters.documents import ParticipationContext
from mentorship.errors import NotFound
from mentorship.i18n import N_
from mentorship.rules.stages import Role, SessionStatus
from mentorship.rules.taxonomy import CHALLENGE_AREAS
from mentorship.store.models import (
    Certificate,
    Feedback,
    IntensityAssessment,
    Mentorship,
    SessionLog,
    SurveyAnswer,
    User,
    utcnow,
)
from mentorship.store.pending import write_once

SURVEY_ANSWERS = {"yes": N_("Yes, they lasted"), "partly": N_("Partly"), "no": N_("No")}


def write_feedback(
    session: Session,
    nonce: str,
    request_id: int,
    user: User,
    rating: int,
    text: str,
    achieved: str,
) -> Feedback:
    """One side's feedback, pending until the workflow takes it."""
    return write_once(
        session,
        Feedback,
        nonce,
        request_id=request_id,
        author_id=user.id,
        role=user.role,
        rating=rating,
        text=text,
        achieved=achieved,
    )


def write_survey_answer(
    session: Session, nonce: str, request_id: int, user: User, months: int, lasted: str, text: str
) -> SurveyAnswer:
    return write_once(
        session,
        SurveyAnswer,
        nonce,
        request_id=request_id,
        author_id=user.id,
        months=months,
        lasted=lasted,
        text=text,
    )


def feedback_for(session: Session, request_id: int) -> list[Feedback]:
    """The feedback the workflow accepted, SME's first."""
    rows = session.scalars(
        select(Feedback).where(Feedback.request_id == request_id, Feedback.status == "applied")
    )
    return sorted(rows, key=lambda f: (f.role != Role.SME, f.id))


def survey_answers_for(session: Session, request_id: int) -> list[SurveyAnswer]:
    stmt = select(SurveyAnswer).where(
        SurveyAnswer.request_id == request_id, SurveyAnswer.status == "applied"
    )
    return list(session.scalars(stmt.order_by(SurveyAnswer.months)))


def participation_contexts(session: Session, mentorship_id: int) -> dict[str, ParticipationContext]:
    """What each certificate of participation says, for the SME and for the mentor."""
    mentorship = session.get(Mentorship, mentorship_id)
    if mentorship is None:
        raise NotFound(N_("mentorship %(id)s does not exist"), id=mentorship_id)
    request, company = mentorship.request, mentorship.company
    sme, mentor = request.organisation, mentorship.mentor
    sessions, hours = session.execute(
        select(func.count(SessionLog.id), func.coalesce(func.sum(SessionLog.hours), 0.0)).where(
            SessionLog.mentorship_id == mentorship_id,
            SessionLog.status == SessionStatus.CONFIRMED,
        )
    ).one()
    scores = {
        a.phase: a.score
        for a in session.scalars(
            select(IntensityAssessment).where(IntensityAssessment.request_id == request.id)
        )
    }
    sme_locale = _locale(session.get(User, request.created_by))
    mentor_locale = _locale(mentor)

    def areas(locale: str) -> list[str]:
        _ = i18n.translations(locale).gettext
        return [
            _(CHALLENGE_AREAS[a]) if a in CHALLENGE_AREAS else a for a in request.challenge_areas
        ]

    _ = i18n.translations(sme_locale).gettext
    shown = None
    if "intake" in scores and "completion" in scores:
        shown = _("%(intake)s/12 at intake, %(completion)s/12 at completion") % {
            "intake": scores["intake"],
            "completion": scores["completion"],
        }
    for_sme = ParticipationContext(
        reference=f"DV-{request.id}",
        recipient=sme.name,
        recipient_role=_("SME"),
        statement=_(
            "took part in the EU Digital Volunteers programme and completed a mentorship "
            "with %(mentor)s of %(company)s to build its digital skills."
        )
        % {"mentor": mentor.name, "company": company.name},
        challenge_areas=areas(sme_locale),
        sessions=int(sessions),
        hours=float(hours),
        started_on=mentorship.started_at.date().isoformat(),
        completed_on=(mentorship.ended_at or utcnow()).date().isoformat(),
        intensity=shown,
        language=sme_locale,
    )
    _ = i18n.translations(mentor_locale).gettext
    for_mentor = replace(
        for_sme,
        recipient=mentor.name,
        recipient_role=_("Mentor from %(company)s") % {"company": company.name},
        statement=_(
            "mentored %(sme)s pro bono as a Digital Volunteer and transferred digital "
            "skills to its people, on behalf of a pledger of the Digital Skills and Jobs "
            "Coalition."
        )
        % {"sme": sme.name},
        challenge_areas=areas(mentor_locale),
        intensity=None,  # the SME's self-assessment is the SME's to show
        language=mentor_locale,
    )
    return {Role.SME: for_sme, Role.MENTOR: for_mentor}


def _locale(user: User | None) -> str:
    """The language a person reads their documents in."""
    return user.locale if user is not None and user.locale in i18n.LOCALES else "en"


def store_certificate(session: Session, mentorship_id: int, role: str, pdf: bytes) -> Certificate:
    """Keep a certificate once per mentorship and role; a retried render keeps the first."""
    existing = find_certificate(session, mentorship_id, role)
    if existing is not None:
        return existing
    row = Certificate(mentorship_id=mentorship_id, role=role, pdf=pdf, sha256=sha256_hex(pdf))
    session.add(row)
    session.flush()
    return row


def certificate_roles(session: Session, mentorship_id: int) -> set[str]:
    """Whose certificates of a mentorship exist: the SME's, the mentor's, both or none."""
    stmt = select(Certificate.role).where(Certificate.mentorship_id == mentorship_id)
    return set(session.scalars(stmt))


def find_certificate(session: Session, mentorship_id: int, role: str) -> Certificate | None:
    return session.scalar(
        select(Certificate).where(
            Certificate.mentorship_id == mentorship_id, Certificate.role == role
        )
    )


def may_download_certificate(user: User, mentorship: Mentorship, role: str) -> bool:
    """The SME's people get the SME's certificate, the mentor and the company's admins the
    mentor's; coordinators both."""
    if user.role == Role.COORDINATOR:
        return True
    if role == Role.SME:
        return user.role == Role.SME and user.organisation_id == mentorship.request.organisation_id
    if role == Role.MENTOR:
        return user.id == mentorship.mentor_id or (
            user.role == Role.COMPANY_ADMIN and user.organisation_id == mentorship.company_id
        )
    return False
