"""What departments receive besides the new-report mail: the daily digest, reminders,
webhook events (registered in ``app.reports.init_app``).

A department in 'digest' mode gets no mail per new report; instead, once a day at
its ``digest_hour`` (Europe/Berlin), one mail lists the reports that reached it
since the previous digest. Reminders go out once per report and status when a
report stays longer in that status than its category's ``reminder_days`` allow.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from geoalchemy2.shape import to_shape
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from app.db import db, utcnow
from app.jurisdictions.models import Category, Department
from app.outbox.messages import Message, WebhookCall, compose_email
from app.outbox.models import OutboxMessage
from app.outbox.operations import record_message
from app.outbox.relay import note_new_messages
from app.reports.models import Report, StatusChange
from app.reports.questions import answers_for_reports
from app.reports.status import OPEN_STATUSES, STATUSES
from app.urls import absolute_url


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Berlin"))


def digest_departments_get_no_single_mails(message: OutboxMessage) -> str | None:
    if message.kind != "new_report":
        return None
    report = db.session.get(Report, message.payload.get("report_id"))
    if report is not None and report.department.notification_mode == "digest":
        return "digest"
    return None


# --- the daily digest -------------------------------------------------------------

def _last_digest_until(department: Department) -> datetime | None:
    payload = db.session.scalar(
        select(OutboxMessage.payload).where(OutboxMessage.kind == "department_digest",
                                            OutboxMessage.payload["department_id"].as_integer() == department.id)
        .order_by(OutboxMessage.id.desc()).limit(1))
    return datetime.fromisoformat(payload["until"]) if payload else None


def record_due_digests(now: datetime | None = None) -> int:
    """Record today's digest for each digest department whose hour has come (flushes).

    Idempotent: the dedup key holds the department and the local date, so running it
    every few minutes, or twice, records one digest a day. A scheduler that was down
    at the hour catches up on its next run; the digest then covers everything since
    the previous one.
    """
    now = now or utcnow()
    local = now.astimezone(_tz())
    count = 0
    for department in db.session.scalars(select(Department).where(Department.notification_mode == "digest")):
        if local.hour < department.digest_hour:
            continue
        since = _last_digest_until(department) or now - timedelta(days=1)
        key = f"department_digest:{department.id}:{local.date().isoformat()}"
        if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == key)):
            continue
        record_message("department_digest", key, {"department_id": department.id,
                                                  "since": since.isoformat(), "until": now.isoformat()})
        count += 1
    return count


def digest_reports(department_id: int, since: datetime, until: datetime) -> list[Report]:
    return list(db.session.scalars(
        select(Report).where(Report.department_id == department_id, Report.created_at > since,
                             Report.created_at <= until, Report.status != "unbestaetigt")
        .order_by(Report.created_at)))


def department_digest(message: OutboxMessage) -> EmailMessage | None:
    department = db.session.get(Department, message.payload.get("department_id"))
    if department is None or not department.emails:
        return None
    since = datetime.fromisoformat(message.payload["since"])
    until = datetime.fromisoformat(message.payload["until"])
    reports = digest_reports(department.id, since, until)
    if not reports:
        return None  # nothing new: no empty mail
    with force_locale("de"):
        local_day = until.astimezone(_tz()).strftime("%d.%m.%Y")
        subject = f"Tagesübersicht {local_day}: {len(reports)} neue Meldung{'en' if len(reports) != 1 else ''}"
        answers = answers_for_reports([r.id for r in reports], "de")
        items = [{"report": r, "url": absolute_url("public.short_report", reference=r.reference),
                  "answers": answers.get(r.id, [])} for r in reports]
        return compose_email(department.emails, subject, "department_digest", message, locale="de",
                             department=department, items=items, day=local_day)


# --- reminders --------------------------------------------------------------------

def record_due_reminders(now: datetime | None = None, limit: int = 2000) -> int:
    """Record a reminder for each open report that overstayed its status (flushes).

    One reminder per report and stay in a status (the key holds the time the status
    was entered), so an hourly run does not repeat it.
    """
    now = now or utcnow()
    count = 0
    rows = db.session.execute(
        select(Report.id, Report.status, Report.status_changed_at, Report.department_id, Category.reminder_days)
        .join(Category, Category.id == Report.category_id)
        .where(Report.status.in_([s for s in OPEN_STATUSES if s != "unbestaetigt"]), Report.hidden.is_(False))
        .order_by(Report.status_changed_at).limit(limit))
    for report_id, status, entered, department_id, reminder_days in rows:
        days = (reminder_days or {}).get(status)
        if days is None or entered > now - timedelta(days=float(days)):
            continue
        key = f"reminder:{report_id}:{status}:{int(entered.timestamp())}"
        if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == key)):
            continue
        record_message("reminder", key, {"report_id": report_id, "status": status, "department_id": department_id,
                                         "days": days})
        count += 1
    return count


def reminder(message: OutboxMessage) -> EmailMessage | None:
    report = db.session.get(Report, message.payload.get("report_id"))
    if report is None or report.status != message.payload.get("status") or not report.department.emails:
        return None  # moved on since: no reminder needed
    with force_locale("de"):
        status_label = STATUSES[report.status].label("de")
        subject = f"Erinnerung: Meldung {report.reference} seit über {message.payload['days']} Tagen „{status_label}“"
        return compose_email(report.department.emails, subject, "reminder", message, locale="de", report=report,
                             status_label=status_label, days=message.payload["days"],
                             report_url=absolute_url("public.short_report", reference=report.reference))


# --- webhook events ---------------------------------------------------------------

def webhook_event(message: OutboxMessage) -> WebhookCall | None:
    """Public facts plus the internal description; never reporter contact data."""
    report = db.session.get(Report, message.payload.get("report_id"))
    department = db.session.get(Department, message.payload.get("department_id"))
    if report is None or department is None or not department.webhook_url:
        return None
    point = to_shape(report.location)
    payload = {
        "event": message.payload["event"],
        "delivery_id": message.id,
        "occurred_at": message.created_at.isoformat(),
        "department": department.code,
        "report": {
            "reference": report.reference,
            "url": absolute_url("public.report", reference=report.reference),
            "category": report.category.code,
            "status": report.status,
            "status_label": STATUSES[report.status].label("de"),
            "lat": round(point.y, 6), "lon": round(point.x, 6),
            "address": report.address,
            "description": report.description,
            "created_at": report.created_at.isoformat(),
        },
    }
    change = db.session.get(StatusChange, message.payload.get("status_change_id")) \
        if message.payload.get("status_change_id") else None
    if change is not None:
        payload["change"] = {"old_status": change.old_status, "new_status": change.new_status,
                             "public_note": change.public_note, "at": change.created_at.isoformat()}
    return WebhookCall(department.webhook_url, department.webhook_secret or "", message.payload["event"], payload)


# --- webhook fan-out ----------------------------------------------------------------
# A department with a webhook gets an event for each new report and status change,
# recorded by the flush that makes the change (one INSERT … SELECT on the flushing
# connection), so it commits or rolls back with the change; the dedup key makes a
# repeated flush harmless. The changing code does not need to know about webhooks.

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


def _record_webhook_events(session: Session, _flush_context) -> None:
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
        ids += connection.execute(_WEBHOOK_ROW, {"dedup_key": f"webhook:report.status_changed:{change.id}",
                                                 "event": "report.status_changed", "report_id": change.report_id,
                                                 "change_id": change.id}).scalars().all()
    if ids:
        note_new_messages(session, ids)


def listen_for_webhook_events() -> None:
    from flask_sqlalchemy.session import Session as FlaskSession

    if not event.contains(FlaskSession, "after_flush", _record_webhook_events):
        event.listen(FlaskSession, "after_flush", _record_webhook_events)


MESSAGES = (
    Message("department_digest", department_digest),
    Message("reminder", reminder),
    Message("webhook_event", webhook_event, channel="webhook"),
)
