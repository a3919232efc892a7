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

