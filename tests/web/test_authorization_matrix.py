"""Every route × every role × an object of the user's own mentorship and of someone else's.

The expected answers below are the programme's rules written out by hand, independently of
``web.access.ROUTES``: a change to the route table that lets someone in where these rules say
no (or shuts out someone they let in) fails here. A route added without a line here fails too.

Refusals go through HTTP with a valid CSRF token, so nothing but the access rule stands in the
way, and each must be a 403 (or, for a visitor, the login page) with no workflow update sent.
Permitted pages are opened over HTTP; permitted actions are checked with the same decision
the server makes before each request, so the matrix changes nothing it later relies on.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from digivol.demo import seed
from mentorship.adapters.agreements import render_html_pdf, sha256_hex
from mentorship.config import Settings
from mentorship.errors import Forbidden
from mentorship.rules.payloads import RenderInput
from mentorship.rules.stages import Effect, OfferStatus
from mentorship.rules.subjects import SubjectKind
from mentorship.services import api_tokens, intake, pending_records, reservation, signing
from mentorship.services.pledges import open_pledge
from mentorship.store.db import make_engine, make_session_factory, migrate, transaction
from mentorship.store.models import (
    Event,
    MatchOffer,
    Organisation,
    PledgeEntry,
    PledgeReport,
    ScheduledSession,
    Task,
    User,
    utcnow,
)
from scripted.journey import INTAKE
from tests.web.conftest import FakeGateway, csrf, login
from web import access, create_app

ROLES = {"C": "coordinator", "S": "sme", "M": "mentor", "A": "admin", "-": None}
EVERYONE = "CSMA-"


@dataclass(frozen=True)
class World:
    """The ids of one mentorship and everything hanging off it."""

    request_id: int
    offer_id: int
    agreement_id: int
    log_id: int
    scheduled_id: int
    pledge_id: int
    report_id: int
    entry_id: int
    task_id: int


# endpoint: (method, URL pattern, who may on their own object, who may on someone else's).
# "C" coordinator, "S" the SME's user, "M" the mentor, "A" the mentor's company admin,
# "-" a visitor who is not logged in. A route without objects has one answer for both.
EXPECTED: dict[str, tuple[str, str, str, str]] = {
    "public.home": ("GET", "/", EVERYONE, EVERYONE),
    "ops.healthz": ("GET", "/healthz", EVERYONE, EVERYONE),
    "ops.readyz": ("GET", "/readyz", EVERYONE, EVERYONE),
    "ops.metrics": ("GET", "/metrics", EVERYONE, EVERYONE),
    "public.verify": ("GET", "/verify", EVERYONE, EVERYONE),
    "public.verify#post": ("POST", "/verify", EVERYONE, EVERYONE),
    "dev.outbox": ("GET", "/dev/mail", EVERYONE, EVERYONE),
    "static": ("GET", "/static/style.css", EVERYONE, EVERYONE),
    "auth.login": ("GET", "/login", EVERYONE, EVERYONE),
    "auth.login#post": ("POST", "/login", EVERYONE, EVERYONE),
    "auth.logout": ("POST", "/logout", "CSMA", "CSMA"),
    "account.register": ("GET", "/register", EVERYONE, EVERYONE),
    "account.register#post": ("POST", "/register", EVERYONE, EVERYONE),
    "account.resend_verification": ("GET", "/account/verify", EVERYONE, EVERYONE),
    "account.resend_verification#post": ("POST", "/account/verify", EVERYONE, EVERYONE),
    "account.verify": ("GET", "/account/verify/not-a-link", EVERYONE, EVERYONE),
    "account.verify#post": ("POST", "/account/verify/not-a-link", EVERYONE, EVERYONE),
    "account.forgot": ("GET", "/account/reset", EVERYONE, EVERYONE),
    "account.forgot#post": ("POST", "/account/reset", EVERYONE, EVERYONE),
    "account.reset": ("GET", "/account/reset/not-a-link", EVERYONE, EVERYONE),
    "account.reset#post": ("POST", "/account/reset/not-a-link", EVERYONE, EVERYONE),
    "account.invitation": ("GET", "/account/invitation/not-a-link", EVERYONE, EVERYONE),
    "account.invitation#post": ("POST", "/account/invitation/not-a-link", EVERYONE, EVERYONE),
    "account.invitations": ("GET", "/invitations", "CA", "CA"),
    "account.invitations#post": ("POST", "/invitations", "CA", "CA"),
    "public.privacy": ("GET", "/privacy", EVERYONE, EVERYONE),
    "account.settings_page": ("GET", "/account", "CSMA", "CSMA"),
    "account.data": ("GET", "/account/data.json", "CSMA", "CSMA"),
    "account.erase": ("POST", "/account/erase", "CSMA", "CSMA"),
    "account.create_api_token": ("POST", "/account/api-tokens", "CSMA", "CSMA"),
    "account.language": ("POST", "/account/language", EVERYONE, EVERYONE),
    "account.revoke_api_token": ("POST", "/account/api-tokens/1/revoke", "CSMA", "CSMA"),
    "account.totp": ("POST", "/account/totp", "C", "C"),
    "auth.second_factor": ("GET", "/login/code", EVERYONE, EVERYONE),
    "auth.second_factor#post": ("POST", "/login/code", EVERYONE, EVERYONE),
    "pledges.index": ("GET", "/pledges", EVERYONE, EVERYONE),
    "pledges.detail": ("GET", "/pledges/{pledge_id}", EVERYONE, EVERYONE),
    "pledges.export": ("GET", "/pledges/export/entries.csv", EVERYONE, EVERYONE),
    "pledges.edit": ("GET", "/company/pledge", "A", "A"),
    "pledges.edit#post": ("POST", "/company/pledge", "A", "A"),
    "pledges.submit": ("POST", "/company/pledge/submit", "A", "A"),
    "pledges.report": (
        "GET",
        "/company/pledge/reports?period_start=2026-01-01&period_end=2026-06-30",
        "A",
        "A",
    ),
    "pledges.report#post": ("POST", "/company/pledge/reports", "A", "A"),
    "pledges.approve": ("POST", "/pledges/{pledge_id}/approve", "C", "C"),
    "pledges.approve_report": ("POST", "/pledge-reports/{report_id}/approve", "C", "C"),
    "coordinator.inbox": ("GET", "/inbox", "C", "C"),
    "dashboard.index": ("GET", "/dashboard", "C", "C"),
    "dashboard.export": ("GET", "/dashboard/funnel.csv", "C", "C"),
    "coordinator.claim_task": ("POST", "/tasks/{task_id}/claim", "C", "C"),
    "coordinator.unclaim_task": ("POST", "/tasks/{task_id}/unclaim", "C", "C"),  # Claire leads
    "coordinator.assign_task": ("POST", "/tasks/{task_id}/assign", "C", "C"),
    "coordinator.approve_intakes": ("POST", "/inbox/approve-intakes", "C", "C"),
    "coordinator.run_round": ("POST", "/matching-rounds", "C", "C"),
    "coordinator.approve_intake": ("POST", "/requests/{request_id}/intake/approve", "C", "C"),
    "coordinator.reject_intake": ("POST", "/requests/{request_id}/intake/reject", "C", "C"),
    "coordinator.approve_match": ("POST", "/requests/{request_id}/match/approve", "C", "C"),
    "coordinator.override_conflict": ("POST", "/requests/{request_id}/override", "C", "C"),
    "coordinator.approve_completion": (
        "POST",
        "/requests/{request_id}/completion/approve",
        "C",
        "C",
    ),
    "coordinator.push_pledge_entry": ("POST", "/pledge-entries/{entry_id}/push", "C", "C"),
    "coordinator.resolve_dispute": ("POST", "/sessions/{log_id}/resolve", "C", "C"),
    "coordinator.void_agreement": ("POST", "/agreements/{agreement_id}/void", "C", "C"),
    "sme.requests": ("GET", "/sme/requests", "S", "S"),
    "sme.new_request": ("GET", "/sme/requests/new", "S", "S"),
    "sme.new_request#post": ("POST", "/sme/requests/new", "S", "S"),
    "sme.confirm_session": ("POST", "/sessions/{log_id}/confirm", "S", ""),
    "sme.dispute_session": ("POST", "/sessions/{log_id}/dispute", "S", ""),
    "mentor.home": ("GET", "/mentor", "M", "M"),
    "mentor.accept_offer": ("POST", "/offers/{offer_id}/accept", "M", ""),
    "mentor.decline_offer": ("POST", "/offers/{offer_id}/decline", "M", ""),
    "mentor.log_session": ("POST", "/requests/{request_id}/sessions", "M", ""),
    "mentorships.company": ("GET", "/company", "A", "A"),
    "mentorships.countersigning": ("POST", "/company/countersigning", "A", "A"),
    "mentorships.detail": ("GET", "/requests/{request_id}", "CSMA", "C"),
    "mentorships.version": ("GET", "/requests/{request_id}/version", "CSMA", "C"),
    "mentorships.end_early": ("POST", "/requests/{request_id}/end-early", "SM", ""),
    "mentorships.pause": ("POST", "/requests/{request_id}/pause", "CSM", "C"),
    "mentorships.resume": ("POST", "/requests/{request_id}/resume", "CSM", "C"),
    "mentorships.terminate": ("POST", "/requests/{request_id}/terminate", "CSM", "C"),
    "mentorships.give_feedback": ("POST", "/requests/{request_id}/feedback", "SM", ""),
    "mentorships.answer_survey": ("POST", "/requests/{request_id}/survey", "S", ""),
    "mentorships.certificate_pdf": (
        "GET",
        "/requests/{request_id}/certificates/{side}.pdf",
        "CSMA",
        "C",
    ),
    "mentorships.agreement": ("GET", "/agreements/{agreement_id}", "CSMA", "C"),
    "mentorships.agreement_pdf": ("GET", "/agreements/{agreement_id}.pdf", "CSMA", "C"),
    "mentorships.sealed_pdf": ("GET", "/agreements/{agreement_id}/sealed.pdf", "CSMA", "C"),
    "mentorships.sign": ("POST", "/agreements/{agreement_id}/sign", "SMA", ""),
    "mentorships.decline_agreement": ("POST", "/agreements/{agreement_id}/decline", "SMA", ""),
    "planning.propose_plan": ("POST", "/requests/{request_id}/plan", "SM", ""),
    "planning.accept_plan": ("POST", "/requests/{request_id}/plan/1/accept", "SM", ""),
    "planning.extend_plan": ("POST", "/requests/{request_id}/plan/extend", "C", "C"),
    "planning.schedule_session": ("POST", "/requests/{request_id}/schedule", "SM", ""),
    "planning.move_session": ("POST", "/scheduled/{scheduled_id}/move", "SM", ""),
    "planning.cancel_session": ("POST", "/scheduled/{scheduled_id}/cancel", "SM", ""),
    "planning.session_ics": ("GET", "/scheduled/{scheduled_id}.ics", "CSM", "C"),
    # The API, called with each person's token (a visitor has none: 401, not the login page).
    "api-docs.openapi_json": ("GET", "/api/v1/openapi.json", EVERYONE, EVERYONE),
    "api.list_pledges": ("GET", "/api/v1/pledges", EVERYONE, EVERYONE),
    "api.list_requests": ("GET", "/api/v1/requests", "CSMA", "CSMA"),
    "api.list_tasks": ("GET", "/api/v1/tasks", "CSMA", "CSMA"),
    "api.get_request": ("GET", "/api/v1/requests/{request_id}", "CSMA", "C"),
    "api.approve_intake": ("POST", "/api/v1/requests/{request_id}/intake/approve", "C", "C"),
    "api.approve_match": ("POST", "/api/v1/requests/{request_id}/match/approve", "C", "C"),
    "api.approve_completion": (
        "POST",
        "/api/v1/requests/{request_id}/completion/approve",
        "C",
        "C",
    ),
    "api.get_agreement": ("GET", "/api/v1/agreements/{agreement_id}", "CSMA", "C"),
    "api.list_mentors": ("GET", "/api/v1/mentors", "C", "C"),
    "api.list_mentorships": ("GET", "/api/v1/mentorships", "CSMA", "CSMA"),
    "api.claim_task": ("POST", "/api/v1/tasks/{task_id}/claim", "C", "C"),
    "api.unclaim_task": ("POST", "/api/v1/tasks/{task_id}/unclaim", "C", "C"),
}

# Whose certificate each role asks for: the side it is entitled to, if any.
SIDE = {"coordinator": "sme", "sme": "sme", "mentor": "mentor", "admin": "mentor", None: "sme"}


def _mentorship(
    session: Session, sme: User, mentor: User, pdf: bytes, countersigned: bool
) -> World:
    """A running mentorship of ``sme`` with ``mentor``: offer, agreement, a logged session,
    a scheduled one, the company's pledge with a report and an entry."""
    request_id = intake.create_request(session, sme, INTAKE, 2, uuid.uuid4().hex).id
    offer = MatchOffer(
        request_id=request_id,
        mentor_id=mentor.id,
        round=1,
        rank=1,
        score=1.0,
        status=OfferStatus.ACCEPTED,
    )
    session.add(offer)
    session.flush()
    mentorship_id = reservation.reserve_mentorship(session, offer.id)
    assert mentorship_id is not None
    company = session.get(Organisation, mentor.organisation_id)
    assert company is not None
    company.countersigns_agreements = countersigned
    signers = signing.signer_slots(session, mentorship_id)
    render = RenderInput(mentorship_id, 1, "2026-12-09T10:00:00")
    agreement = signing.store_agreement(session, render, pdf, sha256_hex(pdf), signers)
    log = pending_records.write_session_log(
        session, uuid.uuid4().hex, mentorship_id, mentor, date(2026, 11, 2), 2.0, "Web shop"
    )
    scheduled = ScheduledSession(
        nonce=uuid.uuid4().hex,
        mentorship_id=mentorship_id,
        scheduled_by=mentor.id,
        starts_at=datetime(2026, 12, 20, 9),
        minutes=60,
        format="remote",
        place="https://meet.example.eu/x",
        agenda="Payments",
        status="scheduled",
    )
    pledge = open_pledge(session, company)
    report = PledgeReport(
        pledge_id=pledge.id,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
        values={},
        narrative="First half.",
        submitted_by=mentor.id,
    )
    entry = PledgeEntry(
        pledge_id=pledge.id,
        mentorship_id=mentorship_id,
        smes_supported=1,
        mentor_hours=2.0,
    )
    session.add_all([scheduled, report, entry])
    session.flush()
    return World(
        request_id,
        offer.id,
        agreement.id,
        log.id,
        scheduled.id,
        pledge.id,
        report.id,
        entry.id,
        session.scalars(select(Task.id).where(Task.request_id == request_id)).one(),
    )


@dataclass
class Matrix:
    app: Flask
    sessions: sessionmaker[Session]
    gateway: FakeGateway
    own: World
    other: World
    users: dict[str, User]
    clients: dict[str | None, FlaskClient]
    tokens: dict[str | None, str]
    api_tokens: dict[str | None, str]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    tmp: Path = tmp_path_factory.mktemp("matrix")
    url = f"sqlite:///{tmp / 'matrix.db'}"
    migrate(url)
    settings = Settings(data_dir=tmp, database_url=url, secret_key="matrix")
    gateway = FakeGateway()
    app = create_app(settings, temporal=gateway)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    pdf = render_html_pdf("<h1>Confidentiality agreement</h1>")
    with transaction(sessions) as session:
        seed(session)
        people = {u.email.split("@")[0]: u for u in session.scalars(select(User))}
        # Someone else's mentorship: another SME, with AgroSoft's mentor, whose admin is not ours.
        other_sme_org = Organisation(
            kind="sme",
            name="Kafe Tallinn",
            country="EE",
            nace="I56",
            employees=8,
            turnover_eur=400_000,
            balance_sheet_eur=200_000,
        )
        other_sme = User(email="other-sme@demo.eu", name="Mari Tamm", role="sme", password_hash="x")
        other_sme.organisation = other_sme_org
        session.add(other_sme)
        own = _mentorship(session, people["sme"], people["mentor"], pdf, countersigned=True)
        other = _mentorship(session, other_sme, people["mentor3"], pdf, countersigned=False)
        users = {"coordinator": people["coordinator"], "sme": people["sme"]}
        users |= {"mentor": people["mentor"], "admin": people["admin"]}
        session.expunge_all()
    clients: dict[str | None, FlaskClient] = {}
    tokens: dict[str | None, str] = {}
    for role in ROLES.values():
        client = app.test_client()
        if role is not None:
            login(client, f"{role}@demo.eu")
        clients[role] = client
        tokens[role] = csrf(client, "/login" if role is None else "/pledges")
    with transaction(sessions) as session:
        bearer: dict[str | None, str] = {
            role: api_tokens.issue(session, session.merge(user), "matrix", utcnow())
            for role, user in users.items()
        }
    yield Matrix(app, sessions, gateway, own, other, users, clients, tokens, bearer)
    engine.dispose()


CASES = [
    pytest.param(key, letter, whose, id=f"{key}-{ROLES[letter] or 'visitor'}-{whose}")
    for key, (_method, pattern, _own, _other) in EXPECTED.items()
    for letter in ROLES
    for whose in (("own", "other") if "{" in pattern and "pledge_id" not in pattern else ("own",))
]


def test_every_route_has_a_rule_and_an_expected_answer(matrix: Matrix) -> None:
    endpoints = {rule.endpoint for rule in matrix.app.url_map.iter_rules()}
    assert endpoints == set(access.ROUTES)
    assert endpoints == {key.split("#")[0] for key in EXPECTED}
    assert len(CASES) >= 400


@pytest.mark.parametrize(("key", "letter", "whose"), CASES)
def test_the_route_answers_as_the_rules_say(
    matrix: Matrix, key: str, letter: str, whose: str
) -> None:
    method, pattern, own_roles, other_roles = EXPECTED[key]
    role = ROLES[letter]
    world = matrix.own if whose == "own" else matrix.other
    path = pattern.format(side=SIDE[role], **vars(world))
    allowed = letter in (own_roles if whose == "own" else other_roles)
    client = matrix.clients[role]
    api = key.startswith("api")
    headers = {"Authorization": f"Bearer {matrix.api_tokens[role]}"} if api and role else {}
    if not allowed:
        calls = len(matrix.gateway.calls)
        data = {"nonce": "0" * 32} if api else {"csrf_token": matrix.tokens[role]}
        response = client.open(path, method=method, headers=headers, json=data if api else None,
                               data=None if api else data)  # fmt: skip
        if role is None and api:
            assert response.status_code == 401
            assert response.headers["WWW-Authenticate"] == "Bearer"
        elif role is None:
            assert response.status_code == 302
            assert response.headers["Location"].startswith("/login?next=")
        elif matrix.users[role].role in access.ROUTES[key.split("#")[0]].roles:
            # The role may use the route, but not on this object: as if it did not exist.
            assert response.status_code == 404, response.get_data(as_text=True)[:300]
        else:
            assert response.status_code == 403, response.get_data(as_text=True)[:300]
        assert len(matrix.gateway.calls) == calls  # nothing reached the workflow
    elif method == "GET":
        response = client.get(path, headers=headers)
        # 410: a link that is not genuine, answered by the page itself
        assert response.status_code in (200, 302, 303, 404, 410), (response.status_code, path)
        assert not response.headers.get("Location", "").startswith("/login?next=")
    else:
        endpoint = key.split("#")[0]
        matched, args = matrix.app.url_map.bind("localhost").match(path, method=method)
        assert matched == endpoint
        with matrix.sessions() as session:
            user = session.get(User, matrix.users[role].id) if role else None
            assert access.authorize(session, endpoint, user, args)


def test_four_eyes_the_match_approver_cannot_approve_the_completion(matrix: Matrix) -> None:
    with transaction(matrix.sessions) as session:
        mentorship_offer = matrix.own.offer_id
        event = Event(
            key=f"four-eyes-{uuid.uuid4().hex}",
            request_id=matrix.own.request_id,
            kind=Effect.OFFER_APPROVED,
            stage="matching",
            actor_id=matrix.users["coordinator"].id,
            subject_kind=SubjectKind.OFFER,
            subject_id=mentorship_offer,
        )
        session.add(event)
    client = matrix.clients["coordinator"]
    path = f"/requests/{matrix.own.request_id}/completion/approve"
    response = client.post(path, data={"csrf_token": matrix.tokens["coordinator"]})
    assert response.status_code == 403
    assert "another coordinator approves its completion" in response.get_data(as_text=True)
    with matrix.sessions() as session:
        second = session.scalar(select(User).where(User.email == "coordinator2@demo.eu"))
        with pytest.raises(Forbidden):
            first = session.get(User, matrix.users["coordinator"].id)
            access.authorize(
                session,
                "coordinator.approve_completion",
                first,
                {"request_id": matrix.own.request_id},
            )
        args = {"request_id": matrix.own.request_id}
        assert access.authorize(session, "coordinator.approve_completion", second, args)
        # The rule is about this mentorship only: elsewhere the first coordinator approves.
        other = {"request_id": matrix.other.request_id}
        assert access.authorize(session, "coordinator.approve_completion", first, other)
    with transaction(matrix.sessions) as session:
        session.delete(session.get(Event, event.id))
