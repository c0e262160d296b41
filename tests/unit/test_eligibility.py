"""SME eligibility under the EU definition."""

from mentorship.rules.eligibility import CompanySize, sme_ineligibility


def test_a_small_bakery_is_an_sme() -> None:
    assert sme_ineligibility(CompanySize(14, 1_800_000, 900_000)) == []


def test_249_employees_is_still_an_sme_but_250_is_not() -> None:
    assert sme_ineligibility(CompanySize(249, 10_000_000, 10_000_000)) == []
    reasons = sme_ineligibility(CompanySize(250, 10_000_000, 10_000_000))
    assert len(reasons) == 1
    message, values = reasons[0]
    assert message % values == "An SME has fewer than 250 employees; 250 were declared."


def test_one_financial_ceiling_is_enough() -> None:
    # Turnover above EUR 50M, but balance sheet within EUR 43M: still an SME.
    assert sme_ineligibility(CompanySize(100, 60_000_000, 43_000_000)) == []
    assert sme_ineligibility(CompanySize(100, 50_000_000, 90_000_000)) == []


def test_both_financial_ceilings_exceeded_is_not_an_sme_and_says_why() -> None:
    reasons = sme_ineligibility(CompanySize(100, 50_000_001, 43_000_001))
    assert len(reasons) == 1
    message, values = reasons[0]
    assert "EUR 50000001 and EUR 43000001 were declared" in message % values


def test_a_large_enterprise_gets_every_reason() -> None:
    assert len(sme_ineligibility(CompanySize(5_000, 900_000_000, 700_000_000))) == 2
