"""The agreement's pages: reading and downloading a confidentiality agreement, signing or
declining it; and the company admin's pages, with the agreements their company countersigns.

These views sit on web.mentorships' blueprint, so their endpoints keep the `mentorships.`
prefix (web.access.ROUTES); the request's own page and its steps live in web/mentorships.py.
web/__init__.py imports this module so that its routes exist.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from mentorship.adapters.agreements import AGREEMENT_LANGUAGES
from mentorship.errors import NotFound
from mentorship.i18n import N_
from mentorship.read_models import timeline
from mentorship.rules.choices import AgreementDecision, SignatureRef
from mentorship.rules.stages import Role, Update
from mentorship.services import signing
from mentorship.store.models import Agreement, Mentorship, Signature, Task
from web import forms
from web.access import current_user
from web.database import db
from web.mentorships import bp
from web.steps import actor, send, send_with_reason


def _agreement(agreement_id: int) -> Agreement:
    agreement = db().get(Agreement, agreement_id)
    assert agreement is not None  # the access rule loaded it
    return agreement


@bp.route("/agreements/<int:agreement_id>")
def agreement(agreement_id: int) -> str:
    return _agreement_page(_agreement(agreement_id), errors={}, form=None)


def _agreement_page(doc: Agreement, **extra: Any) -> str:
    return render_template("agreement.html", **agreement_page_context(doc), **extra)


def _pdf_download(doc: Agreement, pdf: bytes, sealed: bool) -> Response:
    """Send an agreement's PDF under a name the server chooses, and log the download."""
    signing.record_download(db(), current_user(), doc, sealed=sealed)
    db().commit()
    response = Response(pdf, mimetype="application/pdf")
    suffix = "-sealed" if sealed else ""
    name = f"confidentiality-agreement-DV-{doc.mentorship.request_id}-{doc.attempt}{suffix}.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/agreements/<int:agreement_id>.pdf")
def agreement_pdf(agreement_id: int) -> Response:
    doc = _agreement(agreement_id)
    return _pdf_download(doc, doc.pdf, sealed=False)


@bp.route("/agreements/<int:agreement_id>/sealed.pdf")
def sealed_pdf(agreement_id: int) -> Response:
    doc = _agreement(agreement_id)
    if doc.sealed_pdf is None:
        raise NotFound(N_("This agreement is not sealed yet."))
    return _pdf_download(doc, doc.sealed_pdf, sealed=True)


@bp.route("/agreements/<int:agreement_id>/sign", methods=["POST"])
def sign(agreement_id: int) -> Response:
    doc = _agreement(agreement_id)
    data = forms.load(
        forms.SignSchema(), request.form, "agreement.html", **agreement_page_context(doc)
    )
    signature: Signature = signing.write_signature(
        db(),
        data["nonce"],
        doc,
        current_user(),
        data["typed_name"].strip(),
        data["sha256_seen"],
        request.remote_addr or "",
        request.user_agent.string,
        data["consent_version"],
    )
    db().commit()
    ref = SignatureRef(actor(), signature.id, doc.id, data["sha256_seen"])
    request_id = doc.mentorship.request_id
    send(request_id, Update.SIGN, ref, data["nonce"], signature)
    flash(gettext("Signed. Thank you."), "success")
    return redirect(url_for("mentorships.detail", request_id=request_id), code=303)


@bp.route("/agreements/<int:agreement_id>/decline", methods=["POST"])
def decline_agreement(agreement_id: int) -> Response:
    doc = _agreement(agreement_id)
    request_id = doc.mentorship.request_id
    data = forms.load(
        forms.ReasonSchema(), request.form, "agreement.html", **agreement_page_context(doc)
    )
    send_with_reason(
        request_id,
        Update.DECLINE_AGREEMENT,
        "decline_agreement",
        data,
        lambda reason_id: AgreementDecision(actor(), doc.id, reason_id),
    )
    flash(
        gettext("You declined the agreement. The coordinator will look for another match."),
        "success",
    )
    return redirect(url_for("mentorships.detail", request_id=request_id), code=303)


def agreement_page_context(doc: Agreement) -> dict[str, Any]:
    """What agreement.html needs when a form on it comes back with errors."""
    me = current_user()
    version = timeline.version(db(), doc.mentorship.request)
    db().refresh(doc)  # the access rule read it before the version: read again after it
    return {
        "doc": doc,
        "version": version,
        "order": signing.signing_order(doc),
        "next_role": signing.next_role(doc),
        "can_sign": signing.may_sign_now(me, doc),
        "can_decline": signing.may_decline(me, doc),
        "can_void": me.role == Role.COORDINATOR and doc.status == "pending",
        "consent_version": signing.CONSENT_VERSION,
        "consent_text": signing.consent_wording(),
        "languages": AGREEMENT_LANGUAGES,
    }


@bp.route("/company")
def company() -> str:
    me = current_user()
    mentorships = (
        db()
        .scalars(
            select(Mentorship)
            .where(Mentorship.company_id == me.organisation_id)
            .order_by(Mentorship.id.desc())
        )
        .all()
    )
    # Agreements this company countersigns, whose turn has come.
    to_sign = (
        db()
        .scalars(
            select(Task)
            .where(
                Task.closed_at.is_(None),
                Task.role == Role.COMPANY_ADMIN,
                Task.organisation_id == me.organisation_id,
            )
            .order_by(Task.created_at)
        )
        .all()
    )
    return render_template(
        "company.html", mentorships=mentorships, to_sign=to_sign, company=me.organisation
    )


@bp.route("/company/countersigning", methods=["POST"])
def countersigning() -> Response:
    """The company decides whether its admins countersign its mentors' agreements."""
    data = forms.load(forms.CountersignSchema(), request.form, "error.html")
    company = current_user().organisation
    assert company is not None  # a company admin always belongs to one
    company.countersigns_agreements = data["countersign"]
    db().commit()
    if data["countersign"]:
        flash(gettext("From the next agreement on, one of our admins countersigns."), "success")
    else:
        flash(gettext("From the next agreement on, our mentors sign alone."), "success")
    return redirect(url_for("mentorships.company"), code=303)
