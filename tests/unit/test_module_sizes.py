"""No module of the service is so long that a reader cannot hold it: 450 lines at most in
`mentorship/`, `workflows/` and `web/`. A module that grows past it splits along a seam a
newcomer can name (see docs/design.md, "Where the code lives").

Migrations are the one exception: each is a record of one change to the schema, kept as it was
released, and the first creates the whole initial schema in one revision."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent
LIMIT = 450
MIGRATIONS = ROOT / "mentorship" / "store" / "migrations" / "versions"


def long_modules(package: str) -> dict[str, int]:
    return {
        str(path.relative_to(ROOT)): lines
        for path in sorted((ROOT / package).rglob("*.py"))
        if not path.is_relative_to(MIGRATIONS)
        and (lines := len(path.read_text().splitlines())) > LIMIT
    }


@pytest.mark.parametrize("package", ["mentorship", "workflows", "web"])
def test_no_module_is_longer_than_a_reader_can_hold(package: str) -> None:
    assert list((ROOT / package).rglob("*.py")), f"no modules under {package}/"
    assert not long_modules(package), f"split these along a seam: {long_modules(package)}"
