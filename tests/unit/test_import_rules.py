"""`tests/` and `bench/` share their scripted mentorship through `scripted/`: neither imports
the other, and `scripted/` imports neither."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent
FORBIDDEN = {
    "bench": {"tests"},
    "tests": {"bench"},
    "scripted": {"tests", "bench"},
}


def imported(path: Path) -> set[str]:
    """The top-level names of every module ``path`` imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_nothing_it_must_not(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no modules under {package}/"
    broken = {
        str(path.relative_to(ROOT)): sorted(imported(path) & FORBIDDEN[package])
        for path in files
        if imported(path) & FORBIDDEN[package]
    }
    assert not broken, f"imports that point the wrong way: {broken}"
