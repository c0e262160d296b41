"""The coordinators' dashboard: the programme's figures as charts, each one as CSV."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext
from werkzeug.wrappers import Response

from mentorship.errors import NotFound
from mentorship.i18n import N_
from mentorship.read_models import dashboard
from mentorship.services import pledges
from mentorship.store.models import utcnow
from web.csvfile import csv_response
from web.database import db
from web.i18n import number

bp = Blueprint("dashboard", __name__)


@bp.route("/dashboard")
def index() -> str:
    figures = dashboard.figures(db(), utcnow())
    return render_template(
        "dashboard.html",
        figures=figures,
        notes={f.key: _note(f) for f in figures},
        columns=dashboard.COLUMNS,
        indicators=pledges.INDICATORS,
    )


def _note(figure: dashboard.Figure) -> str:
    """A figure's note in the reader's words, its numbers as their language writes them."""
    if not figure.note:
        return ""
    return gettext(figure.note, **{k: number(v) for k, v in figure.values.items()})


@bp.route("/dashboard/<key>.csv")
def export(key: str) -> Response:
    make = dashboard.FIGURES.get(key)
    if make is None:
        raise NotFound(N_("There is no such figure."))
    figure = make(db(), utcnow())
    # Codes and English headers, for the programs that read it; the file's name is the
    # figure's key, which exists.
    return csv_response(figure.columns, figure.rows, f"digivol-{figure.key}.csv")
