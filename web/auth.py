"""Log in and out with an e-mail and a password."""

from __future__ import annotations

import time
from datetime import datetime

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from mentorship.services import accounts, sign_ins, throttle, two_step
from mentorship.store.models import User, utcnow
from web import forms
from web.access import SIGN_IN
from web.database import db
from web.steps import settings

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
    keys = throttle.throttle_keys(email, request.remote_addr or "unknown")
    wait = throttle.take_attempt(sessions, keys, now)
    sessions.commit()  # the attempt counts before the password is checked
    if wait is not None:
        _end_sign_ins_if_locked(sessions, email, now)
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
    throttle.give_back(sessions, keys)
    throttle.record_success(sessions, email)
    sessions.commit()
    if user.email_verified_at is None:  # only the password's owner learns this
        flash(gettext("Confirm your e-mail address first: follow the link we sent you."), "error")
        return render_template("login.html", next="", email=email, unconfirmed=True), 403
    target = _safe_next(request.form.get("next"))
    session.clear()
    if two_step.is_on(user):  # half logged in, for a few minutes, until the code is given
        session["half_user_id"], session["half_since"], session["next"] = (
            user.id,
            time.time(),
            target,
        )
        return redirect(url_for("auth.second_factor"), code=303)
    return _logged_in(user, target)


def _end_sign_ins_if_locked(sessions: Session, email: str, now: datetime) -> None:
    """A locked account is one someone may be guessing at: its open sign-ins end too."""
    if throttle.is_locked(sessions, throttle.account_key(email), now):
        sign_ins.end_all_by_email(sessions, email, now, sign_ins.Ended.LOCKED)
        sessions.commit()


def _logged_in(user: User, target: str) -> Response:
    session.clear()
    longest = current_app.config["PERMANENT_SESSION_LIFETIME"]
    session[SIGN_IN] = sign_ins.open_sign_in(db(), user, utcnow(), longest)
    db().commit()
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
        recovery = request.args.get("recovery") == "1"
        return render_template("login_code.html", errors={}, recovery=recovery)
    sessions, now = db(), utcnow()
    user = sessions.get(User, user_id)
    if user is None or not two_step.is_on(user):  # erased, or turned off meanwhile
        session.clear()
        return redirect(url_for("auth.login"), code=303)
    keys = throttle.throttle_keys(user.email, request.remote_addr or "unknown")
    locked = throttle.take_attempt(sessions, keys, now)
    sessions.commit()  # the attempt counts before the code is read or checked
    if locked is not None:
        _end_sign_ins_if_locked(sessions, user.email, now)
        session.clear()
        flash(gettext("Too many wrong codes. Try again in 15 minutes."), "error")
        return render_template("login.html", next="", email=""), 429
    recovery = "recovery_code" in request.form
    schema = forms.RecoveryCodeSchema() if recovery else forms.TotpCodeSchema()
    data = forms.load(schema, request.form, "login_code.html", recovery=recovery)
    if recovery:
        right = two_step.use_recovery_code(sessions, user, data["recovery_code"], now)
    else:
        right = two_step.use_code(user, settings().encryption(), data["code"], now)
    if not right:
        wrong = (
            gettext("That recovery code is not right, or was used already.")
            if recovery
            else gettext("That code is not right. Enter the current code from your app.")
        )
        flash(wrong, "error")
        return render_template("login_code.html", errors={}, recovery=recovery), 401
    throttle.give_back(sessions, keys)
    sessions.commit()
    signed_in = _logged_in(user, session.get("next") or url_for("public.home"))
    if recovery:  # told after the sign-in, which starts the session afresh
        left = two_step.recovery_codes_left(sessions, user)
        flash(
            ngettext(
                "You used a recovery code: %(num)s is left. Make new ones on your account page.",
                "You used a recovery code: %(num)s are left. Make new ones on your account page.",
                left,
            ),
            "info",
        )
    return signed_in


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    token = session.get(SIGN_IN)
    if token is not None:  # ended on the server: a copy of the cookie opens nothing now
        sign_ins.end(db(), token, utcnow())
        db().commit()
    session.clear()
    return redirect(url_for("auth.login"), code=303)
