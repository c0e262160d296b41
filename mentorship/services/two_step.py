"""Two-step login: a code from an authenticator app (RFC 6238, with pyotp) after the password,
and single-use recovery codes for the day the phone is lost.

The app's secret is kept encrypted (mentorship.adapters.encryption), the pending one too while the
person has not yet confirmed it with a code; it never travels in a cookie. Recovery codes are
shown once, when made, and kept as SHA-256 hashes; using one spends it in a single UPDATE,
so two requests racing with the same code cannot both succeed. A password reset leaves
two-step login on: recovery codes, not an e-mail, are the way past a lost phone.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import pyotp
import segno
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from mentorship.adapters.encryption import Encryption
from mentorship.store.models import RecoveryCode, User

ISSUER = "Digital Volunteers"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read from paper
RECOVERY_LENGTH = 16  # 80 bits: four groups of four


def is_on(user: User) -> bool:
    return user.totp_secret_encrypted is not None


def start(user: User, encryption: Encryption) -> str:
    """A new secret for the person's app, pending until a code from the app confirms it."""
    secret = pyotp.random_base32()
    user.totp_pending_encrypted = encryption.encrypt(secret)
    return secret


def pending_secret(user: User, encryption: Encryption) -> str | None:
    if user.totp_pending_encrypted is None:
        return None
    return encryption.decrypt(user.totp_pending_encrypted)


def provisioning_uri(secret: str, email: str) -> str:
    """What an authenticator app reads from the QR code (or the key typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str, title: str) -> str:
    """The QR code as inline SVG markup: no image request, nothing the CSP has to allow."""
    return str(segno.make(uri, error="m").svg_inline(scale=4, light="#fff", title=title))


def matching_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The time step ``code`` belongs to, if it is right within a step either way of now and
    newer than ``after`` (the last step used: each code logs in once)."""
    totp = pyotp.TOTP(secret)
    moment = now.replace(tzinfo=UTC)
    code = code.strip().replace(" ", "")
    for drift in (-1, 0, 1):
        at = moment + timedelta(seconds=drift * totp.interval)
        if totp.verify(code, for_time=at):
            step = totp.timecode(at)
            return step if after is None or step > after else None
    return None


def confirm(
    session: Session, user: User, encryption: Encryption, code: str, now: datetime
) -> list[str] | None:
    """Turn two-step login on if ``code`` is right for the pending secret; the new recovery
    codes, to be shown once, or None when the code is wrong or nothing is pending."""
    secret = pending_secret(user, encryption)
    if secret is None:
        return None
    step = matching_step(secret, code, now, None)
    if step is None:
        return None
    user.totp_secret_encrypted, user.totp_pending_encrypted = encryption.encrypt(secret), None
    user.totp_last_step = step
    return new_recovery_codes(session, user)


def use_code(user: User, encryption: Encryption, code: str, now: datetime) -> bool:
    """Check a code from the app at login (or to turn two-step login off); once each."""
    if user.totp_secret_encrypted is None:
        return False
    secret = encryption.decrypt(user.totp_secret_encrypted)
    step = matching_step(secret, code, now, user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def turn_off(session: Session, user: User) -> None:
    user.totp_secret_encrypted = user.totp_pending_encrypted = user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def _code_hash(code: str) -> str:
    return hashlib.sha256(f"digivol-recovery:{code}".encode()).hexdigest()


def normalised_recovery_code(typed: str) -> str:
    """A recovery code as typed (any case, with spaces or dashes) in its stored form."""
    return "".join(ch for ch in typed.upper() if ch not in " -")


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """A fresh set of recovery codes; the old ones stop working."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_code_hash(c)) for c in codes)
    return ["-".join(code[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4)) for code in codes]


def use_recovery_code(session: Session, user: User, typed: str, now: datetime) -> bool:
    """Spend one recovery code of ``user``: true once per code, false for any other."""
    spent = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(normalised_recovery_code(typed)),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .returning(RecoveryCode.id)
        .execution_options(synchronize_session=False)
    ).first()
    return spent is not None and is_on(user)


def recovery_codes_left(session: Session, user: User) -> int:
    stmt = select(func.count()).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
    )
    return int(session.scalar(stmt) or 0)
