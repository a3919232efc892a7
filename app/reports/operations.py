"""What can happen to a report. Operations flush; the request or job commits."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from app.branding import short_town_name
from app.db import db, utcnow
from app.i18n import supported_locale
from app.jurisdictions.limits import town_limits
from app.errors import DomainError, NotFound, ValidationFailed
from app.jurisdictions.models import Area, Category, Jurisdiction
from app.jurisdictions.queries import hosted_neighbour_at, this_town_id
from app.outbox.operations import record_message
from app.outbox.recipients import may_mail
from app.reports.models import ReferenceCounter, Report, StatusChange
from app.reports.photos import attach_photos, process_uploads
from app.reports.questions import parse_attributes, store_answers
from app.reports.status import STATUSES
from app.validation import length_errors, normalize_email, too_long
from app.reports.tokens import email_matches, new_tracking_token, read_confirm_email_token
from geo.geocoding import reverse_geocode, search_addresses
from geo.routing import NoRoutingRule, OutsideJurisdiction, route_point

MAX_DESCRIPTION = 5000
MAX_NOTE = 5000
MAX_ADDRESS = 300
MAX_NAME = 200


@dataclass
class ReportInput:
    category_code: str = ""
    description: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    email: str | None = None
    name: str | None = None
    phone: str | None = None  # only staff intake asks for it
    channel: str | None = None  # staff intake: see Report.channel
    locale: str = "de"
    idempotency_key: str | None = None
    photos: list[bytes] = field(default_factory=list)
    # Answers to the category's extra questions: question code -> the values sent for it.
    answers: dict[str, list[str]] = field(default_factory=dict)
    # The address this request has proven (signed in to Meine Meldungen with it): a report
    # with that address needs no double opt-in.
    verified_email: str | None = None
    checked_answers: list = field(default_factory=list)  # set by validate_report_input


IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9._:-]{8,100}$")


def clean_idempotency_key(raw: str | None) -> str | None:
    """The key if it has the expected shape (8–100 of ``A-Z a-z 0-9 . _ : -``), else None."""
    key = (raw or "").strip()
    return key if IDEMPOTENCY_KEY_RE.match(key) else None


def parse_coordinate(raw: str | None, low: float, high: float) -> float | None:
    """A decimal degree from a form field ('51,96' or '51.96'), or None if unusable."""
    if raw is None or not str(raw).strip():
        return None
    try:
        value = float(str(raw).strip().replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) and low <= value <= high else None


def find_duplicate_submission(jurisdiction: Jurisdiction, key: str | None) -> Report | None:
    if not key:
        return None
    return db.session.scalar(select(Report).where(Report.jurisdiction_id == jurisdiction.id,
                                                  Report.idempotency_key == key))


def next_reference(jurisdiction: Jurisdiction, now: datetime) -> str:
    """``HW-2026-000123``; the counter row stays locked until the transaction ends,
    so concurrent submissions get consecutive numbers without gaps from races."""
    number = db.session.scalar(
        insert(ReferenceCounter)
        .values(jurisdiction_id=jurisdiction.id, year=now.year, last_number=1)
        .on_conflict_do_update(index_elements=["jurisdiction_id", "year"],
                               set_={"last_number": ReferenceCounter.last_number + 1})
        .returning(ReferenceCounter.last_number)
    )
    return f"{jurisdiction.reference_prefix}-{now.year}-{number:06d}"


def too_many_photos(allowed: int):
    """The refusal of more photos than the town takes with one report (its limit, app/jurisdictions/limits.py)."""
    return _l("Höchstens ein Foto pro Meldung.") if allowed == 1 else _l("Höchstens %(n)s Fotos pro Meldung.", n=allowed)


def validate_report_input(jurisdiction: Jurisdiction, data: ReportInput) -> Category:
    """Check every field and raise ``ValidationFailed`` listing all problems at once."""
    errors: list[DomainError] = []
    category = None
    if not data.category_code:
        errors.append(DomainError(_l("Bitte wählen Sie eine Kategorie."), "category"))
    else:
        category = db.session.scalar(select(Category).where(
            Category.jurisdiction_id == jurisdiction.id, Category.code == data.category_code, Category.active))
        if category is None:
            errors.append(DomainError(_l("Diese Kategorie gibt es nicht."), "category"))
        elif category.stop_notice:
            # The category's stop notice ends the form ("Gasgeruch? Rufen Sie sofort 112 an.").
            raise ValidationFailed([DomainError(category.stop_notice, "category", code="stop_notice")])
        else:
            try:
                data.checked_answers = parse_attributes(category, data.answers, data.locale)
            except ValidationFailed as exc:
                errors += exc.errors
    description = data.description.strip()
    if len(description) < 3:
        errors.append(DomainError(_l("Bitte beschreiben Sie den Mangel in wenigen Worten."), "description"))
    elif len(description) > MAX_DESCRIPTION:
        errors.append(too_long(_l("Die Beschreibung"), MAX_DESCRIPTION, "description"))
    if (data.lat is None or data.lon is None) and not (data.address or "").strip():
        errors.append(DomainError(_l("Bitte geben Sie den Ort an: eine Adresse oder Breite und Länge in Grad, "
                                     "z. B. 51,962 und 8,229."), "location"))
    elif data.address:
        errors += length_errors([(data.address, MAX_ADDRESS, _l("Die Adresse"), "address")])
    if data.email:
        try:
            data.email = normalize_email(data.email)
        except DomainError as error:
            errors.append(error)
    errors += length_errors([(data.name, MAX_NAME, _l("Der Name"), "name")])
    allowed = town_limits(jurisdiction.profile, current_app.config).photos_per_report
    if len(data.photos) > allowed:
        errors.append(DomainError(too_many_photos(allowed), "photos", code="too_many_photos"))
    if errors:
        raise ValidationFailed(errors)
    assert category is not None
    return category


def resolve_location(jurisdiction: Jurisdiction, data: ReportInput) -> None:
    """Without coordinates, find the typed address in the town (the no-JavaScript path).

    Sets ``data.lat``/``data.lon`` (and the address to the found label). Raises
    ``ValidationFailed`` naming the address field when nothing matches, or the
    location when no geocoder is available.
    """
    if data.lat is not None and data.lon is not None:
        return
    query = (data.address or "").strip()
    results = search_addresses(db.session, jurisdiction.id, query, limit=1) if query else []
    if not results:
        raise ValidationFailed([DomainError(
            _l("Die Adresse „%(query)s“ haben wir in %(town)s nicht gefunden. Bitte prüfen Sie die Schreibweise "
               "(Straße und Hausnummer) oder geben Sie Breite und Länge an.", query=query[:80],
               town=short_town_name(jurisdiction.name)),
            "address", code="address_not_found")])
    best = results[0]
    data.lat, data.lon = float(best.lat), float(best.lon)
    data.address = best.label


# The public sees the nearest known address to the pin as the report's place, never the typed
# "Adresse oder Ortsbeschreibung": residents write "vor dem Haus von Familie Müller", and what
# they type goes public only as staff publish it (like the description).
PUBLIC_ADDRESS_RADIUS_M = 100


def approximate_address(jurisdiction_id: int, lon: float, lat: float) -> str | None:
    """The label of the nearest address within ``PUBLIC_ADDRESS_RADIUS_M`` of the pin; away from
    houses the Ortsteil the pin lies in; else None."""
    found = reverse_geocode(db.session, jurisdiction_id, lon, lat, max_distance_m=PUBLIC_ADDRESS_RADIUS_M)
    if found is not None:
        return found.label[:300]
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    return db.session.scalar(select(Area.name).where(
        Area.jurisdiction_id == jurisdiction_id, Area.kind == "ortsteil", func.ST_Covers(Area.geom, point))
        .order_by(Area.area_m2, Area.id).limit(1))


class BelongsToNeighbour(DomainError):
    """The pin lies in another town of this installation (issue 21): "Dieser Ort gehört zu B —
    dort melden", with ``url`` to B's report form carrying the place and the description over
    (never contact data: an address in a link ends up in logs)."""

    code = "other_jurisdiction"

    def __init__(self, neighbour: Jurisdiction, data: ReportInput):
        from app.towncontext import using_town
        from app.urls import absolute_url

        super().__init__(_l("Dieser Ort gehört zu %(town)s – bitte melden Sie ihn dort.", town=neighbour.name),
                         "location", code=self.code)
        self.town_name, self.slug = neighbour.name, neighbour.slug
        carried = {"lat": f"{data.lat:.6f}", "lon": f"{data.lon:.6f}", "description": data.description.strip()[:2000],
                   "address": (data.address or "").strip()[:300]}
        with using_town(neighbour.id):
            self.url = absolute_url("reports.new_report", **{k: v for k, v in carried.items() if v})

    def as_dict(self) -> dict:
        # API clients get B's id and form address besides the message (Open311: a 400 naming B).
        return super().as_dict() | {"jurisdiction_id": self.slug, "url": self.url}


def create_report(jurisdiction: Jurisdiction, data: ReportInput) -> Report:
    """Validate, route in PostGIS, store photos and record the report (flushes).

    Raises ``ValidationFailed`` for bad fields (a pin outside the town and a
    refused photo are among them). Stored photo files are removed again if the
    transaction rolls back, so nothing half-stored remains.
    """
    category = validate_report_input(jurisdiction, data)
    resolve_location(jurisdiction, data)
    processed = process_uploads(data.photos, town_limits(jurisdiction.profile, current_app.config).photo_bytes)
    try:
        decision = route_point(db.session, jurisdiction.id, category.id, data.lon, data.lat,
                               category_name=category.name)
    except OutsideJurisdiction:
        neighbour = hosted_neighbour_at(data.lon, data.lat, jurisdiction.id)
        if neighbour is not None:
            raise ValidationFailed([BelongsToNeighbour(neighbour, data)]) from None
        raise ValidationFailed([DomainError(
            _l("Dieser Ort liegt außerhalb des Stadtgebiets (%(town)s). Bitte setzen Sie die Markierung innerhalb des Stadtgebiets.",
               town=jurisdiction.name), "location", code="outside_jurisdiction")])
    except NoRoutingRule:
        raise DomainError(_l("Für diese Kategorie ist an diesem Ort niemand zuständig. Bitte wählen Sie „Sonstiges“."),
                          "category", code="no_route")
    now = utcnow()
    report = Report(
        jurisdiction=jurisdiction,
        reference=next_reference(jurisdiction, now),
        tracking_token=new_tracking_token(),
        idempotency_key=data.idempotency_key or None,
        category=category,
        department_id=decision.department_id,
        routing_rule_id=decision.rule_id,
        routing_explanation=decision.explanation,
        area_id=decision.area_id,
        location=from_shape(Point(data.lon, data.lat), srid=4326),
        address=(data.address or "").strip()[:300] or None,
        public_address=approximate_address(jurisdiction.id, data.lon, data.lat),
        description=data.description.strip(),
        description_published=category.publish_immediately,
        reporter_email=(data.email or "").strip().lower() or None,
        reporter_name=(data.name or "").strip() or None,
        reporter_phone=(data.phone or "").strip() or None,
        channel=data.channel,
        locale=supported_locale(data.locale),
        status="eingegangen",
        created_at=now,
        status_changed_at=now,
    )
    report.reporter_email_confirmed = bool(report.reporter_email and data.verified_email
                                           and data.verified_email.lower() == report.reporter_email)
    db.session.add(report)
    report.history.append(StatusChange(old_status=None, new_status="eingegangen", actor="citizen", created_at=now))
    db.session.flush()
    store_answers(report, data.checked_answers)
    if processed:
        attach_photos(report, processed, published=category.publish_immediately)
    if report.reporter_email and not report.reporter_email_confirmed and may_mail(report.reporter_email):
        # the reporter sees the same page either way
        record_message("confirm_email", f"confirm_email:{report.id}", {"report_id": report.id},
                       jurisdiction_id=jurisdiction.id)
    record_message("new_report", f"new_report:{report.id}:{report.department_id}", {"report_id": report.id},
                   jurisdiction_id=jurisdiction.id)
    return report


def report_to_confirm(token: str) -> Report:
    """The report whose reporter a confirmation link is for, changing nothing; raises
    ``NotFound`` for a bad or expired link."""
    parsed = read_confirm_email_token(token)
    report = db.session.get(Report, parsed[0]) if parsed else None
    if report is None or not email_matches(report, parsed[1]) or report.jurisdiction_id != this_town_id():
        raise NotFound(_l("Dieser Bestätigungslink ist ungültig oder abgelaufen."))
    return report


def confirm_reporter_email(token: str) -> Report:
    """Mark the reporter's address as confirmed (double opt-in); idempotent."""
    report = report_to_confirm(token)
    report.reporter_email_confirmed = True
    db.session.flush()
    return report


def change_status(report: Report, new_status: str, *, public_note: str = "", internal_note: str = "",
                  detail: str = "", duplicate_of: Report | None = None, actor: str) -> StatusChange:
    """Record a status change (with an optional public note) and queue the reporter's mail.

    Raises ``DomainError`` when the status is unknown or lacks what it requires
    (the outside body for ``nicht_zustaendig``, a reason for ``abgelehnt``, the
    original for ``duplikat``).
    """
    status = STATUSES.get(new_status)
    if status is None:
        raise DomainError(_l("Diesen Status gibt es nicht."), "status")
    public_note, detail = public_note.strip(), detail.strip()
    if len(public_note) > MAX_NOTE or len(internal_note) > MAX_NOTE:
        raise too_long(_l("Die Notiz"), MAX_NOTE, "public_note")
    if status.requires == "external_body" and not detail:
        raise DomainError(_l("Bitte nennen Sie die zuständige Stelle."), "detail")
    if status.requires == "reason" and not detail:
        raise DomainError(_l("Bitte geben Sie einen Grund für die Ablehnung an."), "detail")
    if status.requires == "duplicate_of":
        if duplicate_of is None or duplicate_of.id == report.id:
            raise DomainError(_l("Bitte nennen Sie die ursprüngliche Meldung."), "duplicate_of")
        report.duplicate_of_id = duplicate_of.id
    if new_status == report.status and not public_note:
        raise DomainError(_l("Die Meldung hat diesen Status bereits."), "status")
    change = StatusChange(report=report, old_status=report.status, new_status=new_status, public_note=public_note,
                          internal_note=internal_note.strip(), detail=detail, actor=actor)
    db.session.add(change)
    if new_status != report.status:
        report.status = new_status
        report.status_changed_at = utcnow()
        report.not_fixed_at = None  # a "Noch nicht behoben" hint is dealt with by acting on the report
    db.session.flush()
    if report.reporter_email and report.reporter_email_confirmed:
        record_message("status_changed", f"status_changed:{change.id}:reporter",
                       {"report_id": report.id, "status_change_id": change.id}, jurisdiction_id=report.jurisdiction_id)
    return change
