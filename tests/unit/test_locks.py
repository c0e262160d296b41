"""The lock files agree with what they lock: pyproject.toml's pins (requirements/, made by
`make lock`) and package.json (package-lock.json). After a change of pin, `make lock`."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
DEVELOPMENT = ROOT / "requirements" / "development.txt"
PRODUCTION = ROOT / "requirements" / "production.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#\\]+)")


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(requirements: list[str]) -> dict[str, str]:
    """pyproject.toml's requirements, each of which must be pinned to one version."""
    found = {}
    for requirement in requirements:
        match = PIN.match(requirement)
        assert match, f"{requirement!r} in pyproject.toml is not pinned as name==version"
        found[normal(match[1])] = match[2]
    return found


def locked(lock: Path) -> dict[str, tuple[str, int]]:
    """Each package a lock file pins: its version and how many hashes it allows."""
    entries: dict[str, tuple[str, int]] = {}
    name = ""
    for line in lock.read_text().splitlines():
        if match := PIN.match(line):
            name = normal(match[1])
            assert name not in entries, f"{name} twice in {lock.name}"
            entries[name] = (match[2], 0)
        elif line.strip().startswith("--hash=sha256:"):
            version, hashes = entries[name]
            entries[name] = (version, hashes + 1)
        else:
            assert not line.strip() or line.lstrip().startswith("#"), f"{lock.name}: {line!r}"
    return entries


PRODUCTION_PINS = pins(PYPROJECT["project"]["dependencies"])
EXTRAS = {extra: pins(r) for extra, r in PYPROJECT["project"]["optional-dependencies"].items()}
DEVELOPMENT_PINS = PRODUCTION_PINS | {n: v for p in EXTRAS.values() for n, v in p.items()}


@pytest.mark.parametrize(
    ("lock", "wanted"), [(PRODUCTION, PRODUCTION_PINS), (DEVELOPMENT, DEVELOPMENT_PINS)]
)
def test_every_pin_of_pyproject_is_locked_with_its_hashes(
    lock: Path, wanted: dict[str, str]
) -> None:
    entries = locked(lock)
    differ = {n: (v, entries.get(n, ("missing", 0))[0]) for n, v in wanted.items()}
    assert {n: d for n, d in differ.items() if d[0] != d[1]} == {}, "run `make lock`"
    assert [n for n, (_, hashes) in entries.items() if hashes == 0] == []
    assert "setuptools" in entries  # digivol's build backend, installed without isolation


def test_production_runs_what_the_tests_ran_and_no_embedded_or_test_tool() -> None:
    development, production = locked(DEVELOPMENT), locked(PRODUCTION)
    assert {n: v for n, (v, _) in production.items() if development[n][0] != v} == {}
    for name in [*EXTRAS["embedded"], "pytest", "playwright", "mypy", "ruff", "schemathesis"]:
        assert name not in production, name


def test_the_installs_take_the_locks_with_hashes_and_nothing_else() -> None:
    makefile, dockerfile = (ROOT / "Makefile").read_text(), (ROOT / "Dockerfile").read_text()
    assert "--require-hashes --only-binary=:all: -r $(LOCK)" in makefile
    assert "LOCK := requirements/development.txt" in makefile
    assert "--no-deps --no-build-isolation -e ." in makefile
    assert "--require-hashes --only-binary=:all: \\\n    -r requirements/production.txt" in (
        dockerfile
    )
    assert "--no-deps --no-build-isolation ." in dockerfile
    assert "npm ci " in makefile and "npm ci --omit=dev" in dockerfile


def test_the_npm_lock_pins_package_json_with_integrity_hashes() -> None:
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    wanted = {**package["dependencies"], **package["devDependencies"]}
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in wanted.values()), "exact versions"
    packages = lock["packages"]
    root = packages[""]
    assert {**root.get("dependencies", {}), **root.get("devDependencies", {})} == wanted
    for name, version in wanted.items():
        assert packages[f"node_modules/{name}"]["version"] == version
    assert all(p.get("integrity", "").startswith("sha512-") for k, p in packages.items() if k)
