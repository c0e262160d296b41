"""Two-step login for coordinators: enrolment with a QR code, codes that log in once, recovery
codes, the secret encrypted at rest and never in the cookie, and a reset that keeps it on."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from mentorship.services import accounts, two_step
from mentorship.store.models import RecoveryCode, User, utcnow
from tests.web.conftest import csrf, login

PASSWORD = {"email": "coordinator@demo.eu", "password": "digivol-demo"}
NEW_PASSWORD = "Harbour-lights-at-dusk-42"


def post(client: FlaskClient, path: str, data: dict[str, str], page: str) -> TestResponse:
    return client.post(path, data={**data, "csrf_token": csrf(client, page)})


def code_at(secret: str, moment: datetime) -> str:
    """The app's code at ``moment`` (naive UTC, as the service keeps time)."""
    return pyotp.TOTP(secret).at(moment.replace(tzinfo=UTC))


def cookie_data(app: Flask, client: FlaskClient) -> str:
    """Everything the signed session cookie holds, as text."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return json.dumps(serializer.loads(cookie.value))


def enrol(client: FlaskClient) -> tuple[str, list[str]]:
    """Turn two-step login on as the signed-in coordinator: the key and the recovery codes."""
    post(client, "/account/totp", {"action": "start"}, "/account")
    page = client.get("/account").get_data(as_text=True)
    key = re.search(r'<code class="totp-key">([A-Z2-7]+)</code>', page)
    assert key, page
    secret = key.group(1)
    code = pyotp.TOTP(secret).now()
    done = post(client, "/account/totp", {"action": "confirm", "code": code}, "/account")
    assert done.status_code == 200
    shown = done.get_data(as_text=True)
    assert "Two-step login is on" in shown
    codes = re.findall(r"<li><code>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})</code>", shown)
    assert len(codes) == two_step.RECOVERY_CODES
    return secret, codes


def half_login(client: FlaskClient) -> None:
    half = post(client, "/login", PASSWORD, "/login")
    assert half.status_code == 303 and half.headers["Location"] == "/login/code"
    assert client.get("/inbox").status_code == 302  # not logged in yet


def logout(client: FlaskClient) -> None:
    client.post("/logout", data={"csrf_token": csrf(client, "/account")})


def test_enrolment_shows_a_qr_code_and_keeps_the_secret_encrypted_out_of_the_cookie(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "coordinator@demo.eu")
    post(client, "/account/totp", {"action": "start"}, "/account")
    answer = client.get("/account")
    page = answer.get_data(as_text=True)
    secret = re.search(r'<code class="totp-key">([A-Z2-7]+)</code>', page)
    assert secret, page
    key = secret.group(1)
    # The QR code is inline SVG (nothing for the CSP to allow), of the standard otpauth URI.
    assert re.search(r'<figure class="qr"><svg [^>]*class="segno"', page)
    assert "img-src" not in answer.headers["Content-Security-Policy"]
    assert "<title>QR code for your authenticator app</title>" in page
    assert key not in cookie_data(app, client)  # pending: on the server, not in the cookie
    with sessions() as session:
        claire = session.scalar(select(User).where(User.email == "coordinator@demo.eu"))
        assert claire is not None and claire.totp_pending_encrypted is not None
        assert key not in claire.totp_pending_encrypted  # encrypted at rest
        encryption = app.extensions["digivol.settings"].encryption()
        assert encryption.decrypt(claire.totp_pending_encrypted) == key
    wrong = post(client, "/account/totp", {"action": "confirm", "code": "000000"}, "/account")
    assert wrong.status_code == 303
    assert "That code is not right" in client.get("/account").get_data(as_text=True)
    odd = post(client, "/account/totp", {"action": "confirm", "code": "١٢٣٤٥٦"}, "/account")
    assert odd.status_code == 422  # a field message, not hmac's TypeError (a 500 before)
    assert "Enter the 6 digits your app shows." in odd.get_data(as_text=True)
    done = post(
        client, "/account/totp", {"action": "confirm", "code": pyotp.TOTP(key).now()}, "/account"
    )
    assert done.status_code == 200
    assert key not in cookie_data(app, client)
    later = client.get("/account").get_data(as_text=True)
    assert "You have 10 unused recovery codes." in later
    assert "<li><code>" not in later  # the codes were shown once, in the answer that made them
    with sessions() as session:
        claire = session.scalar(select(User).where(User.email == "coordinator@demo.eu"))
        assert claire is not None and claire.totp_pending_encrypted is None
        assert claire.totp_secret_encrypted and key not in claire.totp_secret_encrypted
        hashes = session.scalars(select(RecoveryCode.code_hash)).all()
        shown = re.findall(r"<li><code>([A-Z2-9-]{19})</code>", done.get_data(as_text=True))
        assert len(hashes) == 10 and not set(shown) & set(hashes)


def test_each_code_from_the_app_logs_in_once_and_odd_codes_get_a_field_message(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "coordinator@demo.eu")
    secret, _codes = enrol(client)
    logout(client)
    half_login(client)
    token = csrf(client, "/login/code")
    wrong = client.post("/login/code", data={"code": "123456", "csrf_token": token})
    assert wrong.status_code == 401
    for typed in ("١٢٣٤٥٦", "12345x", "1234567"):  # not six digits: a field message, never a 500
        odd = client.post("/login/code", data={"code": typed, "csrf_token": token})
        assert odd.status_code == 422, typed
        assert "Enter the 6 digits your app shows." in odd.get_data(as_text=True)
    # The code that turned it on was used: the next one logs in, and only once.
    fresh = code_at(secret, utcnow() + timedelta(seconds=30))
    right = client.post("/login/code", data={"code": fresh, "csrf_token": token})
    assert right.status_code == 303 and client.get("/inbox").status_code == 200
    logout(client)
    half_login(client)
    replay = client.post(
        "/login/code", data={"code": fresh, "csrf_token": csrf(client, "/login/code")}
    )
    assert replay.status_code == 401


def test_a_recovery_code_logs_in_once_when_the_phone_is_lost(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "coordinator@demo.eu")
    _secret, codes = enrol(client)
    logout(client)
    half_login(client)
    assert "Use a recovery code" in client.get("/login/code").get_data(as_text=True)
    page = "/login/code?recovery=1"
    assert 'name="recovery_code"' in client.get(page).get_data(as_text=True)
    odd = post(client, "/login/code", {"recovery_code": "ÄÖÜ-1234"}, page)
    assert odd.status_code == 422
    assert "Enter a recovery code as printed" in odd.get_data(as_text=True)
    unknown = post(client, "/login/code", {"recovery_code": "AAAA-BBBB-CCCC-DDDD"}, page)
    assert unknown.status_code == 401
    typed = codes[3].lower().replace("-", " ")  # as someone types it from paper
    used = post(client, "/login/code", {"recovery_code": typed}, page)
    assert used.status_code == 303
    inbox = client.get("/inbox")
    assert inbox.status_code == 200 and "9 are left" in inbox.get_data(as_text=True)
    assert "You have 9 unused recovery codes." in client.get("/account").get_data(as_text=True)
    logout(client)
    half_login(client)
    again = post(client, "/login/code", {"recovery_code": codes[3]}, page)
    assert again.status_code == 401 and "used already" in again.get_data(as_text=True)
    assert post(client, "/login/code", {"recovery_code": codes[4]}, page).status_code == 303


def test_new_recovery_codes_replace_the_old_and_turning_off_needs_a_code(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "coordinator@demo.eu")
    secret, old = enrol(client)
    code = code_at(secret, utcnow() + timedelta(seconds=30))
    fresh = post(client, "/account/totp", {"action": "recovery_codes", "code": code}, "/account")
    assert fresh.status_code == 200
    new = re.findall(r"<li><code>([A-Z2-9-]{19})</code>", fresh.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    logout(client)
    half_login(client)
    page = "/login/code?recovery=1"
    assert post(client, "/login/code", {"recovery_code": old[0]}, page).status_code == 401
    assert post(client, "/login/code", {"recovery_code": new[0]}, page).status_code == 303
    refused = post(client, "/account/totp", {"action": "disable", "code": "000000"}, "/account")
    assert refused.status_code == 303
    with sessions() as session:
        claire = session.scalar(select(User).where(User.email == "coordinator@demo.eu"))
        assert claire is not None and two_step.is_on(claire)


def test_a_password_reset_leaves_two_step_login_on(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "coordinator@demo.eu")
    _secret, codes = enrol(client)
    logout(client)
    with sessions() as session:
        claire = session.scalar(select(User).where(User.email == "coordinator@demo.eu"))
        assert claire is not None
        token = accounts.issue_link(session, accounts.RESET, claire, utcnow())
        session.commit()
        link = accounts.token_path(app.config["SECRET_KEY"], token)
    done = post(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, link)
    assert done.status_code == 303
    # The new password alone does not log in: the code, or a recovery code, is still asked.
    half = post(client, "/login", {**PASSWORD, "password": NEW_PASSWORD}, "/login")
    assert half.status_code == 303 and half.headers["Location"] == "/login/code"
    assert client.get("/inbox").status_code == 302
    page = "/login/code?recovery=1"
    assert post(client, "/login/code", {"recovery_code": codes[0]}, page).status_code == 303
    assert client.get("/inbox").status_code == 200


def test_the_code_follows_rfc_6238() -> None:
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890"
    at_59 = datetime(1970, 1, 1, 0, 0, 59)  # RFC 6238's vectors, 6 digits, SHA-1
    assert two_step.matching_step(secret, "287082", at_59, None) == 1
    assert two_step.matching_step(secret, "287082", at_59, 1) is None  # used: not again
    at_1111111109 = datetime(2005, 3, 18, 1, 58, 29)
    assert two_step.matching_step(secret, "081804", at_1111111109, None) == 1111111109 // 30
