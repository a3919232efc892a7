"""Meine Meldungen: sign-in by a single-use link, notification settings, own data (DSGVO Art.
15/17). Operations flush; the request commits.

Everything is found by the address the signed-in person proved they read (the link went
there): reports they made, reports they follow, area alerts. The address itself is never
written into the audit log or a log line.
"""
from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta

from flask import session
from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import to_shape
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from app.account.models import CitizenSignIn
from app.account.session import SESSION_HOURS, SESSION_KEY
from app.account.tokens import LINK_MINUTES, new_session_token, read_sign_in_token, session_hash
from app.alerts.models import AlertSubscription
from app.alerts.operations import erased_on_unsubscribe
from app.db import db, utcnow
from app.errors import DomainError, NotFound
from app.feedback.models import FixedQuestionnaire
from app.followers.models import Follower, MailUnsubscribe
from app.followers.tokens import email_digest
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import this_town_id
from app.open311.models import Open311Submission, ReportAttributeValue
from app.outbox.operations import record_message
from app.outbox.recipients import may_mail
from app.public.models import ReporterComment
from app.reports.models import Report, StatusChange
from app.reports.photos import storage
from app.retention.policy import PERSONAL_COLUMNS
from app.staff import audit
from app.validation import normalize_email

AUDIT_ACTOR = "Bürger:in (Meine Meldungen)"


# --- signing in ---------------------------------------------------------------------------

def request_sign_in(email: str, locale: str = "de") -> None:
    """Record a sign-in link for ``email`` (flushes). The answer to the person typing is the
    same whether the address has reports, and whether the per-recipient cap stopped the mail.

    Raises ``DomainError`` (field ``email``) for something that is not one address.
    """
    address = normalize_email(email).lower()
    if not may_mail(address):
        return
    sign_in = CitizenSignIn(jurisdiction_id=this_town_id(), email=address, locale=locale if locale in ("de", "en") else "de", created_at=utcnow())
    db.session.add(sign_in)
    db.session.flush()
    record_message("citizen_sign_in", f"citizen_sign_in:{sign_in.id}", {"sign_in_id": sign_in.id})


def _link_expired(sign_in: CitizenSignIn, now: datetime) -> bool:
    return sign_in.created_at < now - timedelta(minutes=LINK_MINUTES)


def sign_in_by_link(token: str, lock: bool = False) -> CitizenSignIn:
    """The unused, unexpired sign-in a link is for; raises ``NotFound`` otherwise."""
    sign_in_id = read_sign_in_token(token)
    sign_in = db.session.get(CitizenSignIn, sign_in_id, with_for_update=lock) if sign_in_id else None
    if (sign_in is None or sign_in.email is None or sign_in.link_used_at is not None
            or sign_in.jurisdiction_id != this_town_id()  # a link of another town's host
            or _link_expired(sign_in, utcnow())):
        raise NotFound(_l("Dieser Anmeldelink ist ungültig, abgelaufen oder wurde schon benutzt. "
                          "Bitte fordern Sie einen neuen an."))
    return sign_in


def use_sign_in_link(token: str) -> CitizenSignIn:
    """Use the link once: start this browser's session (flushes; the cookie gets the token)."""
    sign_in = sign_in_by_link(token, lock=True)
    _start_session(sign_in)
    return sign_in


def sign_in_verified(email: str, locale: str = "de") -> CitizenSignIn:
    """Start a session for an address the town's identity broker vouched for (flushes)."""
    sign_in = CitizenSignIn(jurisdiction_id=this_town_id(), email=email.lower(), locale=locale if locale in ("de", "en") else "de",
                            created_at=utcnow())
    db.session.add(sign_in)
    _start_session(sign_in)
    return sign_in


def _start_session(sign_in: CitizenSignIn) -> None:
    session_token = new_session_token()
    sign_in.link_used_at = utcnow()
    sign_in.session_hash = session_hash(session_token)
    db.session.flush()
    session[SESSION_KEY] = session_token


def sign_out() -> None:
    """End this browser's session; the row (with the address) goes (flushes)."""
    token = session.pop(SESSION_KEY, None)
    if isinstance(token, str):
        db.session.execute(delete(CitizenSignIn).where(CitizenSignIn.session_hash == session_hash(token)))
        db.session.flush()


def purge_sign_ins(now: datetime | None = None) -> int:
    """Delete unused links past their 30 minutes and sessions past their lifetime."""
    now = now or utcnow()
    return db.session.execute(delete(CitizenSignIn).where(or_(
        CitizenSignIn.link_used_at < now - timedelta(hours=SESSION_HOURS),
        (CitizenSignIn.link_used_at.is_(None)) & (CitizenSignIn.created_at < now - timedelta(minutes=LINK_MINUTES)),
    ))).rowcount or 0


# --- what belongs to an address -----------------------------------------------------------

def my_reports(jurisdiction: Jurisdiction, email: str) -> list[Report]:
    return list(db.session.scalars(select(Report).where(
        Report.jurisdiction_id == jurisdiction.id, func.lower(Report.reporter_email) == email.lower())
        .order_by(Report.created_at.desc())))


def my_follows(jurisdiction: Jurisdiction, email: str) -> list[Follower]:
    return list(db.session.scalars(select(Follower).join(Report, Report.id == Follower.report_id).where(
        Report.jurisdiction_id == jurisdiction.id, Follower.email == email.lower(),
        Follower.unsubscribed_at.is_(None)).order_by(Follower.created_at.desc())))


def my_alerts(jurisdiction: Jurisdiction, email: str) -> list[AlertSubscription]:
    return list(db.session.scalars(select(AlertSubscription).where(
        AlertSubscription.jurisdiction_id == jurisdiction.id, func.lower(AlertSubscription.email) == email.lower(),
        AlertSubscription.unsubscribed_at.is_(None)).order_by(AlertSubscription.created_at.desc())))


def muted_report_ids(report_ids: list[int], email: str) -> set[int]:
    """Reports among ``report_ids`` whose mails the address turned off."""
    if not report_ids:
        return set()
    return set(db.session.scalars(select(MailUnsubscribe.report_id).where(
        MailUnsubscribe.report_id.in_(report_ids), MailUnsubscribe.email_digest == email_digest(email)[:32])))


# --- notification settings ----------------------------------------------------------------

def _own_report(jurisdiction: Jurisdiction, email: str, report_id) -> Report:
    try:
        report_id = int(report_id)
    except (TypeError, ValueError):
        report_id = 0
    report = db.session.get(Report, report_id) if report_id else None
    if (report is None or report.jurisdiction_id != jurisdiction.id
            or (report.reporter_email or "").lower() != email.lower()):
        raise NotFound(_l("Diese Meldung gibt es unter Ihrer Adresse nicht."))
    return report


def set_report_mails(jurisdiction: Jurisdiction, email: str, report_id, wanted: bool) -> Report:
    """Turn the mails about one of the address's own reports off or on again (flushes). Off is the
    same entry an unsubscribe link makes, so it also stops mail already waiting in the outbox."""
    report = _own_report(jurisdiction, email, report_id)
    digest = email_digest(email)[:32]
    if wanted:
        db.session.execute(delete(MailUnsubscribe).where(MailUnsubscribe.report_id == report.id,
                                                         MailUnsubscribe.email_digest == digest))
    else:
        _mute(report.id, digest)
    db.session.flush()
    return report


def _mute(report_id: int, digest: str) -> None:
    db.session.execute(insert(MailUnsubscribe).values(report_id=report_id, email_digest=digest, created_at=utcnow())
                       .on_conflict_do_nothing(index_elements=["report_id", "email_digest"]))


def _end_follow(follower: Follower) -> None:
    follower.unsubscribed_at = follower.unsubscribed_at or utcnow()
    follower.email = None  # as unfollowing by link does (app/followers/operations.py)


def _end_alert(subscription: AlertSubscription) -> None:
    subscription.unsubscribed_at = subscription.unsubscribed_at or utcnow()
    for column, erased in erased_on_unsubscribe().items():
        setattr(subscription, column, erased)


def unfollow(jurisdiction: Jurisdiction, email: str, follower_id) -> None:
    follower = next((f for f in my_follows(jurisdiction, email) if str(f.id) == str(follower_id)), None)
    if follower is None:
        raise NotFound(_l("Dieser Meldung folgen Sie nicht."))
    _end_follow(follower)
    db.session.flush()


def end_alert(jurisdiction: Jurisdiction, email: str, subscription_id) -> None:
    subscription = next((s for s in my_alerts(jurisdiction, email) if str(s.id) == str(subscription_id)), None)
    if subscription is None:
        raise NotFound(_l("Diese Benachrichtigung gibt es unter Ihrer Adresse nicht."))
    _end_alert(subscription)
    db.session.flush()


def unsubscribe_everything(jurisdiction: Jurisdiction, email: str) -> dict[str, int]:
    """No more mail of any kind to the address (flushes): mails about its reports off, follows
    and area alerts ended (their addresses erased). Audited with the counts only."""
    reports = my_reports(jurisdiction, email)
    digest = email_digest(email)[:32]
    for report in reports:
        _mute(report.id, digest)
    follows, alerts = my_follows(jurisdiction, email), my_alerts(jurisdiction, email)
    for follower in follows:
        _end_follow(follower)
    for subscription in alerts:
        _end_alert(subscription)
    counts = {"reports": len(reports), "follows": len(follows), "alerts": len(alerts)}
    audit.record("citizen_unsubscribe_all", jurisdiction_id=jurisdiction.id, actor=AUDIT_ACTOR, changes=counts)
    db.session.flush()
    return counts


# --- own data: access (Art. 15) and erasure (Art. 17) --------------------------------------

def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_data(jurisdiction: Jurisdiction, email: str) -> bytes:
    """A ZIP with ``daten.json`` (everything stored about the address in this town) and the
    photos of its reports (the stored, metadata-free variants). Audited with counts only."""
    reports = my_reports(jurisdiction, email)
    follows, alerts = my_follows(jurisdiction, email), my_alerts(jurisdiction, email)
    ids = [r.id for r in reports]
    comments = db.session.scalars(select(ReporterComment).where(ReporterComment.report_id.in_(ids))
                                  .order_by(ReporterComment.id)).all() if ids else []
    answers = db.session.scalars(select(ReportAttributeValue).where(ReportAttributeValue.report_id.in_(ids))
                                 .order_by(ReportAttributeValue.id)).all() if ids else []
    questionnaires = db.session.scalars(select(FixedQuestionnaire).where(FixedQuestionnaire.report_id.in_(ids))
                                        .order_by(FixedQuestionnaire.id)).all() if ids else []
    muted = muted_report_ids(ids + [f.report_id for f in follows], email)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        report_items = []
        for report in reports:
            point = to_shape(report.location)
            photos = []
            for number, photo in enumerate(report.photos, start=1):
                key = photo.variants.get("display") or next(iter(photo.variants.values()), None)
                if key is None:
                    continue
                name = f"fotos/{report.reference}-{number}.jpg"
                archive.writestr(name, storage().get(key))
                photos.append({"datei": name, "veroeffentlicht": photo.published, "aufgenommen": _iso(photo.created_at)})
            report_items.append({
                "aktenzeichen": report.reference,
                "eingegangen": _iso(report.created_at),
                "kategorie": report.category.name,
                "status": report.status,
                "beschreibung": report.description,
                "ort_eingegeben": report.address,
                "ort_oeffentlich": report.public_address,
                "breite": round(point.y, 6), "laenge": round(point.x, 6),
                "name": report.reporter_name,
                "email": report.reporter_email,
                "email_bestaetigt": report.reporter_email_confirmed,
                "telefon": report.reporter_phone,
                "sprache": report.locale,
                "mails_zu_dieser_meldung": report.id not in muted,
                "antworten_auf_zusatzfragen": {a.attribute.code: a.value for a in answers if a.report_id == report.id},
                "ergaenzungen": [{"text": c.body, "am": _iso(c.created_at)} for c in comments if c.report_id == report.id],
                "verlauf": [{"status": h.new_status, "notiz": h.public_note, "am": _iso(h.created_at)}
                            for h in report.history],
                "nachfrage_ist_es_erledigt": [{"antwort": q.answer, "kommentar": q.comment,
                                               "beantwortet": _iso(q.answered_at)}
                                              for q in questionnaires if q.report_id == report.id],
                "fotos": photos,
            })
        data = {
            "erstellt": _iso(utcnow()),
            "stelle": jurisdiction.name,
            "email": email,
            "meldungen": report_items,
            "gefolgte_meldungen": [{"aktenzeichen": f.report.reference, "seit": _iso(f.created_at),
                                    "bestaetigt": _iso(f.confirmed_at), "sprache": f.locale,
                                    "mails": f.report_id not in muted} for f in follows],
            "benachrichtigungen_fuer_gebiete": [{
                "ortsteil": s.area.name if s.area else None, "adresse": s.address, "radius_m": s.radius_m,
                "neue_meldungen": s.notify_new, "erledigte_meldungen": s.notify_fixed,
                "kategorien": list(s.category_ids or []), "seit": _iso(s.created_at),
                "bestaetigt": _iso(s.confirmed_at), "sprache": s.locale} for s in alerts],
        }
        archive.writestr("daten.json", json.dumps(data, ensure_ascii=False, indent=2))
    audit.record("citizen_export", jurisdiction_id=jurisdiction.id, actor=AUDIT_ACTOR,
                 changes={"reports": len(reports), "follows": len(follows), "alerts": len(alerts)})
    return buffer.getvalue()


def erase_contact_data(jurisdiction: Jurisdiction, email: str, confirmed: bool) -> int:
    """Remove the address's contact data from all its reports (flushes); the reports stay,
    anonymised as retention does after closing: e-mail, name, phone, tracking link, the
    reporter's remarks, Open311 device ids, the comment of a questionnaire answer (and its copy
    in the history's internal note). Follows and
    area alerts of the address end (their address is erased with them). Each report gets an
    audit entry without the address. Returns the number of reports.

    Raises ``DomainError`` unless ``confirmed`` (the form's checkbox, never preselected).
    """
    if not confirmed:
        raise DomainError(_l("Bitte bestätigen Sie, dass Ihre Kontaktdaten gelöscht werden sollen."), "confirm")
    reports = my_reports(jurisdiction, email)
    ids = [r.id for r in reports]
    if ids:
        db.session.execute(update(Report).where(Report.id.in_(ids)).values(**PERSONAL_COLUMNS)
                           .execution_options(synchronize_session="fetch"))
        db.session.execute(delete(ReporterComment).where(ReporterComment.report_id.in_(ids)))
        db.session.execute(update(Open311Submission).where(Open311Submission.report_id.in_(ids))
                           .values(device_id=None, account_id=None))
        db.session.execute(update(FixedQuestionnaire).where(FixedQuestionnaire.report_id.in_(ids))
                           .values(comment=""))
        # the copy of a "Nein" comment in the history (app/feedback: actor "citizen")
        db.session.execute(update(StatusChange).where(StatusChange.report_id.in_(ids), StatusChange.actor == "citizen")
                           .values(internal_note=""))
    for follower in my_follows(jurisdiction, email):
        _end_follow(follower)
    for subscription in my_alerts(jurisdiction, email):
        _end_alert(subscription)
    for report in reports:
        audit.record("citizen_erasure", report=report, actor=AUDIT_ACTOR,
                     changes={"erased": sorted(PERSONAL_COLUMNS) + ["reporter_comments"]})
    db.session.flush()
    return len(reports)
