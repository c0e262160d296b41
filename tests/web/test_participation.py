"""Who takes part in a request, and as what (mentorship.participation), as pages and API
answer it: a mentor whose offer was withdrawn or declined once read the SME's confidential
details on the request's page after the others signed (issue 26). Each person's answers
here are the rule written out by hand."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from mentorship import accounts, services, signing
from mentorship.agreements import render_html_pdf, sha256_hex
from mentorship.db import transaction
from mentorship.models import Agreement, MatchOffer, User, utcnow
from mentorship.stages import OfferStatus, RenderInput
from scripted.journey import INTAKE
from tests.web.conftest import login

SME_NAME = "Panificio Rossi"  # the demo SME's organisation: confidential until signed
DESCRIPTION = INTAKE.description


@dataclass(frozen=True)
class Seen:
    """What one person gets of the request: its page, its version, the API's answers."""

    page: int
    version: int
    api: int
    listed: bool
    reads_details: bool  # the SME's name and words, on the page and through the API


def _request_with_offers(
    sessions: sessionmaker[Session], people: dict[str, User], jonas: OfferStatus, signed: bool
) -> int:
    """Request 1 with offers to Anna (accepted: her mentorship, its agreement signed by all
    or not) and to Jonas (``jonas``)."""
    pdf = render_html_pdf("<h1>Confidentiality agreement</h1>")
    with transaction(sessions) as session:
        request_id = services.create_request(
            session, session.merge(people["sme"]), INTAKE, 2, uuid.uuid4().hex
        ).id
        anna = MatchOffer(request_id=request_id, mentor_id=people["mentor"].id, round=1,
                          rank=1, score=0.9, status=OfferStatus.ACCEPTED)  # fmt: skip
        other = MatchOffer(request_id=request_id, mentor_id=people["mentor2"].id, round=1,
                           rank=2, score=0.8, status=jonas)  # fmt: skip
        session.add_all([anna, other])
        session.flush()
        mentorship_id = services.reserve_mentorship(session, anna.id)
        assert mentorship_id is not None
        slots = signing.signer_slots(session, mentorship_id)
        render = RenderInput(mentorship_id, 1, "2026-12-31T10:00:00")
        agreement = signing.store_agreement(session, render, pdf, sha256_hex(pdf), slots)
        if signed:
            session.get(Agreement, agreement.id).status = "signed"  # type: ignore[union-attr]
    return request_id


def _seen(client: FlaskClient, sessions: sessionmaker[Session], user: User, rid: int) -> Seen:
    with transaction(sessions) as session:
        token = accounts.issue_api_token(session, session.merge(user), "t", utcnow())
    api = {"Authorization": f"Bearer {token}"}
    login(client, user.email)
    page = client.get(f"/requests/{rid}")
    version = client.get(f"/requests/{rid}/version")
    one = client.get(f"/api/v1/requests/{rid}", headers=api)
    listed = [r for r in client.get("/api/v1/requests", headers=api).get_json() if r["id"] == rid]
    text = page.get_data(as_text=True)
    on_page = SME_NAME in text or DESCRIPTION in text
    answers = [*listed, *([one.get_json()] if one.status_code == 200 else [])]
    through_api = [r["sme"] for r in answers]
    if on_page or any(through_api):
        # Pages and API agree: where one shows the details, so does the other.
        assert on_page and all(name == SME_NAME for name in through_api), (user.email, through_api)
    return Seen(page.status_code, version.status_code, one.status_code, bool(listed), on_page)


HIDDEN = Seen(404, 404, 404, listed=False, reads_details=False)
SUMMARY = Seen(200, 200, 200, listed=True, reads_details=False)
DETAILS = Seen(200, 200, 200, listed=True, reads_details=True)


@pytest.mark.parametrize(
    ("jonas", "signed", "jonas_sees"),
    [
        (OfferStatus.WITHDRAWN, True, HIDDEN),  # the reproduction: the match went to Anna
        (OfferStatus.DECLINED, True, HIDDEN),
        (OfferStatus.PROPOSED, True, HIDDEN),  # not yet asked: he does not know of it
        (OfferStatus.APPROVED, True, SUMMARY),  # asked: a candidate reads the summary
        (OfferStatus.WITHDRAWN, False, HIDDEN),
    ],
)
def test_each_person_sees_the_request_as_their_part_in_it_says(
    app: Flask,
    sessions: sessionmaker[Session],
    people: dict[str, User],
    jonas: OfferStatus,
    signed: bool,
    jonas_sees: Seen,
) -> None:
    rid = _request_with_offers(sessions, people, jonas, signed)
    expected = {
        "sme": DETAILS,
        "coordinator": DETAILS,
        "mentor": DETAILS if signed else SUMMARY,  # Anna: hers once everyone signed
        "mentor2": jonas_sees,
        "mentor3": HIDDEN,  # never offered
        "admin": SUMMARY,  # Nordvik Cloud's admin: its mentor's mentorship, never the details
    }
    seen = {}
    for key in expected:
        seen[key] = _seen(app.test_client(), sessions, people[key], rid)
    assert seen == expected
