"""Data retention (DSGVO Art. 5(1)(e)): keep personal data no longer than needed.

* Closed reports: ``RETENTION_CLOSED_DAYS`` (default 90) after the report was
  closed, the reporter's e-mail, name, phone, tracking token and idempotency key
  are removed. On the same clock go
  - the reporter's remarks added through the tracking link (``reporter_comments``):
    deleted, not anonymised. A remark is free text by the reporter ("ich wohne
    gegenüber, Tel. …"); no rule can strip what identifies them from it, it was never
    public, and its purpose (the department working the report) ended with the
    report. The photos the reporter added later stay like the other photos;
  - the device and account ids an Open311 client sent with the report
    (``open311_submissions.device_id``/``account_id``); the Open311 token stays: it
    is random and only maps the client's request to the report's reference;
  - the report's followers (confirmed or not) and unsubscribe entries.
  The report itself, its public history and photos stay (they are not personal data
  of the reporter once the contact is gone).
* Unconfirmed reports (status 'unbestaetigt'): deleted with everything that hangs
  on them, photos in storage included, ``RETENTION_UNCONFIRMED_DAYS`` (default 7)
  after they were made.
* Subscriptions whose double opt-in was never completed: area alerts and report
  followers, ``RETENTION_UNCONFIRMED_SUBSCRIPTION_DAYS`` (default 7) after they were
  asked for (the confirmation link stops working then). Confirmed alert subscriptions
  stay until unsubscribed. Unsubscribing erases the e-mail address and the place
  (typed address, centre point, radius, Ortsteil) at once (app/alerts/operations.py);
  the row without them stays so that links in old mails still answer. Each run
  erases the same from any unsubscribed row that still holds some of it: rows
  unsubscribed by a process still running the previous release while revision 0601
  was applied, or by any path that set ``unsubscribed_at`` alone. Confirmed
  followers stay until the report's closed period above ends. Unfollowing erases
  the follower's e-mail address at once (app/followers/operations.py, revision
  1101); its row stays without it, as for alerts, and each run erases the address
  of any unsubscribed follower that still has one (one unsubscribed by a process of
  the previous release while 1101 was applied). The unsubscribe entry
  (``MailUnsubscribe``) holds only a digest of the address.
* Outbox rows that were sent or cancelled: deleted after ``RETENTION_OUTBOX_DAYS``.
* Sign-in throttling counts (keyed hashes of account name and client address): deleted a day
  after the last failure, once no delay runs. Staff sessions past their absolute lifetime
  (``STAFF_SESSION_MAX_HOURS``): deleted (they no longer open anything anyway).

The database changes commit first; photo files are removed afterwards, so a
failure can leave an orphaned file (logged, removed on the next run through the
report's key prefix) but never a row that points at a missing file.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.alerts.models import AlertSubscription
from app.alerts.operations import erased_on_unsubscribe
from app.db import db, utcnow
from app.followers.models import Follower, MailUnsubscribe
from app.open311.models import Open311Submission
from app.outbox.models import OutboxMessage
from app.public.models import ReporterComment
from app.reports.models import Photo, Report
from app.reports.status import CLOSED_STATUSES
from app.staff import sessions, throttle

log = logging.getLogger(__name__)


@dataclass
class RetentionResult:
    anonymised_reports: int = 0
    deleted_reporter_comments: int = 0
    anonymised_open311_submissions: int = 0
    deleted_followers: int = 0
    deleted_alert_subscriptions: int = 0
    erased_alert_subscriptions: int = 0
    erased_followers: int = 0
    deleted_reports: int = 0
    deleted_files: int = 0
    deleted_outbox_messages: int = 0
    deleted_login_throttles: int = 0
    deleted_staff_sessions: int = 0
    kept_reports: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


_PERSONAL_COLUMNS = {"reporter_email": None, "reporter_name": None, "reporter_phone": None, "tracking_token": None,
                     "reporter_email_confirmed": False, "idempotency_key": None}


def _closed_before(cutoff: datetime, jurisdiction_id: int | None = None):
    """Reports closed before ``cutoff`` (the status change that closed them is the clock), of
    one town if ``jurisdiction_id`` is given (each town may set its own period)."""
    closed = and_(Report.status.in_(CLOSED_STATUSES), Report.status_changed_at < cutoff)
    return closed if jurisdiction_id is None else and_(closed, Report.jurisdiction_id == jurisdiction_id)


def _closed_report_ids(cutoff: datetime, jurisdiction_id: int | None = None):
    return select(Report.id).where(_closed_before(cutoff, jurisdiction_id))


def town_periods(config) -> list[tuple[int, int, int]]:
    """(town id, closed days, unconfirmed days) per town: its profile's periods (the profile
    page, app/jurisdictions/profile.py), else the RETENTION_* settings."""
    from app.jurisdictions.models import Jurisdiction

    periods = []
    for jid, profile in db.session.execute(select(Jurisdiction.id, Jurisdiction.profile)).all():
        profile = profile or {}
        periods.append((jid, int(profile.get("retention_closed_days") or config["RETENTION_CLOSED_DAYS"]),
                        int(profile.get("retention_unconfirmed_days") or config["RETENTION_UNCONFIRMED_DAYS"])))
    return periods


def anonymise_closed_reports(now: datetime, days: int, jurisdiction_id: int | None = None) -> int:
    """Remove the reporter's contact data from reports closed more than ``days`` ago."""
    personal = or_(Report.reporter_email.is_not(None), Report.reporter_name.is_not(None),
                   Report.reporter_phone.is_not(None), Report.tracking_token.is_not(None))
    return db.session.execute(update(Report).where(_closed_before(now - timedelta(days=days), jurisdiction_id), personal)
                              .values(**_PERSONAL_COLUMNS).execution_options(synchronize_session=False)).rowcount


def delete_reporter_comments(now: datetime, days: int, jurisdiction_id: int | None = None) -> int:
    """The reporter's remarks go with the reporter's contact data (see the module docstring)."""
    return db.session.execute(delete(ReporterComment).where(
        ReporterComment.report_id.in_(_closed_report_ids(now - timedelta(days=days), jurisdiction_id)))
        .execution_options(synchronize_session=False)).rowcount


def anonymise_open311_submissions(now: datetime, days: int, jurisdiction_id: int | None = None) -> int:
    """Forget the device and account ids an Open311 client sent with a report now anonymised."""
    return db.session.execute(update(Open311Submission).where(
        Open311Submission.report_id.in_(_closed_report_ids(now - timedelta(days=days), jurisdiction_id)),
        or_(Open311Submission.device_id.is_not(None), Open311Submission.account_id.is_not(None)))
        .values(device_id=None, account_id=None).execution_options(synchronize_session=False)).rowcount


def delete_followers(now: datetime, closed_days: int, unconfirmed_days: int, jurisdiction_id: int | None = None) -> int:
    """Followers of reports closed long ago (with the unsubscribe entries), and followers
    who never confirmed and did not unsubscribe either."""
    closed = _closed_report_ids(now - timedelta(days=closed_days), jurisdiction_id)
    deleted = db.session.execute(delete(Follower).where(
        or_(Follower.report_id.in_(closed),
            and_(Follower.confirmed_at.is_(None), Follower.unsubscribed_at.is_(None),
                 Follower.created_at < now - timedelta(days=unconfirmed_days))))
        .execution_options(synchronize_session=False)).rowcount
    db.session.execute(delete(MailUnsubscribe).where(MailUnsubscribe.report_id.in_(closed))
                       .execution_options(synchronize_session=False))
    return deleted


def delete_unconfirmed_alert_subscriptions(now: datetime, days: int) -> int:
    """Area alert subscriptions never confirmed within ``days`` (the opt-in link then 404s)."""
    return db.session.execute(delete(AlertSubscription).where(
        AlertSubscription.confirmed_at.is_(None), AlertSubscription.created_at < now - timedelta(days=days))
        .execution_options(synchronize_session=False)).rowcount


def erase_unsubscribed_alert_subscriptions() -> int:
    """Unsubscribed area alerts that still hold the e-mail address or the place lose them
    (see the module docstring); rows already erased are not touched again."""
    still_personal = or_(AlertSubscription.email != "", AlertSubscription.address.is_not(None),
                         AlertSubscription.center.is_not(None), AlertSubscription.radius_m.is_not(None),
                         AlertSubscription.area_id.is_not(None), func.cardinality(AlertSubscription.category_ids) > 0)
    return db.session.execute(update(AlertSubscription).where(
        AlertSubscription.unsubscribed_at.is_not(None), still_personal)
        .values(**erased_on_unsubscribe()).execution_options(synchronize_session=False)).rowcount


def erase_unsubscribed_followers() -> int:
    """Followers who unsubscribed but still hold their e-mail address lose it (module docstring)."""
    return db.session.execute(update(Follower).where(
        Follower.unsubscribed_at.is_not(None), Follower.email.is_not(None))
        .values(email=None).execution_options(synchronize_session=False)).rowcount


def delete_unconfirmed_reports(now: datetime, days: int, result: RetentionResult,
                               jurisdiction_id: int | None = None) -> list[str]:
    """Delete old unconfirmed reports (each in a savepoint); returns the storage keys to remove."""
    keys: list[str] = []
    town = [Report.jurisdiction_id == jurisdiction_id] if jurisdiction_id is not None else []
    ids = list(db.session.scalars(select(Report.id).where(
        Report.status == "unbestaetigt", Report.created_at < now - timedelta(days=days), *town)))
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
    """Apply every rule above in one transaction, then remove the deleted reports' files."""
    now = now or utcnow()
    subscription_days = int(config["RETENTION_UNCONFIRMED_SUBSCRIPTION_DAYS"])
    result = RetentionResult()
    keys: list[str] = []
    try:
        for jid, closed_days, unconfirmed_days in town_periods(config):
            result.anonymised_reports += anonymise_closed_reports(now, closed_days, jid)
            result.deleted_reporter_comments += delete_reporter_comments(now, closed_days, jid)
            result.anonymised_open311_submissions += anonymise_open311_submissions(now, closed_days, jid)
            result.deleted_followers += delete_followers(now, closed_days, subscription_days, jid)
            keys += delete_unconfirmed_reports(now, unconfirmed_days, result, jid)
        result.deleted_alert_subscriptions = delete_unconfirmed_alert_subscriptions(now, subscription_days)
        result.erased_alert_subscriptions = erase_unsubscribed_alert_subscriptions()
        result.erased_followers = erase_unsubscribed_followers()
        result.deleted_outbox_messages = db.session.execute(delete(OutboxMessage).where(
            OutboxMessage.state.in_(("sent", "cancelled")),
            OutboxMessage.created_at < now - timedelta(days=int(config["RETENTION_OUTBOX_DAYS"])))).rowcount
        result.deleted_login_throttles = throttle.purge(now)
        result.deleted_staff_sessions = sessions.purge_expired(now, int(config["STAFF_SESSION_MAX_HOURS"]))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    result.deleted_files = _remove_files(keys)
    log.info("retention: %s", result.as_dict())
    return result


def run_retention() -> dict:
    """RQ job (daily, from the scheduler): apply the retention rules; safe to run twice."""
    return apply_retention(current_app.config).as_dict()
