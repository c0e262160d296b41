"""/dev/mail: the outbox as readers would get it, when running locally without SMTP."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from mentorship.config import Settings
from mentorship.store.models import User
from scripted.journey import submit
from tests.web.conftest import FakeGateway
from web import create_app


def test_the_outbox_shows_each_message_with_its_link(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    assert "The outbox is empty." in client.get("/dev/mail").get_data(as_text=True)
    request_id = submit(sessions, people["sme"])
    page = client.get("/dev/mail").get_data(as_text=True)
    assert page.count(f"DV-{request_id}: A new request waits for your review") == 1  # the lead
    assert "To Claire Dubois &lt;coordinator@demo.eu&gt;" in page
    assert f'href="http://127.0.0.1:8000/requests/{request_id}"' in page
    assert "waiting to be sent" in page


def test_the_outbox_is_not_there_with_a_mail_server_or_from_another_machine(
    app: Flask, tmp_path: Path, database_url: str, gateway: FakeGateway
) -> None:
    remote = app.test_client().get("/dev/mail", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert remote.status_code == 404
    settings = Settings(
        data_dir=tmp_path, database_url=database_url, secret_key="t", smtp_url="smtp://mx:25"
    )
    production = create_app(settings, temporal=gateway).test_client()
    assert production.get("/dev/mail").status_code == 404
