"""SME eligibility under the EU definition (Recommendation 2003/361/EC)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mentorship.i18n import N_

MAX_EMPLOYEES = 250  # an SME has fewer than this
MAX_TURNOVER_EUR = 50_000_000
MAX_BALANCE_SHEET_EUR = 43_000_000


@dataclass(frozen=True)
class CompanySize:
    employees: int
    turnover_eur: int
    balance_sheet_eur: int


def sme_ineligibility(size: CompanySize) -> list[tuple[str, dict[str, Any]]]:
    """Reasons the enterprise is not an SME, each a catalog message and its values; an empty
    list means it is eligible.

    Headcount must be under 250, and at least one of the two financial ceilings must hold.
    """
    reasons: list[tuple[str, dict[str, Any]]] = []
    if size.employees >= MAX_EMPLOYEES:
        reasons.append(
            (
                N_("An SME has fewer than %(most)s employees; %(declared)s were declared."),
                {"most": MAX_EMPLOYEES, "declared": size.employees},
            )
        )
    if size.turnover_eur > MAX_TURNOVER_EUR and size.balance_sheet_eur > MAX_BALANCE_SHEET_EUR:
        reasons.append(
            (
                N_(
                    "An SME has an annual turnover of at most EUR 50 million or a balance-sheet"
                    " total of at most EUR 43 million; EUR %(turnover)s and EUR %(balance)s"
                    " were declared."
                ),
                {"turnover": size.turnover_eur, "balance": size.balance_sheet_eur},
            )
        )
    return reasons
