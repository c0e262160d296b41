"""The activity that signs a checkpoint of the audit chain's head with the seal key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from mentorship.services import checkpoints
from mentorship.store.db import transaction
from mentorship.store.models import utcnow

if TYPE_CHECKING:
    from mentorship.adapters.seal_identity import SealIdentity


class AuditActivities:
    def __init__(self, session_factory: sessionmaker[Session], seal_identity: SealIdentity):
        self._sessions = session_factory
        self._seal_identity = seal_identity

    @activity.defn
    def checkpoint_audit_head(self) -> int:
        """Sign the head unless the newest checkpoint covers it; its number (0: no entries)."""
        with transaction(self._sessions) as session:
            signed = checkpoints.checkpoint(session, self._seal_identity, utcnow())
            if signed is None:
                return 0
            activity.logger.info("audit checkpoint %d covers entry %d", signed.id, signed.seq)
            return signed.id
