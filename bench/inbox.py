"""Benchmark: the coordinator's inbox and an SME's page with 100,000 requests in the database.

Prints JSON: p50 and p95 milliseconds per page and the SQL statements each page ran
(``bench.workbench`` measures the coordinator's pages with requests in every stage).

    .venv/bin/python -m bench.inbox [--requests 100000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select

from bench import cli
from bench.workbench import OfflineGateway, measure, signed_in
from digivol.demo import seed
from mentorship.config import Settings
from mentorship.store.db import make_engine, make_session_factory, migrate, transaction
from mentorship.store.models import Event, SupportRequest, Task, User
from web import create_app


def fill(url: str, count: int) -> None:
    """``count`` requests of the demo SME; every fifth waits for a coordinator."""
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        seed(session)
        sme = session.scalars(select(User).where(User.role == "sme")).one()
        org_id, user_id = sme.organisation_id, sme.id
    start = datetime(2026, 1, 1)
    with engine.begin() as conn:
        conn.execute(
            insert(SupportRequest),
            [
                dict(
                    id=i,
                    nonce=f"n{i}",
                    organisation_id=org_id,
                    created_by=user_id,
                    taxonomy_version="2026.1",
                    challenge_areas=["cloud"],
                    languages=["en"],
                    description="benchmark",
                    format="remote",
                    stage="matching",
                    planned_sessions=4,
                    workflow_started=True,
                    created_at=start + timedelta(minutes=i),
                    updated_at=start + timedelta(minutes=i),
                )
                for i in range(1, count + 1)
            ],
        )
        conn.execute(
            insert(Task),
            [
                dict(
                    request_id=i,
                    kind="approve_match",
                    role="coordinator",
                    created_at=start + timedelta(minutes=i),
                    closed_at=None if i % 5 == 0 else start + timedelta(minutes=i + 1),
                )
                for i in range(1, count + 1)
            ],
        )
        conn.execute(
            insert(Event),
            [
                dict(
                    key=f"mentorship-{i}:0",
                    request_id=i,
                    kind="submitted",
                    stage="intake_review",
                    at=start + timedelta(minutes=i),
                )
                for i in range(1, count + 1)
            ],
        )
    engine.dispose()


def main(count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'app.sqlite3'}"
        migrate(url)
        began = time.perf_counter()
        fill(url, count)
        seeded = time.perf_counter() - began
        settings = Settings(data_dir=Path(tmp), database_url=url, secret_key="bench")
        app = create_app(settings, temporal=OfflineGateway())
        statements: list[str] = []
        engine = app.extensions["digivol.sessions"].kw["bind"]
        event.listen(
            engine, "before_cursor_execute", lambda _c, _cur, sql, *_: statements.append(sql)
        )
        pages: dict[str, Any] = {}
        for email, paths in (
            ("coordinator@demo.eu", ["/inbox", f"/requests/{count}"]),
            ("sme@demo.eu", ["/sme/requests"]),
        ):
            client = signed_in(app, email)
            for path in paths:
                pages[path] = measure(client, path, statements, runs=15)
        engine.dispose()
    return {
        "benchmark": "inbox",
        "requests": count,
        "seed_seconds": round(seeded, 1),
        "pages": pages,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100_000)
    args = cli.parse(parser, {"requests": 500})
    json.dump(main(args.requests), sys.stdout, indent=2)
    print()
