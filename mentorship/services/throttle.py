"""Throttled attempts: sign-in (per account and per address), a second step's codes, the
account e-mails a visitor asks for and the documents uploaded to /verify (per address), and
calls to the API (per token). Each attempt is counted before it is
checked, in one statement per key, so attempts sent in parallel cannot overrun a limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from mentorship.store.models import LoginThrottle


@dataclass(frozen=True)
class Limit:
    failures: int  # attempts that may go on in the window (successes are given back)
    window: timedelta
    lock: timedelta  # how long the key is locked once over


ACCOUNT_LIMIT = Limit(5, timedelta(minutes=15), timedelta(minutes=15))
ADDRESS_LIMIT = Limit(20, timedelta(minutes=15), timedelta(minutes=15))


def account_key(email: str) -> str:
    return f"account:{email}"


def throttle_keys(email: str, address: str) -> dict[str, Limit]:
    return {account_key(email): ACCOUNT_LIMIT, f"ip:{address}": ADDRESS_LIMIT}


def is_locked(session: Session, key: str, now: datetime) -> bool:
    locked_until = session.scalar(
        select(LoginThrottle.locked_until).where(LoginThrottle.key == key)
    )
    return locked_until is not None and locked_until > now


def take_attempt(session: Session, keys: dict[str, Limit], now: datetime) -> timedelta | None:
    """Count an attempt against each of ``keys`` and say how long they stay locked; None when
    the attempt may go on (to check a password, a code, or send an e-mail).

    The count and the check are one statement per key (UPDATE … RETURNING), so attempts sent
    in parallel each get their own number: no more than a key's limit go on in its window,
    however many arrive at once. The attempt past the limit locks the key. An attempt that
    turns out well is given back (``give_back``); one that fails keeps its count.
    """
    waits = []
    for key, limit in keys.items():
        _ensure_row(session, key, now)
        expired = LoginThrottle.window_started < now - limit.window
        count = case((expired, 1), else_=LoginThrottle.failures + 1)
        over = case((count > limit.failures, now + limit.lock), else_=LoginThrottle.locked_until)
        stmt = (
            update(LoginThrottle)
            .where(LoginThrottle.key == key)
            .values(
                failures=count,
                window_started=case((expired, now), else_=LoginThrottle.window_started),
                locked_until=case(
                    (LoginThrottle.locked_until > now, LoginThrottle.locked_until), else_=over
                ),
            )
            .returning(LoginThrottle.locked_until)
            .execution_options(synchronize_session=False)
        )
        locked_until = session.execute(stmt).scalar_one()
        if locked_until is not None and locked_until > now:
            waits.append(locked_until - now)
    return max(waits, default=None)


def _ensure_row(session: Session, key: str, now: datetime) -> None:
    """The key's row, made by whichever attempt comes first; the others leave it be (one
    statement: INSERT … ON CONFLICT DO NOTHING, on SQLite and PostgreSQL alike)."""
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    row = {"key": key, "failures": 0, "window_started": now}
    session.execute(
        insert(LoginThrottle).values(**row).on_conflict_do_nothing(index_elements=["key"])
    )


def give_back(session: Session, keys: dict[str, Limit]) -> None:
    """An attempt that turned out well does not count towards a lock."""
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key.in_(list(keys)), LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1)
        .execution_options(synchronize_session=False)
    )


def record_success(session: Session, email: str) -> None:
    """A correct password clears the account's failures (the address keeps its count)."""
    row = session.scalar(select(LoginThrottle).where(LoginThrottle.key == account_key(email)))
    if row is not None:
        session.delete(row)


# Account e-mails asked for by a visitor (sign-up, a new link, a reset) per address and hour:
# enough for a person, too few to turn the service into a mail cannon.
MAIL_LIMIT = Limit(10, timedelta(hours=1), timedelta(hours=1))


def mail_keys(address: str) -> dict[str, Limit]:
    return {f"mail:{address}": MAIL_LIMIT}


# Documents checked at /verify per address: each parse and signature check costs real CPU.
VERIFY_LIMIT = Limit(20, timedelta(minutes=15), timedelta(minutes=15))


def verify_keys(address: str) -> dict[str, Limit]:
    return {f"verify:{address}": VERIFY_LIMIT}


# Calls per API token and minute: an integration's steady pace, not a loop gone wrong.
API_LIMIT = Limit(300, timedelta(minutes=1), timedelta(minutes=1))


def api_keys(token_id: int) -> dict[str, Limit]:
    return {f"api:{token_id}": API_LIMIT}
