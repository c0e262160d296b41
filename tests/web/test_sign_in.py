"""Signing in: generic errors, throttling per account and per address, session timeouts."""

from __future__ import annotations

import time

from flask.testing import FlaskClient

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


def test_an_idle_session_ends_and_so_does_one_open_too_long(client: FlaskClient) -> None:
    login(client, "sme@demo.eu")
    assert client.get("/sme/requests").status_code == 200
    with client.session_transaction() as session:
        session["seen"] = time.time() - 31 * 60  # half an hour without a request
    expired = client.get("/sme/requests")
    assert expired.status_code == 302 and "/login" in expired.headers["Location"]
    login(client, "sme@demo.eu")
    with client.session_transaction() as session:
        session["since"] = time.time() - 9 * 3600  # busy, but logged in nine hours ago
    assert client.get("/sme/requests").status_code == 302


def test_the_session_cookie_is_http_only_and_same_site(client: FlaskClient) -> None:
    token = csrf(client)
    response = client.post(
        "/login", data={"email": "sme@demo.eu", "password": "digivol-demo", "csrf_token": token}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
