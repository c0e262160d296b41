"""Shared fixtures: a migrated SQLite database with the demo organisations and people."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from digivol.demo import seed
from mentorship.db import make_engine, make_session_factory, migrate, transaction
from mentorship.models import User
from tests.service import Service

# The PostgreSQL server the database tests also run on (CI sets it: .ci/run); each test gets
# a database of its own there, dropped afterwards. Unset, those tests are skipped.
POSTGRES = os.environ.get("DIGIVOL_TEST_POSTGRES_URL", "")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database: a SQLite file, and a new PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
        migrate(url)
        yield url
        return
    if not POSTGRES:
        pytest.skip("set DIGIVOL_TEST_POSTGRES_URL to run the PostgreSQL half (CI does)")
    name = f"digivol_test_{uuid.uuid4().hex[:12]}"
    admin = _postgres_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _postgres_admin() -> Engine:
    server = make_url(POSTGRES)
    engine = create_engine(server.set(database=server.database or "postgres"),
                           isolation_level="AUTOCOMMIT")  # fmt: skip
    for attempt in range(2):
        try:
            with engine.connect():
                return engine
        except OperationalError:
            if attempt == 0:  # the machine's server may just be stopped: start it once
                subprocess.run(
                    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
                    shell=True,
                    check=False,
                    capture_output=True,
                )
    pytest.fail(f"PostgreSQL is not reachable at {POSTGRES} and could not be started")


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        seed(session)
    yield factory
    engine.dispose()


@pytest.fixture
def people(sessions: sessionmaker[Session]) -> dict[str, User]:
    """The demo users by the part of their e-mail before the @."""
    with sessions() as session:
        return {u.email.split("@")[0]: u for u in session.scalars(select(User))}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    """The whole service, with two planned sessions per mentorship to keep journeys short."""
    svc = Service(tmp_path / "data", DIGIVOL_PLANNED_SESSIONS="2")
    svc.start()
    yield svc
    if svc.proc is not None:
        svc.stop()
