"""Subscribing to area alerts, confirming, unsubscribing, and finding who to tell.

Operations flush and never commit. Mails are outbox rows written in the same
transaction: ``alert_confirm`` (double opt-in) and ``area_alert`` (one per
subscription and event).
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import func, or_, select, text

from app.alerts.models import AlertSubscription
from app.branding import short_town_name
from app.db import db, utcnow
from app.i18n import supported_locale
from app.errors import DomainError, NotFound, ValidationFailed
from app.jurisdictions.models import Area, Category, Jurisdiction
from app.jurisdictions.queries import this_town_id
from app.outbox.operations import record_message
from app.outbox.recipients import may_mail, recently_mailed
from app.reports.models import Report, StatusChange
from app.validation import clean_text, normalize_email
from geo.geocoding import search_addresses

RADII_M = (100, 250, 500, 1000, 2000)
DEFAULT_RADIUS_M = 500
_COORDINATES_RE = re.compile(r"^\s*(-?\d{1,2}(?:[.,]\d+)?)\s*[;, ]\s*(-?\d{1,3}(?:[.,]\d+)?)\s*$")

EVENT_NEW = "new"
EVENT_FIXED = "fixed"


@dataclass
class AlertInput:
    email: str = ""
    where: str = "ortsteil"  # "ortsteil" | "umkreis"
    ortsteil: str = ""
    address: str = ""
    radius_m: str = str(DEFAULT_RADIUS_M)
    category_codes: list[str] = field(default_factory=list)
    notify_new: bool = True
    notify_fixed: bool = True
    locale: str = "de"


def _locate(jurisdiction: Jurisdiction, query: str) -> tuple[float, float, str] | None:
    """(lon, lat, label) for a typed address, or for typed coordinates ("51.96, 8.23")."""
    match = _COORDINATES_RE.match(query)
    if match:
        lat, lon = (float(v.replace(",", ".")) for v in match.groups())
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            return lon, lat, f"{lat:.5f}, {lon:.5f}"
        return None
    results = search_addresses(db.session, jurisdiction.id, query, limit=1)
    if not results:
        return None
    best = results[0]
    return float(best.lon), float(best.lat), best.label


def _inside_town(jurisdiction: Jurisdiction, lon: float, lat: float) -> bool:
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    return bool(db.session.scalar(select(func.count()).select_from(Area).where(
        Area.jurisdiction_id == jurisdiction.id, Area.kind.in_(("boundary", "ortsteil")),
        func.ST_DWithin(func.Geography(Area.geom), func.Geography(point), 2000))))


def subscribe(jurisdiction: Jurisdiction, data: AlertInput) -> AlertSubscription:
    """Record an unconfirmed subscription and the opt-in mail (flushes).

    Raises ``ValidationFailed`` naming every field that is missing or wrong.
    """
    errors: list[DomainError] = []
    email = clean_text(data.email).strip().lower()
    if not email:
        errors.append(DomainError(_l("Bitte geben Sie Ihre E-Mail-Adresse an."), "email"))
    else:
        try:
            email = normalize_email(email).lower()
        except DomainError as error:
            errors.append(error)
    subscription = AlertSubscription(jurisdiction_id=jurisdiction.id, email=email,
                                     locale=supported_locale(data.locale),
                                     token=secrets.token_urlsafe(32), notify_new=data.notify_new,
                                     notify_fixed=data.notify_fixed, category_ids=[])
    if data.where == "ortsteil":
        area = db.session.scalar(select(Area).where(Area.jurisdiction_id == jurisdiction.id, Area.kind == "ortsteil",
                                                    Area.code == data.ortsteil[:100])) \
            if data.ortsteil and "\x00" not in data.ortsteil else None  # PostgreSQL text cannot hold NUL
        if area is None:
            errors.append(DomainError(_l("Bitte wählen Sie einen Ortsteil aus der Liste."), "ortsteil"))
        else:
            subscription.area_id = area.id
    elif data.where == "umkreis":
        query = clean_text(data.address).strip()[:300]
        if data.radius_m not in {str(r) for r in RADII_M}:  # not isdigit(): it takes "²", which int() refuses
            errors.append(DomainError(_l("Bitte wählen Sie einen Umkreis aus der Liste."), "radius"))
        else:
            subscription.radius_m = int(data.radius_m)
        located = _locate(jurisdiction, query) if query else None
        if not query:
            errors.append(DomainError(_l("Bitte geben Sie eine Adresse in %(town)s an.", town=short_town_name(jurisdiction.name)),
                                      "address"))
        elif located is None or not _inside_town(jurisdiction, located[0], located[1]):
            errors.append(DomainError(_l("Die Adresse „%(q)s“ haben wir in %(town)s nicht gefunden. Sie können auch "
                                         "Breite und Länge angeben, z. B. 51,962; 8,229.", q=query[:80],
                                         town=short_town_name(jurisdiction.name)), "address", code="address_not_found"))
        else:
            lon, lat, label = located
            subscription.center = from_shape(Point(lon, lat), srid=4326)
            subscription.address = label[:300]
    else:
        errors.append(DomainError(_l("Bitte wählen Sie: Ortsteil oder Umkreis um eine Adresse."), "where"))
    codes = [c[:100] for c in data.category_codes if c]
    if codes:
        found = dict(db.session.execute(select(Category.code, Category.id).where(
            Category.jurisdiction_id == jurisdiction.id,
            Category.code.in_([c for c in codes if "\x00" not in c]))).all())
        unknown = [c for c in codes if c not in found]
        if unknown:
            errors.append(DomainError(_l("Unbekannte Kategorie: %(c)s", c=", ".join(unknown)[:100]), "categories"))
        subscription.category_ids = sorted(set(found.values()))
    if not (data.notify_new or data.notify_fixed):
        errors.append(DomainError(_l("Bitte wählen Sie mindestens: neue Meldungen oder erledigte Meldungen."),
                                  "events"))
    if errors:
        raise ValidationFailed(errors)
    existing = same_subscription(subscription)
    if existing is not None:
        return _asked_again(existing, subscription)
    db.session.add(subscription)
    db.session.flush()
    if may_mail(subscription.email):  # the page answers the same either way
        record_message("alert_confirm", f"alert_confirm:{subscription.id}", {"subscription_id": subscription.id},
                       jurisdiction_id=subscription.jurisdiction_id)
    return subscription


def same_subscription(wanted: AlertSubscription) -> AlertSubscription | None:
    """A subscription not cancelled with the same e-mail address, place (Ortsteil, or
    centre and radius) and categories as ``wanted`` (not yet added); a confirmed one first."""
    query = select(AlertSubscription).where(
        AlertSubscription.jurisdiction_id == wanted.jurisdiction_id, AlertSubscription.email == wanted.email,
        AlertSubscription.unsubscribed_at.is_(None), AlertSubscription.category_ids == wanted.category_ids)
    if wanted.area_id is not None:
        query = query.where(AlertSubscription.area_id == wanted.area_id)
    else:
        query = query.where(AlertSubscription.radius_m == wanted.radius_m,
                            func.ST_Equals(AlertSubscription.center, wanted.center))
    return db.session.scalar(query.order_by(AlertSubscription.confirmed_at.is_(None), AlertSubscription.id).limit(1))


def _asked_again(existing: AlertSubscription, wanted: AlertSubscription) -> AlertSubscription:
    """The same alert asked for twice: merged into the one there is, so no report is mailed twice (flushes).

    The answer on the page is the same as for a new subscription: the form must not tell a
    stranger which addresses already get alerts where. The mail tells the address owner.
    Unconfirmed: the latest request's choices replace the earlier ones (nobody confirmed
    those), the retention clock restarts and the opt-in mail is sent again, unless one is
    still on its way. Confirmed: nothing changes without the owner's say; a mail (at most
    one a day) says the alert is active and how to change it.
    """
    now = utcnow()
    if existing.confirmed_at is None:
        existing.notify_new, existing.notify_fixed = wanted.notify_new, wanted.notify_fixed
        existing.locale, existing.address = wanted.locale, wanted.address or existing.address
        existing.created_at = now  # RETENTION_UNCONFIRMED_SUBSCRIPTION_DAYS count from here
        if not recently_mailed("alert_confirm", f"alert_confirm:{existing.id}") and may_mail(existing.email):
            record_message("alert_confirm", f"alert_confirm:{existing.id}:{now:%Y%m%dT%H%M%S%f}",
                           {"subscription_id": existing.id}, jurisdiction_id=existing.jurisdiction_id)
    elif not recently_mailed("alert_active", f"alert_active:{existing.id}:{now:%Y%m%d}") and may_mail(existing.email):
        record_message("alert_active", f"alert_active:{existing.id}:{now:%Y%m%d}", {"subscription_id": existing.id},
                       jurisdiction_id=existing.jurisdiction_id)
    db.session.flush()
    return existing


def subscription_by_token(token: str) -> AlertSubscription:
    subscription = db.session.scalar(select(AlertSubscription).where(
        AlertSubscription.token == token[:64], AlertSubscription.jurisdiction_id == this_town_id())) if token else None
    if subscription is None:
        raise NotFound(_l("Dieser Link ist ungültig oder abgelaufen."))
    return subscription


def subscription_to_confirm(token: str) -> AlertSubscription:
    """The subscription an opt-in link is for, changing nothing. Raises ``NotFound`` for an
    unknown token and ``DomainError`` (410) for a subscription that was already cancelled."""
    subscription = subscription_by_token(token)
    if subscription.unsubscribed_at is not None:
        raise DomainError(_l("Diese Benachrichtigung wurde abbestellt. Bitte melden Sie sich neu an."),
                          code="unsubscribed", status=410)
    return subscription


def confirm(token: str) -> AlertSubscription:
    """Start sending (double opt-in); idempotent. Raises like ``subscription_to_confirm``."""
    subscription = subscription_to_confirm(token)
    if subscription.confirmed_at is None:
        subscription.confirmed_at = utcnow()
        db.session.flush()
    return subscription


# What unsubscribing erases (DSGVO Art. 5(1)(c), (e)): the e-mail address and everything that
# says where the subscriber lives or looks - the typed address, the centre point and radius, the
# Ortsteil - and the categories they cared about. Nothing needs them once nothing is sent. The
# row itself stays (token, town, language, dates, which events): without contact or place it
# identifies no one, and it lets the links in mails already sent answer "unsubscribed" (and the
# one-click POST of RFC 8058 stay idempotent) instead of "invalid link". The retention job
# applies the same to any unsubscribed row that still holds some of it (app/retention/policy.py).
def erased_on_unsubscribe() -> dict[str, object]:
    """Column → erased value (a fresh dict: the empty list must not be shared between rows)."""
    return {"email": "", "address": None, "center": None, "radius_m": None, "area_id": None, "category_ids": []}


def unsubscribe(token: str) -> AlertSubscription:
    """Stop sending and erase the subscriber's contact and place at once (flushes);
    idempotent. Raises ``NotFound`` for an unknown token."""
    subscription = subscription_by_token(token)
    if subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = utcnow()
    for column, erased in erased_on_unsubscribe().items():
        setattr(subscription, column, erased)
    db.session.flush()
    return subscription


# One subscription per e-mail address (its oldest): someone with two subscriptions that both
# match - the same alert asked for twice before subscribe() merged such requests, or an
# Ortsteil and a radius around a house in it - gets one mail about the report, not two.
_MATCHING = text("""
    SELECT id FROM (
        SELECT DISTINCT ON (s.email) s.id
        FROM reports r
        JOIN alert_subscriptions s ON s.jurisdiction_id = r.jurisdiction_id
        LEFT JOIN areas a ON a.id = s.area_id
        WHERE r.id = :report_id
          AND s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL
          AND (CASE WHEN :event = 'new' THEN s.notify_new ELSE s.notify_fixed END)
          AND (cardinality(s.category_ids) = 0 OR r.category_id = ANY (s.category_ids))
          AND ((s.area_id IS NOT NULL AND ST_Covers(a.geom, r.location))
               OR (s.center IS NOT NULL AND ST_DWithin(s.center::geography, r.location::geography, s.radius_m)))
        ORDER BY s.email, s.id
    ) one_per_address
    ORDER BY id
""")


def matching_subscription_ids(report: Report, event: str) -> list[int]:
    """The subscriptions to alert about ``report``: at most one per e-mail address."""
    return list(db.session.scalars(_MATCHING, {"event": event, "report_id": report.id}))


def event_of(change: StatusChange) -> str | None:
    """Which alert a history entry causes: a report becoming public is new, one
    becoming ``erledigt`` is fixed; everything else causes none."""
    from app.reports.status import STATUSES

    new = STATUSES.get(change.new_status)
    old = STATUSES.get(change.old_status) if change.old_status else None
    if new is None or not new.public:
        return None
    if old is None or not old.public:
        return EVENT_NEW
    if change.new_status == "erledigt" and change.old_status != "erledigt":
        return EVENT_FIXED
    return None


def record_alerts(change: StatusChange) -> int:
    """Record one ``area_alert`` mail per matching subscription (flushes); returns how many."""
    event = event_of(change)
    report = change.report
    if event is None or report is None or report.hidden:
        return 0
    count = 0
    for subscription_id in matching_subscription_ids(report, event):
        record_message("area_alert", f"area_alert:{subscription_id}:{change.id}",
                       {"subscription_id": subscription_id, "status_change_id": change.id, "event": event},
                       jurisdiction_id=report.jurisdiction_id)
        count += 1
    return count
