"""Views on their own: access rules, CSRF, form errors, refusals, a busy service."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mentorship.errors import Refused
from mentorship.rules.stages import Update
from mentorship.store.models import IntensityAssessment, Reason, SupportRequest, User
from tests.web.conftest import FakeGateway, csrf, login
from tests.web.test_inbox import statements
from web.access import ROUTES
from web.temporal import ServiceBusy

NONCE = "0123456789abcdef0123456789abcdef"
INTAKE = {
    "challenge_areas": ["e_commerce"],
    "languages": ["it"],
    "description": "We need an online shop for our bakery products.",
    "format": "remote",
    "employees": "14",
    "turnover_eur": "1800000",
    "balance_sheet_eur": "900000",
    "nonce": NONCE,
}


def submitted_then_logged_in_as_coordinator(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> int:
    """The SME submits a request and logs out; the coordinator logs in. The request's id."""
    login(client, "sme@demo.eu")
    submit_intake(client)
    with sessions() as session:
        request_id = session.scalars(select(SupportRequest.id)).one()
    client.post("/logout", data={"csrf_token": csrf(client, "/sme/requests")})
    login(client, "coordinator@demo.eu")
    return request_id


def requests_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count(SupportRequest.id))) or 0


def submit_intake(client: FlaskClient, **changes: object) -> tuple[int, str]:
    data = {**INTAKE, **changes, "csrf_token": csrf(client, "/sme/requests/new")}
    response = client.post("/sme/requests/new", data=data)
    return response.status_code, response.get_data(as_text=True)


def test_every_route_has_an_access_rule(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ROUTES) == set()


def test_a_wrong_password_gets_a_generic_message(client: FlaskClient) -> None:
    data = {"email": "sme@demo.eu", "password": "nope", "csrf_token": csrf(client)}
    response = client.post("/login", data=data)
    assert response.status_code == 401
    assert "E-mail or password is incorrect." in response.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "sme@demo.eu", "password": "digivol-demo"})
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient) -> None:
    response = client.get("/inbox")
    assert response.status_code == 302 and "/login?next=/inbox" in response.location


def test_a_mentor_cannot_open_the_coordinators_inbox(client: FlaskClient) -> None:
    login(client, "mentor@demo.eu")
    assert client.get("/inbox").status_code == 403


def test_a_valid_intake_is_saved_then_its_workflow_started(
    client: FlaskClient, gateway: FakeGateway, sessions: sessionmaker[Session]
) -> None:
    login(client, "sme@demo.eu")
    status, _ = submit_intake(client)
    assert status == 303
    with sessions() as session:
        request = session.scalars(select(SupportRequest)).one()
        assert request.workflow_started and request.challenge_areas == ["e_commerce"]
    # The lead coordinator's e-mail, queued with the request, is woken as the commit ends.
    assert gateway.calls == [("send_mail_now", None), ("start", request.id)]


def test_a_double_submitted_intake_makes_one_request(
    client: FlaskClient, gateway: FakeGateway, sessions: sessionmaker[Session]
) -> None:
    login(client, "sme@demo.eu")
    assert submit_intake(client)[0] == submit_intake(client)[0] == 303
    assert requests_count(sessions) == 1


def test_a_bad_intake_gets_field_messages_and_writes_nothing(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "sme@demo.eu")
    status, page = submit_intake(client, challenge_areas=[], description="short", format="fax")
    assert status == 422
    assert "Choose at least one challenge area." in page
    assert "Describe the challenge in 20 to 5000 characters." in page
    assert "Choose one of the options offered." in page  # a select's value it does not offer
    assert "short" in page  # what the user typed is kept
    assert requests_count(sessions) == 0


def test_an_smes_products_are_kept_as_nace_codes_and_bad_ones_named(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "sme@demo.eu")
    status, page = submit_intake(client, products="C10.71, <b>bread</b>")
    assert status == 422 and "Name each product by a NACE code, e.g. C10.71." in page
    assert submit_intake(client, products="c10.71, G47.24")[0] == 303
    with sessions() as session:
        assert session.scalars(select(SupportRequest.products)).one() == ["C10.71", "G47.24"]


def test_an_enterprise_too_large_to_be_an_sme_is_told_why(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "sme@demo.eu")
    status, page = submit_intake(client, employees="300")
    assert status == 422
    assert "An SME has fewer than 250 employees; 300 were declared." in page
    assert requests_count(sessions) == 0


def test_when_temporal_is_down_the_request_is_kept_for_the_reconciler(
    client: FlaskClient, gateway: FakeGateway, sessions: sessionmaker[Session]
) -> None:
    login(client, "sme@demo.eu")
    gateway.error = ServiceBusy("down")
    status, _ = submit_intake(client)
    assert status == 303
    page = client.get("/sme/requests").get_data(as_text=True)
    with sessions() as session:
        request = session.scalars(select(SupportRequest)).one()
        assert not request.workflow_started
    assert f"#{request.id}" in page


def test_an_sme_cannot_see_another_smes_request(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    login(client, "sme@demo.eu")
    submit_intake(client)
    with sessions.begin() as session:
        other = User(
            email="other@sme.eu",
            name="Other",
            role="sme",
            password_hash="x",
            organisation_id=people["mentor"].organisation_id,
        )
        session.add(other)
    with sessions() as session:
        request_id = session.scalars(select(SupportRequest.id)).one()
    assert client.get(f"/requests/{request_id}").status_code == 200
    client.post("/logout", data={"csrf_token": csrf(client, "/sme/requests")})
    login(client, "mentor@demo.eu")  # no offer for this request
    assert client.get(f"/requests/{request_id}").status_code == 404
    assert client.get("/requests/999").status_code == 404


def test_a_refused_step_marks_its_reason_refused_and_says_why(
    client: FlaskClient, gateway: FakeGateway, sessions: sessionmaker[Session]
) -> None:
    request_id = submitted_then_logged_in_as_coordinator(client, sessions)
    gateway.error = Refused("This step is not open: the request is at stage 'matching'.")
    response = client.post(
        f"/requests/{request_id}/intake/reject",
        data={
            "reason": "Not a digital need.",
            "nonce": NONCE,
            "csrf_token": csrf(client, "/inbox"),
        },
        headers={"Referer": f"/requests/{request_id}"},
    )
    assert response.status_code == 303
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "the request is at stage &#39;matching&#39;" in page
    with sessions() as session:
        reason = session.scalars(select(Reason)).one()
        assert (reason.text, reason.status) == ("Not a digital need.", "refused")


def test_a_busy_service_is_a_clear_503_and_nothing_is_decided(
    client: FlaskClient, gateway: FakeGateway, sessions: sessionmaker[Session]
) -> None:
    request_id = submitted_then_logged_in_as_coordinator(client, sessions)
    gateway.error = ServiceBusy("deadline exceeded")
    response = client.post(
        f"/requests/{request_id}/intake/approve",
        data={"nonce": NONCE, "csrf_token": csrf(client, "/inbox")},
    )
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "Reload the page to see whether your change went through" in text


def test_the_inbox_approves_an_intake_in_one_click(
    client: FlaskClient, gateway: FakeGateway, sessions: sessionmaker[Session]
) -> None:
    request_id = submitted_then_logged_in_as_coordinator(client, sessions)
    page = client.get("/inbox").get_data(as_text=True)
    action = f"/requests/{request_id}/intake/approve"
    assert f'action="{action}"' in page
    nonce = re.search(r'name="nonce" value="([0-9a-f]{32})"', page)
    assert nonce
    response = client.post(
        action, data={"nonce": nonce.group(1), "csrf_token": csrf(client, "/inbox")}
    )
    assert response.status_code == 303
    assert [name for name, _ in gateway.calls] == ["send_mail_now", "start", "approve_intake"]


def test_a_coordinator_starts_a_matching_round_and_a_mentor_cannot(
    client: FlaskClient, gateway: FakeGateway
) -> None:
    login(client, "coordinator@demo.eu")
    data = {"nonce": NONCE, "csrf_token": csrf(client, "/inbox")}
    response = client.post("/matching-rounds", data=data, follow_redirects=True)
    assert "A matching round has started" in response.get_data(as_text=True)
    assert gateway.calls == [("start_round", None)]
    client.post("/logout", data={"csrf_token": csrf(client, "/inbox")})
    login(client, "mentor@demo.eu")
    data = {"nonce": NONCE, "csrf_token": csrf(client, "/mentor")}
    assert client.post("/matching-rounds", data=data).status_code == 403
    assert gateway.calls == [("start_round", None)]


def test_an_override_keeps_its_reason_and_one_without_is_refused(
    client: FlaskClient,
    gateway: FakeGateway,
    sessions: sessionmaker[Session],
    people: dict[str, User],
) -> None:
    request_id = submitted_then_logged_in_as_coordinator(client, sessions)
    path = f"/requests/{request_id}/override"
    marta = people["mentor3"].id
    data = {"mentor_id": str(marta), "nonce": NONCE, "csrf_token": csrf(client, "/inbox")}
    assert client.post(path, data={**data, "reason": ""}).status_code == 422
    reason = "The SME asked for her by name; AgroSoft's bakery line is a separate unit."
    assert client.post(path, data={**data, "reason": reason}).status_code == 303
    name, choice = gateway.calls[-1]
    assert (name, choice.mentor_id) == (Update.OVERRIDE_CONFLICT, marta)
    with sessions() as session:
        row = session.scalars(select(Reason)).one()
        assert (row.id, row.purpose, row.text) == (choice.reason_id, "override_conflict", reason)


def test_the_intake_keeps_the_digital_intensity_self_assessment_and_shows_its_level(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "sme@demo.eu")
    ticked = ["website", "social_media", "fast_broadband", "internet_majority", "crm"]
    status, _ = submit_intake(client, digital_intensity=ticked)
    assert status == 303
    with sessions() as session:
        row = session.scalars(select(IntensityAssessment)).one()
        request_id = row.request_id
    assert (row.phase, row.score, row.level, row.version) == ("intake", 5, "low", "dii-v4")
    assert sorted(k for k, yes in row.answers.items() if yes) == sorted(ticked)
    assert len(row.answers) == 12  # the unticked ones are recorded as no
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Digital intensity at intake" in page and "5/12" in page and "low" in page


def test_an_unknown_digital_intensity_criterion_is_a_field_error(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "sme@demo.eu")
    status, page = submit_intake(client, digital_intensity=["website", "teleportation"])
    assert status == 422 and "Choose one of the options offered." in page
    assert requests_count(sessions) == 0


def test_every_page_carries_the_security_headers_and_personal_pages_are_not_cached(
    app: Flask, client: FlaskClient
) -> None:
    public = client.get("/login")
    assert "default-src 'self'" in public.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in public.headers["Content-Security-Policy"]
    assert public.headers["X-Content-Type-Options"] == "nosniff"
    assert public.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in public.headers["Permissions-Policy"]
    assert "no-store" not in public.headers.get("Cache-Control", "")
    assert "Strict-Transport-Security" not in public.headers  # plain HTTP locally
    login(client, "sme@demo.eu")
    assert client.get("/sme/requests").headers["Cache-Control"] == "no-store"
    app.config["SESSION_COOKIE_SECURE"] = True
    assert "max-age=" in client.get("/login").headers["Strict-Transport-Security"]


def test_a_request_page_before_any_mentorship_loads_the_request_once_and_no_outcomes(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    request_id = submitted_then_logged_in_as_coordinator(client, sessions)
    with statements(app) as seen:
        page = client.get(f"/requests/{request_id}")
    assert page.status_code == 200 and "Approve intake" in page.get_data(as_text=True)
    tables = [re.search(r"\bFROM (\w+)", sql) for sql in seen]
    read = [found.group(1) for found in tables if found]
    # The access rule's row is the view's: one read of the request, not two.
    assert read.count("support_requests") == 1, read
    # Feedback, survey answers and certificates come with a mentorship, and there is none.
    assert not {"feedback", "survey_answers", "goal_outcomes", "certificates"} & set(read)
    assert read.count("reasons") == 1, read  # the timeline uses the reasons the page read
