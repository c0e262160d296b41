"""The outbox: the notifications waiting to be mailed (``mentorship.services.mail`` delivers them).

One notification per person and key, however often the step or command that writes it is
retried: every writer queues through ``queue``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentorship.store.models import Notification


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
    session.add_all(
        Notification(key=key, user_id=user_id, request_id=request_id, kind=kind)
        for user_id, kind in wanted.items()
        if user_id not in told
    )
