"""Passwords and sign-in: a password policy, scrypt hashes, and throttled failed logins."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from mentorship.models import LoginThrottle

PASSWORD_MIN = 12
# Passwords seen first in every breach list, and the words they are made of.
COMMON_WORDS = (
    "password", "passwort", "motdepasse", "contraseña", "qwerty", "azerty", "letmein",
    "welcome", "admin", "iloveyou", "monkey", "dragon", "football", "sunshine", "princess",
    "digivol", "volunteer", "123456", "abc123",
)  # fmt: skip
# A dummy hash checked when the account does not exist, so both answers take as long.
_DUMMY_HASH = generate_password_hash("no such account, but take the time anyway", "scrypt")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str | None, password: str) -> bool:
    return check_password_hash(password_hash or _DUMMY_HASH, password) and bool(password_hash)


def password_problems(password: str, email: str = "", name: str = "") -> list[str]:
    """Why a new password is weak; empty when it is acceptable."""
    problems = []
    if len(password) < PASSWORD_MIN:
        problems.append(f"Use at least {PASSWORD_MIN} characters.")
    lowered = password.lower()
    if any(word in lowered for word in COMMON_WORDS):
        problems.append("Avoid common words and number runs found in breached passwords.")
    personal = [p for p in (email.split("@")[0], *name.split()) if len(p) >= 3]
    if any(p.lower() in lowered for p in personal):
        problems.append("Do not use your name or e-mail address in the password.")
    if re.fullmatch(r"(.)\1*", password) or len(set(password)) < 5:
        problems.append("Use more different characters.")
    return problems


@dataclass(frozen=True)
class Limit:
    failures: int  # failed logins allowed in the window
    window: timedelta
    lock: timedelta  # how long the key is locked once over


ACCOUNT_LIMIT = Limit(5, timedelta(minutes=15), timedelta(minutes=15))
ADDRESS_LIMIT = Limit(20, timedelta(minutes=15), timedelta(minutes=15))


def throttle_keys(email: str, address: str) -> dict[str, Limit]:
    return {f"account:{email}": ACCOUNT_LIMIT, f"ip:{address}": ADDRESS_LIMIT}


def locked_for(session: Session, keys: dict[str, Limit], now: datetime) -> timedelta | None:
    """How long sign-in stays locked for any of ``keys``; None when it is open."""
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(list(keys))))
    waits = [row.locked_until - now for row in rows if row.locked_until and row.locked_until > now]
    return max(waits, default=None)


def record_failure(session: Session, keys: dict[str, Limit], now: datetime) -> None:
    """Count a failed login against each key; a key over its limit is locked."""
    for key, limit in keys.items():
        row = session.scalar(select(LoginThrottle).where(LoginThrottle.key == key))
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_started=now)
            session.add(row)
        if now - row.window_started > limit.window:
            row.failures, row.window_started = 0, now
        row.failures += 1
        if row.failures >= limit.failures:
            row.locked_until = now + limit.lock
            row.failures, row.window_started = 0, now
    session.flush()


def record_success(session: Session, email: str) -> None:
    """A correct password clears the account's failures (the address keeps its count)."""
    row = session.scalar(select(LoginThrottle).where(LoginThrottle.key == f"account:{email}"))
    if row is not None:
        session.delete(row)
