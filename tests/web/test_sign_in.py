"""Signing in: generic errors, throttling per account and per address, sign-ins kept on the
server (timeouts, and the events that end them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from mentorship.rules.stages import Role
from mentorship.services import accounts, sign_ins
from mentorship.store.models import SignIn, User, utcnow
from tests.web.conftest import csrf, login


def _attempt(client: FlaskClient, email: str, password: str, address: str = "10.0.0.1") -> int:
    token = csrf(client)
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(client: FlaskClient) -> None:
    token = csrf(client)
    wrong = client.post(
        "/login", data={"email": "sme@demo.eu", "password": "nope", "csrf_token": token}
    )
    unknown = client.post(
        "/login", data={"email": "who@nowhere.eu", "password": "nope", "csrf_token": token}
    )
    assert wrong.status_code == unknown.status_code == 401
    for page in (wrong, unknown):
        assert "E-mail or password is incorrect." in page.get_data(as_text=True)


def test_five_failures_lock_the_account_even_with_the_right_password(client: FlaskClient) -> None:
    for _ in range(5):
        assert _attempt(client, "sme@demo.eu", "wrong password") == 401
    locked = _attempt(client, "sme@demo.eu", "digivol-demo", address="10.0.0.2")
    assert locked == 429  # from another address too: the account is locked
    assert _attempt(client, "mentor@demo.eu", "digivol-demo", address="10.0.0.2") == 303


def test_twenty_failures_from_one_address_lock_that_address(client: FlaskClient) -> None:
    for n in range(20):
        assert _attempt(client, f"someone{n}@nowhere.eu", "guess") == 401
    assert _attempt(client, "mentor@demo.eu", "digivol-demo") == 429
    assert _attempt(client, "mentor@demo.eu", "digivol-demo", address="10.0.0.9") == 303


def test_a_sign_in_that_succeeds_gives_its_attempt_back(client: FlaskClient) -> None:
    """Attempts are counted before the password is checked; one that succeeds does not count
    towards the address's lock (nor the account's)."""
    for _ in range(21):  # past the address's limit of twenty
        assert _attempt(client, "mentor@demo.eu", "digivol-demo") == 303
        client.post("/logout", data={"csrf_token": csrf(client, "/mentor")})
    assert _attempt(client, "sme@demo.eu", "digivol-demo") == 303


def _age_sign_ins(sessions: sessionmaker[Session], **ago: timedelta) -> None:
    """Move every open sign-in's times into the past (``seen_at``, ``created_at``)."""
    with sessions() as session:
        values = {column: utcnow() - delta for column, delta in ago.items()}
        session.execute(update(SignIn).where(SignIn.ended_at.is_(None)).values(**values))
        session.commit()


def test_an_idle_session_ends_and_so_does_one_open_too_long(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "sme@demo.eu")
    assert client.get("/sme/requests").status_code == 200
    _age_sign_ins(sessions, seen_at=timedelta(minutes=31))  # half an hour without a request
    expired = client.get("/sme/requests")
    assert expired.status_code == 302 and "/login" in expired.headers["Location"]
    assert "Your session has ended" in client.get("/login").get_data(as_text=True)
    login(client, "sme@demo.eu")
    _age_sign_ins(sessions, created_at=timedelta(hours=9))  # busy, but signed in 9 hours ago
    assert client.get("/sme/requests").status_code == 302
    with sessions() as session:
        why = session.scalars(select(SignIn.ended_why).order_by(SignIn.id)).all()
        assert why[-2:] == [sign_ins.Ended.IDLE, sign_ins.Ended.TOO_OLD]


def copied(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie, as a thief would."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _opens_nothing(thief: FlaskClient) -> bool:
    answers = [thief.get(path) for path in ("/sme/requests", "/account/data.json")]
    return all(a.status_code == 302 and "/login" in a.headers["Location"] for a in answers)


def _logout(app: Flask, client: FlaskClient, sessions: sessionmaker[Session]) -> None:
    client.post("/logout", data={"csrf_token": csrf(client, "/sme/requests")})


def _password_reset(app: Flask, client: FlaskClient, sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        sme = session.scalars(select(User).where(User.email == "sme@demo.eu")).one()
        link = accounts.token_path(
            app.config["SECRET_KEY"], accounts.issue_link(session, accounts.RESET, sme, utcnow())
        )
        session.commit()
    other = app.test_client()  # the reset is done from another browser, by the owner
    form = {"password": "Harbour-lights-at-dusk-42", "confirm": "Harbour-lights-at-dusk-42"}
    assert other.post(link, data={**form, "csrf_token": csrf(other, link)}).status_code == 303


def _erasure(app: Flask, client: FlaskClient, sessions: sessionmaker[Session]) -> None:
    token = csrf(client, "/account")
    erased = client.post("/account/erase", data={"password": "digivol-demo", "csrf_token": token})
    assert erased.status_code == 303
    with sessions() as session:
        assert session.scalar(select(User.erased_at).where(User.id == SME_ID)) is not None


def _role_change(app: Flask, client: FlaskClient, sessions: sessionmaker[Session]) -> None:
    with sessions() as session:  # by any path: here straight in the database, as an operator
        session.execute(update(User).where(User.id == SME_ID).values(role=Role.COMPANY_ADMIN))
        session.commit()


def _lockout(app: Flask, client: FlaskClient, sessions: sessionmaker[Session]) -> None:
    guesser = app.test_client()
    for _ in range(5):
        assert _attempt(guesser, "sme@demo.eu", "wrong password", address="10.9.9.9") == 401
    assert _attempt(guesser, "sme@demo.eu", "wrong password", address="10.9.9.9") == 429


SME_ID = 2  # sme@demo.eu in the demo data


@pytest.mark.parametrize(
    "event", [_logout, _password_reset, _erasure, _role_change, _lockout], ids=lambda e: e.__name__
)
def test_a_copied_cookie_opens_nothing_after_a_revoking_event(
    app: Flask,
    client: FlaskClient,
    sessions: sessionmaker[Session],
    people: dict[str, User],
    event: Callable[[Flask, FlaskClient, sessionmaker[Session]], None],
) -> None:
    assert people["sme"].id == SME_ID
    login(client, "sme@demo.eu")
    thief = copied(app, client)
    assert thief.get("/sme/requests").status_code == 200  # the copy works until then
    assert thief.get("/account/data.json").status_code == 200
    other_browser = app.test_client()
    login(other_browser, "sme@demo.eu")
    event(app, client, sessions)
    assert _opens_nothing(thief)
    assert _opens_nothing(client)
    if event is _logout:  # logging out ends this browser's sign-in only
        assert other_browser.get("/sme/requests").status_code == 200
    else:  # every other event ends every sign-in of the person
        assert _opens_nothing(other_browser)


def test_the_cookie_holds_a_random_token_and_nothing_about_the_person(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "sme@demo.eu")
    cookie = client.get_cookie("session")
    assert cookie is not None
    held = app.session_interface.get_signing_serializer(app).loads(cookie.value)  # type: ignore[attr-defined]
    assert set(held) <= {"sign_in", "_permanent", "csrf_token", "_flashes"}, held
    with sessions() as session:
        row = session.scalars(select(SignIn)).one()
        assert row.token_hash != held["sign_in"] and len(held["sign_in"]) >= 40


def test_the_session_cookie_is_http_only_and_same_site(client: FlaskClient) -> None:
    token = csrf(client)
    response = client.post(
        "/login", data={"email": "sme@demo.eu", "password": "digivol-demo", "csrf_token": token}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_signing_in_forgets_the_persons_sign_ins_that_can_no_longer_be_valid(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    login(client, "sme@demo.eu")
    client.post("/logout", data={"csrf_token": csrf(client, "/sme/requests")})  # ended
    login(client, "sme@demo.eu")  # open, but to be unseen for longer than the absolute timeout
    _age_sign_ins(sessions, seen_at=timedelta(hours=9))
    with sessions() as session:
        ended = update(SignIn).where(SignIn.ended_at.is_not(None))
        session.execute(ended.values(ended_at=utcnow() - timedelta(hours=9)))
        session.commit()
    login(app.test_client(), "mentor@demo.eu")  # someone else's sign-in forgets none of hers
    with sessions() as session:
        assert len(session.scalars(select(SignIn)).all()) == 3
    login(client, "sme@demo.eu")
    with sessions() as session:
        left = session.scalars(select(SignIn.user_id).order_by(SignIn.id)).all()
        assert left == [people["mentor"].id, people["sme"].id]
