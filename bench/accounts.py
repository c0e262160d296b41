"""Benchmark: does the answer to a registration or a reset take as long for an address with
an account as for one without? (issue 27: a taken address once answered in 24-93 ms and a
new one in 168-267 ms, so the time told who has an account).

POSTs /register with taken and new addresses, and /account/reset with the addresses of
accounts and unknown ones, in pairs whose order flips every run, through the Flask test
client on a SQLite file (the embedded default). Prints JSON: per form and side the median,
p95 and SQL statements of an answer, the ratios account/no account of the medians and the
p95s (1.0 is the goal), and the median difference within a pair. Between pairs, untimed,
the mail outbox run answers what was asked for, as the worker does. Temporal is stubbed:
``send_mail_now`` is the same call for every address.

    .venv/bin/python -m bench.accounts [--runs 200] [--reset-runs 2000]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import event

from bench import cli
from bench.lifecycle import percentile
from bench.workbench import OfflineGateway
from digivol.demo import seed
from mentorship.config import Settings
from mentorship.services import mail
from mentorship.store.db import make_engine, make_session_factory, migrate, transaction
from web import create_app

PASSWORD = "Harbour-lights-at-dusk-42"
CONFIRMED = ["sme@demo.eu", "mentor@demo.eu", "admin@demo.eu", "coordinator@demo.eu"]


def registration(email: str) -> dict[str, str]:
    return {
        "kind": "sme",
        "organisation": "Benchmark Bakery",
        "country": "pt",
        "nace": "i56.10",
        "employees": "9",
        "turnover_eur": "600000",
        "balance_sheet_eur": "300000",
        "name": "Benchmark Person",
        "email": email,
        "password": PASSWORD,
        "confirm": PASSWORD,
        "privacy": "true",
    }


class Poster:
    """POSTs a form as a visitor from an address of its own (the e-mails asked for are
    capped per network address: a benchmark is not a mail cannon), timing the answer."""

    def __init__(self, client: FlaskClient, statements: list[str]) -> None:
        self.client = client
        self.statements = statements
        self.visitors = 0
        page = client.get("/register").get_data(as_text=True)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found, page[:500]
        self.token = found.group(1)

    def post(self, path: str, data: dict[str, str]) -> tuple[float, int]:
        """The milliseconds of the answer and the SQL statements it ran."""
        self.visitors += 1
        remote = "10." + ".".join(str(self.visitors >> shift & 255) for shift in (16, 8, 0))
        self.statements.clear()
        began = time.perf_counter()
        response = self.client.post(
            path, data={**data, "csrf_token": self.token}, environ_base={"REMOTE_ADDR": remote}
        )
        elapsed = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, (path, response.status_code)
        return elapsed, len(self.statements)


Form = tuple[str, dict[str, str]]  # a path and what is posted to it


def compare(
    poster: Poster, pairs: Callable[[int], tuple[Form, Form]], runs: int, warmup: int
) -> dict[str, Any]:
    """Time ``runs`` pairs of answers, an address with an account and one without, the order
    flipped every run (neither has the warmer caches): each one's median, p95 and statements,
    the ratios of the medians and the p95s (1.0 is the goal), and the median difference
    within a pair (robust to the machine's load drifting during the run)."""
    times: tuple[list[float], list[float]] = ([], [])
    counts: tuple[set[int], set[int]] = (set(), set())
    for run in range(-warmup, runs):
        forms = pairs(run)
        answers = {}
        for side in (0, 1) if run % 2 else (1, 0):
            answers[side] = poster.post(*forms[side])
        if run >= 0:
            for side in (0, 1):
                times[side].append(answers[side][0])
                counts[side].add(answers[side][1])
    p50s = [statistics.median(side) for side in times]
    p95s = [percentile(side, 95) for side in times]
    one, other = (
        {
            "p50_ms": round(p50s[side], 1),
            "p95_ms": round(p95s[side], 1),
            "sql_statements": sorted(counts[side]),
        }
        for side in (0, 1)
    )
    return {
        "account": one,
        "no_account": other,
        "p50_ratio": round(p50s[0] / p50s[1], 2),
        "p95_ratio": round(p95s[0] / p95s[1], 2),
        "paired_difference_p50_ms": round(
            statistics.median(a - b for a, b in zip(*times, strict=True)), 2
        ),
    }


def main(runs: int, reset_runs: int, warmup: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'app.sqlite3'}"
        migrate(url)
        engine = make_engine(url)
        with transaction(make_session_factory(engine)) as session:
            seed(session)
        engine.dispose()
        settings = Settings(data_dir=Path(tmp), database_url=url, secret_key="bench")
        app = create_app(settings, temporal=OfflineGateway())
        sessions = app.extensions["digivol.sessions"]
        statements: list[str] = []
        event.listen(
            sessions.kw["bind"],
            "before_cursor_execute",
            lambda _c, _cur, sql, *_: statements.append(sql),
        )
        poster = Poster(app.test_client(), statements)
        outbox_ms: list[float] = []

        def outbox_run() -> None:
            """What the worker does soon after: answer the asks, send (to the outbox table)."""
            began = time.perf_counter()
            mail.deliver(sessions, settings.mail(), limit=100)
            outbox_ms.append((time.perf_counter() - began) * 1000)

        def registrations(run: int) -> tuple[Form, Form]:
            """A taken address (confirmed, or registered a run ago and not yet), a new one."""
            if run > -warmup and run % 2:
                taken = f"new{run - 1 + warmup}@bench.example.eu"
            else:
                taken = CONFIRMED[run % len(CONFIRMED)]
            new = f"new{run + warmup}@bench.example.eu"
            outbox_run()
            return ("/register", registration(taken)), ("/register", registration(new))

        def resets(run: int) -> tuple[Form, Form]:
            if run % 50 == 0:
                outbox_run()
            known = {"email": CONFIRMED[run % len(CONFIRMED)]}
            return ("/account/reset", known), ("/account/reset", {"email": f"x{run}@bench.eu"})

        register = compare(poster, registrations, runs, warmup)
        reset = compare(poster, resets, reset_runs, warmup)
        outbox_run()
        sessions.kw["bind"].dispose()
    return {
        "benchmark": "accounts",
        "database": "sqlite",
        "runs": {"register": runs, "reset": reset_runs},
        "register_taken_vs_new": register,
        "reset_account_vs_unknown": reset,
        "outbox_run_p50_ms": round(statistics.median(outbox_ms), 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200, help="pairs of registrations")
    parser.add_argument("--reset-runs", type=int, default=2000, help="pairs of resets")
    parser.add_argument("--warmup", type=int, default=10)
    args = cli.parse(parser, {"runs": 3, "reset_runs": 5, "warmup": 1})
    json.dump(main(args.runs, args.reset_runs, args.warmup), sys.stdout, indent=2)
    print()
