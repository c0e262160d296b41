"""API tokens: a person's keys to the JSON API, shown once and kept only as their hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentorship.errors import Refused
from mentorship.i18n import N_
from mentorship.store.models import ApiToken, User

API_TOKEN_PREFIX = "dv_"  # recognisable in a leaked log or a secret scanner
API_TOKENS_PER_PERSON = 10


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, user: User, name: str, now: datetime) -> str:
    """A new API token for ``user``; returned once, kept only as its hash."""
    live = session.scalars(
        select(ApiToken.id).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    if len(live) >= API_TOKENS_PER_PERSON:
        raise Refused(N_("You have %(n)s tokens: revoke one first."), n=API_TOKENS_PER_PERSON)
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=_token_hash(token), created_at=now))
    return token


def presented(session: Session, token: str, now: datetime) -> tuple[ApiToken, User] | None:
    """The live token presented and the person it acts for; None for any other token."""
    row = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.erased_at is not None or user.email_verified_at is None:
        return None
    row.last_used_at = now
    return row, user


def revoke(session: Session, user: User, token_id: int, now: datetime) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise Refused(N_("There is no such token of yours."))
    row.revoked_at = row.revoked_at or now


def of_user(session: Session, user: User) -> list[ApiToken]:
    stmt = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    return list(session.scalars(stmt))
