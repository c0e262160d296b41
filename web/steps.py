"""Sending a person's step to the workflow: the actor, the nonce, the refusal."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, flash
from flask_babel import gettext

from mentorship.config import Settings
from mentorship.errors import Refused
from mentorship.rules.stages import Actor, Role, Update
from mentorship.services import pending_records
from mentorship.services.pending_records import PendingRecord, refuse_pending
from web.access import current_user
from web.database import db
from web.gateway import Gateway
from web.temporal import ACCEPTED


def gateway() -> Gateway:
    return current_app.extensions["digivol.temporal"]  # type: ignore[no-any-return]


def settings() -> Settings:
    return current_app.extensions["digivol.settings"]  # type: ignore[no-any-return]


def actor() -> Actor:
    user = current_user()
    return Actor(user_id=user.id, role=Role(user.role), organisation_id=user.organisation_id)


def new_nonce() -> str:
    """A one-time id minted with each form; it becomes the update id."""
    return secrets.token_hex(16)


def send(
    request_id: int,
    update: Update,
    arg: Any,
    nonce: str,
    pending: PendingRecord | None = None,
) -> Any:
    """Send an update; if the workflow refuses it, mark the pending record refused.

    The pending record must already be committed: no transaction spans the Temporal call.
    """
    try:
        answer = gateway().update(request_id, update, arg, nonce)
        if answer is ACCEPTED:
            flash(gettext("Your step was accepted; it can take a moment to show here."), "info")
        return answer
    except Refused:
        if pending is not None:
            session = db()
            refuse_pending(session, session.merge(pending))
            session.commit()
        raise


def send_with_reason(
    request_id: int, update: Update, purpose: str, data: dict[str, Any], make: Callable[[int], Any]
) -> None:
    """Store the typed reason first, as a pending record, then send the update with its id."""
    reason = pending_records.write_reason(
        db(), data["nonce"], request_id, actor().user_id, purpose, data["reason"]
    )
    db().commit()
    send(request_id, update, make(reason.id), data["nonce"], reason)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["new_nonce"] = new_nonce
