"""The JSON API: tokens, the same rules as the pages, pagination, 422 with field errors, and
its OpenAPI document, against which schemathesis finds no server error."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode
from sqlalchemy.orm import Session, sessionmaker

from mentorship.adapters.agreements import sha256_hex
from mentorship.config import Settings
from mentorship.errors import Refused
from mentorship.rules.choices import Decision
from mentorship.rules.payloads import RankInput, RenderInput
from mentorship.rules.stages import OfferStatus, Update
from mentorship.services import api_tokens, ranking, reservation, signing
from mentorship.store.db import transaction
from mentorship.store.models import MatchOffer, User, utcnow
from scripted.journey import actor, submit
from tests.fuzzing import examples
from tests.web.conftest import FakeGateway
from web import create_app

NONCE = "0123456789abcdef0123456789abcdef"


def token_for(sessions: sessionmaker[Session], user: User) -> dict[str, str]:
    with transaction(sessions) as session:
        token = api_tokens.issue(session, session.merge(user), "test", utcnow())
    return {"Authorization": f"Bearer {token}"}


def test_the_api_is_documented_and_asks_for_a_token(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["info"]["title"] == "Digital Volunteers"
    assert {"/api/v1/requests", "/api/v1/requests/{request_id}", "/api/v1/tasks"} <= set(
        spec["paths"]
    )
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for headers in ({}, {"Authorization": "Bearer dv_not-a-token"}, {"Authorization": "Basic x"}):
        response = client.get("/api/v1/requests", headers=headers)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
        assert "API token" in response.get_json()["message"]


def test_each_caller_sees_what_their_pages_show_and_no_more(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    own = submit(sessions, people["sme"])
    with transaction(sessions) as session:
        offers = ranking.rank_candidates(session, RankInput(own, 1, []))
        offer = session.get(MatchOffer, offers[0].offer_id)
        assert offer is not None
        offer.status = OfferStatus.APPROVED  # Anna is asked; the agreement is not signed
    sme, mentor = token_for(sessions, people["sme"]), token_for(sessions, people["mentor"])
    listed = client.get("/api/v1/requests", headers=sme).get_json()
    assert [r["id"] for r in listed] == [own]
    assert listed[0]["sme"] == "Panificio Rossi" and "bread" in listed[0]["description"]
    summary = client.get(f"/api/v1/requests/{own}", headers=mentor).get_json()
    assert summary["country"] == "IT" and summary["challenge_areas"]
    assert summary["sme"] is None and summary["description"] is None  # not before the NDA
    stranger = client.get(f"/api/v1/requests/{own}", headers=token_for(sessions, people["mentor3"]))
    assert stranger.status_code == 404 and stranger.get_json()["message"]  # as if not there
    assert client.get("/api/v1/requests/999999", headers=sme).status_code == 404


def test_lists_come_in_pages(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    ids = [submit(sessions, people["sme"]) for _ in range(3)]
    coordinator = token_for(sessions, people["coordinator"])
    response = client.get("/api/v1/requests?page=2&page_size=2", headers=coordinator)
    assert [r["id"] for r in response.get_json()] == [ids[0]]  # newest first
    assert json.loads(response.headers["X-Pagination"])["total"] == 3
    tasks = client.get("/api/v1/tasks", headers=coordinator).get_json()
    assert sorted(t["request_id"] for t in tasks) == ids
    assert {t["kind"] for t in tasks} == {"review_intake"}


def test_a_decision_needs_a_nonce_and_goes_to_the_workflow(
    client: FlaskClient,
    gateway: FakeGateway,
    sessions: sessionmaker[Session],
    people: dict[str, User],
) -> None:
    request_id = submit(sessions, people["sme"])
    coordinator = token_for(sessions, people["coordinator"])
    path = f"/api/v1/requests/{request_id}/intake/approve"
    bad = client.post(path, headers=coordinator, json={"nonce": "not hex"})
    assert bad.status_code == 422
    assert "hexadecimal" in json.dumps(bad.get_json()["errors"]["json"]["nonce"])
    done = client.post(path, headers=coordinator, json={"nonce": NONCE})
    assert done.status_code == 200 and done.get_json()["decision"] == "intake_approved"
    assert gateway.calls[-1] == (Update.APPROVE_INTAKE, Decision(actor(people["coordinator"])))
    gateway.error = Refused("This step is not open: the request is at stage 'matching'.")
    again = client.post(path, headers=coordinator, json={"nonce": NONCE})
    assert again.status_code == 409 and "not open" in again.get_json()["message"]
    sme = client.post(path, headers=token_for(sessions, people["sme"]), json={"nonce": NONCE})
    assert sme.status_code == 403


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # refused before any query
@pytest.mark.parametrize("offer_id", [1.5, 1.0, "1", True, None, [1], 0, -1, 2**31, 10**40])
def test_an_id_in_a_body_is_a_json_integer_and_nothing_read_as_one(
    client: FlaskClient,
    gateway: FakeGateway,
    sessions: sessionmaker[Session],
    people: dict[str, User],
    offer_id: Any,
) -> None:
    """ "offer_id": 1.5 once approved offer 1, and "1" was taken: an id is a JSON integer of
    the database's range, or the request is a 422 that decides nothing."""
    request_id = submit(sessions, people["sme"])
    coordinator = token_for(sessions, people["coordinator"])
    answer = client.post(
        f"/api/v1/requests/{request_id}/match/approve",
        headers=coordinator,
        json={"nonce": NONCE, "offer_id": offer_id},
    )
    assert answer.status_code == 422, answer.get_json()
    assert "offer_id" in answer.get_json()["errors"]["json"]
    assert gateway.calls == []


def test_a_body_with_a_field_the_action_does_not_know_is_refused(
    client: FlaskClient, gateway: FakeGateway, sessions: sessionmaker[Session],
    people: dict[str, User],
) -> None:  # fmt: skip
    request_id = submit(sessions, people["sme"])
    answer = client.post(
        f"/api/v1/requests/{request_id}/intake/approve",
        headers=token_for(sessions, people["coordinator"]),
        json={"nonce": NONCE, "actor_id": 1},
    )
    assert answer.status_code == 422 and gateway.calls == []


def test_hostile_bodies_and_numbers_are_client_errors_not_server_errors(
    client: FlaskClient, gateway: FakeGateway, sessions: sessionmaker[Session],
    people: dict[str, User],
) -> None:  # fmt: skip
    request_id = submit(sessions, people["sme"])
    coordinator = token_for(sessions, people["coordinator"])
    path = f"/api/v1/requests/{request_id}/intake/approve"
    nested = client.post(
        path, headers={**coordinator, "Content-Type": "application/json"}, data="[" * 5000
    )
    assert nested.status_code == 400
    huge = client.post(
        path, headers={**coordinator, "Content-Type": "application/json"},
        data=json.dumps({"nonce": NONCE, "pad": "x" * (2 * 1024 * 1024)}),
    )  # fmt: skip
    assert huge.status_code == 413
    for far in ("/api/v1/requests/99999999999999999999", "/api/v1/agreements/2147483648"):
        assert client.get(far, headers=coordinator).status_code == 404
    assert gateway.calls == []


def test_coordinators_list_mentors_and_claim_tasks_and_parties_read_agreements(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id = submit(sessions, people["sme"])
    coordinator = token_for(sessions, people["coordinator"])
    mentors = client.get("/api/v1/mentors", headers=coordinator).get_json()
    anna = next(m for m in mentors if m["name"] == "Anna Lindqvist")
    assert anna["company"] == "Nordvik Cloud" and anna["languages"] == ["en", "it"]
    assert anna["proficiency"]["digital_marketing"] == 3 and anna["running"] == 0
    sme = token_for(sessions, people["sme"])
    assert client.get("/api/v1/mentors", headers=sme).status_code == 403

    [task] = client.get("/api/v1/tasks", headers=coordinator).get_json()
    claimed = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=coordinator)
    assert claimed.get_json() == {"task_id": task["id"], "claimed_by": people["coordinator"].id}
    tomas = token_for(sessions, people["coordinator2"])
    taken = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=tomas)
    assert taken.status_code == 409 and "Another coordinator" in taken.get_json()["message"]
    back = client.post(f"/api/v1/tasks/{task['id']}/unclaim", headers=coordinator)
    assert back.get_json()["claimed_by"] is None

    with transaction(sessions) as session:
        offers = ranking.rank_candidates(session, RankInput(request_id, 1, []))
        mentorship_id = reservation.reserve_mentorship(session, offers[0].offer_id)
        assert mentorship_id is not None
        slots = signing.signer_slots(session, mentorship_id)
        render = RenderInput(mentorship_id, 1, "2026-12-09T10:00:00")
        pdf = b"%PDF-1.7 test"
        doc = signing.store_agreement(session, render, pdf, sha256_hex(pdf), slots)
    [mentorship] = client.get("/api/v1/mentorships", headers=sme).get_json()
    assert (mentorship["request_id"], mentorship["mentor"]) == (request_id, "Anna Lindqvist")
    assert mentorship["company"] == "Nordvik Cloud" and mentorship["status"] == "active"
    stranger = token_for(sessions, people["mentor3"])  # Marta of AgroSoft: no part in it
    assert client.get("/api/v1/mentorships", headers=stranger).get_json() == []
    agreement = client.get(f"/api/v1/agreements/{doc.id}", headers=sme).get_json()
    assert agreement["request_id"] == request_id and agreement["status"] == doc.status
    assert agreement["signer_roles"] == ["sme", "mentor", "company_admin"]
    assert client.get(f"/api/v1/agreements/{doc.id}", headers=stranger).status_code == 404


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_api_never_answers_with_a_server_error(
    tmp_path: Path,
    sessions: sessionmaker[Session],
    database_url: str,
    people: dict[str, User],
    unlimited_api: None,
) -> None:
    """schemathesis generates requests for every operation of the document, in-process."""
    for _ in range(2):
        submit(sessions, people["sme"])
    settings_ = Settings(data_dir=tmp_path, database_url=database_url, secret_key="test")
    app = create_app(settings_, temporal=FakeGateway())
    headers = token_for(sessions, people["coordinator"])
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    results: list[Any] = list(schema.get_all_operations())
    operations = [result.ok() for result in results]  # an invalid schema raises here
    assert len(operations) == 12  # every route of the API blueprint
    seen: dict[GenerationMode, list[int]] = {mode: [] for mode in GenerationMode}

    def no_server_error(operation: Any, mode: GenerationMode) -> None:
        @given(case=operation.as_strategy(mode))
        @settings(max_examples=examples(0.25), suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:
            response = case.call(headers=headers)
            seen[mode].append(response.status_code)
            assert response.status_code < 500, (case.method, case.path, response.text[:300])

        call()

    # Requests that fit the document, then ones that break it on purpose (wrong types,
    # values out of range, missing or extra fields): neither is ever a 5xx.
    for mode, operation in itertools.product(GenerationMode, operations):
        no_server_error(operation, mode)
    positive, negative = seen[GenerationMode.POSITIVE], seen[GenerationMode.NEGATIVE]
    assert len(positive) >= 5 * 10 and {200, 404} <= set(positive)  # it reached the views
    assert len(negative) >= 5 * 10 and {400, 422} & set(negative)  # and was refused there
