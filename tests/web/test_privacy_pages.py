"""Your account: download your data, erase your account."""

from __future__ import annotations

import json

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from mentorship.store.models import User
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
