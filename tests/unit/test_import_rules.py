"""`tests/` and `bench/` share their scripted mentorship through `scripted/`: neither imports
the other, and `scripted/` imports neither. No import inside a function goes unexplained.
(The arrows between the service's packages are import-linter's, in pyproject.toml.)"""

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


# Where an import inside a function would hide a cycle: the layers import-linter checks
# (pyproject.toml) see such imports too, but a cycle dodged this way stays invisible in the
# code. One is allowed only for a heavy library a process may never need, said on its line
# (or in the comment right above a run of them) as ``# lazy: <reason>``.
LAZY_CHECKED = ("mentorship", "web", "workflows", "activities", "temporal_client")


def imports_in_functions(path: Path) -> list[tuple[int, bool]]:
    """Each import inside a function of ``path``: its line, and whether it says why."""
    lines = path.read_text().splitlines()
    nodes = {
        (node.lineno, node.end_lineno or node.lineno)
        for function in ast.walk(ast.parse("\n".join(lines), str(path)))
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
    }
    found: list[tuple[int, bool]] = []
    run_start, previous_end = 0, -1
    for start, end in sorted(nodes):
        if start != previous_end + 1:
            run_start = start
        previous_end = end
        found.append((start, "# lazy:" in lines[start - 1] or _said_above(lines, run_start)))
    return found


def _said_above(lines: list[str], line: int) -> bool:
    """Whether the comment block right above ``line`` (1-based) opens with ``# lazy:``."""
    above = line - 2
    while above >= 0 and lines[above].strip().startswith("#"):
        if lines[above].strip().startswith("# lazy:"):
            return True
        above -= 1
    return False


@pytest.mark.parametrize("package", LAZY_CHECKED)
def test_no_import_inside_a_function_goes_unexplained(package: str) -> None:
    unexplained = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, explained in imports_in_functions(path)
        if not explained
    ]
    assert not unexplained, f"say `# lazy: <reason>` or import at the top: {unexplained}"
