"""Accounts: registration with a confirmed address, invitations, password resets.

Every link in an account e-mail opens a page with a button: following a link changes
nothing (mail scanners follow links), pressing the button does, once.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from mentorship import i18n
from mentorship.adapters.calendar import EU_ZONES
from mentorship.errors import Refused
from mentorship.i18n import N_
from mentorship.rules.stages import Role
from mentorship.rules.taxonomy import CHALLENGE_AREAS, LANGUAGES
from mentorship.services import accounts, api_tokens, intake, privacy, throttle, two_step
from mentorship.services.accounts import InvitationRefused, LinkInvalid
from mentorship.store.models import AccountToken, User, utcnow
from web import forms
from web.access import current_user
from web.database import db
from web.errors import FormInvalid, same_site
from web.i18n import role_word, translated
from web.steps import gateway, settings

bp = Blueprint("account", __name__)

SENT = N_(
    "If %(email)s can receive it, an e-mail with a link is on its way. The link works once;"
    " check your spam folder if nothing arrives within a few minutes."
)
EXPERIENCED = 2  # the proficiency an invited mentor declares for each area they choose


def _mail_sent(email: str) -> str:
    """The same answer whatever the address: nobody learns who has an account. The work
    was the same too (one ask written): the outbox, woken as the ask committed, looks it up."""
    return render_template("account_sent.html", message=gettext(SENT, email=email))


def _throttled() -> tuple[str, int] | None:
    """Visitors ask for a bounded number of account e-mails an hour from one address."""
    keys = throttle.mail_keys(request.remote_addr or "unknown")
    now = utcnow()
    if throttle.take_attempt(db(), keys, now) is not None:  # each e-mail asked for counts
        db().commit()
        message = gettext(
            "Too many e-mails were asked for from your network. Try again in an hour."
        )
        return render_template("error.html", title=gettext("Please wait"), message=message), 429
    return None


def _strong(password: str, email: str, name: str, template: str, **context: Any) -> None:
    """Refuse a weak password with the form shown again, as any other field error."""
    reasons = accounts.password_reasons(password, email, name)
    problems = [gettext(message, **params) for message, params in reasons]
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
    _strong(data["password"], data["email"], data["name"], "register.html", **context)
    refused = _throttled()
    if refused:
        db().commit()
        return refused
    fields = {k: data[k] for k in accounts.Registration.__dataclass_fields__ if k in data}
    locale = request.accept_languages.best_match(list(i18n.LOCALES)) or i18n.DEFAULT_LOCALE
    form = accounts.Registration(**fields, locale=locale)
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
    flash(gettext("Your e-mail address is confirmed. You can log in now."), "success")
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
    flash(gettext("Your new password is set. Log in with it."), "success")
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
        messages = {"expertise": [gettext("Choose at least one area and one language.")]}
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
    if mentor:  # requests waiting for a mentor look again
        gateway().mentor_pool_changed(intake.waiting_request_ids(db()))
    flash(gettext("Welcome to Digital Volunteers. Log in with your new password."), "success")
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
    except InvitationRefused as exc:
        db().rollback()
        messages = {exc.field: [_refusal(exc)]}
        raise FormInvalid("invitations.html", messages, {"form": request.form, **context}) from exc
    db().commit()  # the invitation's e-mail is queued: the commit wakes the outbox
    flash(gettext("Invitation sent to %(email)s.", email=data["email"]), "success")
    return redirect(url_for("account.invitations"), code=303)


def _refusal(exc: InvitationRefused) -> str:
    """The refusal in the reader's words, the inviter's role too."""
    params = dict(exc.params)
    if "inviter" in params:
        params["inviter"] = role_word(params["inviter"])
    return translated(Refused(exc.message, **params))


def _open(purpose: str, signed: str) -> AccountToken | tuple[str, int]:
    try:
        return accounts.open_link(db(), settings().secret_key, purpose, signed, utcnow())
    except LinkInvalid as exc:
        ask_again = {
            accounts.VERIFY: url_for("account.resend_verification"),
            accounts.RESET: url_for("account.forgot"),
        }.get(purpose)
        page = render_template("account_link.html", message=translated(exc), ask_again=ask_again)
        return page, 410


@bp.route("/account")
def settings_page(new_token: str | None = None, recovery_codes: list[str] | None = None) -> str:
    """Your account: your data, your API tokens, your second factor, erasure."""
    me = current_user()
    pending = two_step.pending_secret(me, settings().encryption())
    uri = two_step.provisioning_uri(pending, me.email) if pending else None
    return render_template(
        "account.html",
        totp_on=two_step.is_on(me),
        totp_pending=pending,
        totp_uri=uri,
        totp_qr=two_step.qr_svg(uri, gettext("QR code for your authenticator app"))
        if uri
        else None,
        recovery_codes=recovery_codes,
        recovery_left=two_step.recovery_codes_left(db(), me) if two_step.is_on(me) else 0,
        tokens=api_tokens.of_user(db(), me),
        locales=i18n.LOCALES,
        new_token=new_token,
        errors={},
    )


@bp.route("/account/language", methods=["POST"])
def language() -> Response:
    """The language of the pages, and of a signed-in person's e-mails and certificates.

    Kept on the account when signed in (remembered on every device), else in the session.
    """
    choice = request.form.get("locale", "")
    if choice not in i18n.LOCALES:
        flash(gettext("Choose one of the listed languages."), "error")
    elif g.get("user") is not None:
        current_user().locale = choice
        db().commit()
    else:
        session["locale"] = choice
    return redirect(same_site(request.referrer), code=303)


@bp.route("/account/api-tokens", methods=["POST"])
def create_api_token() -> str:
    """A new API token, shown on this page once: only its hash is kept."""
    data = forms.load(forms.ApiTokenSchema(), request.form, "error.html")
    name = data["name"].strip() or gettext("API token")
    token = api_tokens.issue(db(), current_user(), name, utcnow())
    db().commit()
    return settings_page(new_token=token)


@bp.route("/account/api-tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_api_token(token_id: int) -> Response:
    api_tokens.revoke(db(), current_user(), token_id, utcnow())
    db().commit()
    flash(gettext("The token is revoked: it opens nothing any more."), "success")
    return redirect(url_for("account.settings_page"), code=303)


@bp.route("/account/data.json")
def data() -> Response:
    """Everything held about you, to keep (GDPR art. 15 and 20)."""
    me = current_user()
    body = json.dumps(privacy.export_person(db(), me), indent=2, ensure_ascii=False)
    response = Response(body, mimetype="application/json")
    name = f"digital-volunteers-data-{me.id}.json"  # chosen here, never from the request
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/account/erase", methods=["POST"])
def erase() -> Response:
    """Erase your account; what you signed and the audit chain are kept (legal claims)."""
    me = current_user()
    if not accounts.verify_password(me.password_hash, request.form.get("password", "")):
        flash(gettext("The password is not right: nothing was erased."), "error")
        return redirect(url_for("account.settings_page"), code=303)
    try:
        privacy.erase_person(db(), me, by_id=me.id, now=utcnow(), why="request")
    except Refused as exc:
        db().rollback()
        flash(translated(exc), "error")
        return redirect(url_for("account.settings_page"), code=303)
    db().commit()
    session.clear()
    flash(
        gettext("Your account and what you wrote are erased. Signed agreements are kept."),
        "success",
    )
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account/totp", methods=["POST"])
def totp() -> str | Response:
    """Start, confirm or turn off two-step login, or make new recovery codes (coordinators).

    The recovery codes are in the answer to the request that made them, and nowhere else:
    never in a cookie or a later page.
    """
    me, now, encryption = current_user(), utcnow(), settings().encryption()
    action = request.form.get("action")
    if action == "start":
        two_step.start(me, encryption)  # pending, encrypted, until a code confirms it
        db().commit()
        return redirect(url_for("account.settings_page"), code=303)
    code = forms.load(forms.TotpCodeSchema(), request.form, "error.html")["code"]
    if action == "confirm":
        codes = two_step.confirm(db(), me, encryption, code, now)
        if codes is None:
            flash(
                gettext("That code is not right; check the time on your phone and try again."),
                "error",
            )
            return redirect(url_for("account.settings_page"), code=303)
        db().commit()
        flash(
            gettext("Two-step login is on: each login now asks for a code from your app."),
            "success",
        )
        return settings_page(recovery_codes=codes)
    if action not in ("disable", "recovery_codes"):
        flash(gettext("Nothing was changed."), "error")
        return redirect(url_for("account.settings_page"), code=303)
    if not two_step.use_code(me, encryption, code, now):
        flash(gettext("That code is not right: nothing was changed."), "error")
        return redirect(url_for("account.settings_page"), code=303)
    if action == "recovery_codes":
        codes = two_step.new_recovery_codes(db(), me)
        db().commit()
        flash(gettext("New recovery codes: the old ones no longer work."), "success")
        return settings_page(recovery_codes=codes)
    two_step.turn_off(db(), me)
    db().commit()
    flash(gettext("Two-step login is off."), "success")
    return redirect(url_for("account.settings_page"), code=303)
