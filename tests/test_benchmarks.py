"""Every benchmark under bench/ runs at smoke size and prints its JSON, so none can rot
unnoticed (bench/cli.py). Their figures are not looked at: speed is never asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scripted.processes import clean_environment

pytestmark = pytest.mark.slow  # each starts servers or renders in processes of its own

ROOT = Path(__file__).parent.parent
BENCHMARKS = sorted(
    path.stem for path in (ROOT / "bench").glob("*.py") if path.stem not in ("__init__", "cli")
)


def test_every_benchmark_is_found() -> None:
    named = {"accounts", "agreements", "approvals", "journeys", "lifecycle", "matching"}
    assert named <= set(BENCHMARKS)


@pytest.mark.parametrize("name", BENCHMARKS)
def test_the_benchmark_runs_at_smoke_size_and_prints_its_json(name: str) -> None:
    source = (ROOT / "bench" / f"{name}.py").read_text()
    assert "cli.parse(" in source, f"bench/{name}.py takes no --smoke: use bench.cli.parse"
    result = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--smoke"],
        cwd=ROOT,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    try:
        printed = [json.loads(result.stdout)]
    except json.JSONDecodeError:  # one JSON document per line (bench.matching: per size)
        printed = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert printed and all(doc["benchmark"] == name for doc in printed), result.stdout[:500]
