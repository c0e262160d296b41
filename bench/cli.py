"""The command line every benchmark shares: its own sizes, or ``--smoke``.

``--smoke`` runs the benchmark at a size of seconds, only to show that it still runs and
prints its JSON: `make test` runs every benchmark so (tests/test_benchmarks.py). Its figures
mean nothing; the real sizes are the defaults, run by hand."""

from __future__ import annotations

import argparse
from typing import Any


def parse(parser: argparse.ArgumentParser, smoke: dict[str, Any]) -> argparse.Namespace:
    """The arguments, with ``smoke``'s values in place of the given ones under ``--smoke``."""
    parser.add_argument(
        "--smoke", action="store_true", help="a run of seconds that checks the benchmark works"
    )
    args = parser.parse_args()
    if args.smoke:
        for name, value in smoke.items():
            setattr(args, name, value)
    return args
