"""Accounts: passwords (a policy, scrypt hashes), the one-time links of account e-mails (verify
an address, accept an invitation, reset a password), registration and invitations. API tokens are
``mentorship.services.api_tokens``; throttling attempts is ``mentorship.services.throttle``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from mentorship.errors import DomainError, Refused
from mentorship.i18n import N_
from mentorship.rules.stages import Role
from mentorship.rules.taxonomy import TAXONOMY_VERSION
from mentorship.services import outbox
from mentorship.services.pledges import open_pledge
from mentorship.services.throttle import record_success
from mentorship.store.models import (
    AccountMailAsk,
    AccountToken,
    MentorProfile,
    Notification,
    Organisation,
    User,
)

PASSWORD_MIN = 12
# Passwords seen first in every breach list, and the words they are made of.
COMMON_WORDS = (
    "password", "passwort", "motdepasse", "contraseña", "qwerty", "azerty", "letmein",
    "welcome", "admin", "iloveyou", "monkey", "dragon", "football", "sunshine", "princess",
    "digivol", "volunteer", "123456", "abc123",
)  # fmt: skip
# A dummy hash checked when the account does not exist, so both answers take as long.
_DUMMY_HASH = generate_password_hash("no such account, but take the time anyway", "scrypt")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str | None, password: str) -> bool:
    return check_password_hash(password_hash or _DUMMY_HASH, password) and bool(password_hash)


def password_reasons(
    password: str, email: str = "", name: str = ""
) -> list[tuple[str, dict[str, Any]]]:
    """Why a new password is weak, each reason as ``(message, params)`` for the catalogs;
    empty when it is acceptable."""
    reasons: list[tuple[str, dict[str, Any]]] = []
    if len(password) < PASSWORD_MIN:
        reasons.append((N_("Use at least %(n)s characters."), {"n": PASSWORD_MIN}))
    lowered = password.lower()
    if any(word in lowered for word in COMMON_WORDS):
        reasons.append((N_("Avoid common words and number runs found in breached passwords."), {}))
    personal = [p for p in (email.split("@")[0], *name.split()) if len(p) >= 3]
    if any(p.lower() in lowered for p in personal):
        reasons.append((N_("Do not use your name or e-mail address in the password."), {}))
    if re.fullmatch(r"(.)\1*", password) or len(set(password)) < 5:
        reasons.append((N_("Use more different characters."), {}))
    return reasons


def password_problems(password: str, email: str = "", name: str = "") -> list[str]:
    """Why a new password is weak, in English; empty when it is acceptable."""
    return [message % params for message, params in password_reasons(password, email, name)]


VERIFY, INVITATION, RESET = "verify_email", "invitation", "reset"
LIFETIMES = {
    VERIFY: timedelta(days=3),
    INVITATION: timedelta(days=7),
    RESET: timedelta(hours=1),
}
PATHS = {VERIFY: "/account/verify", INVITATION: "/account/invitation", RESET: "/account/reset"}


class LinkInvalid(DomainError):
    """A link that was altered, has expired or was used already; the message says which."""


def _signer(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=f"digivol-account-{purpose}")


def token_path(secret_key: str, token: AccountToken) -> str:
    """The link's path: the token's id, signed for its purpose with the secret key."""
    return f"{PATHS[token.purpose]}/{_signer(secret_key, token.purpose).dumps(token.id)}"


def issue_link(
    session: Session, purpose: str, user: User, now: datetime, by: User | None = None
) -> AccountToken:
    """A one-time link for ``user``, and the e-mail that carries it (sent by the outbox)."""
    token = AccountToken(
        purpose=purpose,
        user_id=user.id,
        created_by=by.id if by else None,
        created_at=now,
        expires_at=now + LIFETIMES[purpose],
    )
    session.add(token)
    session.flush()
    session.add(Notification(key=f"token-{token.id}", user_id=user.id, token_id=token.id,
                             kind=purpose))  # fmt: skip
    outbox.mark_queued(session)
    return token


def open_link(
    session: Session, secret_key: str, purpose: str, signed: str, now: datetime
) -> AccountToken:
    """The token a link stands for, if it is genuine, unexpired and unused."""
    try:
        token_id = _signer(secret_key, purpose).loads(
            signed, max_age=int(LIFETIMES[purpose].total_seconds())
        )
    except BadSignature:  # includes SignatureExpired
        raise LinkInvalid(N_("This link is not valid or has expired. Ask for a new one.")) from None
    token = session.get(AccountToken, token_id)
    if token is None or token.purpose != purpose:
        raise LinkInvalid(N_("This link is not valid. Ask for a new one."))
    if token.used_at is not None:
        raise LinkInvalid(N_("This link was used already. Ask for a new one if you need it."))
    if token.expires_at <= now:
        raise LinkInvalid(N_("This link has expired. Ask for a new one."))
    return token


def use_link(session: Session, token: AccountToken, now: datetime) -> None:
    """Spend the link, and every other open link of the same purpose for the same person."""
    session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == token.user_id,
            AccountToken.purpose == token.purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    session.refresh(token)


RESETS_PER_HOUR = 3  # reset e-mails to one account
REGISTRATION = "registration"  # an ask a registration makes: a confirmation or a reset link
NO_PASSWORD = ""  # an invited account until its owner chooses one: no password matches it
# Who may invite whom: coordinators their colleagues, a company's admins its people.
INVITES = {
    Role.COORDINATOR: (Role.COORDINATOR,),
    Role.COMPANY_ADMIN: (Role.MENTOR, Role.COMPANY_ADMIN),
}


@dataclass(frozen=True)
class Registration:
    """A new organisation (an SME or a mentoring company) and the person who registers it."""

    kind: str  # "sme" or "company"
    organisation: str
    country: str
    nace: str
    employees: int
    turnover_eur: int
    balance_sheet_eur: int
    name: str
    email: str
    password: str
    locale: str = "en"  # the language of their e-mails


class InvitationRefused(Refused):
    """An invitation that cannot be sent; ``field`` names the form field it is about
    ("email" or "role")."""

    def __init__(self, field: str, message: str, **params: Any) -> None:
        super().__init__(message, **params)
        self.field = field


def register(session: Session, form: Registration, now: datetime) -> User | None:
    """The organisation and its first account, unusable until the address is confirmed.

    An address that already has an account gets a reset link instead (or its confirmation
    link again), and the visitor reads the same answer either way: registering reveals
    nobody's account. Returns the new user, or None when there was one already.

    Both paths do the same slow work and ask for the same e-mail: the password is hashed
    whether or not the address is taken (the hash is most of the time an answer takes), the
    address is looked up, and one ask (``ask_mail``, purpose REGISTRATION) is written, which
    the mail outbox run turns into a confirmation link or a reset link. What still differs:
    a new address also writes its organisation and account rows, two INSERTs in the same
    transaction: about 1 ms beside a hash of about 100 ms (bench/accounts.py,
    docs/performance.md).
    """
    # Hashed whether or not the address has an account: the slow hash is most of the work, and
    # an answer that came back faster for a taken address would tell who has one.
    password_hash = hash_password(form.password)
    if session.scalar(select(User.id).where(User.email == form.email)) is not None:
        ask_mail(session, REGISTRATION, form.email, now)
        return None
    organisation = Organisation(
        kind=form.kind,
        name=form.organisation,
        country=form.country,
        nace=form.nace,
        employees=form.employees,
        turnover_eur=form.turnover_eur,
        balance_sheet_eur=form.balance_sheet_eur,
    )
    user = User(
        email=form.email,
        name=form.name,
        password_hash=password_hash,
        role=Role.SME if form.kind == "sme" else Role.COMPANY_ADMIN,
        organisation=organisation,
        locale=form.locale,
    )
    session.add(user)
    session.flush()
    ask_mail(session, REGISTRATION, form.email, now)
    return user


def resend_verification(session: Session, email: str, now: datetime) -> None:
    """Ask for a new confirmation link: the outbox run sends one to an unconfirmed account
    and nothing to any other address (``resolve_asks``)."""
    ask_mail(session, VERIFY, email, now)


def ask_mail(session: Session, purpose: str, email: str, now: datetime) -> None:
    """Record that a visitor asked for an account e-mail of ``purpose`` to ``email``.

    One INSERT, the same for every address, and nothing looked up: an answer that took
    longer, or wrote more, for an address with an account would tell who has one. The mail
    outbox run resolves the ask soon after (``resolve_asks``), woken once this commits.
    """
    session.add(AccountMailAsk(purpose=purpose, email=email, asked_at=now))
    outbox.mark_queued(session)


def resolve_asks(session: Session, now: datetime, limit: int) -> int:
    """Turn up to ``limit`` asks, oldest first, into the links they earn; returns how many
    were taken. Run by the mail outbox (``mail.deliver``), never by a visitor's request.

    An ask is taken by deleting it (one DELETE … RETURNING), so two runs at once answer it
    once, and the address it held is gone once answered. A reset goes to a confirmed account,
    at most RESETS_PER_HOUR an hour; a confirmation link to an unconfirmed one; a
    registration earns whichever of the two its address's account needs. An address without
    an account earns nothing, silently.
    """
    oldest = select(AccountMailAsk.id).order_by(AccountMailAsk.id).limit(limit)
    taken = session.execute(
        delete(AccountMailAsk)
        .where(AccountMailAsk.id.in_(oldest))
        .returning(AccountMailAsk.id, AccountMailAsk.purpose, AccountMailAsk.email)
        .execution_options(synchronize_session=False)
    ).all()
    for _id, purpose, email in sorted(taken, key=lambda ask: ask.id):
        user = session.scalar(select(User).where(User.email == email))
        if user is not None and (link := _earned(session, purpose, user, now)) is not None:
            issue_link(session, link, user, now)
    return len(taken)


def _earned(session: Session, purpose: str, user: User, now: datetime) -> str | None:
    """The link an ask of ``purpose`` earns ``user``, or None."""
    if user.email_verified_at is None:
        return VERIFY if purpose in (VERIFY, REGISTRATION) else None
    if purpose not in (RESET, REGISTRATION):
        return None
    recent = session.scalars(
        select(AccountToken.id).where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == RESET,
            AccountToken.created_at > now - timedelta(hours=1),
        )
    ).all()
    return RESET if len(recent) < RESETS_PER_HOUR else None


def confirm_email(session: Session, token: AccountToken, now: datetime) -> User:
    """The address is its owner's: the account opens, and a company becomes a pledger."""
    user = _owner(session, token)
    user.email_verified_at = user.email_verified_at or now
    use_link(session, token, now)
    if user.role == Role.COMPANY_ADMIN and user.organisation is not None:
        open_pledge(session, user.organisation)
    return user


def request_reset(session: Session, email: str, now: datetime) -> None:
    """Ask for a reset link: the outbox run sends one to a confirmed account, at most a few
    an hour, and silently nothing to an address without one (``resolve_asks``)."""
    ask_mail(session, RESET, email, now)


def set_password(session: Session, token: AccountToken, password: str, now: datetime) -> User:
    """A reset or an accepted invitation: the new password, the link spent, locks lifted."""
    user = _owner(session, token)
    problems = password_problems(password, user.email, user.name)
    if problems:
        raise Refused(" ".join(problems))
    user.password_hash = hash_password(password)
    user.email_verified_at = user.email_verified_at or now  # the link came to the address
    use_link(session, token, now)
    record_success(session, user.email)
    return user


def invite(session: Session, by: User, name: str, email: str, role: str, now: datetime) -> User:
    """An account for a colleague, opened when they follow the e-mailed link."""
    if role not in INVITES.get(Role(by.role), ()):
        # inviter and role are codes, put in words where the sentence is shown
        raise InvitationRefused(
            "role", N_("A %(inviter)s cannot invite a %(role)s."), inviter=by.role, role=role
        )
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise InvitationRefused("email", N_("%(email)s already has an account."), email=email)
    user = User(
        email=email,
        name=name,
        password_hash=NO_PASSWORD,
        role=role,
        organisation_id=None if role == Role.COORDINATOR else by.organisation_id,
        locale=by.locale,  # the inviter's language, until they choose their own
    )
    session.add(user)
    session.flush()
    issue_link(session, INVITATION, user, now, by=by)
    return user


def accept_invitation(
    session: Session,
    token: AccountToken,
    password: str,
    now: datetime,
    expertise: dict[str, int] | None = None,
    languages: list[str] | None = None,
    capacity: int = 1,
) -> User:
    """The invited person's password, and a mentor's profile for matching."""
    user = set_password(session, token, password, now)
    if user.role == Role.MENTOR and user.mentor_profile is None:
        country = user.organisation.country if user.organisation else None
        user.mentor_profile = MentorProfile(
            taxonomy_version=TAXONOMY_VERSION,
            proficiency=expertise or {},
            sectors=[],
            languages=languages or [],
            countries=[country] if country else [],
            capacity=capacity,
        )
    return user


def invitations_by(session: Session, user: User) -> list[AccountToken]:
    """The invitations this user sent, newest first."""
    stmt = select(AccountToken).where(
        AccountToken.purpose == INVITATION, AccountToken.created_by == user.id
    )
    return list(session.scalars(stmt.order_by(AccountToken.id.desc())))


def _owner(session: Session, token: AccountToken) -> User:
    user = session.get(User, token.user_id)
    if user is None:
        raise LinkInvalid(N_("This link is not valid. Ask for a new one."))
    return user
