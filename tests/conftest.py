"""Shared fixtures: a migrated database with the demo organisations and people, copied per
test from a template built once per session."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.security import generate_password_hash

from digivol.demo import DEMO_PASSWORD, seed
from mentorship.store.db import make_engine, make_session_factory, migrate, transaction
from mentorship.store.models import User
from tests import fuzzing  # noqa: F401  (its profiles, before the plugin picks one)
from tests.service import Service
from tests.temporal import SHARED_TEST_SERVER

# The PostgreSQL server the database tests also run on (CI sets it: .ci/run); each test gets
# a database of its own there, dropped afterwards. Unset, those tests are skipped.
POSTGRES = os.environ.get("DIGIVOL_TEST_POSTGRES_URL", "")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first: handed out one at a time as workers (pytest -n) come free,
    the longest do not become the run's tail."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session", autouse=True)
def _stop_the_shared_test_server() -> Iterator[None]:
    """The time-skipping server that tests share (tests.temporal) stops with the session."""
    yield
    asyncio.run(SHARED_TEST_SERVER.stop())


# The demo people's password, hashed with scrypt at a cost a test can afford: signing in
# checks it as in production (the hash names its own cost), in 2 ms instead of 70. Hundreds of
# sign-ins a run spent about 24 s of CPU on the production cost (docs/testing.md); the
# production parameters are tested where passwords are hashed (tests/unit/test_accounts.py).
TEST_HASH = generate_password_hash(DEMO_PASSWORD, "scrypt:1024:8:1")


def _migrate_and_seed(url: str) -> None:
    """The state every database test starts from: every migration, then the demo data."""
    migrate(url)
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        seed(session)
        session.execute(update(User).values(password_hash=TEST_HASH))
    engine.dispose()  # SQLite: the last connection folds the WAL into the file; PostgreSQL:
    # a template must have no connections when it is copied


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated and seeded once per session; tests get copies of it."""
    path = tmp_path_factory.mktemp("template") / "demo.sqlite3"
    _migrate_and_seed(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A PostgreSQL database migrated and seeded once per session, the template of each
    test's own database (``CREATE DATABASE … TEMPLATE``)."""
    if not POSTGRES:
        pytest.skip("set DIGIVOL_TEST_POSTGRES_URL to run the PostgreSQL half (CI does)")
    with postgres_database("digivol_template") as url:
        _migrate_and_seed(url)
        yield str(make_url(url).database)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database with the demo data, of the test's own: a copy of the session's
    SQLite template, and a new PostgreSQL database made from its template."""
    if request.param == "sqlite":
        path = tmp_path / "app.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    with postgres_database("digivol_test", request.getfixturevalue("postgres_template")) as url:
        yield url


@contextmanager
def postgres_database(prefix: str, template: str | None = None) -> Iterator[str]:
    """A new database on the test server (a copy of ``template`` if one is named), its URL,
    dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    admin = _postgres_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
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
    yield make_session_factory(engine)
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
