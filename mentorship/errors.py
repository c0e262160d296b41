"""Domain errors; the web maps each to one HTTP answer in one place."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a use case raises on purpose."""


class NotFound(DomainError):
    pass


class Forbidden(DomainError):
    pass


class Ineligible(DomainError):
    """The organisation is not an SME under the EU definition."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons


class Refused(DomainError):
    """The process does not accept this action now (wrong stage, wrong person, decided)."""
