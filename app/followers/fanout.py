"""Follower mails that follow from a status change without the changing code knowing about them.

When a status change is flushed, this records in the same transaction one
``follower_update`` per confirmed follower of the report, as one
``INSERT … SELECT … ON CONFLICT DO NOTHING`` on the flushing connection, so the mails
commit or roll back with the change itself; dedup keys make a repeated flush harmless.
"""
from __future__ import annotations

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from app.outbox.relay import note_new_messages
from app.reports.models import StatusChange

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


def _record_follower_updates(session: Session, _flush_context) -> None:
    changes = [obj for obj in session.new if isinstance(obj, StatusChange) and obj.old_status is not None]
    ids: list[int] = []
    for change in changes:
        ids += session.connection().execute(_FOLLOWER_ROWS, {"change_id": change.id, "report_id": change.report_id}
                                            ).scalars().all()
    if ids:
        note_new_messages(session, ids)


def listen_for_status_changes() -> None:
    from flask_sqlalchemy.session import Session as FlaskSession

    if not event.contains(FlaskSession, "after_flush", _record_follower_updates):
        event.listen(FlaskSession, "after_flush", _record_follower_updates)
