"""Sign-ins kept on the server, so that they can be ended.

The browser's cookie holds only a random token; the server keeps its SHA-256 in a row with
when it opened, when its person was last there, and a stamp of what was true of the person
then (password, role, address, organisation). A request comes from nobody when its sign-in
was ended (logging out; a lockout ends every one of the person's; an erasure deletes them),
has idled or lasted too long, or when anything in the stamp has changed since, by whatever
path: a role changed from the command line ends sessions as surely as one changed on a page.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from mentorship.store.models import SignIn, User

# How often a sign-in's last-seen time is written: the idle timeout holds to within this.
SEEN_EVERY = timedelta(minutes=1)


class Ended(StrEnum):
    """Why a sign-in ended (kept on its row; the person reads a sentence for each)."""

    LOGOUT = "logout"
    IDLE = "idle"
    TOO_OLD = "too_old"
    CHANGED = "changed"  # the password (a reset), role, address or organisation changed
    LOCKED = "locked"  # too many failed logins for the account


def stamp(user: User) -> str:
    """What must stay true of a person for their sign-ins to stay valid."""
    facts = (
        user.password_hash,
        user.role,
        str(bool(user.lead)),
        user.email,
        str(user.organisation_id),
        str(user.email_verified_at is not None),
        str(user.erased_at),
    )
    return hashlib.sha256("\x1f".join(facts).encode()).hexdigest()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_sign_in(session: Session, user: User, now: datetime, longest: timedelta) -> str:
    """A new sign-in for ``user``; the token goes in the cookie and nowhere else. The
    person's sign-ins that can no longer be valid (ended or unseen for ``longest``, the
    absolute timeout) are forgotten meanwhile: the rows stay few, without a sweep."""
    session.execute(
        delete(SignIn)
        .where(
            SignIn.user_id == user.id,
            or_(SignIn.seen_at < now - longest, SignIn.ended_at < now - longest),
        )
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        SignIn(
            user_id=user.id,
            token_hash=_hash(token),
            stamp=stamp(user),
            created_at=now,
            seen_at=now,
        )
    )
    return token


def current(
    session: Session,
    token: str,
    now: datetime,
    *,
    idle: timedelta,
    longest: timedelta,
    attended: bool = True,
) -> tuple[User | None, Ended | None]:
    """The person a token signs in, or None and why the sign-in is over (None: unknown).

    ``attended``: a person is there (not a page's script asking by itself), so the request
    counts as activity; the last-seen time is written at most once a minute.
    """
    row = session.scalar(select(SignIn).where(SignIn.token_hash == _hash(token)))
    if row is None:
        return None, None
    if row.ended_at is not None:
        return None, Ended(row.ended_why or Ended.LOGOUT)
    why = None
    if now - row.seen_at > idle:
        why = Ended.IDLE
    elif now - row.created_at > longest:
        why = Ended.TOO_OLD
    user = session.get(User, row.user_id)
    if why is None and (user is None or stamp(user) != row.stamp):
        why = Ended.CHANGED
    if why is not None:
        row.ended_at, row.ended_why = now, why
        return None, why
    if attended and now - row.seen_at > SEEN_EVERY:
        row.seen_at = now
    return user, None


def end(session: Session, token: str, now: datetime, why: Ended = Ended.LOGOUT) -> None:
    """End one sign-in (logging out)."""
    session.execute(
        update(SignIn)
        .where(SignIn.token_hash == _hash(token), SignIn.ended_at.is_(None))
        .values(ended_at=now, ended_why=why)
    )


def end_all(session: Session, user_id: int, now: datetime, why: Ended) -> int:
    """End every open sign-in of a person; how many were open."""
    result = session.execute(
        update(SignIn)
        .where(SignIn.user_id == user_id, SignIn.ended_at.is_(None))
        .values(ended_at=now, ended_why=why)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def end_all_by_email(session: Session, email: str, now: datetime, why: Ended) -> int:
    """``end_all`` for the account with this address, if there is one."""
    user_id = session.scalar(select(User.id).where(User.email == email))
    return 0 if user_id is None else end_all(session, user_id, now, why)
