"""Outbox rows that follow from a change without the changing code knowing about them.

When a status change (or a new report) is flushed, this records in the same
transaction: one ``follower_update`` per confirmed follower of the report, and a
``webhook_event`` for a department that has a webhook. Written as one
``INSERT … SELECT … ON CONFLICT DO NOTHING`` per change on the flushing connection,
so they commit or roll back with the change itself; dedup keys make a repeated
flush harmless.
"""
from __future__ import annotations

from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from app.outbox.relay import note_new_messages

_FOLLOWER_ROWS = text("""
    INSERT INTO outbox_messages (kind, channel, dedup_key, payload, state, attempts, last_error, claimed_by,
                                 created_at, next_attempt_at)
    SELECT 'follower_update', 'email', 'follower_update:' || CAST(:change_id AS text) || ':' || f.id,
           jsonb_build_object('report_id', f.report_id, 'status_change_id', CAST(:change_id AS bigint),
                              'follower_id', f.id),
           'pending', 0, '', '', now(), now()
      FROM followers f
     WHERE f.report_id = :report_id AND f.confirmed_at IS NOT NULL AND f.unsubscribed_at IS NULL
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING id
""")
_WEBHOOK_ROW = text("""
    INSERT INTO outbox_messages (kind, channel, dedup_key, payload, state, attempts, last_error, claimed_by,
                                 created_at, next_attempt_at)
    SELECT 'webhook_event', 'webhook', :dedup_key,
           jsonb_build_object('event', CAST(:event AS text), 'report_id', r.id, 'department_id', d.id,
                              'status_change_id', CAST(:change_id AS bigint)),
           'pending', 0, '', '', now(), now()
      FROM reports r JOIN departments d ON d.id = r.department_id
     WHERE r.id = :report_id AND d.webhook_url IS NOT NULL AND d.webhook_url <> ''
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING id
""")


def _after_flush(session: Session, _flush_context) -> None:
    from app.reports.models import Report, StatusChange

    changes = [obj for obj in session.new if isinstance(obj, StatusChange) and obj.old_status is not None]
    reports = [obj for obj in session.new if isinstance(obj, Report)]
    if not changes and not reports:
        return
    connection = session.connection()
    ids: list[int] = []
    for report in reports:
        ids += connection.execute(_WEBHOOK_ROW, {"dedup_key": f"webhook:report.created:{report.id}",
                                                 "event": "report.created", "report_id": report.id,
                                                 "change_id": None}).scalars().all()
    for change in changes:
        ids += connection.execute(_FOLLOWER_ROWS, {"change_id": change.id, "report_id": change.report_id}
                                  ).scalars().all()
        ids += connection.execute(_WEBHOOK_ROW, {"dedup_key": f"webhook:report.status_changed:{change.id}",
                                                 "event": "report.status_changed", "report_id": change.report_id,
                                                 "change_id": change.id}).scalars().all()
    if ids:
        note_new_messages(session, ids)


def init_app(app: Flask) -> None:
    from flask_sqlalchemy.session import Session as FlaskSession

    if not event.contains(FlaskSession, "after_flush", _after_flush):
        event.listen(FlaskSession, "after_flush", _after_flush)
