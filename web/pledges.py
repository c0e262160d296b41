"""The Pledge Viewer: public pledges with progress against targets, totals per country and
pillar, exports; a company admin edits and submits its pledge; a coordinator approves it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from mentorship.adapters.calendar import EU_ZONES
from mentorship.errors import NotFound, Refused
from mentorship.i18n import N_
from mentorship.services import pledges
from mentorship.store.models import Pledge, PledgeEntry, PledgeReport, utcnow
from web import forms
from web.access import current_user
from web.csvfile import csv_response
from web.database import db
from web.labels import STATUSES

bp = Blueprint("pledges", __name__)


def _get(pledge_id: int) -> Pledge:
    pledge = db().get(Pledge, pledge_id)
    if pledge is None:
        raise NotFound(N_("There is no such pledge."))
    return pledge


def _public(pledge_id: int) -> Pledge:
    """A pledge the public may see; a draft is as if it did not exist."""
    pledge = _get(pledge_id)
    if not pledges.is_public(pledge):
        raise NotFound(N_("There is no such pledge."))
    return pledge


def _progress(pledge: Pledge, done: dict[int, dict[str, float]]) -> list[dict[str, Any]]:
    """Each indicator: label, achieved, target and the share of the target reached."""
    goal = pledges.targets(pledge)
    reached = done.get(pledge.id, {})
    rows = []
    for key, label in pledges.INDICATORS.items():
        target, value = goal.get(key, 0.0), reached.get(key, 0.0)
        share = min(value / target, 1.0) if target else 0.0
        rows.append(
            {"key": key, "label": label, "achieved": value, "target": target, "share": share}
        )
    return rows


@bp.route("/pledges")
def index() -> str:
    every = pledges.public_pledges(db())
    done = pledges.achieved(db(), [p.id for p in every])
    return render_template(
        "pledges.html",
        rows=[(p, _progress(p, done)) for p in every],
        by_country=pledges.totals_by(every, done, "countries"),
        by_pillar=pledges.totals_by(every, done, "pillars"),
        indicators=pledges.INDICATORS,
        pillars=pledges.PILLARS,
    )


@bp.route("/pledges/<int:pledge_id>")
def detail(pledge_id: int) -> str:
    pledge = _public(pledge_id)
    entries = db().scalars(
        select(PledgeEntry)
        .where(PledgeEntry.pledge_id == pledge.id)
        .order_by(PledgeEntry.created_at.desc())
    )
    reports = db().scalars(
        select(PledgeReport)
        .where(PledgeReport.pledge_id == pledge.id)
        .order_by(PledgeReport.period_start.desc())
    )
    return render_template(
        "pledge.html",
        pledge=pledge,
        reports=list(reports),
        indicators=pledges.INDICATORS,
        progress=_progress(pledge, pledges.achieved(db(), [pledge.id])),
        entries=list(entries),
        pillars=pledges.PILLARS,
    )


EXPORT_FIELDS = {
    "pledges": ["id", "organisation", "title", "status", "pillars", "countries", "starts_on",
                "ends_on", "public_funding", *(f"{k}_target" for k in pledges.INDICATORS),
                *(f"{k}_achieved" for k in pledges.INDICATORS)],
    "entries": ["id", "pledge_id", "organisation", "mentorship", "recorded_on", "smes_supported",
                "mentor_hours", "employees_upskilled", "intensity_uplift", "registry_status"],
}  # fmt: skip


def _export_rows(kind: str) -> list[dict[str, Any]]:
    if kind == "pledges":
        public = pledges.public_pledges(db())
        done = pledges.achieved(db(), [p.id for p in public])
        rows = []
        for p in public:
            goal, reached = pledges.targets(p), done.get(p.id, {})
            rows.append(
                {
                    "id": p.id,
                    "organisation": p.organisation.name,
                    "title": p.title,
                    "status": p.status,
                    "pillars": " ".join(p.pillars),
                    "countries": " ".join(p.countries),
                    "starts_on": p.starts_on.isoformat() if p.starts_on else "",
                    "ends_on": p.ends_on.isoformat() if p.ends_on else "",
                    "public_funding": p.public_funding,
                    **{f"{k}_target": goal.get(k, 0.0) for k in pledges.INDICATORS},
                    **{f"{k}_achieved": reached.get(k, 0.0) for k in pledges.INDICATORS},
                }
            )
        return rows
    entries = pledges.public_entries(db())
    return [
        {
            "id": e.id,
            "pledge_id": e.pledge_id,
            "organisation": e.pledge.organisation.name,
            "mentorship": f"DV-{e.mentorship.request_id}",
            "recorded_on": e.created_at.date().isoformat(),
            "smes_supported": e.smes_supported,
            "mentor_hours": e.mentor_hours,
            "employees_upskilled": e.employees_upskilled,
            "intensity_uplift": e.intensity_uplift,
            "registry_status": e.registry_status,
        }
        for e in entries
    ]


@bp.route("/pledges/export/<any(pledges, entries):kind>.<any(csv, json):fmt>")
def export(kind: str, fmt: str) -> Response:
    """Pledges or entries as CSV or JSON, with names the server chooses."""
    rows = _export_rows(kind)
    filename = f"digivol-{kind}.{fmt}"
    if fmt == "csv":
        header = EXPORT_FIELDS[kind]
        return csv_response(header, ([row[k] for k in header] for row in rows), filename)
    response: Response = jsonify({kind: rows})
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _own_pledge() -> Pledge:
    company = current_user().organisation
    assert company is not None  # a company admin always belongs to one
    return pledges.open_pledge(db(), company)


@bp.route("/company/pledge", methods=["GET", "POST"])
def edit() -> str | Response:
    """The company admin edits the pledge; a change makes it a draft to submit again."""
    pledge = _own_pledge()
    context = {
        "pledge": pledge,
        "public": pledges.is_public(pledge),
        "targets": pledges.targets(pledge),
        "pillars": pledges.PILLARS,
        "indicators": pledges.INDICATORS,
        "countries": sorted(EU_ZONES),
    }
    if request.method == "GET":
        db().commit()  # a pledge opened just now
        return render_template("pledge_edit.html", errors={}, form=None, **context)
    data = forms.load(forms.PledgeSchema(), request.form, "pledge_edit.html", **context)
    pledges.update_pledge(db(), pledge, data)
    db().commit()
    flash(gettext("Pledge saved as a draft. Submit it when it is ready for approval."), "success")
    return redirect(url_for("pledges.edit"), code=303)


@bp.route("/company/pledge/submit", methods=["POST"])
def submit() -> Response:
    pledge = _own_pledge()
    if pledge.status == "draft":
        pledge.status, pledge.submitted_at = "submitted", utcnow()
        flash(gettext("Pledge submitted; a coordinator approves it."), "success")
    db().commit()
    return redirect(url_for("pledges.edit"), code=303)


@bp.route("/company/pledge/reports", methods=["GET", "POST"])
def report() -> str | Response:
    """A periodic report: the figures come from the entries of the period, the words from
    the company; GET shows the figures for the period chosen."""
    pledge = _own_pledge()
    if request.method == "GET":
        data = forms.load(forms.ReportPeriodSchema(), request.args, "error.html")
        values = pledges.period_values(db(), pledge.id, data["period_start"], data["period_end"])
        db().commit()
        return render_template(
            "pledge_report.html",
            pledge=pledge,
            period=data,
            values=values,
            indicators=pledges.INDICATORS,
            errors={},
        )
    data = forms.load(forms.ReportSchema(), request.form, "error.html")
    pledges.submit_report(
        db(), pledge, current_user(), data["period_start"], data["period_end"], data["narrative"]
    )
    db().commit()
    flash(gettext("Report submitted; a coordinator approves it."), "success")
    return redirect(url_for("pledges.detail", pledge_id=pledge.id), code=303)


@bp.route("/pledge-reports/<int:report_id>/approve", methods=["POST"])
def approve_report(report_id: int) -> Response:
    report = db().get(PledgeReport, report_id)
    if report is None:
        raise NotFound(N_("There is no such report."))
    if report.status != "approved":
        report.status, report.approved_at = "approved", utcnow()
        report.approved_by = current_user().id
        db().commit()
        flash(gettext("Report approved."), "success")
    return redirect(url_for("pledges.detail", pledge_id=report.pledge_id), code=303)


@bp.route("/pledges/<int:pledge_id>/approve", methods=["POST"])
def approve(pledge_id: int) -> Response:
    pledge = _get(pledge_id)
    if pledge.status != "submitted":
        raise Refused(
            N_("Only a submitted pledge can be approved; this one is %(status)s."),
            status=gettext(STATUSES.get(pledge.status, pledge.status)),  # a word, not a code
        )
    pledges.approve(pledge, current_user().id)
    db().commit()
    flash(gettext("Pledge of %(name)s approved.", name=pledge.organisation.name), "success")
    return redirect(url_for("pledges.detail", pledge_id=pledge.id), code=303)
