"""E-mail: the outbox of notifications, composed per kind and role, delivered through SMTP.

Notifications are rows written in the same transaction as the step that needs someone; an
account e-mail a visitor asks for (a reset, a new link, a registration's) is an ask first,
the same for every address, which each run resolves into a notification or nothing. The
mail activity takes the oldest unsent ones, composes each (words by kind, template by the
recipient's role, a link into the service) and hands them to the SMTP server; with no
SMTP_URL, as when running locally, they are marked delivered to the outbox and read at
/dev/mail. Logs name notification ids only, never an address or a name.
"""

from __future__ import annotations

import email.policy
import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mentorship import i18n
from mentorship.i18n import N_
from mentorship.rules.stages import Effect, Role, TaskKind
from mentorship.services import accounts, inbox
from mentorship.store.db import transaction
from mentorship.store.models import AccountToken, Notification, utcnow

log = logging.getLogger("digivol.mail")

TEMPLATES = Path(__file__).parents[1] / "templates" / "mail"
MAX_ATTEMPTS = 5  # a message the server refused this often stays unsent, with its error
SMTP_TIMEOUT = 20

# What each notification asks of its reader, or tells them; the subject line too.
WHAT: dict[str, str] = {
    TaskKind.REVIEW_INTAKE: N_("A new request waits for your review"),
    TaskKind.APPROVE_MATCH: N_("Mentors were proposed: approve one"),
    TaskKind.ANSWER_OFFER: N_("You are proposed as the mentor: accept or decline"),
    TaskKind.SIGN_AGREEMENT: N_("The confidentiality agreement waits for your signature"),
    TaskKind.LOG_SESSION: N_("Log the sessions you held"),
    TaskKind.CONFIRM_SESSION: N_("A session was logged: confirm that it took place"),
    TaskKind.APPROVE_COMPLETION: N_("The sessions are done: review and approve the completion"),
    TaskKind.FOLLOW_UP: N_("The mentorship has stalled: get in touch with both sides"),
    TaskKind.RESOLVE_DISPUTE: N_("A logged session is disputed: settle it"),
    TaskKind.GIVE_FEEDBACK: N_("The sessions are done: give your feedback"),
    TaskKind.ANSWER_SURVEY: N_("A short follow-up survey is open"),
    TaskKind.PROPOSE_PLAN: N_("Propose the mentoring plan: goals, sessions and an end date"),
    TaskKind.ACCEPT_PLAN: N_("A mentoring plan was proposed: accept it or propose a change"),
    TaskKind.FIX_REGISTRY_ENTRY: N_("The pledge registry refused an entry: see why, send it again"),
    Effect.NDA_REMINDER: N_("Reminder: the confidentiality agreement still waits for you"),
    Effect.SESSION_SCHEDULED: N_("A session was scheduled"),
    Effect.SESSION_MOVED: N_("A session was moved"),
    Effect.SESSION_CANCELLED: N_("A session was cancelled"),
    Effect.PLAN_AGREED: N_("The mentoring plan was agreed"),
    Effect.PLAN_EXTENDED: N_("A coordinator extended the mentoring plan"),
    Effect.NUDGED: N_("Nothing has happened for a while: plan your next session"),
    inbox.ESCALATED: N_("A coordinator task is past due"),
    inbox.ASSIGNED: N_("A lead coordinator assigned you a task"),
}
ACCOUNT_SUBJECTS = {
    accounts.VERIFY: N_("Confirm your e-mail address"),
    accounts.INVITATION: N_("You are invited to Digital Volunteers"),
    accounts.RESET: N_("Set a new password"),
}


class MailError(ValueError):
    """A mail setting that cannot be used."""


class MailUnavailable(Exception):
    """The SMTP server could not be reached or dropped the connection: try again later."""


@dataclass(frozen=True)
class MailConfig:
    smtp_url: str  # empty: the outbox only
    sender: str
    base_url: str  # no trailing slash
    secret_key: str  # signs the links of account e-mails


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    # TLS from the start (smtps); otherwise STARTTLS whenever the server offers it, and no
    # password is sent to a server that does not.
    tls: bool
    username: str
    password: str


@dataclass(frozen=True)
class Message:
    notification_id: int
    to_name: str
    to_address: str
    subject: str
    text: str

    @property
    def to(self) -> str:
        """The recipient as a reader sees it; the header is built by ``email_message``."""
        return f"{self.to_name} <{self.to_address}>"


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int
    more: bool  # the batch was full: more may be waiting


def parse_smtp_url(url: str) -> SmtpTarget | None:
    """smtp://[user:password@]host[:port] or smtps://…; None for an empty setting."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailError("use smtp://host:port or smtps://host:port, with user:password@")
    tls = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if tls else 25)
    except ValueError:
        raise MailError("the port is not a number") from None
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    return SmtpTarget(parts.hostname, port, tls, user, password)


@cache
def _templates(locale: str) -> Environment:
    """One environment per language, its translations installed (shared by threads)."""
    # Plain text: nothing is escaped, and nothing of the reader's is read as markup.
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        i18n.translations(locale), newstyle=True
    )
    return environment


def compose(session: Session, row: Notification, config: MailConfig) -> Message:
    """The e-mail of one notification, in its reader's language: words, template, link."""
    user = row.user
    locale = user.locale if user.locale in i18n.LOCALES else i18n.DEFAULT_LOCALE
    _ = i18n.translations(locale).gettext
    context: dict[str, object]
    if row.token_id is not None:
        token = session.get(AccountToken, row.token_id)
        if token is None:
            raise MailError(f"notification {row.id} names a token that does not exist")
        link = f"{config.base_url}{accounts.token_path(config.secret_key, token)}"
        subject = _(ACCOUNT_SUBJECTS[token.purpose])
        template = f"{token.purpose}.txt"
        context = {"hours": int(accounts.LIFETIMES[token.purpose].total_seconds() // 3600)}
    else:
        if row.kind not in WHAT:
            raise MailError(f"notification {row.id} is of an unknown kind {row.kind!r}")
        ref = f"DV-{row.request_id}"
        link = f"{config.base_url}/requests/{row.request_id}"
        what = _(WHAT[row.kind])
        subject = f"{ref}: {what}"
        template = f"task_{Role(user.role)}.txt"
        context = {"what": what, "ref": ref}
    text = _templates(locale).get_template(template).render(name=user.name, link=link, **context)
    return Message(row.id, user.name, user.email, subject, text)


# SMTP line endings, and long header lines (RFC 5322 allows 998): Python's folding of a
# subject with accents leaves a doubled space where it breaks the line.
POLICY = email.policy.SMTP.clone(max_line_length=998)


def email_message(config: MailConfig, message: Message) -> EmailMessage:
    """The e-mail itself; raises ValueError for a value no header may hold. The recipient is
    a structured address, never text joined into a header: a name cannot add a header."""
    mail = EmailMessage(policy=POLICY)
    mail["From"] = config.sender
    mail["To"] = Address(display_name=message.to_name, addr_spec=message.to_address)
    mail["Subject"] = f"[Digital Volunteers] {message.subject}"
    mail["Date"] = formatdate(localtime=False)
    domain = parseaddr(config.sender)[1].rpartition("@")[2] or "digital-volunteers.localhost"
    # The same id however often it is sent, so a mail client shows a resent one once.
    mail["Message-ID"] = f"<notification-{message.notification_id}@{domain}>"
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.text)
    return mail


def unsent(session: Session, limit: int) -> list[Notification]:
    stmt = (
        select(Notification)
        .where(Notification.sent_at.is_(None), Notification.attempts < MAX_ATTEMPTS)
        .order_by(Notification.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def deliver(sessions: sessionmaker[Session], config: MailConfig, limit: int) -> Delivery:
    """Send up to ``limit`` unsent notifications, oldest first, and record each outcome.

    Each message stands alone: one that cannot be composed or built, or that the server
    refuses, counts an attempt and keeps its error, and the others go out once each. A server
    that cannot be reached raises MailUnavailable after what was sent is recorded, so the
    caller retries the rest.

    First, up to ``limit`` account e-mails that visitors asked for become notifications, or
    nothing (``accounts.resolve_asks``): in a transaction of their own, kept short.
    """
    outcomes: dict[int, str | None] = {}
    mails: list[tuple[int, EmailMessage]] = []
    with transaction(sessions) as session:
        asked = accounts.resolve_asks(session, utcnow(), limit)
    with transaction(sessions) as session:
        rows = unsent(session, limit)
        for row in rows:
            try:
                mails.append((row.id, email_message(config, compose(session, row, config))))
            except Exception as exc:  # this message's failure, not the batch's
                outcomes[row.id] = f"cannot be built: {type(exc).__name__}: {exc}"
    target = parse_smtp_url(config.smtp_url)
    unavailable: MailUnavailable | None = None
    if target is None:
        outcomes |= {notification_id: None for notification_id, _ in mails}
    else:
        try:
            _send(target, mails, outcomes)
        except MailUnavailable as exc:
            unavailable = exc
    _record(sessions, outcomes, "outbox" if target is None else "smtp")
    sent = sum(1 for error in outcomes.values() if error is None)
    log.info(
        "mail: %d asks answered, %d sent, %d refused, batch of %d",
        asked, sent, len(outcomes) - sent, len(rows),
    )  # fmt: skip
    if unavailable is not None:
        raise unavailable
    return Delivery(sent, len(outcomes) - sent, more=len(rows) == limit or asked == limit)


def _record(sessions: sessionmaker[Session], outcomes: dict[int, str | None], channel: str) -> None:
    now = utcnow()
    with transaction(sessions) as session:
        for notification_id, error in outcomes.items():
            row = session.get(Notification, notification_id)
            if row is None:
                continue
            if error is None:
                row.sent_at, row.channel, row.error = now, channel, None
            else:
                row.attempts += 1
                row.error = error[:500]
                log.warning("mail: notification %d refused (attempt %d)", row.id, row.attempts)


def _send(
    target: SmtpTarget, mails: list[tuple[int, EmailMessage]], outcomes: dict[int, str | None]
) -> None:
    with _connection(target) as smtp:
        for notification_id, mail in mails:
            try:
                smtp.send_message(mail)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
                outcomes[notification_id] = f"refused: {_reason(exc)}"
                continue
            except smtplib.SMTPDataError as exc:
                outcomes[notification_id] = f"refused: {exc.smtp_code} {_text(exc)}"
                continue
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                raise MailUnavailable(f"the connection dropped: {exc}") from None
            except (smtplib.SMTPException, ValueError) as exc:  # this message only
                outcomes[notification_id] = f"not sent: {type(exc).__name__}: {exc}"
                continue
            outcomes[notification_id] = None


@contextmanager
def _connection(target: SmtpTarget) -> Iterator[smtplib.SMTP]:
    try:
        if target.tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                target.host, target.port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(target.host, target.port, timeout=SMTP_TIMEOUT)
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            elif target.username:
                smtp.close()
                raise MailUnavailable(
                    f"{target.host}:{target.port} does not offer STARTTLS: the password is not"
                    " sent in the clear (use smtps:// or a server with STARTTLS)"
                )
        if target.username:
            smtp.login(target.username, target.password)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailUnavailable(f"{target.host}:{target.port}: {exc}") from None
    try:
        yield smtp
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _reason(exc: smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused) -> str:
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"{exc.smtp_code} {_text(exc)}"
    code, text = next(iter(exc.recipients.values()))
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"


def _text(exc: smtplib.SMTPResponseException) -> str:
    error = exc.smtp_error
    return error.decode(errors="replace") if isinstance(error, bytes) else str(error)
