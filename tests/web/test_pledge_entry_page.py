"""A pledge entry's registry copy on the request page, and sending it again."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mentorship.adapters.registry import Pushed, Rejected
from mentorship.services import pledges
from mentorship.store.db import transaction
from mentorship.store.models import Mentorship
from tests.web.conftest import FakeGateway, csrf, login
from tests.web.test_planning_pages import request_id

__all__ = ["request_id"]  # the fixture: a request whose mentorship is running


def test_a_coordinator_reads_the_registrys_refusal_and_sends_the_entry_again(
    client: FlaskClient, gateway: FakeGateway, sessions: sessionmaker[Session], request_id: int
) -> None:
    with transaction(sessions) as session:
        mentorship = session.scalar(select(Mentorship).where(Mentorship.request_id == request_id))
        assert mentorship is not None
        entry = pledges.record_pledge_entry(session, mentorship.id)
        pledges.record_answer(session, entry.id, Rejected(400, "Unknown pledger"))
        entry_id = entry.id
    login(client, "sme@demo.eu")
    token = csrf(client, f"/requests/{request_id}")
    push = client.post(f"/pledge-entries/{entry_id}/push", data={"csrf_token": token})
    assert push.status_code == 403 and gateway.calls == []
    client.post("/logout", data={"csrf_token": token})

    login(client, "coordinator@demo.eu")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "The pledge registry refused an entry" in inbox
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Registry: rejected — HTTP 400: Unknown pledger" in page
    token = csrf(client, f"/requests/{request_id}")
    assert (
        client.post(f"/pledge-entries/{entry_id}/push", data={"csrf_token": token}).status_code
        == 303
    )
    assert gateway.calls == [("push_pledge_entry", entry_id)]
    with transaction(sessions) as session:
        pledges.record_answer(session, entry_id, Pushed("DSJC-000001", duplicate=False))
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Registry: synced as DSJC-000001" in page
    assert "The pledge registry refused an entry" not in client.get("/inbox").get_data(as_text=True)
