"""Fixtures for the PostGIS layer: a truly rolled-back session and the demo addresses."""
from __future__ import annotations

import pytest

from app.db import db


@pytest.fixture
def db_session(app):
    """Like tests/conftest.py's fixture, but really rolled back afterwards.

    Flask-SQLAlchemy's ``Session.get_bind`` returns the engine for mapped classes and
    ignores the session-level ``bind``, so a view's commit would be a real commit;
    binding the session to the test's connection keeps every write in the test's
    transaction (the same fix as tests/staff/conftest.py).
    """
    from flask_sqlalchemy.session import Session as FlaskSession

    class ConnectionBoundSession(FlaskSession):
        def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
            return bind if bind is not None else self.bind

    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        db.session = db._make_scoped_session({"bind": connection, "join_transaction_mode": "create_savepoint",
                                              "class_": ConnectionBoundSession})
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def demo_addresses(db_session):
    """The demo's Harsewinkel addresses, loaded inside the test's transaction."""
    from app.areas.addresses import load_demo_addresses
    from tests.factories import town

    count = load_demo_addresses(db.session, town())
    assert count > 300
    return count
