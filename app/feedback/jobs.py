"""Periodic job of the feedback feature (registered in ``app.feedback.init_app``)."""
from __future__ import annotations

from app.db import db
from app.feedback.operations import record_due_questionnaires


def send_fixed_questionnaires() -> int:
    """Record the "Ist es erledigt?" mails that are due (the worker sends them)."""
    count = record_due_questionnaires()
    db.session.commit()
    return count
