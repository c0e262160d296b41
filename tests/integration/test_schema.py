"""The Alembic migration builds exactly the schema the models describe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mentorship.store.db import make_engine, migrate
from mentorship.store.models import Base, SupportRequest, User


def test_the_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_only_a_coordinator_may_belong_to_no_organisation(database_url: str) -> None:
    engine = make_engine(database_url)
    with pytest.raises(IntegrityError), Session(engine) as session, session.begin():
        session.add(User(email="x@y.eu", name="X", password_hash="h", role="mentor"))
    with Session(engine) as session, session.begin():
        session.add(User(email="c@y.eu", name="C", password_hash="h", role="coordinator"))
    engine.dispose()


def test_stage_visits_are_rebuilt_from_the_events_of_existing_requests(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate(url, "0014")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organisations (id, kind, name, country, nace, employees, turnover_eur,"
                " balance_sheet_eur, product_lines, competitors, countersigns_agreements)"
                " VALUES (1, 'sme', 'S', 'IT', 'C10', 5, 1, 1, '[]', '[]', 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO users (id, email, name, password_hash, role, organisation_id, lead)"
                " VALUES (1, 's@x.eu', 'S', '', 'sme', 1, 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO support_requests (id, nonce, organisation_id, created_by,"
                " taxonomy_version, challenge_areas, languages, description, format,"
                " products, stage, planned_sessions, workflow_started, created_at,"
                " updated_at) VALUES (1, 'n', 1, 1, 'v1', '[]', '[]', 'd', 'remote', '[]',"
                " 'nda', 2, 1, '2026-01-01', '2026-01-05')"
            )
        )
        for n, (stage, day) in enumerate(
            [("intake_review", 1), ("matching", 2), ("matching", 3), ("nda", 5)], start=1
        ):
            conn.execute(text(
                "INSERT INTO events (id, key, request_id, kind, stage, at)"
                f" VALUES ({n}, 'k{n}', 1, 'x', '{stage}', '2026-01-0{day} 00:00:00')"
            ))  # fmt: skip
    migrate(url)
    with engine.connect() as conn:
        visits = conn.execute(
            text("SELECT stage, seconds FROM stage_visits ORDER BY entered_at")
        ).all()
    engine.dispose()
    assert [tuple(v) for v in visits] == [
        ("intake_review", 86400),
        ("matching", 3 * 86400),
        ("nda", None),  # still there
    ]


def test_a_populated_database_from_the_first_release_upgrades_and_keeps_its_rows(
    old_database: str,
) -> None:
    old = old_database
    migrate(old, "0001")
    engine = make_engine(old)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO organisations (id, kind, name, country, nace, employees, turnover_eur,"
            " balance_sheet_eur, product_lines, competitors) VALUES"
            " (1, 'sme', 'Panificio', 'IT', 'C10', 5, 1, 1, '[]', '[]'),"
            " (2, 'company', 'Nordvik', 'SE', 'J62', 900, 1, 1, '[\"cloud\"]', '[]')"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO users (id, email, name, password_hash, role, organisation_id) VALUES"
            " (1, 'sme@x.eu', 'Giulia', '', 'sme', 1), (2, 'm@x.eu', 'Anna', '', 'mentor', 2),"
            " (3, 'c@x.eu', 'Chiara', '', 'coordinator', NULL)"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO support_requests (id, nonce, organisation_id, created_by,"
            " taxonomy_version, challenge_areas, languages, description, format, products,"
            " stage, planned_sessions, workflow_started, created_at, updated_at) VALUES"
            " (1, 'n1', 1, 1, 'v1', '[\"e_commerce\"]', '[\"it\"]', 'Sell bread online',"
            " 'remote', '[]', 'matching', 4, TRUE, '2026-01-01 09:00:00', '2026-01-02 09:00:00')"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO events (id, key, request_id, kind, stage, actor_id, at) VALUES"
            " (1, 'k1', 1, 'submitted', 'intake_review', 1, '2026-01-01 09:00:00'),"
            " (2, 'k2', 1, 'intake_approved', 'matching', 3, '2026-01-02 09:00:00')"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO events (id, key, request_id, kind, stage, subject_id, at) VALUES"
            " (3, 'k3', 1, 'candidates_proposed', 'matching', 1, '2026-01-02 09:00:01'),"
            " (4, 'k4', 1, 'offer_approved', 'matching', 7, '2026-01-02 10:00:00')"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO tasks (id, request_id, kind, role, user_id, subject_id, created_at)"
            " VALUES (1, 1, 'answer_offer', 'mentor', 2, 7, '2026-01-02 10:00:00'),"
            " (2, 1, 'log_session', 'mentor', 2, NULL, '2026-01-02 10:00:00')"
        ))  # fmt: skip
    engine.dispose()

    migrate(old)  # every migration since, on rows written by the first release

    engine = make_engine(old)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    with Session(engine) as session:
        request = session.get(SupportRequest, 1)
        assert request is not None and request.description == "Sell bread online"
        assert request.stage == "matching" and request.challenge_areas == ["e_commerce"]
        giulia = session.get(User, 1)
        assert giulia is not None and giulia.locale == "en"  # a column added since, defaulted
        assert [u.email for u in session.scalars(select(User).order_by(User.id))] == [
            "sme@x.eu",
            "m@x.eu",
            "c@x.eu",
        ]
        visits = session.execute(text("SELECT stage FROM stage_visits ORDER BY id")).scalars()
        assert list(visits) == ["intake_review", "matching"]  # rebuilt from the old events
        # The kind of each subject, from the event's effect or the task's kind.
        events = session.execute(text("SELECT subject_kind FROM events ORDER BY id")).scalars()
        assert list(events) == [None, None, "round", "offer"]
        tasks = session.execute(text("SELECT subject_kind FROM tasks ORDER BY id")).scalars()
        assert list(tasks) == ["offer", None]
    engine.dispose()


@pytest.fixture
def old_database(database_url: str) -> Iterator[str]:
    """An empty database of the same kind as ``database_url``, dropped afterwards."""
    if database_url.startswith("sqlite"):
        yield database_url.replace("app.sqlite3", "old.sqlite3")
        return
    server, name = database_url.rsplit("/", 1)
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}_old"'))
    try:
        yield f"{server}/{name}_old"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}_old" WITH (FORCE)'))
        admin.dispose()
