"""The coordinator's inbox and decisions: intake, match approval, completion."""

from __future__ import annotations

import hashlib

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from mentorship.adapters.calendar import EU_ZONES
from mentorship.errors import Forbidden, NotFound, Refused
from mentorship.i18n import N_
from mentorship.rules.choices import (
    AgreementDecision,
    Decision,
    OfferChoice,
    OverrideChoice,
    SessionDecision,
)
from mentorship.rules.stages import Stage, TaskKind, Update
from mentorship.services import inbox, signing
from mentorship.store.models import Organisation, PledgeEntry, SupportRequest, utcnow
from web import access, forms
from web.access import current_user
from web.agreements import agreement_page_context
from web.database import db
from web.i18n import translated
from web.sme import request_of_log
from web.steps import actor, gateway, send, send_with_reason

bp = Blueprint("coordinator", __name__)

# Decisions the inbox offers in place: they need no reason and no choice among candidates.
ONE_CLICK = {
    TaskKind.REVIEW_INTAKE: "coordinator.approve_intake",
    TaskKind.APPROVE_COMPLETION: "coordinator.approve_completion",
}


@bp.route("/inbox", endpoint="inbox")
def inbox_page() -> str:
    """Every open coordinator task: filtered, searched, sorted, a page at a time."""
    data = forms.load(
        forms.InboxQuerySchema(),
        request.args,
        "error.html",
        title=gettext("Check the inbox's filters"),
    )
    chosen = inbox.InboxFilter(**data)
    now = utcnow()
    session = db()
    companies = session.scalars(
        select(Organisation).where(Organisation.kind == "company").order_by(Organisation.name)
    ).all()
    recent = session.scalars(
        select(SupportRequest).order_by(SupportRequest.updated_at.desc()).limit(20)
    ).all()
    return render_template(
        "inbox.html",
        page=inbox.page(session, chosen, current_user(), now),
        chosen=chosen,
        now=now,
        one_click=ONE_CLICK,
        companies=companies,
        coordinators=inbox.coordinators(session),
        stages=list(Stage),
        countries=sorted(EU_ZONES),
        sorts=inbox.SORTS,
        sort_labels=inbox.SORT_LABELS,
        recent=recent,
    )


def _to_inbox(message: str) -> Response:
    flash(message, "success")
    return redirect(request.referrer or url_for("coordinator.inbox"), code=303)


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
def claim_task(task_id: int) -> Response:
    inbox.claim(db(), inbox.open_task(db(), task_id), current_user(), utcnow())
    db().commit()
    return _to_inbox(gettext("The task is yours: other coordinators see that you have it."))


@bp.route("/tasks/<int:task_id>/unclaim", methods=["POST"])
def unclaim_task(task_id: int) -> Response:
    inbox.unclaim(db(), inbox.open_task(db(), task_id), current_user())
    db().commit()
    return _to_inbox(gettext("The task is back in the shared inbox."))


@bp.route("/tasks/<int:task_id>/assign", methods=["POST"])
def assign_task(task_id: int) -> Response:
    data = forms.load(forms.AssignSchema(), request.form, "error.html")
    task = inbox.open_task(db(), task_id)
    assignee = inbox.assign(db(), task, current_user(), data["assignee_id"], utcnow())
    db().commit()
    return _to_inbox(gettext("Assigned to %(name)s.", name=assignee.name))


@bp.route("/inbox/approve-intakes", methods=["POST"])
def approve_intakes() -> Response:
    """Approve several intakes at once; each is authorised and decided on its own."""
    data = forms.load(forms.BulkApprovalSchema(), request.form, "error.html")
    me = current_user()
    approved, refused = [], []
    for request_id in dict.fromkeys(data["request_ids"]):
        # One nonce per request, made from the form's: a resubmitted form decides nothing twice.
        nonce = hashlib.sha256(f"{data['nonce']}:{request_id}".encode()).hexdigest()[:32]
        try:
            access.authorize(db(), "coordinator.approve_intake", me, {"request_id": request_id})
            send(request_id, Update.APPROVE_INTAKE, Decision(actor()), nonce)
            approved.append(request_id)
        except (Refused, Forbidden, NotFound) as exc:
            refused.append(f"#{request_id}: {translated(exc)}")
    if approved:
        flash(
            ngettext(
                "%(num)d intake(s) approved: matching has started.",
                "%(num)d intake(s) approved: matching has started.",
                len(approved),
            ),
            "success",
        )
    if refused:
        flash(gettext("Not approved: %(reasons)s", reasons="; ".join(refused)), "error")
    return redirect(url_for("coordinator.inbox"), code=303)


@bp.route("/matching-rounds", methods=["POST"])
def run_round() -> Response:
    forms.load(forms.NonceSchema(), request.form, "error.html")
    gateway().start_round()
    flash(
        gettext(
            "A matching round has started: its proposals appear in this inbox as they are made."
        ),
        "success",
    )
    return redirect(url_for("coordinator.inbox"), code=303)


def _back(request_id: int, message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("mentorships.detail", request_id=request_id), code=303)


@bp.route("/requests/<int:request_id>/intake/approve", methods=["POST"])
def approve_intake(request_id: int) -> Response:
    data = forms.load(forms.NonceSchema(), request.form, "error.html")
    send(request_id, Update.APPROVE_INTAKE, Decision(actor()), data["nonce"])
    return _back(request_id, gettext("Intake approved: matching has started."))


@bp.route("/requests/<int:request_id>/intake/reject", methods=["POST"])
def reject_intake(request_id: int) -> Response:
    data = forms.load(
        forms.ReasonSchema(),
        request.form,
        "error.html",
        title=gettext("A reason is needed"),
        message=gettext("Give a reason for the rejection."),
    )
    send_with_reason(
        request_id,
        Update.REJECT_INTAKE,
        "reject_intake",
        data,
        lambda reason_id: Decision(actor(), reason_id),
    )
    return _back(request_id, gettext("Intake rejected; the SME sees your reason."))


@bp.route("/requests/<int:request_id>/match/approve", methods=["POST"])
def approve_match(request_id: int) -> Response:
    data = forms.load(forms.OfferChoiceSchema(), request.form, "error.html")
    send(request_id, Update.APPROVE_MATCH, OfferChoice(actor(), data["offer_id"]), data["nonce"])
    return _back(request_id, gettext("Match approved: the mentor has been asked."))


@bp.route("/requests/<int:request_id>/override", methods=["POST"])
def override_conflict(request_id: int) -> Response:
    data = forms.load(
        forms.OverrideSchema(),
        request.form,
        "error.html",
        title=gettext("A reason is needed"),
        message=gettext("An override of a conflict of interest is kept with its reason."),
    )
    send_with_reason(
        request_id,
        Update.OVERRIDE_CONFLICT,
        "override_conflict",
        data,
        lambda reason_id: OverrideChoice(actor(), data["mentor_id"], reason_id),
    )
    return _back(
        request_id,
        gettext("Conflict overridden: the mentor is proposed first, with your reason."),
    )


@bp.route("/requests/<int:request_id>/completion/approve", methods=["POST"])
def approve_completion(request_id: int) -> Response:
    data = forms.load(forms.NonceSchema(), request.form, "error.html")
    send(request_id, Update.APPROVE_COMPLETION, Decision(actor()), data["nonce"])
    return _back(request_id, gettext("Completion approved; the pledge entry is being recorded."))


@bp.route("/agreements/<int:agreement_id>/void", methods=["POST"])
def void_agreement(agreement_id: int) -> Response:
    """Void an agreement with a reason: reissue it to the same parties, or match again."""
    doc = signing.get_agreement(db(), agreement_id)
    request_id = doc.mentorship.request_id
    data = forms.load(
        forms.VoidSchema(), request.form, "agreement.html", **agreement_page_context(doc)
    )
    rematch = data["next_step"] == "rematch"
    if not rematch and data["language"]:
        # Read when the fresh agreement is rendered: English plus this language.
        language = None if data["language"] == "en" else data["language"]
        doc.mentorship.request.agreement_language = language
    send_with_reason(
        request_id,
        Update.VOID_AGREEMENT,
        "void_agreement",
        data,
        lambda reason_id: AgreementDecision(actor(), doc.id, reason_id, rematch=rematch),
    )
    flash(
        gettext("The agreement is void. The request goes back to matching.")
        if rematch
        else gettext("The agreement is void. A fresh one is being issued."),
        "success",
    )
    return redirect(url_for("mentorships.detail", request_id=request_id), code=303)


@bp.route("/sessions/<int:log_id>/resolve", methods=["POST"])
def resolve_dispute(log_id: int) -> Response:
    """Settle a disputed session: count it as held, or turn it down so it is logged again."""
    data = forms.load(forms.ResolveDisputeSchema(), request.form, "error.html")
    request_id = request_of_log(log_id)
    accept = data["decision"] == "held"
    send_with_reason(
        request_id,
        Update.RESOLVE_DISPUTE,
        "resolve_dispute",
        data,
        lambda reason_id: SessionDecision(actor(), log_id, reason_id, accept=accept),
    )
    return _back(
        request_id,
        gettext("The session counts as held.")
        if accept
        else gettext("The log is turned down; the mentor logs again."),
    )


@bp.route("/pledge-entries/<int:entry_id>/push", methods=["POST"])
def push_pledge_entry(entry_id: int) -> Response:
    """Send a pledge entry to the registry again, once what it refused has been put right."""
    entry = db().get(PledgeEntry, entry_id)
    if entry is None:
        raise NotFound(N_("There is no such pledge entry."))
    request_id = entry.mentorship.request_id
    if entry.registry_status == "synced":
        return _back(request_id, gettext("The registry already has this entry."))
    gateway().push_pledge_entry(entry.id)
    return _back(request_id, gettext("Sent to the registry again; its answer shows on this page."))
