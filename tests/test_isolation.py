"""The rollback fixture really isolates tests: a commit inside a test is undone."""
from sqlalchemy import text
from tests.factories import make_report

def test_a_writes(db_session):
    make_report()
    db_session.commit()
    assert db_session.execute(text("select count(*) from reports")).scalar() == 1

def test_b_sees_nothing(db_session):
    assert db_session.execute(text("select count(*) from reports")).scalar() == 0
