"""The mentoring plan and the session calendar: propose, accept, extend; schedule, move,
cancel, and calendar invitations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from mentorship.adapters import calendar
from mentorship.errors import NotFound, Refused
from mentorship.i18n import N_
from mentorship.rules.choices import PlanChoice, PlanRef, ScheduleRef
from mentorship.rules.stages import Role, Update
from mentorship.services import pending_records, plans
from mentorship.store import pending
from mentorship.store.models import MentoringPlan, Mentorship, ScheduledSession
from web import forms
from web.access import current_user
from web.database import db
from web.i18n import day
from web.steps import actor, send

bp = Blueprint("planning", __name__)


def _running_mentorship(request_id: int) -> Mentorship:
    mentorship = db().scalar(
        select(Mentorship).where(Mentorship.request_id == request_id, Mentorship.status == "active")
    )
    if mentorship is None:
        raise NotFound(N_("This request has no running mentorship."))
    return mentorship


def _back(request_id: int) -> Response:
    return redirect(url_for("mentorships.detail", request_id=request_id), code=303)


def plan_context(mentorship: Mentorship | None) -> dict[str, Any]:
    """The plan in force and the open proposal, for the request page."""
    if mentorship is None:
        return {"plan": None, "proposal": None}
    plan, proposal = plans.plan_and_proposal(db(), mentorship.id)
    return {
        "plan": plan,
        "proposal": proposal,
        "cadences": plans.CADENCES,
        "max_goals": plans.MAX_GOALS,
    }


@bp.route("/requests/<int:request_id>/plan", methods=["POST"])
def propose_plan(request_id: int) -> Response:
    """A first plan, or a change to the plan in force; the other side accepts it."""
    data: plans.PlanDraft = forms.load(forms.PlanSchema(), request.form, "error.html")
    nonce = request.form["nonce"]
    mentorship = _running_mentorship(request_id)
    plan = plans.write_plan(db(), nonce, mentorship, current_user(), data)
    db().commit()
    ref = PlanRef(actor(), plan.id, plan.sessions, plan.ends_on.isoformat())
    send(request_id, Update.PROPOSE_PLAN, ref, nonce, plan)
    if current_user().role == Role.SME:
        flash(gettext("Plan proposed. It is in force once the mentor accepts it."), "success")
    else:
        flash(gettext("Plan proposed. It is in force once the SME accepts it."), "success")
    return _back(request_id)


@bp.route("/requests/<int:request_id>/plan/<int:plan_id>/accept", methods=["POST"])
def accept_plan(request_id: int, plan_id: int) -> Response:
    data = forms.load(forms.NonceSchema(), request.form, "error.html")
    plan = db().get(MentoringPlan, plan_id)
    if plan is None or plan.mentorship_id != _running_mentorship(request_id).id:
        raise NotFound(N_("There is no such plan on this mentorship."))
    send(request_id, Update.ACCEPT_PLAN, PlanChoice(actor(), plan.id), data["nonce"])
    flash(gettext("The plan is agreed and in force."), "success")
    return _back(request_id)


@bp.route("/requests/<int:request_id>/plan/extend", methods=["POST"])
def extend_plan(request_id: int) -> Response:
    """A coordinator extends the plan in force at once, for a reason both sides read."""
    data = forms.load(forms.ExtendPlanSchema(), request.form, "error.html")
    session, mentorship = db(), _running_mentorship(request_id)
    current = plans.plan_in_force(session, mentorship.id)
    if current is None:
        raise NotFound(N_("There is no agreed plan to extend yet."))
    me = current_user()
    reason = pending_records.write_reason(
        session, data["nonce"], request_id, me.id, "extend_plan", data["reason"]
    )
    draft = plans.extension_of(current, data["ends_on"], data["sessions"])
    plan = plans.write_plan(session, data["nonce"], mentorship, me, draft)
    session.commit()
    ref = PlanRef(actor(), plan.id, plan.sessions, plan.ends_on.isoformat(), reason.id)
    try:
        send(request_id, Update.EXTEND_PLAN, ref, data["nonce"], plan)
    except Refused:
        pending_records.refuse_pending(session, session.merge(reason))
        session.commit()
        raise
    flash(gettext("The plan now ends on %(day)s.", day=day(plan.ends_on)), "success")
    return _back(request_id)


def schedule_context(mentorship: Mentorship | None) -> dict[str, Any]:
    """Sessions on the calendar and cancelled ones, in the SME's local time (naive, so the
    page's date filters write the wall-clock time as it is rather than convert it)."""
    if mentorship is None:
        return {"scheduled": [], "cancelled": [], "zone": None}
    zone = calendar.zone_of(mentorship.request.organisation.country)
    rows = db().scalars(
        select(ScheduledSession)
        .where(
            ScheduledSession.mentorship_id == mentorship.id,
            ScheduledSession.status.in_(["scheduled", "cancelled"]),
        )
        .order_by(ScheduledSession.starts_at)
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    found: dict[str, list[Any]] = {"scheduled": [], "cancelled": []}
    for row in rows:
        local = calendar.in_zone(row.starts_at, zone).replace(tzinfo=None)
        found[row.status].append((row, local, row.starts_at > now))
    return {**found, "zone": zone.key}


def _write_schedule(mentorship: Mentorship, data: dict[str, Any], **extra: Any) -> ScheduledSession:
    zone = calendar.zone_of(mentorship.request.organisation.country)
    local = datetime.combine(data["day"], data["time"])
    return pending.write_once(
        db(),
        ScheduledSession,
        data["nonce"],
        mentorship_id=mentorship.id,
        scheduled_by=current_user().id,
        starts_at=calendar.to_utc(local, zone),
        minutes=data["minutes"],
        format=data["format"],
        place=data["place"],
        agenda=data["agenda"],
        **extra,
    )


def _schedule_ref(row: ScheduledSession, replaces_id: int | None = None) -> ScheduleRef:
    starts_at = row.starts_at.isoformat(timespec="seconds")
    return ScheduleRef(actor(), row.id, starts_at, replaces_id)


@bp.route("/requests/<int:request_id>/schedule", methods=["POST"])
def schedule_session(request_id: int) -> Response:
    """Agree the next session: both sides get the invitation and can add it to a calendar."""
    data = forms.load(forms.ScheduleSchema(), request.form, "error.html")
    row = _write_schedule(_running_mentorship(request_id), data)
    db().commit()
    send(request_id, Update.SCHEDULE_SESSION, _schedule_ref(row), data["nonce"], row)
    flash(gettext("Session scheduled; both of you can add it to your calendars."), "success")
    return _back(request_id)


def _scheduled(scheduled_id: int) -> ScheduledSession:
    row = db().get(ScheduledSession, scheduled_id)
    assert row is not None  # the access rule loaded it
    return row


@bp.route("/scheduled/<int:scheduled_id>/move", methods=["POST"])
def move_session(scheduled_id: int) -> Response:
    """A new time (and details) for a session; calendars update the entry they have."""
    old = _scheduled(scheduled_id)
    data = forms.load(forms.ScheduleSchema(), request.form, "error.html")
    row = _write_schedule(
        old.mentorship,
        data,
        replaces_id=old.id,
        series_id=old.series_id or old.id,
        sequence=old.sequence + 1,
    )
    db().commit()
    request_id = old.mentorship.request_id
    send(request_id, Update.SCHEDULE_SESSION, _schedule_ref(row, old.id), data["nonce"], row)
    flash(
        gettext("Session moved; download the invitation again to update your calendar."),
        "success",
    )
    return _back(request_id)


@bp.route("/scheduled/<int:scheduled_id>/cancel", methods=["POST"])
def cancel_session(scheduled_id: int) -> Response:
    row = _scheduled(scheduled_id)
    data = forms.load(forms.NonceSchema(), request.form, "error.html")
    request_id = row.mentorship.request_id
    send(request_id, Update.CANCEL_SESSION, ScheduleRef(actor(), row.id), data["nonce"])
    flash(gettext("Session cancelled; the other side is told."), "success")
    return _back(request_id)


@bp.route("/scheduled/<int:scheduled_id>.ics")
def session_ics(scheduled_id: int) -> Response:
    """A scheduled (or cancelled) session as a calendar file, with a name the server chooses."""
    row = _scheduled(scheduled_id)
    event = calendar.CalendarEvent(
        uid=f"dv-session-{row.series_id or row.id}@digital-volunteers",
        starts_at=row.starts_at,
        minutes=row.minutes,
        summary=gettext(
            "Digital Volunteers mentoring session (DV-%(id)s)", id=row.mentorship.request_id
        ),
        description=row.agenda,
        location=row.place,
        # A cancellation outranks every earlier version of the entry.
        sequence=row.sequence + (1 if row.status == "cancelled" else 0),
        cancelled=row.status == "cancelled",
    )
    response = Response(calendar.ics(event, datetime.now(UTC)), mimetype="text/calendar")
    name = f"mentoring-session-{row.id}.ics"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
