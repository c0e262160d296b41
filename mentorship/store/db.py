"""Engine and session factory, made inside functions and never at import time."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from mentorship.errors import NotFound
from mentorship.i18n import N_

T = TypeVar("T")


def make_engine(url: str) -> Engine:
    """An engine; SQLite gets WAL and a busy timeout because web and worker both write it."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One short unit of work: commit on success, roll back on any error."""
    with factory.begin() as session:
        yield session


def require(session: Session, model: type[T], ident: int | None) -> T:
    """The row of ``model`` with this id; NotFound if there is none."""
    row = session.get(model, ident) if ident is not None else None
    if row is None:
        raise NotFound(N_("%(model)s %(id)s does not exist"), model=model.__name__, id=ident)
    return row


def migrate(url: str, revision: str = "head") -> None:
    """Bring the schema to the newest Alembic revision (or to ``revision``)."""
    logging.getLogger("alembic").setLevel(logging.WARNING)  # before its import-time chatter
    # lazy: Alembic loads to migrate only.
    from alembic import command
    from alembic.config import Config

    here = Path(__file__).parent
    config = Config()
    config.set_main_option("script_location", str(here / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    command.upgrade(config, revision)
