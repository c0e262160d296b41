"""The activity that sends the outbox's e-mails."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from mentorship.services import mail
from mentorship.services.mail import MailConfig


class MailActivities:
    def __init__(self, session_factory: sessionmaker[Session], config: MailConfig):
        self._sessions = session_factory
        self._config = config

    @activity.defn
    def send_notifications(self, limit: int) -> bool:
        """Send one batch of unsent notifications; True when more may be waiting.

        Only counts cross the history: no address, name or text. An unreachable mail server
        is a retryable error (what was sent before it dropped stays recorded as sent).
        """
        try:
            return mail.deliver(self._sessions, self._config, limit).more
        except mail.MailUnavailable as exc:
            raise ApplicationError(str(exc), type="MailUnavailable") from None
