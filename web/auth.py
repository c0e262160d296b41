"""Log in and out with an e-mail and a password."""

from __future__ import annotations

import time

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, ngettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from mentorship import accounts
from mentorship.models import User, utcnow
from web import forms
from web.database import db

bp = Blueprint("auth", __name__)
HALF_LOGIN_SECONDS = 300  # between a right password and the code


def _safe_next(target: str | None) -> str:
    # Only paths on this site: never an absolute URL an attacker chose.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("public.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    email = request.form.get("email", "").strip().lower()[:254]

    def again() -> str:  # rendered after the flash, so the message shows
        return render_template("login.html", next=request.form.get("next", ""), email=email)

    now, sessions = utcnow(), db()
    keys = accounts.throttle_keys(email, request.remote_addr or "unknown")
    wait = accounts.take_attempt(sessions, keys, now)
    sessions.commit()  # the attempt counts before the password is checked
    if wait is not None:
        minutes = max(1, round(wait.total_seconds() / 60))
        flash(
            ngettext(
                "Too many failed logins. Try again in %(num)s minute.",
                "Too many failed logins. Try again in %(num)s minutes.",
                minutes,
            ),
            "error",
        )
        return again(), 429
    user = sessions.scalar(select(User).where(User.email == email))
    password = request.form.get("password", "")
    if not accounts.verify_password(user.password_hash if user else None, password):
        # the same whether or not it exists
        flash(gettext("E-mail or password is incorrect."), "error")
        return again(), 401
    assert user is not None
    accounts.give_back(sessions, keys)
    accounts.record_success(sessions, email)
    sessions.commit()
    if user.email_verified_at is None:  # only the password's owner learns this
        flash(gettext("Confirm your e-mail address first: follow the link we sent you."), "error")
        return render_template("login.html", next="", email=email, unconfirmed=True), 403
    target = _safe_next(request.form.get("next"))
    session.clear()
    if user.totp_secret:  # half logged in, for a few minutes, until the code is given
        session["half_user_id"], session["half_since"], session["next"] = (
            user.id,
            time.time(),
            target,
        )
        return redirect(url_for("auth.second_factor"), code=303)
    return _logged_in(user, target)


def _logged_in(user: User, target: str) -> Response:
    session.clear()
    session["user_id"] = user.id
    session["stamp"] = accounts.session_stamp(user)
    session["since"] = session["seen"] = time.time()
    session.permanent = True
    return redirect(target, code=303)


@bp.route("/login/code", methods=["GET", "POST"])
def second_factor() -> str | Response | tuple[str, int]:
    """The code from a coordinator's authenticator app, after the password."""
    user_id = session.get("half_user_id")
    if user_id is None:  # nobody is half logged in here
        return redirect(url_for("public.home"), code=303)
    if time.time() - float(session.get("half_since", 0)) > HALF_LOGIN_SECONDS:
        session.clear()
        flash(gettext("Please log in again."), "error")
        return redirect(url_for("auth.login"), code=303)
    if request.method == "GET":
        return render_template("login_code.html")
    sessions, now = db(), utcnow()
    user = sessions.get(User, user_id)
    assert user is not None
    keys = accounts.throttle_keys(user.email, request.remote_addr or "unknown")
    locked = accounts.take_attempt(sessions, keys, now)
    sessions.commit()  # the attempt counts before the code is checked
    if locked is not None:
        session.clear()
        flash(gettext("Too many wrong codes. Try again in 15 minutes."), "error")
        return render_template("login.html", next="", email=""), 429
    code = forms.load(forms.TotpCodeSchema(), request.form, "login_code.html")["code"]
    if not accounts.use_totp(user, code, now):
        flash(gettext("That code is not right. Enter the current code from your app."), "error")
        return render_template("login_code.html"), 401
    accounts.give_back(sessions, keys)
    sessions.commit()
    return _logged_in(user, session.get("next") or url_for("public.home"))


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    session.clear()
    return redirect(url_for("auth.login"), code=303)
