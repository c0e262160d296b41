"""Benchmark: the coordinator's workbench with 10,000 and 100,000 mentorships in all stages.

For each database (SQLite, and PostgreSQL at 127.0.0.1:5432 when it answers) and size, prints
JSON: p50 and p95 milliseconds and SQL statements for the inbox, a filtered inbox, the
dashboard and a mentorship's page. Targets: inbox and dashboard p95 under 150 ms at 100,000.

    .venv/bin/python -m bench.workbench [--sizes 10000 100000] [--runs 30] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, insert, select, text
from sqlalchemy.exc import OperationalError

from bench import cli
from digivol.demo import seed
from mentorship.config import Settings
from mentorship.rules.stages import Stage
from mentorship.services import sign_ins
from mentorship.store.db import make_engine, make_session_factory, migrate, transaction
from mentorship.store.models import (
    Event,
    MatchOffer,
    Mentorship,
    Organisation,
    StageVisit,
    SupportRequest,
    Task,
    User,
    utcnow,
)
from web import create_app

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"
STAGES = list(Stage)
COUNTRIES = ["IT", "FR", "DE", "ES", "PL", "SE", "PT", "EE", "IE", "NL"]
MENTORED = {Stage.NDA, Stage.SESSIONS, Stage.PAUSED, Stage.COMPLETION_REVIEW, Stage.PLEDGE,
            Stage.COMPLETED, Stage.TERMINATED}  # fmt: skip
TASK_OF = {Stage.INTAKE_REVIEW: "review_intake", Stage.MATCHING: "approve_match",
           Stage.COMPLETION_REVIEW: "approve_completion"}  # fmt: skip


class OfflineGateway:
    """The web's Temporal gateway for the page benchmarks (here, inbox, accounts): asking the
    outbox to run now costs nothing; any other call reaches for Temporal, which they do not
    measure, and fails loudly."""

    def send_mail_now(self) -> None:
        pass

    def start(self, request_id: int, sme_organisation_id: int, planned_sessions: int) -> None:
        self._unexpected("start")

    def update(self, request_id: int, name: str, arg: Any, nonce: str) -> Any:
        self._unexpected("update")

    def push_pledge_entry(self, entry_id: int) -> None:
        self._unexpected("push_pledge_entry")

    def mentor_pool_changed(self, request_ids: list[int]) -> None:
        self._unexpected("mentor_pool_changed")

    def start_round(self) -> str:
        self._unexpected("start_round")

    def health(self) -> dict[str, str]:
        self._unexpected("health")

    def _unexpected(self, call: str) -> NoReturn:
        raise AssertionError(f"this benchmark does not reach Temporal, yet asked to {call}")


def fill(url: str, count: int) -> None:
    """``count`` requests of 1,000 SMEs in ten countries, spread evenly over the stages, with
    their stage visits, events, coordinator tasks (some overdue) and mentorships."""
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        seed(session)
        mentor = session.scalars(select(User).where(User.email == "mentor@demo.eu")).one()
        mentor_id, company_id = mentor.id, mentor.organisation_id
    start = datetime(2025, 1, 1)
    smes = 1000
    with engine.begin() as conn:
        conn.execute(insert(Organisation), [
            dict(id=10_000 + n, kind="sme", name=f"Benchmark SME {n:04d}",
                 country=COUNTRIES[n % len(COUNTRIES)], nace="C10", employees=10,
                 turnover_eur=1, balance_sheet_eur=1)
            for n in range(smes)
        ])  # fmt: skip
        conn.execute(insert(User), [
            dict(id=10_000 + n, email=f"sme{n}@bench.eu", name=f"SME person {n}",
                 password_hash="", role="sme", organisation_id=10_000 + n)
            for n in range(smes)
        ])  # fmt: skip
        requests, visits, events, tasks, offers, mentorships = [], [], [], [], [], []
        for i in range(1, count + 1):
            stage = STAGES[i % len(STAGES)]
            created = start + timedelta(minutes=7 * i % 500_000)
            org = 10_000 + i % smes
            requests.append(dict(id=i, nonce=f"n{i}", organisation_id=org, created_by=org,
                                 taxonomy_version="2026.1", challenge_areas=["cloud"],
                                 languages=["en"], description="benchmark", format="remote",
                                 stage=stage, planned_sessions=4, workflow_started=True,
                                 created_at=created, updated_at=created))  # fmt: skip
            visits.append(dict(request_id=i, stage=Stage.INTAKE_REVIEW, entered_at=created,
                               left_at=created + timedelta(days=2), seconds=2 * 86400))  # fmt: skip
            visits.append(dict(request_id=i, stage=stage, entered_at=created + timedelta(days=2),
                               left_at=None, seconds=None))  # fmt: skip
            events.append(dict(key=f"mentorship-{i}:0", request_id=i, kind="submitted",
                               stage=Stage.INTAKE_REVIEW, at=created))  # fmt: skip
            if stage in TASK_OF:
                due = created + timedelta(days=3)
                tasks.append(dict(request_id=i, kind=TASK_OF[stage], role="coordinator",
                                  created_at=created, due_at=due,
                                  escalated_at=due if i % 7 == 0 else None))  # fmt: skip
            if stage in MENTORED:
                offers.append(dict(id=i, request_id=i, mentor_id=mentor_id, round=1, rank=1,
                                   score=1.0, status="accepted"))  # fmt: skip
                mentorships.append(dict(request_id=i, offer_id=i, mentor_id=mentor_id,
                                        company_id=company_id,
                                        status="active" if stage != Stage.COMPLETED
                                        else "completed"))  # fmt: skip
        tables: list[tuple[Any, list[dict[str, Any]]]] = [
            (SupportRequest, requests),
            (StageVisit, visits),
            (Event, events),
            (Task, tasks),
            (MatchOffer, offers),
            (Mentorship, mentorships),
        ]
        for model, rows in tables:
            for chunk in range(0, len(rows), 5000):
                conn.execute(insert(model), rows[chunk : chunk + 5000])
    engine.dispose()


def signed_in(app: Flask, email: str) -> FlaskClient:
    """A test client signed in as ``email``, without the password's slow hash."""
    from web.access import SIGN_IN
    from web.database import db

    client = app.test_client()
    with app.app_context():
        user = db().scalars(select(User).where(User.email == email)).one()
        token = sign_ins.open_sign_in(db(), user, utcnow(), timedelta(hours=8))
        db().commit()
    with client.session_transaction() as session:
        session[SIGN_IN] = token
    return client


def measure(client: Any, path: str, statements: list[str], runs: int) -> dict[str, Any]:
    client.get(path)  # warm: templates compiled, caches filled
    timings = []
    for _ in range(runs):
        statements.clear()
        began = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[max(0, round(0.95 * len(timings)) - 1)], 1),
        "sql_statements": len(statements),
    }


def run(url: str, data_dir: Path, count: int, runs: int) -> dict[str, Any]:
    migrate(url)
    began = time.perf_counter()
    fill(url, count)
    seeded = round(time.perf_counter() - began, 1)
    settings = Settings(data_dir=data_dir, database_url=url, secret_key="bench")
    app = create_app(settings, temporal=OfflineGateway())
    engine = app.extensions["digivol.sessions"].kw["bind"]
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_: statements.append(sql))
    client = signed_in(app, "coordinator@demo.eu")
    mentored = next(i for i in range(count, 0, -1) if STAGES[i % len(STAGES)] == Stage.SESSIONS)
    pages = {
        "inbox": "/inbox",
        "inbox_filtered": "/inbox?country=IT&overdue=true&sort=due&q=sme+00",
        "dashboard": "/dashboard",
        "mentorship": f"/requests/{mentored}",
    }
    results = {name: measure(client, path, statements, runs) for name, path in pages.items()}
    engine.dispose()
    return {"rows": count, "seed_seconds": seeded, "pages": results}


@contextmanager
def postgres_database() -> Iterator[str | None]:
    name = f"digivol_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        admin.dispose()
        yield None
        return
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def main(sizes: list[int], runs: int, sqlite_only: bool) -> dict[str, Any]:
    results: dict[str, Any] = {
        "benchmark": "workbench",
        "runs": runs,
        "sqlite": [],
        "postgresql": [],
    }
    for count in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'app.sqlite3'}"
            results["sqlite"].append(run(url, Path(tmp), count, runs))
        if sqlite_only:
            continue
        with tempfile.TemporaryDirectory() as tmp, postgres_database() as pg:
            if pg is None:
                results["postgresql"] = "PostgreSQL did not answer at 127.0.0.1:5432"
                sqlite_only = True
                continue
            results["postgresql"].append(run(pg, Path(tmp), count, runs))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--sqlite-only", action="store_true")
    args = cli.parse(parser, {"sizes": [500], "runs": 2})
    json.dump(main(args.sizes, args.runs, args.sqlite_only), sys.stdout, indent=2)
    print()
