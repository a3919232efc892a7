"""Turning report history into area alerts, inside the transaction that writes it.

Every path that makes a report public or fixes it (the intake form, the JSON and
Open311 APIs, staff status changes, e-mail confirmation) writes a ``StatusChange``
row. Instead of asking each of those operations to call us, we watch the session:
new history rows are noted when they are flushed, and just before the commit the
alert mails are recorded in the outbox - in the same transaction, so an alert
exists exactly when its cause was committed. Rolled back work leaves nothing.
"""
from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.reports.models import StatusChange

_KEY = "area_alert_changes"


def _after_flush(session: Session, _context) -> None:
    changes = [obj for obj in session.new if isinstance(obj, StatusChange)]
    if changes:
        session.info.setdefault(_KEY, []).extend(changes)


def _before_commit(session: Session) -> None:
    changes = session.info.pop(_KEY, None)
    if not changes:
        return
    from app.alerts.operations import record_alerts

    session.flush()  # history rows added since the last flush get their ids first
    for change in changes:
        record_alerts(change)
    # Changes made while recording (none expected) must not be recorded twice.
    session.info.pop(_KEY, None)


def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)


def init_app(app: Flask) -> None:
    from flask_sqlalchemy.session import Session as FlaskSession

    if not event.contains(FlaskSession, "after_flush", _after_flush):
        event.listen(FlaskSession, "after_flush", _after_flush)
        event.listen(FlaskSession, "before_commit", _before_commit)
        event.listen(FlaskSession, "after_rollback", _after_rollback)
