"""Read-only map queries on their own pool: on a PostgreSQL read replica when one is configured.

The config always defines the SQLAlchemy bind "read": read-only, autocommit connections
to ``DATABASE_REPLICA_URL`` or, without one, to the primary. ``read_session()``
returns a session on it for the current app context. Under TESTING without a replica
it returns ``db.session`` instead, because the tests isolate themselves in a
transaction that is rolled back and the map must see what a test created.
"""
from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from app.db import db


def read_session() -> Session:
    """A session for read-only queries (see the module docstring)."""
    if current_app.testing and not current_app.config.get("DATABASE_REPLICA_URL"):
        return db.session
    session = g.get("_read_session")
    if session is None:
        session = g._read_session = Session(bind=db.engines["read"])
    return session


def init_app(app: Flask) -> None:
    @app.teardown_appcontext
    def _close_read_session(_exc):
        session = g.pop("_read_session", None)
        if session is not None:
            session.close()
