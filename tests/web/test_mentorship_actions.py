"""Pausing, resuming and ending a running mentorship from its page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from mentorship import services
from mentorship.db import transaction
from mentorship.models import Reason, User
from mentorship.stages import Decision, PauseChoice, RankInput
from tests.factories import submit
from tests.web.conftest import FakeGateway, csrf, login

NONCE = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def request_id(sessions: sessionmaker[Session], people: dict[str, User]) -> int:
    """A request whose mentorship with Anna is running."""
    request_id = submit(sessions, people["sme"])
    with transaction(sessions) as session:
        offers = services.rank_candidates(session, RankInput(request_id, 1, []))
        assert services.reserve_mentorship(session, offers[0].offer_id) is not None
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
    assert name == "pause" and isinstance(choice, PauseChoice)
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
    assert client.post(f"/requests/{request_id}/terminate", data=data).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    login(client, "mentor@demo.eu")
    data["csrf_token"] = csrf(client, "/mentor")
    assert client.post(f"/requests/{request_id}/terminate", data=data).status_code == 303
    name, decision = gateway.calls[-1]
    assert name == "terminate" and isinstance(decision, Decision)
    assert decision.reason_id is not None


def test_resuming_is_one_click_for_a_coordinator(
    client: FlaskClient, gateway: FakeGateway, request_id: int
) -> None:
    login(client, "coordinator@demo.eu")
    token = csrf(client, "/inbox")
    response = client.post(
        f"/requests/{request_id}/resume", data={"csrf_token": token, "nonce": NONCE}
    )
    assert response.status_code == 303 and gateway.calls[-1][0] == "resume"
