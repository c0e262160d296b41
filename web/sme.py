"""The SME's pages: its requests, the intake form, confirming sessions."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from mentorship.adapters.documents import AGREEMENT_LANGUAGES
from mentorship.rules import intensity
from mentorship.rules.choices import SessionDecision, SessionRef
from mentorship.rules.stages import Role, Update
from mentorship.rules.taxonomy import CHALLENGE_AREAS, LANGUAGES
from mentorship.services import intake
from mentorship.store.models import SupportRequest, Task
from web import access, forms
from web.access import current_user
from web.database import db
from web.steps import actor, gateway, send, send_with_reason
from web.temporal import ServiceBusy

bp = Blueprint("sme", __name__)

LISTED = 100  # the most recent requests shown on the SME's page


@bp.route("/sme/requests")
def requests() -> str:
    org_id = current_user().organisation_id
    mine = SupportRequest.organisation_id == org_id
    total = db().scalar(select(func.count(SupportRequest.id)).where(mine))
    rows = db().scalars(
        select(SupportRequest).where(mine).order_by(SupportRequest.created_at.desc()).limit(LISTED)
    )
    tasks = db().scalars(
        select(Task)
        .join(SupportRequest, SupportRequest.id == Task.request_id)
        .where(
            Task.closed_at.is_(None),
            Task.role == Role.SME,
            SupportRequest.organisation_id == org_id,
        )
        .order_by(Task.created_at)
    )
    return render_template("sme_requests.html", requests=rows.all(), total=total, tasks=tasks.all())


def _intake_context() -> dict[str, object]:
    return {
        "areas": CHALLENGE_AREAS,
        "languages": LANGUAGES,
        "agreement_languages": AGREEMENT_LANGUAGES,
        "criteria": intensity.CRITERIA,
        "organisation": current_user().organisation,
    }


@bp.route("/sme/requests/new", methods=["GET", "POST"])
def new_request() -> str | Response:
    if request.method == "GET":
        return render_template("intake.html", errors={}, form=None, **_intake_context())
    nonce, form = forms.load(forms.IntakeSchema(), request.form, "intake.html", **_intake_context())
    settings = current_app.extensions["digivol.settings"]
    created = intake.create_request(db(), current_user(), form, settings.planned_sessions, nonce)
    db().commit()
    try:
        gateway().start(created.id, created.organisation_id, created.planned_sessions)
    except ServiceBusy:
        # Kept with workflow_started false: the reconciler starts it when the worker runs.
        flash(
            gettext("Your request is saved; its review will start as soon as the service is back."),
            "success",
        )
    else:
        intake.mark_workflow_started(db(), created.id)
        db().commit()
        flash(gettext("Your request was submitted. A coordinator will review it."), "success")
    return redirect(url_for("mentorships.detail", request_id=created.id), code=303)


@bp.route("/sessions/<int:log_id>/dispute", methods=["POST"])
def dispute_session(log_id: int) -> Response:
    """The SME says a logged session did not happen as logged; a coordinator decides."""
    data = forms.load(forms.ReasonSchema(), request.form, "error.html")
    request_id = request_of_log(log_id)
    send_with_reason(
        request_id,
        Update.DISPUTE_SESSION,
        "dispute_session",
        data,
        lambda reason_id: SessionDecision(actor(), log_id, reason_id),
    )
    flash(
        gettext("Noted. A coordinator will look at the session with you and the mentor."),
        "success",
    )
    return redirect(url_for("mentorships.detail", request_id=request_id), code=303)


def request_of_log(log_id: int) -> int:
    return access.mentorship_of_log(db(), log_id).request_id


@bp.route("/sessions/<int:log_id>/confirm", methods=["POST"])
def confirm_session(log_id: int) -> Response:
    data = forms.load(forms.NonceSchema(), request.form, "error.html")
    request_id = request_of_log(log_id)
    send(request_id, Update.CONFIRM_SESSION, SessionRef(actor(), log_id), data["nonce"])
    flash(gettext("Session confirmed. Thank you."), "success")
    return redirect(url_for("mentorships.detail", request_id=request_id), code=303)
