"""The client's address behind a proxy (DIGIVOL_TRUSTED_PROXIES), and the limits that key on
it: sign-in per address, documents checked at /verify per address, and API calls per token."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mentorship.config import Settings
from mentorship.services import throttle
from mentorship.store.models import LoginThrottle, User
from tests.web.conftest import FakeGateway, csrf
from tests.web.test_api import token_for
from web import create_app


def _address_keys(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as session:
        keys = session.scalars(select(LoginThrottle.key)).all()
    return {key for key in keys if key.startswith("ip:")}


def _failed_login(client: FlaskClient, remote: str, forwarded: str) -> None:
    response = client.post(
        "/login",
        data={"email": "sme@demo.eu", "password": "wrong", "csrf_token": csrf(client)},
        environ_base={"REMOTE_ADDR": remote},
        headers={"X-Forwarded-For": forwarded},
    )
    assert response.status_code == 401


@pytest.fixture
def behind_proxy(
    tmp_path: Path, sessions: sessionmaker[Session], database_url: str, gateway: FakeGateway
) -> Flask:
    settings = Settings(
        data_dir=tmp_path, database_url=database_url, secret_key="test", trusted_proxies=1
    )
    return create_app(settings, temporal=gateway)


def test_behind_one_trusted_proxy_the_client_is_the_address_the_proxy_appended(
    behind_proxy: Flask, sessions: sessionmaker[Session]
) -> None:
    client = behind_proxy.test_client()
    # The client sent its own X-Forwarded-For; the proxy appended the address it saw.
    _failed_login(client, remote="127.0.0.1", forwarded="203.0.113.66, 198.51.100.23")
    assert _address_keys(sessions) == {"ip:198.51.100.23"}


def test_without_a_trusted_proxy_a_forwarded_header_is_ignored(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    _failed_login(client, remote="192.0.2.50", forwarded="198.51.100.23")
    assert _address_keys(sessions) == {"ip:192.0.2.50"}


def _verify(client: FlaskClient, address: str) -> tuple[int, str]:
    response = client.post(
        "/verify",
        data={"csrf_token": csrf(client, "/verify")},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code, response.get_data(as_text=True)


def test_documents_checked_at_verify_are_limited_per_address(client: FlaskClient) -> None:
    for _ in range(throttle.VERIFY_LIMIT.failures):
        assert _verify(client, "192.0.2.10")[0] == 422  # no file: checked and answered
    status, page = _verify(client, "192.0.2.10")
    assert status == 429 and "Many documents were checked from your network" in page
    assert _verify(client, "192.0.2.11")[0] == 422  # another address goes on


def test_api_calls_are_limited_per_token(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    people: dict[str, User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        throttle, "API_LIMIT", throttle.Limit(3, timedelta(minutes=1), timedelta(minutes=1))
    )
    busy, other = token_for(sessions, people["coordinator"]), token_for(sessions, people["sme"])
    assert [client.get("/api/v1/requests", headers=busy).status_code for _ in range(3)] == [200] * 3
    over = client.get("/api/v1/requests", headers=busy)
    assert over.status_code == 429 and 1 <= int(over.headers["Retry-After"]) <= 60
    assert over.get_json()["code"] == 429 and "Too many calls" in over.get_json()["message"]
    assert client.get("/api/v1/requests", headers=other).status_code == 200
