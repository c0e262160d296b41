"""The outbox: the notifications waiting to be mailed (``mentorship.services.mail`` delivers them).

One notification per person and key, however often the step or command that writes it is
retried: every writer queues through ``queue``. Each writer of mail marks its session
(``mark_queued``); once the transaction commits, ``after_commits_that_queued`` tells whoever
asked (the worker and the web wake the outbox).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from mentorship.store.models import Notification

QUEUED = "digivol.mail_queued"  # session.info: notifications queued in this transaction


def queue(session: Session, request_id: int, wanted: dict[int, str], key: str) -> None:
    """Queue a notification of kind ``wanted[user_id]`` for each user not yet told under
    ``key``: one query for the users already told, one insert for the others."""
    if not wanted:
        return
    told = set(
        session.scalars(
            select(Notification.user_id).where(
                Notification.key == key, Notification.user_id.in_(wanted)
            )
        )
    )
    new = [
        Notification(key=key, user_id=user_id, request_id=request_id, kind=kind)
        for user_id, kind in wanted.items()
        if user_id not in told
    ]
    session.add_all(new)
    if new:
        mark_queued(session, len(new))


def mark_queued(session: Session, count: int = 1) -> None:
    """Mail waits for the outbox once this transaction commits: whoever watches commits
    (``after_commits_that_queued``) wakes it. Every writer of mail marks so, ``queue`` and
    the account e-mails alike."""
    session.info[QUEUED] = session.info.get(QUEUED, 0) + count


def after_commits_that_queued(factory: sessionmaker[Session], then: Callable[[], None]) -> None:
    """Call ``then`` after each commit, of a session from ``factory``, whose transaction
    queued a notification; a transaction rolled back calls nothing. ``then`` runs in the
    committing thread, right after the commit: it must return at once and never raise."""

    @event.listens_for(factory, "after_commit")
    def committed(session: Session) -> None:
        if session.info.pop(QUEUED, 0):
            then()

    @event.listens_for(factory, "after_rollback")
    def rolled_back(session: Session) -> None:
        session.info.pop(QUEUED, None)
