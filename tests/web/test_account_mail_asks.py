"""Asking for an account e-mail does the same work for every address: one ask is written,
and the worker's outbox run answers it, with a link to the account's owner or with nothing
(issue 27: an answer that took longer for an address with an account told who has one)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from mentorship.services import accounts, throttle
from mentorship.store.models import AccountMailAsk, AccountToken, Notification, User
from tests.web.conftest import csrf, mail_run
from tests.web.test_account_pages import STRONG, newest_link, registration

CONFIRMED, UNCONFIRMED, UNKNOWN = "sme@demo.eu", "mentor3@demo.eu", "nobody@demo.eu"
ACCOUNT_ROWS = tuple(f"INSERT INTO {t}" for t in ("organisations", "users", "account_tokens",
                                                   "notifications"))  # fmt: skip


@pytest.fixture
def unconfirmed(sessions: sessionmaker[Session]) -> None:
    """Marta has not confirmed her address yet."""
    with sessions.begin() as session:
        session.execute(
            update(User).where(User.email == UNCONFIRMED).values(email_verified_at=None)
        )


@contextmanager
def recorded(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[str]]]:
    """The SQL statements the app runs, and the passwords it hashes or checks, meanwhile."""
    seen: dict[str, list[str]] = {"sql": [], "hashed": []}
    engine = app.extensions["digivol.sessions"].kw["bind"]

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        seen["sql"].append(" ".join(sql.split()))

    def counted(real: Callable[..., Any], what: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            seen["hashed"].append(what)
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(accounts, "generate_password_hash",
                        counted(accounts.generate_password_hash, "hash"))  # fmt: skip
    monkeypatch.setattr(accounts, "check_password_hash",
                        counted(accounts.check_password_hash, "check"))  # fmt: skip
    event.listen(engine, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        monkeypatch.undo()


def work(app: Flask, monkeypatch: pytest.MonkeyPatch, path: str, data: dict[str, Any]) -> Any:
    """The statements and hashes of one POST (the form's token fetched beforehand)."""
    client = app.test_client()
    token = csrf(client)
    with recorded(app, monkeypatch) as seen:
        response = client.post(path, data={**data, "csrf_token": token})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return seen


def asks(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions() as session:
        rows = session.execute(select(AccountMailAsk.purpose, AccountMailAsk.email))
        return [(purpose, email) for purpose, email in rows]


@pytest.mark.usefixtures("unconfirmed")
@pytest.mark.parametrize("path", ["/account/reset", "/account/verify"])
def test_a_reset_or_a_new_link_runs_the_same_statements_for_every_address(
    app: Flask, monkeypatch: pytest.MonkeyPatch, sessions: sessionmaker[Session], path: str
) -> None:
    done = {email: work(app, monkeypatch, path, {"email": email})
            for email in (CONFIRMED, UNCONFIRMED, UNKNOWN)}  # fmt: skip
    assert done[CONFIRMED] == done[UNCONFIRMED] == done[UNKNOWN]
    statements = done[UNKNOWN]["sql"]
    assert [s for s in statements if s.startswith("INSERT INTO account_mail_asks")]
    assert not [s for s in statements if "FROM users" in s or "account_tokens" in s]
    assert not [s for s in statements if s.startswith(ACCOUNT_ROWS)]
    assert done[UNKNOWN]["hashed"] == []
    purpose = accounts.RESET if path == "/account/reset" else accounts.VERIFY
    assert asks(sessions) == [(purpose, e) for e in (CONFIRMED, UNCONFIRMED, UNKNOWN)]


@pytest.mark.usefixtures("unconfirmed")
def test_registering_a_taken_address_writes_no_account_rows_and_a_new_one_only_those(
    app: Flask, monkeypatch: pytest.MonkeyPatch, sessions: sessionmaker[Session]
) -> None:
    done = {email: work(app, monkeypatch, "/register", registration(email=email))
            for email in ("new@cantina.pt", CONFIRMED, UNCONFIRMED)}  # fmt: skip
    assert done[CONFIRMED] == done[UNCONFIRMED]  # taken, confirmed or not: the same work
    taken = done[CONFIRMED]["sql"]
    assert not [s for s in taken if s.startswith(ACCOUNT_ROWS)]
    new = done["new@cantina.pt"]["sql"]
    rows = [s for s in new if s.startswith(("INSERT INTO organisations", "INSERT INTO users"))]
    assert len(rows) == 2  # what is left of the difference: the new account's two rows
    assert [s for s in new if s not in rows] == taken
    assert all(d["hashed"] == ["hash"] for d in done.values())
    assert asks(sessions) == [
        (accounts.REGISTRATION, e) for e in ("new@cantina.pt", CONFIRMED, UNCONFIRMED)
    ]


def notified(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    """(address, purpose) of every account e-mail written, oldest first."""
    with sessions() as session:
        rows = session.execute(
            select(User.email, AccountToken.purpose)
            .join(Notification, Notification.user_id == User.id)
            .join(AccountToken, AccountToken.id == Notification.token_id)
            .order_by(Notification.id)
        )
        return [(email, purpose) for email, purpose in rows]


def post(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf(client)})


@pytest.mark.usefixtures("unconfirmed")
def test_the_outbox_run_mails_each_owner_the_link_they_need_and_nobody_else(
    client: FlaskClient, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    for email in (CONFIRMED, UNCONFIRMED, UNKNOWN):
        post(client, "/account/reset", {"email": email})
        post(client, "/account/verify", {"email": email})
    assert notified(sessions) == []  # nothing is looked up while the visitor waits
    with caplog.at_level(logging.INFO, logger="digivol.mail"):
        mail_run(client.application)
    assert notified(sessions) == [(CONFIRMED, accounts.RESET), (UNCONFIRMED, accounts.VERIFY)]
    assert asks(sessions) == []  # answered, so the addresses are gone
    assert "@" not in caplog.text and "6 asks answered" in caplog.text
    reset = newest_link(client, CONFIRMED, "Set a new password")
    assert post(client, reset, {"password": STRONG, "confirm": STRONG}).status_code == 303
    verify = newest_link(client, UNCONFIRMED, "Confirm your e-mail address")
    assert post(client, verify, {}).status_code == 303
    page = client.get("/dev/mail").get_data(as_text=True)
    assert UNKNOWN not in page


@pytest.mark.usefixtures("unconfirmed")
def test_a_taken_address_registered_again_gets_the_link_its_account_needs(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    for email in (CONFIRMED, UNCONFIRMED, "new@cantina.pt"):
        assert post(client, "/register", registration(email=email)).status_code == 200
    mail_run(client.application)
    assert notified(sessions) == [
        (CONFIRMED, accounts.RESET),
        (UNCONFIRMED, accounts.VERIFY),
        ("new@cantina.pt", accounts.VERIFY),
    ]
    with sessions() as session:
        assert session.scalar(select(func.count(User.id)).where(User.name == "Inês Carvalho")) == 1


def test_an_account_gets_at_most_three_resets_an_hour_over_several_runs(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    for _ in range(2):
        post(client, "/account/reset", {"email": CONFIRMED})
        post(client, "/register", registration(email=CONFIRMED))  # a reset link too
        mail_run(client.application)
    assert notified(sessions) == [(CONFIRMED, accounts.RESET)] * accounts.RESETS_PER_HOUR
    assert asks(sessions) == []


def test_a_throttled_visitor_asks_for_nothing(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    limit = throttle.MAIL_LIMIT.failures
    answers = [post(client, "/account/verify", {"email": UNKNOWN}) for _ in range(limit + 2)]
    assert [a.status_code for a in answers] == [200] * limit + [429, 429]
    assert len(asks(sessions)) == limit
