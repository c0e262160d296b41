"""The activity behind the inbox's deadlines: escalate what is past due."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from mentorship.services import inbox
from mentorship.store.db import transaction


class InboxActivities:
    def __init__(self, session_factory: sessionmaker[Session]):
        self._sessions = session_factory

    @activity.defn
    def escalate_overdue(self, now: str) -> int:
        """Escalate the tasks past due at ``now`` (the workflow's time, naive UTC ISO);
        returns the seconds until the next one falls due, or -1 when none waits."""
        at = datetime.fromisoformat(now)
        with transaction(self._sessions) as session:
            escalated = inbox.escalate_overdue(session, at)
            upcoming = inbox.next_deadline(session)
        if escalated:
            activity.logger.info("escalated %d overdue task(s)", len(escalated))
        return -1 if upcoming is None else max(1, int((upcoming - at).total_seconds()) + 1)
