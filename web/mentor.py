"""The mentor's pages: offers to answer, sessions to log."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from mentorship.rules.choices import OfferChoice, SessionRef
from mentorship.rules.stages import Update
from mentorship.services import pending_records
from mentorship.store.models import MatchOffer, Mentorship, Task
from web import forms
from web.access import current_user
from web.database import db
from web.steps import actor, send

bp = Blueprint("mentor", __name__)


@bp.route("/mentor")
def home() -> str:
    me = current_user()
    tasks = (
        db()
        .scalars(
            select(Task)
            .where(Task.closed_at.is_(None), Task.user_id == me.id)
            .order_by(Task.created_at)
        )
        .all()
    )
    mentorships = (
        db()
        .scalars(
            select(Mentorship).where(Mentorship.mentor_id == me.id).order_by(Mentorship.id.desc())
        )
        .all()
    )
    return render_template("mentor_home.html", tasks=tasks, mentorships=mentorships)


def _offer(offer_id: int) -> MatchOffer:
    offer = db().get(MatchOffer, offer_id)
    assert offer is not None  # the access rule loaded it
    return offer


@bp.route("/offers/<int:offer_id>/accept", methods=["POST"])
def accept_offer(offer_id: int) -> Response:
    data = forms.load(forms.NonceSchema(), request.form, "error.html")
    offer = _offer(offer_id)
    send(offer.request_id, Update.ACCEPT_OFFER, OfferChoice(actor(), offer_id), data["nonce"])
    flash(gettext("Thank you for accepting. Next: the confidentiality agreement."), "success")
    return redirect(url_for("mentorships.detail", request_id=offer.request_id), code=303)


@bp.route("/offers/<int:offer_id>/decline", methods=["POST"])
def decline_offer(offer_id: int) -> Response:
    data = forms.load(forms.OptionalReasonSchema(), request.form, "error.html")
    offer = _offer(offer_id)
    reason = None
    if data["reason"].strip():
        reason = pending_records.write_reason(
            db(),
            data["nonce"],
            offer.request_id,
            actor().user_id,
            "decline_offer",
            data["reason"].strip(),
        )
        db().commit()
    choice = OfferChoice(actor(), offer_id, reason.id if reason else None)
    send(offer.request_id, Update.DECLINE_OFFER, choice, data["nonce"], reason)
    flash(gettext("Offer declined. The coordinator will propose another mentor."), "success")
    return redirect(url_for("mentor.home"), code=303)


@bp.route("/requests/<int:request_id>/sessions", methods=["POST"])
def log_session(request_id: int) -> Response:
    data = forms.load(forms.SessionLogSchema(), request.form, "error.html")
    mentorship = db().scalar(
        select(Mentorship).where(Mentorship.request_id == request_id, Mentorship.status == "active")
    )
    assert mentorship is not None  # the access rule checked it
    log = pending_records.write_session_log(
        db(),
        data["nonce"],
        mentorship.id,
        current_user(),
        data["held_on"],
        data["hours"],
        data["topics"],
        data["skills"],
        data["participants"],
        data["next_steps"],
    )
    db().commit()
    send(request_id, Update.LOG_SESSION, SessionRef(actor(), log.id), data["nonce"], log)
    flash(gettext("Session logged; the SME will be asked to confirm it."), "success")
    return redirect(url_for("mentorships.detail", request_id=request_id), code=303)
