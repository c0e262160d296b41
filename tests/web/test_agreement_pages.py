"""The agreement's pages: signing in turn, declining, voiding, downloads, /verify."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mentorship.adapters.agreements import render_html_pdf, sha256_hex
from mentorship.rules.choices import AgreementDecision, SignatureRef
from mentorship.rules.payloads import RankInput, RenderInput
from mentorship.rules.stages import Update
from mentorship.services import ranking, reservation, signing
from mentorship.store.db import transaction
from mentorship.store.models import (
    Agreement,
    AuditEntry,
    Organisation,
    Reason,
    Signature,
    SupportRequest,
    User,
)
from scripted.journey import submit
from tests.web.conftest import FakeGateway, csrf, login

NONCE = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_html_pdf("<h1>Confidentiality agreement</h1>")


@pytest.fixture
def agreement_id(sessions: sessionmaker[Session], people: dict[str, User], pdf: bytes) -> int:
    """An agreement issued to the SME, Anna, and Nordvik Cloud's admin, nobody signed yet."""
    request_id = submit(sessions, people["sme"])
    with transaction(sessions) as session:
        offers = ranking.rank_candidates(session, RankInput(request_id, 1, []))
        mentorship_id = reservation.reserve_mentorship(session, offers[0].offer_id)
        assert mentorship_id is not None
        signers = signing.signer_slots(session, mentorship_id)
        render = RenderInput(mentorship_id, 1, "2026-12-09T10:00:00")
        return signing.store_agreement(session, render, pdf, sha256_hex(pdf), signers).id


def _as(client: FlaskClient, email: str) -> FlaskClient:
    login(client, email)
    return client


def _apply_signature(sessions: sessionmaker[Session], agreement_id: int, user: User) -> None:
    """What the workflow's step does once it accepted a signature."""
    with transaction(sessions) as session:
        doc = session.get(Agreement, agreement_id)
        assert doc is not None
        sig = signing.write_signature(
            session, NONCE, doc, session.merge(user), user.name, doc.sha256, "10.0.0.1", "x"
        )
        sig.status = "applied"


def test_only_the_parties_and_coordinators_download_and_every_download_is_logged(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    people: dict[str, User],
    agreement_id: int,
    pdf: bytes,
) -> None:
    allowed = ["sme", "mentor", "admin", "coordinator"]
    refused = ["mentor2", "mentor3"]  # a colleague of the mentor, and another company's mentor
    for name in allowed + refused:
        client.post("/logout", data={"csrf_token": csrf(client, "/login")})
        response = _as(client, f"{name}@demo.eu").get(f"/agreements/{agreement_id}.pdf")
        expected = 200 if name in allowed else 404  # not theirs: as if it did not exist
        assert response.status_code == expected, name
        if expected == 200:
            assert response.data == pdf
            disposition = response.headers["Content-Disposition"]
            assert re.fullmatch(
                r'inline; filename="confidentiality-agreement-DV-\d+-1\.pdf"', disposition
            )
    with sessions() as session:
        logged = session.scalars(
            select(AuditEntry.actor_id).where(AuditEntry.kind == "agreement_downloaded")
        ).all()
    assert logged == [people[name].id for name in allowed]


def test_the_signing_form_is_offered_to_whoever_signs_next(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    people: dict[str, User],
    agreement_id: int,
) -> None:
    page = _as(client, "mentor@demo.eu").get(f"/agreements/{agreement_id}").get_data(True)
    assert "Sign the agreement" not in page and "not your turn yet" in page
    assert "Decline to sign" in page  # a later signer may still decline
    _apply_signature(sessions, agreement_id, people["sme"])
    page = client.get(f"/agreements/{agreement_id}").get_data(as_text=True)
    assert "Sign the agreement" in page
    assert signing.consent_wording() in page.replace("&#39;", "'")


def test_the_agreement_page_follows_its_request_and_reloads_only_while_being_sealed(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User], agreement_id: int
) -> None:
    from tests.web.test_page_follow import current, followed

    with transaction(sessions) as session:
        doc = session.get(Agreement, agreement_id)
        assert doc is not None
        request_id = doc.mentorship.request_id
    login(client, "sme@demo.eu")
    url, shown = followed(client, f"/agreements/{agreement_id}")
    assert url == f"/requests/{request_id}/version" and current(client, url) == shown
    page = client.get(f"/agreements/{agreement_id}").get_data(as_text=True)
    assert 'data-reload="no"' in page  # its reader is not pulled away from the document
    with transaction(sessions) as session:
        doc = session.get(Agreement, agreement_id)
        assert doc is not None
        doc.status = "signed"  # everyone signed: the page waits for the sealed copy
    page = client.get(f"/agreements/{agreement_id}").get_data(as_text=True)
    assert 'data-every="3" data-reload="yes"' in page


def test_a_signature_carries_the_hash_seen_and_stores_the_consent_wording(
    client: FlaskClient,
    gateway: FakeGateway,
    sessions: sessionmaker[Session],
    agreement_id: int,
    pdf: bytes,
) -> None:
    _as(client, "sme@demo.eu")
    form = {
        "csrf_token": csrf(client, f"/agreements/{agreement_id}"),
        "nonce": NONCE,
        "sha256_seen": sha256_hex(pdf),
        "consent_version": signing.CONSENT_VERSION,
        "typed_name": "Giulia Rossi",
    }
    refused = client.post(f"/agreements/{agreement_id}/sign", data=form)
    assert refused.status_code == 422 and "Tick the box" in refused.get_data(as_text=True)
    unknown = client.post(
        f"/agreements/{agreement_id}/sign",
        data={**form, "consent": "yes", "consent_version": "1999-01"},
    )
    assert unknown.status_code == 422 and "consent wording is unknown" in unknown.get_data(True)
    response = client.post(
        f"/agreements/{agreement_id}/sign",
        data={**form, "consent": "yes"},
        headers={"User-Agent": "Test browser 1.0"},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert response.status_code == 303
    name, ref = gateway.calls[-1]
    assert name == Update.SIGN and isinstance(ref, SignatureRef)
    assert (ref.agreement_id, ref.sha256_seen) == (agreement_id, sha256_hex(pdf))
    with sessions() as session:
        sig = session.scalars(select(Signature)).one()
    assert (sig.typed_name, sig.ip_address, sig.user_agent) == (
        "Giulia Rossi",
        "192.0.2.7",
        "Test browser 1.0",
    )
    assert (sig.consent_version, sig.consent_text) == (
        signing.CONSENT_VERSION,
        signing.consent_wording(),
    )


def test_a_decline_needs_a_reason_which_the_workflow_receives_by_id(
    client: FlaskClient,
    gateway: FakeGateway,
    sessions: sessionmaker[Session],
    agreement_id: int,
) -> None:
    _as(client, "mentor@demo.eu")
    token = csrf(client, f"/agreements/{agreement_id}")
    short = client.post(
        f"/agreements/{agreement_id}/decline",
        data={"csrf_token": token, "nonce": NONCE, "reason": "no"},
    )
    assert short.status_code == 422 and "Give a reason" in short.get_data(as_text=True)
    assert gateway.calls == []
    client.post(
        f"/agreements/{agreement_id}/decline",
        data={"csrf_token": token, "nonce": NONCE, "reason": "Our legal team needs changes."},
    )
    name, decision = gateway.calls[-1]
    assert name == Update.DECLINE_AGREEMENT and isinstance(decision, AgreementDecision)
    with sessions() as session:
        reason = session.get(Reason, decision.reason_id)
    assert reason is not None and reason.text == "Our legal team needs changes."


def test_only_a_coordinator_voids_and_a_reissue_may_change_the_language(
    client: FlaskClient,
    gateway: FakeGateway,
    sessions: sessionmaker[Session],
    agreement_id: int,
) -> None:
    data = {"nonce": NONCE, "reason": "Wrong registered address.", "next_step": "reissue"}
    _as(client, "sme@demo.eu")
    token = csrf(client, f"/agreements/{agreement_id}")
    forbidden = client.post(f"/agreements/{agreement_id}/void", data={**data, "csrf_token": token})
    assert forbidden.status_code == 403 and gateway.calls == []
    client.post("/logout", data={"csrf_token": token})
    _as(client, "coordinator@demo.eu")
    token = csrf(client, f"/agreements/{agreement_id}")
    bad = client.post(
        f"/agreements/{agreement_id}/void",
        data={**data, "csrf_token": token, "language": "xx"},
    )
    assert bad.status_code == 422 and "Choose a listed language" in bad.get_data(as_text=True)
    client.post(
        f"/agreements/{agreement_id}/void", data={**data, "csrf_token": token, "language": "de"}
    )
    name, decision = gateway.calls[-1]
    assert name == Update.VOID_AGREEMENT and decision.rematch is False
    with sessions() as session:
        doc = session.get(Agreement, agreement_id)
        assert doc is not None
        request = session.get(SupportRequest, doc.mentorship.request_id)
        assert request is not None and request.agreement_language == "de"


@pytest.mark.parametrize(
    ("content", "verdict"),
    [
        (b"not a pdf at all", "This is not a readable PDF"),
        (None, "carries no seal"),  # the unsealed PDF below
    ],
)
def test_verify_tells_a_stranger_plainly_when_a_file_is_not_a_sealed_agreement(
    client: FlaskClient, pdf: bytes, content: bytes | None, verdict: str
) -> None:
    token = csrf(client, "/verify")
    response = client.post(
        "/verify",
        data={"csrf_token": token, "document": (io.BytesIO(content or pdf), "a.pdf")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Not verified" in page
    assert verdict in page


def test_verify_without_a_file_is_a_422(client: FlaskClient) -> None:
    response = client.post("/verify", data={"csrf_token": csrf(client, "/verify")})
    assert response.status_code == 422 and "Choose a PDF file" in response.get_data(True)


def test_a_company_admin_decides_whether_the_company_countersigns(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    _as(client, "admin@demo.eu")
    token = csrf(client, "/company")
    assert client.post("/company/countersigning", data={"csrf_token": token}).status_code == 303
    with sessions() as session:
        company = session.get(Organisation, people["admin"].organisation_id)
        assert company is not None and company.countersigns_agreements is False
    client.post("/company/countersigning", data={"csrf_token": token, "countersign": "yes"})
    with sessions() as session:
        company = session.get(Organisation, people["admin"].organisation_id)
        assert company is not None and company.countersigns_agreements is True
    client.post("/logout", data={"csrf_token": token})
    _as(client, "mentor@demo.eu")
    token = csrf(client, "/mentor")
    forbidden = client.post("/company/countersigning", data={"csrf_token": token})
    assert forbidden.status_code == 403
