"""Pages both parties share: the request's page and its steps (pause, end, feedback, survey,
certificates).

The agreement's pages and the company admin's live in web/agreements.py, on this module's
blueprint `bp` (one `mentorships.` prefix for them all); web/__init__.py imports both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from mentorship.errors import Forbidden, NotFound
from mentorship.i18n import N_
from mentorship.read_models import timeline
from mentorship.rules import intensity
from mentorship.rules.choices import Decision, FeedbackRef, PauseChoice, SurveyRef
from mentorship.rules.stages import OfferStatus, Role, Stage, TaskKind, Update
from mentorship.services import completion, intake, participation, pending_records, plans
from mentorship.store.models import (
    Agreement,
    MatchOffer,
    MatchRound,
    Mentorship,
    PledgeEntry,
    SessionLog,
    SupportRequest,
    Task,
    User,
)
from web import access, forms, planning
from web.access import current_user
from web.database import db
from web.i18n import day
from web.steps import actor, send, send_with_reason

bp = Blueprint("mentorships", __name__)

# Stages in which, with no task open, the workflow itself is busy (ranking, rendering, pledging).
WORKING_STAGES = {Stage.INTAKE_REVIEW, Stage.MATCHING, Stage.NDA, Stage.PLEDGE}

# Whose reasons each role reads: the SME learns why it was rejected, not why a mentor declined.
REASONS_SHOWN = {
    Role.COORDINATOR: [
        "reject_intake",
        "decline_offer",
        "override_conflict",
        "decline_agreement",
        "void_agreement",
        "pause",
        "terminate",
        "dispute_session",
        "resolve_dispute",
        "extend_plan",
    ],
    Role.SME: [
        "reject_intake",
        "pause",
        "terminate",
        "dispute_session",
        "resolve_dispute",
        "extend_plan",
    ],
    Role.MENTOR: ["pause", "terminate", "dispute_session", "resolve_dispute", "extend_plan"],
}


def _latest_mentorship(request_id: int) -> Mentorship | None:
    return db().scalar(
        select(Mentorship).where(Mentorship.request_id == request_id).order_by(Mentorship.id.desc())
    )


def _my_tasks(tasks: list[Task], req: SupportRequest) -> list[Task]:
    """The open tasks the viewer can act on."""
    me = current_user()
    if me.role == Role.SME:
        return [
            t for t in tasks if t.role == Role.SME and req.organisation_id == me.organisation_id
        ]
    if me.role == Role.COMPANY_ADMIN:
        return [t for t in tasks if t.role == me.role and t.organisation_id == me.organisation_id]
    return [t for t in tasks if t.role == me.role and t.user_id in (None, me.id)]


def _exclusions(request_id: int) -> dict[str, list[tuple[int, str]]]:
    """The latest ranking's excluded mentors by name, under the rule that excluded them."""
    latest = db().scalar(
        select(MatchRound)
        .where(MatchRound.request_id == request_id)
        .order_by(MatchRound.round.desc())
    )
    if latest is None:
        return {}
    ids = {i for mentors in latest.excluded.values() for i in mentors}
    names = {i: n for i, n in db().execute(select(User.id, User.name).where(User.id.in_(ids)))}
    return {
        reason: sorted(((i, names.get(i, f"#{i}")) for i in mentors), key=lambda m: m[1])
        for reason, mentors in sorted(latest.excluded.items())
    }


@bp.route("/requests/<int:request_id>")
def detail(request_id: int) -> str:
    session = db()
    req = session.get(SupportRequest, request_id)
    assert req is not None  # the access rule loaded it
    version = timeline.version(session, req)  # before anything else the page shows
    tasks = list(
        session.scalars(select(Task).where(Task.request_id == request_id, Task.closed_at.is_(None)))
    )
    mentorship = _latest_mentorship(request_id)
    agreement = None
    logs: list[SessionLog] = []
    if mentorship is not None:
        agreement = session.scalar(
            select(Agreement)
            .where(Agreement.mentorship_id == mentorship.id)
            .order_by(Agreement.attempt.desc())
        )
        logs = list(
            session.scalars(
                select(SessionLog)
                .where(SessionLog.mentorship_id == mentorship.id, SessionLog.status != "refused")
                .order_by(SessionLog.held_on)
            )
        )
    me = current_user()
    confidential_ok = participation.reads_sme_details(session, me, req)
    # The latest mentorship's own data (plan, sessions, calendar) is its mentor's, not every
    # mentor's who ever took part in the request.
    mentors_this = mentorship is not None and mentorship.mentor_id == me.id
    my_tasks = _my_tasks(tasks, req)
    offers: Sequence[MatchOffer] = []  # read only for whoever approves one of them
    if any(t.kind == TaskKind.APPROVE_MATCH for t in my_tasks):
        offers = session.scalars(
            select(MatchOffer)
            .where(MatchOffer.request_id == request_id, MatchOffer.status == OfferStatus.PROPOSED)
            .order_by(MatchOffer.round.desc(), MatchOffer.rank)
        ).all()
    excluded = {}  # shown to coordinators while the request looks for a mentor
    if me.role == Role.COORDINATOR and req.stage in (Stage.MATCHING, Stage.AWAITING_MENTORS):
        excluded = _exclusions(request_id)
    approving = any(t.kind == TaskKind.APPROVE_COMPLETION for t in my_tasks)
    readable = REASONS_SHOWN.get(Role(me.role), [])
    reasons = pending_records.reasons_for(session, request_id, readable)
    moments = timeline.moments(session, request_id, reasons, me.role == Role.COORDINATOR)
    return render_template(
        "request.html",
        req=req,
        tasks=tasks,
        my_tasks=my_tasks,
        mentorship=mentorship,
        agreement=agreement,
        logs=logs,
        offers=offers,
        moments=moments,
        audit_labels=timeline.AUDIT_SHOWN,
        confidential_ok=confidential_ok,
        mentors_this=mentors_this,
        # Asked only of whoever is to approve the completion (four eyes: not the same person).
        approved_the_match=approving and access.approved_the_match(session, me, request_id),
        # The accepted candidate's score and its parts: why this mentor was proposed.
        match=session.get(MatchOffer, mentorship.offer_id) if mentorship else None,
        # Whoever may not read the SME's details (a mentor before signing, a candidate, a
        # company admin) reads a summary: country, sector, areas.
        redacted=not confidential_ok,
        # How digital the business is counts as the SME's confidential information too.
        intensity=intake.assessments(session, request_id) if confidential_ok else {},
        criteria=intensity.CRITERIA,
        **planning.schedule_context(mentorship),
        **planning.plan_context(mentorship),
        survey_answers=completion.SURVEY_ANSWERS,
        **_outcome(request_id, mentorship),
        reasons=reasons,
        pledge_entry=session.scalar(
            select(PledgeEntry).where(PledgeEntry.mentorship_id == mentorship.id)
        )
        if mentorship
        else None,
        excluded=excluded,
        working=not tasks and req.stage in WORKING_STAGES,
        version=version,
    )


@bp.route("/requests/<int:request_id>/version")
def version(request_id: int) -> Response:
    """What the request's pages ask, from their script (static/follow.js), to learn whether
    they are out of date: a few bytes instead of a page."""
    req = db().get(SupportRequest, request_id)
    assert req is not None  # the access rule loaded it
    response = jsonify(version=timeline.version(db(), req))
    response.headers["Cache-Control"] = "no-store"
    return response


def _outcome(request_id: int, mentorship: Mentorship | None) -> dict[str, Any]:
    """Feedback, survey answers and certificates, as far as the viewer may see them: a
    coordinator sees all feedback, each side its own; the SME and coordinators the surveys.
    A request that never had a mentorship has none of them."""
    me, session = current_user(), db()
    if mentorship is None:
        return {"feedback": [], "goal_results": {}, "result_labels": plans.GOAL_RESULTS,
                "answers": [], "certificates": []}  # fmt: skip
    feedback = completion.feedback_for(session, request_id)
    if me.role != Role.COORDINATOR:
        feedback = [f for f in feedback if f.author_id == me.id]
    answers = []
    if me.role in (Role.COORDINATOR, Role.SME):
        answers = completion.survey_answers_for(session, request_id)
    mine = [
        r for r in (Role.SME, Role.MENTOR) if completion.may_download_certificate(me, mentorship, r)
    ]
    issued = completion.certificate_roles(session, mentorship.id) if mine else set()
    certificates = [role for role in mine if role in issued]
    return {
        "feedback": feedback,
        "goal_results": plans.goal_outcomes(session, [f.id for f in feedback]),
        "result_labels": plans.GOAL_RESULTS,
        "answers": answers,
        "certificates": certificates,
    }


@bp.route("/requests/<int:request_id>/end-early", methods=["POST"])
def end_early(request_id: int) -> Response:
    data = forms.load(forms.NonceSchema(), request.form, "error.html")
    send(request_id, Update.AGREE_TO_END_EARLY, Decision(actor()), data["nonce"])
    flash(gettext("Noted. The mentorship ends early once both sides agree."), "success")
    return redirect(url_for("mentorships.detail", request_id=request_id), code=303)


@bp.route("/requests/<int:request_id>/pause", methods=["POST"])
def pause(request_id: int) -> Response:
    data = forms.load(forms.PauseSchema(), request.form, "error.html")
    resume_on = data["resume_on"].isoformat()
    send_with_reason(
        request_id,
        Update.PAUSE,
        "pause",
        data,
        lambda reason_id: PauseChoice(actor(), resume_on, reason_id),
    )
    flash(
        gettext("The mentorship is on hold until %(day)s.", day=day(data["resume_on"])), "success"
    )
    return redirect(url_for("mentorships.detail", request_id=request_id), code=303)


@bp.route("/requests/<int:request_id>/resume", methods=["POST"])
def resume(request_id: int) -> Response:
    data = forms.load(forms.NonceSchema(), request.form, "error.html")
    send(request_id, Update.RESUME, Decision(actor()), data["nonce"])
    flash(gettext("The mentorship is running again."), "success")
    return redirect(url_for("mentorships.detail", request_id=request_id), code=303)


@bp.route("/requests/<int:request_id>/terminate", methods=["POST"])
def terminate(request_id: int) -> Response:
    data = forms.load(forms.ReasonSchema(), request.form, "error.html")
    send_with_reason(
        request_id,
        Update.TERMINATE,
        "terminate",
        data,
        lambda reason_id: Decision(actor(), reason_id),
    )
    flash(
        gettext("The mentorship has ended. The mentor's time is free for another SME."), "success"
    )
    return redirect(url_for("mentorships.detail", request_id=request_id), code=303)


@bp.route("/requests/<int:request_id>/feedback", methods=["POST"])
def give_feedback(request_id: int) -> Response:
    """One side's feedback; the SME answers the Digital Intensity self-assessment again."""
    data = forms.load(forms.FeedbackSchema(), request.form, "error.html")
    me, session = current_user(), db()
    mentorship = _latest_mentorship(request_id)
    plan = plans.plan_in_force(session, mentorship.id) if mentorship else None
    goal_ids = [goal.id for goal in plan.goals] if plan else []
    results = forms.load(forms.goal_outcome_schema(goal_ids), request.form, "error.html")
    row = completion.write_feedback(
        session, data["nonce"], request_id, me, data["rating"], data["text"], data["achieved"]
    )
    outcomes = {i: (results[f"goal_{i}"], results[f"goal_note_{i}"].strip()) for i in goal_ids}
    plans.write_goal_outcomes(session, row.id, outcomes)
    if me.role == Role.SME:
        req = session.get(SupportRequest, request_id)
        assert req is not None  # the access rule loaded it
        yes = set(data["digital_intensity"])
        answers = {key: key in yes for key in intensity.KEYS}
        intake.record_assessment(session, req, "completion", answers, me)
    session.commit()
    send(request_id, Update.GIVE_FEEDBACK, FeedbackRef(actor(), row.id), data["nonce"], row)
    flash(gettext("Thank you for your feedback."), "success")
    return redirect(url_for("mentorships.detail", request_id=request_id), code=303)


@bp.route("/requests/<int:request_id>/survey", methods=["POST"])
def answer_survey(request_id: int) -> Response:
    data = forms.load(forms.SurveySchema(), request.form, "error.html")
    row = completion.write_survey_answer(
        db(),
        data["nonce"],
        request_id,
        current_user(),
        data["months"],
        data["lasted"],
        data["text"],
    )
    db().commit()
    send(
        request_id,
        Update.ANSWER_SURVEY,
        SurveyRef(actor(), row.id, data["months"]),
        data["nonce"],
        row,
    )
    flash(
        gettext("Thank you: this tells us whether mentoring makes a lasting difference."),
        "success",
    )
    return redirect(url_for("mentorships.detail", request_id=request_id), code=303)


@bp.route("/requests/<int:request_id>/certificates/<role>.pdf")
def certificate_pdf(request_id: int, role: str) -> Response:
    """A certificate of participation, for its recipient's side and for coordinators."""
    mentorship = _latest_mentorship(request_id)
    if mentorship is None:
        raise NotFound(N_("There is no such certificate."))
    if not completion.may_download_certificate(current_user(), mentorship, role):
        raise Forbidden(N_("This certificate is for the other side of the mentorship."))
    cert = completion.find_certificate(db(), mentorship.id, role)
    if cert is None:
        raise NotFound(N_("There is no such certificate."))
    response = Response(cert.pdf, mimetype="application/pdf")
    name = f"certificate-of-participation-DV-{request_id}-{role}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
