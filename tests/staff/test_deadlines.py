"""Deadlines (issue 19 point 7): the expected completion date, and overdue reports escalated to
the dispatchers once, by the hourly job registered with the scheduler."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.db import db, utcnow
from app.staff.models import ReportEscalation
from tests.conftest import run_worker
from tests.factories import category, make_report
from tests.staff.helpers import PASSWORD, login, make_staff


def _age(report, days: float) -> None:
    report.created_at = utcnow() - timedelta(days=days)


def test_overdue_report_escalates_to_the_dispatcher_once(app, staff_committing, smtp_server):
    from app.staff.jobs import escalate_overdue

    dispatcher = make_staff("dispatcher", email="leitstelle@harsewinkel.example")
    make_staff("dispatcher")  # without an address: nobody to mail
    target = category("schlagloch").target_days
    grace = app.config["ESCALATION_GRACE_DAYS"]
    late = make_report(category_code="schlagloch", description="Lange offen")
    _age(late, target + grace + 1)
    within_grace = make_report(category_code="schlagloch")
    _age(within_grace, target + grace / 2)
    closed = make_report(category_code="schlagloch")
    _age(closed, target + grace + 5)
    closed.status = "erledigt"
    db.session.commit()
    run_worker(app)
    smtp_server.clear()

    # The job is one of the scheduler's periodic tasks, hourly.
    task = app.extensions["tasks.scheduled"]["escalations"]
    assert (task.job, task.period) == (escalate_overdue, 3600)
    assert escalate_overdue() == 1
    assert escalate_overdue() == 0  # once
    run_worker(app)
    mails = smtp_server.to("leitstelle@harsewinkel.example")
    assert len(mails) == 1 and late.reference in mails[0]["Subject"] and "Überfällig" in mails[0]["Subject"]
    assert db.session.scalar(select(func.count()).select_from(ReportEscalation)) == 1
    assert escalate_overdue() == 0
    run_worker(app)
    assert len(smtp_server.to("leitstelle@harsewinkel.example")) == 1

    client = app.test_client()
    login(client, dispatcher.username, PASSWORD)
    page = client.get("/intern/eingang?eskaliert=1&status=alle").get_data(as_text=True)
    assert re.findall(r'class="report-link">([^<]+)<', page) == [late.reference]
    detail = client.get(f"/intern/meldungen/{late.id}").get_data(as_text=True)
    due = detail[detail.index('id="due"'):detail.index("</dd>", detail.index('id="due"'))]
    assert "überfällig" in due and "an die Leitstelle eskaliert" in due
