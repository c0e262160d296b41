"""Pages anyone may open: the home redirect, the Pledge Viewer, the health check."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, redirect, render_template, url_for
from sqlalchemy import func, select, text
from werkzeug.wrappers import Response

from mentorship.models import Organisation, Pledge, PledgeEntry
from mentorship.stages import Role
from web.database import db
from web.steps import gateway

bp = Blueprint("public", __name__)

HOMES = {
    Role.COORDINATOR: "coordinator.inbox",
    Role.SME: "sme.requests",
    Role.MENTOR: "mentor.home",
    Role.COMPANY_ADMIN: "mentorships.company",
}


@bp.route("/")
def home() -> Response:
    user = g.user
    if user is None:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOMES[Role(user.role)]))


@bp.route("/pledges")
def pledges() -> str:
    totals = (
        select(
            Pledge,
            func.count(PledgeEntry.id),
            func.coalesce(func.sum(PledgeEntry.smes_supported), 0),
            func.coalesce(func.sum(PledgeEntry.mentor_hours), 0.0),
        )
        .join(Organisation, Organisation.id == Pledge.organisation_id)
        .outerjoin(PledgeEntry, PledgeEntry.pledge_id == Pledge.id)
        .group_by(Pledge.id, Organisation.name)
        .order_by(Organisation.name)
    )
    rows = db().execute(totals).all()
    entries = db().scalars(select(PledgeEntry).order_by(PledgeEntry.created_at.desc())).all()
    return render_template("pledges.html", rows=rows, entries=entries)


@bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        db().execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # any driver error means the database is not usable
        database = f"error: {type(exc).__name__}"
    status = {"database": database, **gateway().health()}
    healthy = all(value == "ok" for value in status.values())
    return jsonify(status=("ok" if healthy else "degraded"), **status), 200 if healthy else 503
