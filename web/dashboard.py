"""The coordinators' dashboard: the programme's figures as charts, each one as CSV."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, render_template
from werkzeug.wrappers import Response

from mentorship import dashboard
from mentorship.errors import NotFound
from mentorship.models import utcnow
from web.database import db

bp = Blueprint("dashboard", __name__)


@bp.route("/dashboard")
def index() -> str:
    return render_template("dashboard.html", figures=dashboard.figures(db(), utcnow()))


@bp.route("/dashboard/<key>.csv")
def export(key: str) -> Response:
    make = dashboard.FIGURES.get(key)
    if make is None:
        raise NotFound("There is no such figure.")
    figure = make(db(), utcnow())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(figure.columns)
    writer.writerows(figure.rows)
    response = Response(out.getvalue(), mimetype="text/csv")
    # The name is the figure's key, which exists: never anything else from the request.
    response.headers["Content-Disposition"] = f'attachment; filename="digivol-{figure.key}.csv"'
    return response
