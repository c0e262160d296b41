"""Your account: download your data, erase your account, two-step login for coordinators."""

from __future__ import annotations

import json
import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from mentorship import accounts
from mentorship.models import User, utcnow
from scripted.journey import submit
from tests.web.conftest import csrf, login


def post(client: FlaskClient, path: str, data: dict[str, str]) -> TestResponse:
    return client.post(path, data={**data, "csrf_token": csrf(client, "/account")})


def test_a_person_downloads_their_data_as_json(client: FlaskClient) -> None:
    login(client, "mentor@demo.eu")
    response = client.get("/account/data.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="digital-volunteers-data-'
    )
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "mentor@demo.eu"
    assert data["organisation"]["name"] == "Nordvik Cloud"
    assert data["mentor_profiles.user_id"][0]["languages"] == ["en", "it"]
    assert "password_hash" not in data["account"]


def test_erasing_your_account_needs_your_password_and_waits_for_running_mentorships(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    submit(sessions, people["sme"])
    login(client, "sme@demo.eu")
    wrong = client.post(
        "/account/erase", data={"password": "nope", "csrf_token": csrf(client, "/account")}
    )
    assert wrong.status_code == 303
    page = client.get("/account").get_data(as_text=True)
    assert "The password is not right" in page
    running = post(client, "/account/erase", {"password": "digivol-demo"})
    assert running.status_code == 303
    assert "still running" in client.get("/account").get_data(as_text=True)
    with sessions() as session:
        assert session.get(User, people["sme"].id).erased_at is None  # type: ignore[union-attr]


def test_a_mentor_without_mentorships_erases_their_account_and_is_logged_out(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    login(client, "mentor2@demo.eu")
    done = post(client, "/account/erase", {"password": "digivol-demo"})
    assert done.headers["Location"] == "/login"
    assert client.get("/mentor").status_code == 302  # logged out
    again = client.post(
        "/login",
        data={"email": "mentor2@demo.eu", "password": "digivol-demo", "csrf_token": csrf(client)},
    )
    assert again.status_code == 401
    with sessions() as session:
        jonas = session.get(User, people["mentor2"].id)
        assert jonas is not None and jonas.name == f"Erased person {jonas.id}"
        assert jonas.mentor_profile is None


def test_a_coordinator_turns_on_two_step_login_and_each_code_logs_in_once(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "coordinator@demo.eu")
    post(client, "/account/totp", {"action": "start"})
    page = client.get("/account").get_data(as_text=True)
    match = re.search(r"Key: <code>([A-Z2-7]+)</code>", page)
    assert match, page
    secret = match.group(1)
    assert "otpauth://totp/Digital%20Volunteers%3Acoordinator%40demo.eu" in page
    bad = post(client, "/account/totp", {"action": "confirm", "code": "000000"})
    assert bad.status_code == 303
    assert "That code is not right" in client.get("/account").get_data(as_text=True)
    odd = post(client, "/account/totp", {"action": "confirm", "code": "١٢٣٤٥٦"})
    assert odd.status_code == 422  # a field message, not hmac's TypeError (a 500 before)
    assert "Enter the 6 digits your app shows." in odd.get_data(as_text=True)
    code = accounts.totp_code(secret, accounts.totp_step(utcnow()))
    post(client, "/account/totp", {"action": "confirm", "code": code})
    assert "Two-step login is on" in client.get("/account").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf(client, "/account")})

    form = {"email": "coordinator@demo.eu", "password": "digivol-demo"}
    half = client.post("/login", data={**form, "csrf_token": csrf(client)})
    assert half.status_code == 303 and half.headers["Location"] == "/login/code"
    assert client.get("/inbox").status_code == 302  # not logged in yet
    token = csrf(client, "/login/code")
    wrong = client.post("/login/code", data={"code": "123456", "csrf_token": token})
    assert wrong.status_code == 401
    # Not six digits (Arabic-Indic digits, letters): a field message, never a 500.
    for typed in ("١٢٣٤٥٦", "12345x", "1234567"):  # each counts as an attempt, as a guess
        odd = client.post("/login/code", data={"code": typed, "csrf_token": token})
        assert odd.status_code == 422, typed
        assert "Enter the 6 digits your app shows." in odd.get_data(as_text=True)
    # The code that turned it on was used: the next one logs in, and only once.
    later = accounts.totp_step(utcnow()) + 1
    fresh = accounts.totp_code(secret, later)
    right = client.post("/login/code", data={"code": fresh, "csrf_token": token})
    assert right.status_code == 303 and client.get("/inbox").status_code == 200
    client.post("/logout", data={"csrf_token": csrf(client, "/inbox")})
    client.post("/login", data={**form, "csrf_token": csrf(client)})
    replay = client.post(
        "/login/code", data={"code": fresh, "csrf_token": csrf(client, "/login/code")}
    )
    assert replay.status_code == 401
    with sessions() as session:
        claire = session.get(User, 1)
        assert claire is not None and claire.totp_last_step == later


def test_the_code_follows_rfc_6238() -> None:
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890"
    assert accounts.totp_code(secret, 59 // 30) == "287082"  # RFC 6238, T = 59 s, 6 digits
    assert accounts.totp_code(secret, 1111111109 // 30) == "081804"
