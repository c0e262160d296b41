"""The operator's backup runbook (docs/operations.md, "Backups"), played: a pg_dump of a
populated database, restored into a new database, holds an intact audit chain with its signed
checkpoints (`digivol audit verify`, with the seal material backed up beside it) and serves
its pages."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from mentorship.config import Settings
from mentorship.services import audit, checkpoints
from mentorship.store.db import transaction
from mentorship.store.models import User, utcnow
from scripted.journey import submit
from scripted.processes import clean_environment
from tests.conftest import postgres_database
from tests.web.conftest import FakeGateway, login
from web import create_app

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _libpq(url: str) -> list[str]:
    """pg_dump's and pg_restore's connection options for a SQLAlchemy URL."""
    parsed = make_url(url)
    return [
        f"--host={parsed.host}", f"--port={parsed.port or 5432}",
        f"--username={parsed.username}", f"--dbname={parsed.database}",
    ]  # fmt: skip


@pytest.fixture
def empty_database(database_url: str) -> Iterator[str]:
    with postgres_database("digivol_restored") as url:
        yield url


def test_a_restored_dump_verifies_and_serves_its_pages(
    tmp_path: Path,
    sessions: sessionmaker[Session],
    database_url: str,
    empty_database: str,
    people: dict[str, User],
) -> None:
    # A populated service: a request, audit entries, a checkpoint signed with the seal key.
    data_dir = tmp_path / "data"
    identity = Settings(data_dir=data_dir).seal_identity()
    request_id = submit(sessions, people["sme"])
    for n in range(3):
        with transaction(sessions) as session:
            audit.append(session, "agreement_signed", request_id=request_id, data={"n": n})
    with transaction(sessions) as session:
        assert checkpoints.checkpoint(session, identity, utcnow()) is not None

    # The runbook: the database dumped, the seal material copied; then both restored elsewhere.
    dump = tmp_path / "digivol.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", *_libpq(database_url)],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    restored_dir = tmp_path / "restored"
    shutil.copytree(data_dir / "seal", restored_dir / "seal")
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", *_libpq(empty_database),
                    str(dump)], check=True, capture_output=True, timeout=120)  # fmt: skip

    env = {**clean_environment(), "DATABASE_URL": empty_database,
           "DIGIVOL_DATA_DIR": str(restored_dir)}  # fmt: skip
    verified = subprocess.run([sys.executable, "-m", "digivol", "audit", "verify"],
                              env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert verified.returncode == 0, verified.stderr
    assert "audit chain intact: 3 entries verified" in verified.stdout
    assert "audit checkpoints intact: 1 signed checkpoint(s) verified" in verified.stdout

    settings = Settings(data_dir=restored_dir, database_url=empty_database, secret_key="restored")
    client = create_app(settings, temporal=FakeGateway()).test_client()
    login(client, "coordinator@demo.eu")
    inbox = client.get("/inbox")
    assert inbox.status_code == 200 and f"/requests/{request_id}" in inbox.get_data(as_text=True)
    page = client.get(f"/requests/{request_id}")
    assert page.status_code == 200 and "Review the intake" in page.get_data(as_text=True)
