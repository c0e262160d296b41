"""The Alembic migration builds exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mentorship.db import make_engine
from mentorship.models import Base, User


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
