"""Accounts: registration with a confirmed address, invitations, password resets.

Every link in an account e-mail opens a page with a button: following a link changes
nothing (mail scanners follow links), pressing the button does, once.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from mentorship import accounts
from mentorship.accounts import LinkInvalid
from mentorship.calendar import EU_ZONES
from mentorship.errors import Refused
from mentorship.models import AccountToken, User, utcnow
from mentorship.stages import Role
from mentorship.taxonomy import CHALLENGE_AREAS, LANGUAGES
from web import forms
from web.access import current_user
from web.database import db
from web.errors import FormInvalid
from web.steps import gateway, settings

bp = Blueprint("account", __name__)

SENT = (
    "If {email} can receive it, an e-mail with a link is on its way. The link works once;"
    " check your spam folder if nothing arrives within a few minutes."
)
EXPERIENCED = 2  # the proficiency an invited mentor declares for each area they choose


def _mail_sent(email: str) -> str:
    """The same answer whatever the address: nobody learns who has an account."""
    gateway().send_mail_now()
    return render_template("account_sent.html", message=SENT.format(email=email))


def _throttled() -> tuple[str, int] | None:
    """Visitors ask for a bounded number of account e-mails an hour from one address."""
    keys = accounts.mail_keys(request.remote_addr or "unknown")
    now = utcnow()
    if accounts.locked_for(db(), keys, now) is not None:
        message = "Too many e-mails were asked for from your network. Try again in an hour."
        return render_template("error.html", title="Please wait", message=message), 429
    accounts.record_failure(db(), keys, now)  # counts each e-mail asked for
    return None


def _strong(password: str, email: str, name: str, template: str, **context: Any) -> None:
    """Refuse a weak password with the form shown again, as any other field error."""
    problems = accounts.password_problems(password, email, name)
    if problems:
        raise FormInvalid(template, {"password": problems}, {"form": request.form, **context})


def _new_password(token: AccountToken, data: dict[str, Any], template: str, **context: Any) -> None:
    user = db().get(User, token.user_id)
    assert user is not None
    _strong(data["password"], user.email, user.name, template, **context)


@bp.route("/register", methods=["GET", "POST"])
def register() -> str | Response | tuple[str, int]:
    context = {"countries": sorted(EU_ZONES)}
    if request.method == "GET":
        return render_template("register.html", errors={}, form=None, **context)
    data = forms.load(forms.RegisterSchema(), request.form, "register.html", **context)
    problems = accounts.password_problems(data["password"], data["email"], data["name"])
    if problems:
        raise FormInvalid(
            "register.html", {"password": problems}, {"form": request.form, **context}
        )
    refused = _throttled()
    if refused:
        db().commit()
        return refused
    form = accounts.Registration(**{k: data[k] for k in accounts.Registration.__dataclass_fields__})
    accounts.register(db(), form, utcnow())
    db().commit()
    return _mail_sent(data["email"])


@bp.route("/account/verify", methods=["GET", "POST"])
def resend_verification() -> str | Response | tuple[str, int]:
    if request.method == "GET":
        return render_template("account_email.html", purpose="verify", errors={}, form=None)
    data = forms.load(forms.EmailSchema(), request.form, "account_email.html", purpose="verify")
    refused = _throttled()
    if refused is None:
        accounts.resend_verification(db(), data["email"], utcnow())
    db().commit()
    return refused or _mail_sent(data["email"])


@bp.route("/account/verify/<signed>", methods=["GET", "POST"])
def verify(signed: str) -> str | Response | tuple[str, int]:
    token = _open(accounts.VERIFY, signed)
    if isinstance(token, tuple):
        return token
    if request.method == "GET":
        return render_template("account_verify.html", signed=signed)
    accounts.confirm_email(db(), token, utcnow())
    db().commit()
    flash("Your e-mail address is confirmed. You can log in now.", "success")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account/reset", methods=["GET", "POST"])
def forgot() -> str | Response | tuple[str, int]:
    if request.method == "GET":
        return render_template("account_email.html", purpose="reset", errors={}, form=None)
    data = forms.load(forms.EmailSchema(), request.form, "account_email.html", purpose="reset")
    refused = _throttled()
    if refused is None:
        accounts.request_reset(db(), data["email"], utcnow())
    db().commit()
    return refused or _mail_sent(data["email"])


@bp.route("/account/reset/<signed>", methods=["GET", "POST"])
def reset(signed: str) -> str | Response | tuple[str, int]:
    token = _open(accounts.RESET, signed)
    if isinstance(token, tuple):
        return token
    context = {"signed": signed, "purpose": "reset"}
    if request.method == "GET":
        return render_template("account_password.html", errors={}, form=None, **context)
    data = forms.load(forms.PasswordSchema(), request.form, "account_password.html", **context)
    _new_password(token, data, "account_password.html", **context)
    accounts.set_password(db(), token, data["password"], utcnow())
    db().commit()
    flash("Your new password is set. Log in with it.", "success")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account/invitation/<signed>", methods=["GET", "POST"])
def invitation(signed: str) -> str | Response | tuple[str, int]:
    token = _open(accounts.INVITATION, signed)
    if isinstance(token, tuple):
        return token
    invited = db().get(User, token.user_id)
    assert invited is not None
    context = {
        "signed": signed,
        "purpose": "invitation",
        "invited": invited,
        "areas": CHALLENGE_AREAS,
        "languages": LANGUAGES,
    }
    if request.method == "GET":
        return render_template("account_password.html", errors={}, form=None, **context)
    data = forms.load(
        forms.AcceptInvitationSchema(), request.form, "account_password.html", **context
    )
    _new_password(token, data, "account_password.html", **context)
    mentor = invited.role == Role.MENTOR
    if mentor and not (data["expertise"] and data["languages"]):
        messages = {"expertise": ["Choose at least one area and one language."]}
        raise FormInvalid("account_password.html", messages, {"form": request.form, **context})
    accounts.accept_invitation(
        db(),
        token,
        data["password"],
        utcnow(),
        expertise={area: EXPERIENCED for area in data["expertise"]},
        languages=data["languages"],
        capacity=data["capacity"],
    )
    db().commit()
    flash("Welcome to Digital Volunteers. Log in with your new password.", "success")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/invitations", methods=["GET", "POST"])
def invitations() -> str | Response | tuple[str, int]:
    me = current_user()
    sent = accounts.invitations_by(db(), me)
    invited = db().scalars(select(User).where(User.id.in_([t.user_id for t in sent])))
    context = {
        "roles": accounts.INVITES[Role(me.role)],
        "sent": sent,
        "users": {u.id: u for u in invited},
        "now": utcnow(),
    }
    if request.method == "GET":
        return render_template("invitations.html", errors={}, form=None, **context)
    data = forms.load(forms.InviteSchema(), request.form, "invitations.html", **context)
    try:
        accounts.invite(db(), me, data["name"], data["email"], data["role"], utcnow())
    except Refused as exc:
        db().rollback()
        messages = {"email": [str(exc)]} if "account" in str(exc) else {"role": [str(exc)]}
        raise FormInvalid("invitations.html", messages, {"form": request.form, **context}) from exc
    db().commit()
    gateway().send_mail_now()
    flash(f"Invitation sent to {data['email']}.", "success")
    return redirect(url_for("account.invitations"), code=303)


def _open(purpose: str, signed: str) -> AccountToken | tuple[str, int]:
    try:
        return accounts.open_link(db(), settings().secret_key, purpose, signed, utcnow())
    except LinkInvalid as exc:
        ask_again = {
            accounts.VERIFY: url_for("account.resend_verification"),
            accounts.RESET: url_for("account.forgot"),
        }.get(purpose)
        page = render_template("account_link.html", message=str(exc), ask_again=ask_again)
        return page, 410
