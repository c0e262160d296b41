"""A request's timeline: each step in plain words, who took it, why (for those who may read
the reason), and for coordinators the audit chain's downloads."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from mentorship.rules.payloads import RankInput
from mentorship.rules.stages import Effect, Stage
from mentorship.services import audit, pending_records, ranking, reservation
from mentorship.store.models import Event, User, utcnow
from scripted.journey import submit
from tests.web.conftest import csrf, login


def test_the_timeline_says_who_did_what_and_why_to_those_who_may_read_it(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id = submit(sessions, people["sme"])
    claire = people["coordinator"]
    with sessions.begin() as session:  # what the workflow's step writes after the update
        reason = pending_records.write_reason(
            session, "n" * 32, request_id, claire.id, "reject_intake", "Not an SME: 400 staff."
        )
        reason.status = "applied"
        session.flush()
        rejected = Event(
            key=f"k-{request_id}",
            request_id=request_id,
            actor_id=claire.id,
            kind=Effect.INTAKE_REJECTED,
            stage=Stage.REJECTED,
            at=utcnow(),
        )
        session.add(rejected)
        audit.append(
            session,
            "agreement_downloaded",
            request_id=request_id,
            agreement_id=7,
            actor_id=people["admin"].id,
            data={"file": "sealed"},
        )
    login(client, "coordinator@demo.eu")
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    timeline = page.split("<h2>Timeline</h2>")[1]
    assert "Request submitted" in timeline and "by Giulia Rossi (SME representative)" in timeline
    assert "Intake rejected" in timeline and "by Claire Dubois (Coordinator)" in timeline
    assert "Why: Not an SME: 400 staff." in timeline
    assert "Agreement downloaded: agreement 7, the sealed copy" in timeline
    assert timeline.index("Request submitted") < timeline.index("Intake rejected")

    client.post("/logout", data={"csrf_token": csrf(client, "/inbox")})
    login(client, "sme@demo.eu")
    own = client.get(f"/requests/{request_id}").get_data(as_text=True).split("<h2>Timeline")[1]
    assert "Why: Not an SME: 400 staff." in own  # the SME reads why it was turned down
    assert "Agreement downloaded" not in own  # the audit's downloads are for coordinators


def test_the_page_says_why_this_mentor_was_proposed(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id = submit(sessions, people["sme"])
    with sessions.begin() as session:
        offers = ranking.rank_candidates(session, RankInput(request_id, 1, []))
        assert reservation.reserve_mentorship(session, offers[0].offer_id) is not None
    login(client, "coordinator@demo.eu")
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    why = page.split("<h2>Why this mentor</h2>")[1].split("</section>")[0]
    assert "Anna Lindqvist of Nordvik Cloud was ranked 1 in" in why
    assert "Expertise in the challenge areas" in why and "Room for another mentorship" in why
    client.post("/logout", data={"csrf_token": csrf(client, "/inbox")})
    login(client, "sme@demo.eu")
    assert "Why this mentor" not in client.get(f"/requests/{request_id}").get_data(as_text=True)
