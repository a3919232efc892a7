"""Periodic jobs of the reports feature (registered with the scheduler in ``app.reports.init_app``)."""
from __future__ import annotations

from app.db import db
from app.reports.department_mail import record_due_digests, record_due_reminders


def send_department_digests() -> int:
    """Record the daily digest for every department whose digest hour has come."""
    count = record_due_digests()
    db.session.commit()
    return count


def send_reminders() -> int:
    """Record reminders for reports that sit longer in a status than their category allows."""
    count = record_due_reminders()
    db.session.commit()
    return count
