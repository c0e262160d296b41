"""Domain errors; the web maps each to one HTTP answer in one place.

An error's message is the English text marked for the catalogs (``N_``) with its values
apart, so each person reads it in their own language: ``Refused(N_("%(n)s left"), n=2)``.
``str()`` of the error is the English sentence, for logs and the API.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a use case raises on purpose."""

    def __init__(self, message: str = "", **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


class NotFound(DomainError):
    pass


class Forbidden(DomainError):
    pass


class Ineligible(DomainError):
    """The organisation is not an SME under the EU definition.

    Each reason is a ``(message, params)`` pair, translated where it is shown.
    """

    def __init__(self, reasons: list[tuple[str, dict[str, Any]]]) -> None:
        super().__init__(" ".join(message % params for message, params in reasons))
        self.reasons = reasons


class Refused(DomainError):
    """The process does not accept this action now (wrong stage, wrong person, decided)."""
