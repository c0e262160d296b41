"""Pages for running locally: the e-mail outbox, when no SMTP server is configured."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import select

from mentorship.services import mail
from mentorship.store.models import Notification
from web.database import db
from web.steps import settings

bp = Blueprint("dev", __name__, url_prefix="/dev")

SHOWN = 50
LOOPBACK = ("127.0.0.1", "::1")


@bp.route("/mail")
def outbox() -> str:
    """The newest e-mails as their readers would get them, links and all.

    Only without SMTP_URL (nothing leaves the machine then) and only from this machine: the
    links in account e-mails are as good as a password.
    """
    if settings().smtp_url or request.remote_addr not in LOOPBACK:
        abort(404)
    config = settings().mail()
    session = db()
    rows = session.scalars(select(Notification).order_by(Notification.id.desc()).limit(SHOWN))
    messages: list[tuple[Notification, mail.Message | mail.MailError]] = []
    for row in rows:
        try:
            messages.append((row, mail.compose(session, row, config)))
        except mail.MailError as exc:
            messages.append((row, exc))
    return render_template("dev_mail.html", messages=messages)
