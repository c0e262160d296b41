"""Pausing, resuming and ending a running mentorship from its page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mentorship.adapters.calendar import in_zone, zone_of
from mentorship.rules.choices import Decision, FeedbackRef, PauseChoice, ScheduleRef, SurveyRef
from mentorship.rules.payloads import RankInput
from mentorship.rules.stages import Update
from mentorship.services import intake, pending_records, ranking, reservation
from mentorship.store.db import transaction
from mentorship.store.models import Feedback, Mentorship, Reason, ScheduledSession, User
from scripted.journey import submit
from tests.web.conftest import FakeGateway, csrf, login

NONCE = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def request_id(sessions: sessionmaker[Session], people: dict[str, User]) -> int:
    """A request whose mentorship with Anna is running."""
    request_id = submit(sessions, people["sme"])
    with transaction(sessions) as session:
        offers = ranking.rank_candidates(session, RankInput(request_id, 1, []))
        assert reservation.reserve_mentorship(session, offers[0].offer_id) is not None
    return request_id


def test_a_pause_needs_a_reason_and_a_future_date_and_sends_both(
    client: FlaskClient, gateway: FakeGateway, sessions: sessionmaker[Session], request_id: int
) -> None:
    login(client, "sme@demo.eu")
    token = csrf(client, f"/requests/{request_id}")
    form = {"csrf_token": token, "nonce": NONCE, "reason": "Harvest season, no time."}
    past = client.post(f"/requests/{request_id}/pause", data={**form, "resume_on": "2020-01-01"})
    assert past.status_code == 422 and "after today" in past.get_data(as_text=True)
    assert gateway.calls == []
    resume_on = (date.today() + timedelta(days=20)).isoformat()
    client.post(f"/requests/{request_id}/pause", data={**form, "resume_on": resume_on})
    name, choice = gateway.calls[-1]
    assert name == Update.PAUSE and isinstance(choice, PauseChoice)
    assert choice.resume_on == resume_on
    with sessions() as session:
        reason = session.get(Reason, choice.reason_id)
        assert reason is not None and reason.text == "Harvest season, no time."


def test_ending_a_mentorship_sends_the_reason_and_only_its_parties_may(
    client: FlaskClient, gateway: FakeGateway, request_id: int
) -> None:
    login(client, "mentor2@demo.eu")  # Anna's colleague, not her mentorship's mentor
    token = csrf(client, "/mentor")
    data = {"csrf_token": token, "nonce": NONCE, "reason": "The SME stopped answering."}
    assert client.post(f"/requests/{request_id}/terminate", data=data).status_code == 404
    client.post("/logout", data={"csrf_token": token})
    login(client, "mentor@demo.eu")
    data["csrf_token"] = csrf(client, "/mentor")
    assert client.post(f"/requests/{request_id}/terminate", data=data).status_code == 303
    name, decision = gateway.calls[-1]
    assert name == Update.TERMINATE and isinstance(decision, Decision)
    assert decision.reason_id is not None


def test_resuming_is_one_click_for_a_coordinator(
    client: FlaskClient, gateway: FakeGateway, request_id: int
) -> None:
    login(client, "coordinator@demo.eu")
    token = csrf(client, "/inbox")
    response = client.post(
        f"/requests/{request_id}/resume", data={"csrf_token": token, "nonce": NONCE}
    )
    assert response.status_code == 303 and gateway.calls[-1][0] == Update.RESUME


def test_the_smes_feedback_carries_its_second_digital_intensity_assessment(
    client: FlaskClient, gateway: FakeGateway, sessions: sessionmaker[Session], request_id: int
) -> None:
    login(client, "sme@demo.eu")
    token = csrf(client, f"/requests/{request_id}")
    form = {"csrf_token": token, "nonce": NONCE, "text": "Very useful sessions.", "achieved": "x"}
    bad = client.post(f"/requests/{request_id}/feedback", data=form)
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Rate the mentorship from 1 to 5" in page and "Write 10 to 3000" in page
    assert gateway.calls == []
    form.update(rating="4", achieved="An online shop with 40 products.")
    form["digital_intensity"] = ["website", "ecommerce_sales", "crm"]  # type: ignore[assignment]
    assert client.post(f"/requests/{request_id}/feedback", data=form).status_code == 303
    name, ref = gateway.calls[-1]
    assert name == Update.GIVE_FEEDBACK and isinstance(ref, FeedbackRef)
    with sessions() as session:
        feedback = session.get(Feedback, ref.feedback_id)
        assert feedback is not None and (feedback.rating, feedback.role) == (4, "sme")
        after = intake.assessments(session, request_id)["completion"]
    assert (after.score, after.level) == (3, "very_low")


def test_a_survey_answer_names_its_months_and_a_bad_one_is_a_422(
    client: FlaskClient, gateway: FakeGateway, request_id: int
) -> None:
    login(client, "sme@demo.eu")
    token = csrf(client, f"/requests/{request_id}")
    form = {
        "csrf_token": token,
        "nonce": NONCE,
        "lasted": "forever",
        "text": "Still online.",
        "months": "4",
    }
    bad = client.post(f"/requests/{request_id}/survey", data=form)
    assert bad.status_code == 422 and "Choose yes, partly or no" in bad.get_data(as_text=True)
    form.update(lasted="partly", months="3")
    assert client.post(f"/requests/{request_id}/survey", data=form).status_code == 303
    name, ref = gateway.calls[-1]
    assert name == Update.ANSWER_SURVEY and isinstance(ref, SurveyRef) and ref.months == 3


def test_the_sme_disputes_a_logged_session_and_a_coordinator_settles_it(
    client: FlaskClient,
    gateway: FakeGateway,
    sessions: sessionmaker[Session],
    people: dict[str, User],
    request_id: int,
) -> None:
    with transaction(sessions) as session:
        mentorship = session.scalars(select(Mentorship)).one()
        log = pending_records.write_session_log(
            session, NONCE, mentorship.id, session.merge(people["mentor"]), date.today(), 2, "x"
        )
    login(client, "mentor@demo.eu")
    token = csrf(client, "/mentor")
    reason = {"csrf_token": token, "nonce": NONCE, "reason": "It was only one hour."}
    assert client.post(f"/sessions/{log.id}/dispute", data=reason).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    login(client, "sme@demo.eu")
    reason["csrf_token"] = csrf(client, f"/requests/{request_id}")
    assert client.post(f"/sessions/{log.id}/dispute", data=reason).status_code == 303
    name, decision = gateway.calls[-1]
    assert (name, decision.session_log_id) == (Update.DISPUTE_SESSION, log.id)
    client.post("/logout", data={"csrf_token": reason["csrf_token"]})
    login(client, "coordinator@demo.eu")
    token = csrf(client, "/inbox")
    settle = {"csrf_token": token, "nonce": NONCE, "reason": "Checked with both sides."}
    bad = client.post(f"/sessions/{log.id}/resolve", data={**settle, "decision": "maybe"})
    assert bad.status_code == 422 and "Choose held or not held" in bad.get_data(as_text=True)
    client.post(f"/sessions/{log.id}/resolve", data={**settle, "decision": "not_held"})
    name, decision = gateway.calls[-1]
    assert name == Update.RESOLVE_DISPUTE and decision.accept is False


def test_a_scheduled_session_is_kept_in_utc_and_downloads_as_a_calendar_invitation(
    client: FlaskClient, gateway: FakeGateway, sessions: sessionmaker[Session], request_id: int
) -> None:
    login(client, "mentor@demo.eu")
    token = csrf(client, "/mentor")
    day = (date.today() + timedelta(days=3)).isoformat()
    form = {
        "csrf_token": token,
        "nonce": NONCE,
        "day": day,
        "time": "10:00",
        "minutes": "90",
        "format": "remote",
        "place": "https://meet.example/abc",
        "agenda": "Product photos, prices",
    }
    bad = client.post(f"/requests/{request_id}/schedule", data={**form, "minutes": "5"})
    assert bad.status_code == 422 and "15 to 480 minutes" in bad.get_data(as_text=True)
    assert client.post(f"/requests/{request_id}/schedule", data=form).status_code == 303
    name, ref = gateway.calls[-1]
    assert name == Update.SCHEDULE_SESSION and isinstance(ref, ScheduleRef)
    with transaction(sessions) as session:
        row = session.get(ScheduledSession, ref.scheduled_id)
        assert row is not None
        local = in_zone(row.starts_at, zone_of("IT"))  # Panificio Rossi is in Italy
        assert local.strftime("%H:%M") == "10:00" and row.minutes == 90
        row.status = "scheduled"  # what the workflow's step does
    ics = client.get(f"/scheduled/{ref.scheduled_id}.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    body = ics.get_data(as_text=True)
    assert f"DTSTART:{row.starts_at.strftime('%Y%m%dT%H%M%SZ')}" in body
    assert "DESCRIPTION:Product photos\\, prices" in body
    client.post("/logout", data={"csrf_token": token})
    login(client, "mentor2@demo.eu")
    assert client.get(f"/scheduled/{ref.scheduled_id}.ics").status_code == 404
