"""Read-only map and list queries on a PostgreSQL read replica, when one is configured.

With ``DATABASE_REPLICA_URL`` set, the config creates the SQLAlchemy bind
"replica"; ``read_session()`` then returns a read-only session on it for the
current app context. Without it, the primary's ``db.session`` is used.
"""
from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.db import db


def replica_configured() -> bool:
    return "replica" in (current_app.config.get("SQLALCHEMY_BINDS") or {})


def read_session() -> Session:
    """A session for read-only queries: on the replica if configured, else ``db.session``."""
    if not replica_configured():
        return db.session
    session = g.get("_replica_session")
    if session is None:
        session = Session(bind=db.engines["replica"])
        # A replica refuses writes anyway; saying so makes a mistake fail on the primary-as-replica too.
        session.execute(text("SET TRANSACTION READ ONLY"))
        g._replica_session = session
    return session


def init_app(app: Flask) -> None:
    @app.teardown_appcontext
    def _close_replica_session(_exc):
        session = g.pop("_replica_session", None)
        if session is not None:
            session.close()
