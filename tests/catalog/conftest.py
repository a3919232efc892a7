"""Catalog fixtures: the Harsewinkel demo catalog, loaded inside the test's transaction
(``demo_catalog``) or committed for browser tests (``committed_catalog``, removed afterwards)."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text

from app.catalog.demo import EXTRA_DEPARTMENTS, load_catalog_demo
from app.db import db
from app.jurisdictions.models import Department
from tests.factories import town


@pytest.fixture
def demo_catalog(db_session):
    """The demo catalog in the test's own transaction (rolled back afterwards)."""
    load_catalog_demo(db_session, town())
    db_session.commit()  # a savepoint: a view's rollback must not take the demo data with it
    return town()


@pytest.fixture
def committed_catalog(committing):
    """The demo catalog really committed (for a live server); removed again afterwards,
    departments added for it included, so other tests see the town as before."""
    load_catalog_demo(db.session, town())
    db.session.commit()
    yield town()
    db.session.rollback()
    db.session.execute(text("DELETE FROM catalog_entries"))
    db.session.execute(text("DELETE FROM catalog_department_contacts"))
    db.session.execute(text("DELETE FROM catalog_terms"))
    extra = [code for code, _name in EXTRA_DEPARTMENTS]
    db.session.execute(delete(Department).where(Department.code.in_(extra)))
    db.session.commit()
    assert db.session.scalar(select(Department.id).where(Department.code.in_(extra))) is None
