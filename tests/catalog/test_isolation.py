"""The catalog tests' own ``db_session`` keeps commits inside the test's transaction."""
from __future__ import annotations

from sqlalchemy import text

from app.db import db


def test_a_commit_in_a_test_is_invisible_to_other_connections(db_session):
    db_session.execute(text("INSERT INTO catalog_synonyms (term, expansion) VALUES ('isolationstest', 'x')"))
    db_session.commit()
    assert db_session.execute(text("SELECT count(*) FROM catalog_synonyms WHERE term = 'isolationstest'")).scalar() == 1
    with db.engine.connect() as other:
        assert other.execute(text("SELECT count(*) FROM catalog_synonyms WHERE term = 'isolationstest'")).scalar() == 0
