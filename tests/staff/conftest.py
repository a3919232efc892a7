"""Fixtures for the staff workspace tests."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from app.db import db


@pytest.fixture
def staff_committing(committing):
    """``committing`` that also removes the staff accounts, notes and audit rows a test committed."""
    yield committing
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_log, internal_notes, text_templates, staff_dashboard_snapshots, staff_users "
                          "RESTART IDENTITY CASCADE"))


@pytest.fixture
def db_session(app):
    """Like tests/conftest.py's fixture, but really rolled back afterwards.

    Flask-SQLAlchemy's ``Session.get_bind`` returns the engine for mapped classes and
    ignores the session-level ``bind``, so with the shared fixture a view's commit is
    a real commit that leaks into later tests. Binding the session to the test's
    connection fixes that (the same fix as tests/intake/conftest.py).
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
