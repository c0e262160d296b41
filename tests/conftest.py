"""Shared fixtures: a migrated SQLite database with the demo organisations and people."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from digivol.demo import seed
from mentorship.db import make_engine, make_session_factory, migrate, transaction
from mentorship.models import User


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    migrate(url)
    return url


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
