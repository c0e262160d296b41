"""SME eligibility under the EU definition (Recommendation 2003/361/EC)."""

from __future__ import annotations

from dataclasses import dataclass

MAX_EMPLOYEES = 250  # an SME has fewer than this
MAX_TURNOVER_EUR = 50_000_000
MAX_BALANCE_SHEET_EUR = 43_000_000


@dataclass(frozen=True)
class CompanySize:
    employees: int
    turnover_eur: int
    balance_sheet_eur: int


def sme_ineligibility(size: CompanySize) -> list[str]:
    """Reasons the enterprise is not an SME; an empty list means it is eligible.

    Headcount must be under 250, and at least one of the two financial ceilings must hold.
    """
    reasons = []
    if size.employees >= MAX_EMPLOYEES:
        reasons.append(
            f"An SME has fewer than {MAX_EMPLOYEES} employees; {size.employees} were declared."
        )
    if size.turnover_eur > MAX_TURNOVER_EUR and size.balance_sheet_eur > MAX_BALANCE_SHEET_EUR:
        reasons.append(
            "An SME has an annual turnover of at most EUR 50 million or a balance-sheet total"
            f" of at most EUR 43 million; EUR {size.turnover_eur:,} and"
            f" EUR {size.balance_sheet_eur:,} were declared."
        )
    return reasons
