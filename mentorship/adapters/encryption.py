"""Secrets kept encrypted at rest (two-step login's keys), with a key from the environment.

``DIGIVOL_ENCRYPTION_KEY`` holds one or more Fernet keys separated by commas: the first
encrypts, every one decrypts, so a key is rotated by putting the new one first and dropping
the old one once ``digivol`` has re-encrypted (or the secrets it protected were renewed).
Unset, a key is made once per data directory, as the session key is.
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class EncryptionError(ValueError):
    """A key that is not a Fernet key, or a value no configured key opens."""


class Encryption:
    def __init__(self, keys: str) -> None:
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        if not parts:
            raise EncryptionError("DIGIVOL_ENCRYPTION_KEY holds no key")
        try:
            self._fernet = MultiFernet([Fernet(part) for part in parts])
        except ValueError:
            raise EncryptionError(
                "DIGIVOL_ENCRYPTION_KEY: each key is 32 url-safe base64-encoded bytes"
                " (make one with: python -c 'from cryptography.fernet import Fernet;"
                " print(Fernet.generate_key().decode())')"
            ) from None

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise EncryptionError(
                "a secret could not be decrypted: DIGIVOL_ENCRYPTION_KEY lacks the key it was"
                " encrypted with"
            ) from None


@cache
def encryption(keys: str) -> Encryption:
    """One ``Encryption`` per key setting (building one parses every key)."""
    return Encryption(keys)


def new_key() -> str:
    return Fernet.generate_key().decode()
