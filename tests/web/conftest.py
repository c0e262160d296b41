"""A Flask app over a migrated database with demo data; the gateway is a recording fake."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mentorship.config import Settings
from mentorship.services import mail, throttle
from web import create_app
from web.gateway import Gateway


class FakeGateway:
    """Stands in for web.temporal in pure view tests: records calls, raises on demand."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.error: Exception | None = None

    def start(self, request_id: int, sme_organisation_id: int, planned_sessions: int) -> None:
        self.calls.append(("start", request_id))
        if self.error:
            raise self.error

    def update(self, request_id: int, name: str, arg: Any, nonce: str) -> None:
        self.calls.append((name, arg))
        if self.error:
            raise self.error

    def push_pledge_entry(self, entry_id: int) -> None:
        self.calls.append(("push_pledge_entry", entry_id))
        if self.error:
            raise self.error

    def mentor_pool_changed(self, request_ids: list[int]) -> None:
        self.calls.append(("mentor_pool_changed", request_ids))

    def send_mail_now(self) -> None:
        self.calls.append(("send_mail_now", None))

    def start_round(self) -> str:
        self.calls.append(("start_round", None))
        return "matching-round-manual"

    def health(self) -> dict[str, str]:
        return {"temporal": "ok", "worker": "ok"}


_: Gateway = FakeGateway()  # mypy holds the fake to the views' Protocol


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def app(tmp_path: Path, sessions: Any, database_url: str, gateway: FakeGateway) -> Iterator[Flask]:
    settings = Settings(data_dir=tmp_path, database_url=database_url, secret_key="test")
    yield create_app(settings, temporal=gateway)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def unlimited_api(monkeypatch: pytest.MonkeyPatch) -> None:
    """For a test that calls the API faster than a token may for real (throttle.API_LIMIT,
    tested in test_proxy_and_limits): no limit on its pace."""
    unlimited = throttle.Limit(10**6, timedelta(minutes=1), timedelta(minutes=1))
    monkeypatch.setattr(throttle, "API_LIMIT", unlimited)


def mail_run(app: Flask) -> None:
    """What the worker does when the web asks it to send mail now (``send_mail_now``): the
    account e-mails visitors asked for become messages, or nothing, and the messages go to
    the outbox (no mail server here), read at /dev/mail."""
    settings: Settings = app.extensions["digivol.settings"]
    mail.deliver(app.extensions["digivol.sessions"], settings.mail(), limit=100)


def csrf(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def login(client: FlaskClient, email: str) -> None:
    response = client.post(
        "/login",
        data={"email": email, "password": "digivol-demo", "csrf_token": csrf(client)},
    )
    assert response.status_code == 303
