"""Read-only map queries on their own pool: on a PostgreSQL read replica when one is configured.

The config always defines the SQLAlchemy bind "read": read-only, autocommit connections
to ``DATABASE_REPLICA_URL`` or, without one, to the primary. ``read_session()``
returns a session on it for the current request. Under TESTING without a replica
it returns ``db.session`` instead, because the tests isolate themselves in a
transaction that is rolled back and the map must see what a test created.
"""
from __future__ import annotations

import time

from flask import Flask, current_app, g
from sqlalchemy import event, exc
from sqlalchemy.orm import Session

from app.db import db

# A pooled connection used less than this many seconds ago is taken as alive. SQLAlchemy's
# pool_pre_ping would ask the server on every checkout: one more round trip per map
# request, which bench_geo showed as ~4 % of a 500-report view. After a database restart
# a connection idle for less than this can still fail once: that request gets a 503
# (app.errors), SQLAlchemy drops the connection, and the next request reconnects.
IDLE_BEFORE_PING = 5.0


def read_session() -> Session:
    """A session for read-only queries (see the module docstring)."""
    if current_app.testing and not current_app.config.get("DATABASE_REPLICA_URL"):
        return db.session
    session = g.get("_read_session")
    if session is None:
        session = g._read_session = Session(bind=db.engines["read"])
    return session


def _ping_after_idling(engine) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get("checked_in", 0.0) < IDLE_BEFORE_PING:
            return
        try:
            dbapi_connection.execute(";")
        except Exception as error:  # the pool replaces the connection and tries again
            raise exc.DisconnectionError() from error


def init_app(app: Flask) -> None:
    with app.app_context():
        _ping_after_idling(db.engines["read"])

    # Per request, not per app context: an app context can outlive many requests (tests,
    # CLI), and a session whose connection died must not be handed to the next one.
    @app.teardown_request
    def _close_read_session(_exc):
        session = g.pop("_read_session", None)
        if session is not None:
            session.close()
