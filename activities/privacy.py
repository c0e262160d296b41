"""The activity that applies the retention rule to closed mentorships."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from mentorship.services import privacy
from mentorship.store.db import transaction
from mentorship.store.models import utcnow


class PrivacyActivities:
    def __init__(self, session_factory: sessionmaker[Session], retention: timedelta):
        self._sessions = session_factory
        self._retention = retention

    @activity.defn
    def erase_closed_mentorships(self, limit: int) -> int:
        """Erase one batch of requests closed longer than the retention period; how many."""
        with transaction(self._sessions) as session:
            erased = privacy.erase_closed_mentorships(session, self._retention, utcnow(), limit)
        activity.logger.info("retention: %d request(s) erased", len(erased))
        return len(erased)
