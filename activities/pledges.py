"""The activity that pushes a pledge entry to the Coalition's registry."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from mentorship.adapters import registry
from mentorship.adapters.registry import RegistryConfig
from mentorship.services import pledges
from mentorship.store.db import transaction


class PledgeActivities:
    def __init__(self, session_factory: sessionmaker[Session], config: RegistryConfig | None):
        self._sessions = session_factory
        self._config = config  # configuration: activities may read it, workflows may not

    @activity.defn
    def push_pledge_entry(self, entry_id: int) -> str:
        """Send one entry; no transaction is open while the registry is asked.

        Returns a ``SyncOutcome``; raises a retryable error when the registry is unavailable,
        after recording the attempt, so the workflow tries again later.
        """
        if self._config is None:
            with transaction(self._sessions) as session:
                return pledges.record_not_configured(session, entry_id)
        with transaction(self._sessions) as session:
            key, payload = pledges.registry_request(session, entry_id)
        try:
            answer = registry.push(self._config, key, payload)
        except registry.RegistryUnavailable as exc:
            with transaction(self._sessions) as session:
                pledges.record_unavailable(session, entry_id, str(exc))
            raise ApplicationError(str(exc), type="RegistryUnavailable") from None
        with transaction(self._sessions) as session:
            return pledges.record_answer(session, entry_id, answer)
