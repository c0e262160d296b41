"""Log in and out with an e-mail and a password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Response

from mentorship.models import User
from web.database import db

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only paths on this site: never an absolute URL an attacker chose.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("public.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    email = request.form.get("email", "").strip().lower()
    user = db().scalar(select(User).where(User.email == email))
    if user is None or not check_password_hash(
        user.password_hash, request.form.get("password", "")
    ):
        flash("E-mail or password is incorrect.", "error")
        return render_template("login.html", next=request.form.get("next", ""), email=email), 401
    session.clear()
    session["user_id"] = user.id
    session.permanent = True
    return redirect(_safe_next(request.form.get("next")), code=303)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    session.clear()
    return redirect(url_for("auth.login"), code=303)
