"""Point 9: bulk actions answer "not found or not yours" alike, and every input is checked before
anything is committed (a line break in ``back`` is a 400, not a 500 after the commit)."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.db import db
from app.reports.models import Report
from app.staff.models import AuditEntry
from tests.conftest import csrf_token
from tests.factories import make_report
from tests.staff.helpers import login, make_staff

BULK = "/intern/sammelaktion"


def _department_staff(client):
    user = make_staff("staff", "tiefbau")
    login(client, user.username)
    return csrf_token(client, "/intern/eingang")


def test_foreign_and_missing_reports_get_the_same_answer(client, db_session):
    token = _department_staff(client)
    mine = make_report(category_code="schlagloch")
    foreign = make_report(category_code="wilder-muell")
    missing_id = db_session.scalar(select(func.max(Report.id))) + 1000
    answers = []
    for other in (foreign.id, missing_id):
        response = client.post(BULK, data={"csrf_token": token, "ids": [str(mine.id), str(other)],
                                           "action": "prioritaet", "value": "3"})
        # The id as a number of its own (a fresh database's id 2 is also in "woff2", "2.5" and hashes).
        body = re.sub(rf"(?<![\w.]){other}(?![\w.])", "ID", response.get_data(as_text=True))
        answers.append((response.status_code, body))
    assert answers[0] == answers[1]
    assert answers[0][0] == 404 and foreign.reference not in answers[0][1]
    db.session.refresh(mine)
    assert mine.priority == 0


def test_a_line_break_in_back_is_a_400_and_nothing_is_committed(client, db_session):
    token = _department_staff(client)
    report = make_report(category_code="schlagloch")
    audits = db_session.scalar(select(func.count()).select_from(AuditEntry))
    response = client.post(BULK, data={"csrf_token": token, "ids": [str(report.id)], "action": "prioritaet",
                                       "value": "2", "back": "/intern/eingang\r\nSet-Cookie: x=1"})
    assert response.status_code == 400 and "Rücksprungadresse" in response.get_data(as_text=True)
    db.session.refresh(report)
    assert report.priority == 0
    assert db_session.scalar(select(func.count()).select_from(AuditEntry)) == audits


def test_odd_numbers_in_ids_and_values_are_400s(client, db_session):
    token = _department_staff(client)
    report = make_report(category_code="schlagloch")
    for data in ({"ids": ["²"], "action": "prioritaet", "value": "1"},
                 {"ids": ["9" * 30], "action": "prioritaet", "value": "1"},
                 {"ids": [str(report.id)], "action": "prioritaet", "value": "²"},
                 {"ids": [str(report.id)], "action": "abteilung", "value": "9" * 30}):
        response = client.post(BULK, data={"csrf_token": token, **data})
        assert response.status_code == 400, (data, response.status_code)
