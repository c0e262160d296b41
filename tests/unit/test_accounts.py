"""The password policy and hashing."""

from __future__ import annotations

import pytest

from mentorship.services.accounts import hash_password, password_problems, verify_password


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short1!", "at least 12"),
        ("MyPassword2026!", "common words"),
        ("qwertyuiop-long", "common words"),
        ("giulia-bakes-bread", "your name or e-mail"),
        ("rossi.panificio.2026", "your name or e-mail"),
        ("aaaaaaaaaaaaaa", "more different characters"),
        ("abababababab", "more different characters"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, problem: str) -> None:
    problems = password_problems(password, email="rossi@panificio.it", name="Giulia Rossi")
    assert any(problem in p for p in problems), problems


def test_a_good_password_has_no_problems_and_its_hash_is_scrypt() -> None:
    assert password_problems("tram-Lantern-47-oak", "rossi@panificio.it", "Giulia Rossi") == []
    hashed = hash_password("tram-Lantern-47-oak")
    assert hashed.startswith("scrypt:")
    assert verify_password(hashed, "tram-Lantern-47-oak")
    assert not verify_password(hashed, "tram-Lantern-47-oaK")
    assert not verify_password(None, "tram-Lantern-47-oak")  # no such account
