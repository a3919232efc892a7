"""Data retention (DSGVO Art. 5(1)(e)): keep personal data no longer than needed.

* Closed reports: ``RETENTION_CLOSED_DAYS`` (default 90) after the report was
  closed, the reporter's e-mail, name, phone, tracking token and idempotency key
  are removed, and so are the report's followers and unsubscribe entries. The
  report itself, its public history and photos stay (they are not personal data
  of the reporter once the contact is gone).
* Unconfirmed reports (status 'unbestaetigt'): deleted with everything that hangs
  on them, photos in storage included, ``RETENTION_UNCONFIRMED_DAYS`` (default 7)
  after they were made.
* Outbox rows that were sent or cancelled: deleted after ``RETENTION_OUTBOX_DAYS``.

The database changes commit first; photo files are removed afterwards, so a
failure can leave an orphaned file (logged, removed on the next run through the
report's key prefix) but never a row that points at a missing file.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.db import db, utcnow
from app.followers.models import Follower, MailUnsubscribe
from app.outbox.models import OutboxMessage
from app.reports.models import Photo, Report
from app.reports.status import CLOSED_STATUSES

log = logging.getLogger(__name__)


@dataclass
class RetentionResult:
    anonymised_reports: int = 0
    deleted_reports: int = 0
    deleted_files: int = 0
    deleted_outbox_messages: int = 0
    kept_reports: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _personal_columns() -> dict:
    values = {"reporter_email": None, "reporter_name": None, "tracking_token": None,
              "reporter_email_confirmed": False, "idempotency_key": None}
    if hasattr(Report, "reporter_phone"):  # added by the Open311 intake
        values["reporter_phone"] = None
    return values


def anonymise_closed_reports(now: datetime, days: int) -> int:
    personal = [Report.reporter_email.is_not(None), Report.reporter_name.is_not(None),
                Report.tracking_token.is_not(None)]
    if hasattr(Report, "reporter_phone"):
        personal.append(Report.reporter_phone.is_not(None))
    ids = list(db.session.scalars(select(Report.id).where(
        Report.status.in_(CLOSED_STATUSES), Report.status_changed_at < now - timedelta(days=days), or_(*personal))))
    ids += list(db.session.scalars(select(Follower.report_id).join(Report, Report.id == Follower.report_id).where(
        Report.status.in_(CLOSED_STATUSES), Report.status_changed_at < now - timedelta(days=days)).distinct()))
    ids = sorted(set(ids))
    if not ids:
        return 0
    db.session.execute(update(Report).where(Report.id.in_(ids)).values(**_personal_columns()))
    db.session.execute(delete(Follower).where(Follower.report_id.in_(ids)))
    db.session.execute(delete(MailUnsubscribe).where(MailUnsubscribe.report_id.in_(ids)))
    return len(ids)


def delete_unconfirmed_reports(now: datetime, days: int, result: RetentionResult) -> list[str]:
    """Delete old unconfirmed reports (each in a savepoint); returns the storage keys to remove."""
    keys: list[str] = []
    ids = list(db.session.scalars(select(Report.id).where(
        Report.status == "unbestaetigt", Report.created_at < now - timedelta(days=days))))
    for report_id in ids:
        photo_keys = [key for variants in db.session.scalars(select(Photo.variants).where(Photo.report_id == report_id))
                      for key in (variants or {}).values()]
        try:
            with db.session.begin_nested():
                db.session.execute(delete(Report).where(Report.id == report_id))
        except IntegrityError:
            # Another feature's row still points at it without ON DELETE CASCADE.
            log.warning("retention: unconfirmed report %s could not be deleted (still referenced)", report_id)
            result.kept_reports.append(report_id)
            continue
        keys += photo_keys
        keys.append(f"reports/{report_id}/")  # a prefix: catches files without a row
        result.deleted_reports += 1
    return keys


def _remove_files(keys: list[str]) -> int:
    storage = current_app.extensions["storage"]
    removed = 0
    for key in keys:
        try:
            if key.endswith("/"):
                for found in storage.keys(key):
                    storage.delete(found)
                    removed += 1
            elif storage.exists(key):
                storage.delete(key)
                removed += 1
        except Exception:  # noqa: BLE001 - logged and retried through the prefix next run
            log.exception("retention: could not delete stored file %s", key)
    return removed


def apply_retention(config, now: datetime | None = None) -> RetentionResult:
    now = now or utcnow()
    result = RetentionResult()
    try:
        result.anonymised_reports = anonymise_closed_reports(now, int(config["RETENTION_CLOSED_DAYS"]))
        keys = delete_unconfirmed_reports(now, int(config["RETENTION_UNCONFIRMED_DAYS"]), result)
        result.deleted_outbox_messages = db.session.execute(delete(OutboxMessage).where(
            OutboxMessage.state.in_(("sent", "cancelled")),
            OutboxMessage.created_at < now - timedelta(days=int(config["RETENTION_OUTBOX_DAYS"])))).rowcount
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    result.deleted_files = _remove_files(keys)
    log.info("retention: %s", result.as_dict())
    return result
