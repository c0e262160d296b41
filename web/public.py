"""Pages anyone may open: the home redirect, the privacy notice, /verify."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from mentorship.adapters.agreements import sha256_hex
from mentorship.rules.stages import Role
from mentorship.services import evidence, throttle
from mentorship.store.models import utcnow
from web.database import db

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


@bp.route("/privacy")
def privacy() -> str:
    return render_template("privacy.html")


VERIFY_MAX_BYTES = 20 * 1024 * 1024


@bp.route("/verify", methods=["GET", "POST"])
def verify() -> tuple[str, int] | str:
    """Check an uploaded PDF: a sealed agreement of this platform, when, between whom."""
    if request.method == "GET":
        return render_template("verify.html", result=None)
    wait = throttle.take_attempt(
        db(), throttle.verify_keys(request.remote_addr or "unknown"), utcnow()
    )
    db().commit()  # each document counts, checked or not
    if wait is not None:
        minutes = max(1, round(wait.total_seconds() / 60))
        error = gettext(
            "Many documents were checked from your network. Try again in %(minutes)s minutes.",
            minutes=minutes,
        )
        return render_template("verify.html", result=None, error=error), 429
    request.max_content_length = VERIFY_MAX_BYTES
    upload = request.files.get("document")
    data = upload.read() if upload is not None else b""
    if not data:
        return render_template("verify.html", result=None, error=gettext("Choose a PDF file.")), 422
    from mentorship.adapters.seal import verify_sealed  # lazy: pyHanko, for this page only

    verifier = current_app.extensions["digivol.verifier"]
    check = verifier.pool().call(verify_sealed, data, verifier.trust_root_pem())
    agreement = evidence.find_sealed(db(), sha256_hex(data)) if check.sealed_by_platform else None
    result = evidence.verification(check, agreement)
    # The verdict's sentence is catalog text (mentorship.services.evidence): in the reader's
    # words here.
    return render_template("verify.html", result=replace(result, message=gettext(result.message)))
