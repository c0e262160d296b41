"""The GDPR: each person's data to download, erasure on request, and erasure by retention.

What is personal is listed once, in PERSONAL_ROWS: every table row that points at a person.
The export walks that list; erasure anonymises the person, the free text they wrote, and their
organisation's when they were its last member. Signed agreements, their signatures and the
audit chain stay as they are: they are kept as evidence for legal claims (GDPR art. 17(3)(e)).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, inspect, select, update
from sqlalchemy.orm import Session

from mentorship.errors import Refused
from mentorship.i18n import N_
from mentorship.rules.stages import FINAL_STAGES, Role
from mentorship.services import audit, throttle
from mentorship.store.models import (
    AccountToken,
    ApiToken,
    AuditEntry,
    Base,
    Certificate,
    Event,
    Feedback,
    GoalOutcome,
    IntensityAssessment,
    LoginThrottle,
    MatchOffer,
    MentoringPlan,
    MentorProfile,
    Mentorship,
    Notification,
    Organisation,
    PlanGoal,
    Pledge,
    PledgeReport,
    Reason,
    RecoveryCode,
    ScheduledSession,
    SessionLog,
    Signature,
    SignIn,
    SupportRequest,
    SurveyAnswer,
    Task,
    User,
)

ERASED = "[erased]"

# Every row that points at a person, by the column that does: what their export holds.
PERSONAL_ROWS: list[tuple[type[Base], str]] = [
    (MentorProfile, "user_id"),
    (SupportRequest, "created_by"),
    (IntensityAssessment, "answered_by"),
    (MatchOffer, "mentor_id"),
    (Mentorship, "mentor_id"),
    (Signature, "user_id"),
    (SessionLog, "logged_by"),
    (SessionLog, "confirmed_by"),
    (Reason, "author_id"),
    (Feedback, "author_id"),
    (SurveyAnswer, "author_id"),
    (ScheduledSession, "scheduled_by"),
    (MentoringPlan, "proposed_by"),
    (Pledge, "approved_by"),
    (PledgeReport, "submitted_by"),
    (PledgeReport, "approved_by"),
    (Task, "user_id"),
    (Task, "claimed_by"),
    (Event, "actor_id"),
    (Notification, "user_id"),
    (AccountToken, "user_id"),
    (ApiToken, "user_id"),
    (SignIn, "user_id"),
    (RecoveryCode, "user_id"),
    (AccountToken, "created_by"),
    (AuditEntry, "actor_id"),
]
SKIPPED_COLUMNS = {
    "password_hash", "totp_secret_encrypted", "totp_pending_encrypted", "pdf", "nonce",
    "token_hash", "code_hash", "stamp",
}  # fmt: skip


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


def _row(row: Base) -> dict[str, Any]:
    columns = inspect(type(row)).columns
    return {c.key: _value(getattr(row, c.key)) for c in columns if c.key not in SKIPPED_COLUMNS}


def export_person(session: Session, user: User) -> dict[str, Any]:
    """Everything the service holds about ``user``, as JSON-ready data."""
    data: dict[str, Any] = {
        "account": _row(user),
        "organisation": _row(user.organisation) if user.organisation else None,
    }
    for model, column in PERSONAL_ROWS:
        rows = session.scalars(select(model).where(getattr(model, column) == user.id))
        key = f"{model.__tablename__}.{column}"
        data[key] = [_row(row) for row in rows]
    data["plan_goals"] = [
        _row(goal)
        for goal in session.scalars(
            select(PlanGoal).join(MentoringPlan).where(MentoringPlan.proposed_by == user.id)
        )
    ]
    data["goal_outcomes"] = [
        _row(outcome)
        for outcome in session.scalars(
            select(GoalOutcome).join(Feedback).where(Feedback.author_id == user.id)
        )
    ]
    return data


def _running(session: Session, user: User) -> bool:
    """Is a mentorship of this person (or of their SME, if they are its last member) open?"""
    open_stage = SupportRequest.stage.not_in(list(FINAL_STAGES))
    if user.role == Role.MENTOR:
        stmt = (
            select(Mentorship.id)
            .join(SupportRequest)
            .where(Mentorship.mentor_id == user.id, Mentorship.status == "active", open_stage)
        )
        return session.scalar(stmt.limit(1)) is not None
    if user.role == Role.SME and _last_member(session, user):
        stmt = select(SupportRequest.id).where(
            SupportRequest.organisation_id == user.organisation_id, open_stage
        )
        return session.scalar(stmt.limit(1)) is not None
    return False


def _last_member(session: Session, user: User) -> bool:
    others = select(User.id).where(
        User.organisation_id == user.organisation_id, User.id != user.id, User.erased_at.is_(None)
    )
    return user.organisation_id is not None and session.scalar(others.limit(1)) is None


def erase_person(session: Session, user: User, by_id: int, now: datetime, why: str) -> None:
    """Anonymise a person, what they wrote, and their organisation's words if they were its
    last member. Refused while one of their mentorships runs: end it first."""
    if user.erased_at is not None:
        return
    if _running(session, user):
        raise Refused(N_("A mentorship of yours is still running: it ends first, then erasure."))
    last = _last_member(session, user)
    _scrub_authored(session, user.id)
    for model in (Notification, AccountToken, ApiToken, SignIn, RecoveryCode):
        session.execute(delete(model).where(model.user_id == user.id))
    session.execute(
        delete(LoginThrottle).where(LoginThrottle.key == throttle.account_key(user.email))
    )
    session.execute(delete(MentorProfile).where(MentorProfile.user_id == user.id))
    mentored = select(Mentorship.id).where(Mentorship.mentor_id == user.id)
    session.execute(delete(Certificate).where(Certificate.mentorship_id.in_(mentored)))
    organisation = user.organisation
    if last and organisation is not None:
        _erase_organisation(session, organisation, now)
    user.name = f"Erased person {user.id}"
    user.email = f"erased-{user.id}@erased.invalid"
    user.password_hash = ""
    user.email_verified_at = None
    user.totp_secret_encrypted = user.totp_pending_encrypted = user.totp_last_step = None
    user.erased_at = now
    audit.append(session, "person_erased", actor_id=by_id, data={"user_id": user.id, "why": why})


def _erase_organisation(session: Session, organisation: Organisation, now: datetime) -> None:
    organisation.name = f"Erased organisation {organisation.id}"
    organisation.address = organisation.registration_number = None
    organisation.competitors, organisation.product_lines = [], []
    ids = select(SupportRequest.id).where(SupportRequest.organisation_id == organisation.id)
    for request_id in session.scalars(ids).all():
        _erase_request_text(session, request_id, now)


def _scrub_authored(session: Session, user_id: int) -> None:
    """The free text a person wrote, wherever they wrote it."""
    _scrub(
        session,
        reasons=Reason.author_id == user_id,
        logs=SessionLog.logged_by == user_id,
        feedback=Feedback.author_id == user_id,
        answers=SurveyAnswer.author_id == user_id,
        slots=ScheduledSession.scheduled_by == user_id,
        plans=MentoringPlan.proposed_by == user_id,
    )


def _erase_request_text(session: Session, request_id: int, now: datetime) -> None:
    """Everything written in one request and its mentorships, by anyone; its certificates."""
    request = session.get(SupportRequest, request_id)
    assert request is not None
    request.description, request.products = ERASED, []
    mentorships = select(Mentorship.id).where(Mentorship.request_id == request_id)
    _scrub(
        session,
        reasons=Reason.request_id == request_id,
        logs=SessionLog.mentorship_id.in_(mentorships),
        feedback=Feedback.request_id == request_id,
        answers=SurveyAnswer.request_id == request_id,
        slots=ScheduledSession.mentorship_id.in_(mentorships),
        plans=MentoringPlan.mentorship_id.in_(mentorships),
    )
    session.execute(delete(Certificate).where(Certificate.mentorship_id.in_(mentorships)))
    request.erased_at = request.erased_at or now


def _scrub(
    session: Session,
    *,
    reasons: Any,
    logs: Any,
    feedback: Any,
    answers: Any,
    slots: Any,
    plans: Any,
) -> None:
    """Erase the free text of the rows each condition selects, and of what hangs off them."""
    session.execute(update(Reason).where(reasons).values(text=ERASED))
    session.execute(update(SessionLog).where(logs).values(topics=ERASED, skills="", next_steps=""))
    session.execute(update(Feedback).where(feedback).values(text=ERASED, achieved=ERASED))
    of_feedback = GoalOutcome.feedback_id.in_(select(Feedback.id).where(feedback))
    session.execute(update(GoalOutcome).where(of_feedback).values(note=""))
    session.execute(update(SurveyAnswer).where(answers).values(text=ERASED))
    session.execute(update(ScheduledSession).where(slots).values(place=ERASED, agenda=ERASED))
    session.execute(update(MentoringPlan).where(plans).values(note=""))
    of_plans = PlanGoal.plan_id.in_(select(MentoringPlan.id).where(plans))
    session.execute(update(PlanGoal).where(of_plans).values(goal=ERASED, measure=ERASED))


def erase_closed_mentorships(
    session: Session, retention: timedelta, now: datetime, limit: int
) -> list[int]:
    """The retention rule: the words and certificates of requests closed longer than
    ``retention`` ago are erased, a batch at a time. Returns the requests' ids."""
    due = (
        select(SupportRequest.id)
        .where(
            SupportRequest.stage.in_(list(FINAL_STAGES)),
            SupportRequest.updated_at < now - retention,
            SupportRequest.erased_at.is_(None),
        )
        .order_by(SupportRequest.id)
        .limit(limit)
    )
    ids = list(session.scalars(due))
    for request_id in ids:
        _erase_request_text(session, request_id, now)
        audit.append(
            session, "request_data_erased", request_id=request_id, data={"why": "retention"}
        )
    return ids


def find_person(session: Session, email_or_id: str) -> User | None:
    """A person by e-mail or by id, for the command line."""
    if email_or_id.isdigit():
        return session.get(User, int(email_or_id))
    return session.scalar(select(User).where(User.email == email_or_id.strip().lower()))
