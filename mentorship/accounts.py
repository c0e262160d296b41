"""Accounts: passwords (a policy, scrypt hashes), throttled sign-in, and the one-time links
of account e-mails (verify an address, accept an invitation, reset a password)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from mentorship.models import AccountToken, LoginThrottle, Notification, User

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


VERIFY, INVITATION, RESET = "verify_email", "invitation", "reset"
LIFETIMES = {
    VERIFY: timedelta(days=3),
    INVITATION: timedelta(days=7),
    RESET: timedelta(hours=1),
}
PATHS = {VERIFY: "/account/verify", INVITATION: "/account/invitation", RESET: "/account/reset"}


class LinkInvalid(Exception):
    """A link that was altered, has expired or was used already; the message says which."""


def _signer(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=f"digivol-account-{purpose}")


def token_path(secret_key: str, token: AccountToken) -> str:
    """The link's path: the token's id, signed for its purpose with the secret key."""
    return f"{PATHS[token.purpose]}/{_signer(secret_key, token.purpose).dumps(token.id)}"


def issue_link(
    session: Session, purpose: str, user: User, now: datetime, by: User | None = None
) -> AccountToken:
    """A one-time link for ``user``, and the e-mail that carries it (sent by the outbox)."""
    token = AccountToken(
        purpose=purpose,
        user_id=user.id,
        created_by=by.id if by else None,
        created_at=now,
        expires_at=now + LIFETIMES[purpose],
    )
    session.add(token)
    session.flush()
    session.add(Notification(key=f"token-{token.id}", user_id=user.id, token_id=token.id,
                             kind=purpose))  # fmt: skip
    return token


def open_link(
    session: Session, secret_key: str, purpose: str, signed: str, now: datetime
) -> AccountToken:
    """The token a link stands for, if it is genuine, unexpired and unused."""
    try:
        token_id = _signer(secret_key, purpose).loads(
            signed, max_age=int(LIFETIMES[purpose].total_seconds())
        )
    except BadSignature:  # includes SignatureExpired
        raise LinkInvalid("This link is not valid or has expired. Ask for a new one.") from None
    token = session.get(AccountToken, token_id)
    if token is None or token.purpose != purpose:
        raise LinkInvalid("This link is not valid. Ask for a new one.")
    if token.used_at is not None:
        raise LinkInvalid("This link was used already. Ask for a new one if you need it.")
    if token.expires_at <= now:
        raise LinkInvalid("This link has expired. Ask for a new one.")
    return token


def use_link(session: Session, token: AccountToken, now: datetime) -> None:
    """Spend the link, and every other open link of the same purpose for the same person."""
    session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == token.user_id,
            AccountToken.purpose == token.purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    session.refresh(token)
