"""The app's database: one session per HTTP request, closed when the request ends."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from mentorship.store.db import make_engine, make_session_factory


def init_app(app: Flask, url: str) -> None:
    app.extensions["digivol.sessions"] = make_session_factory(make_engine(url))
    app.teardown_appcontext(_close)


def db() -> Session:
    """This request's session. Views commit before they call Temporal, never across it."""
    if "db" not in g:
        g.db = current_app.extensions["digivol.sessions"]()
    return g.db  # type: ignore[no-any-return]


def _close(_exc: BaseException | None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()
