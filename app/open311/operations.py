"""What Open311 clients can change: post a request, push a status update.

Both go through the same operations as the web form and the staff pages
(``create_report``, ``change_status``), so validation, routing, photo cleaning and
the outbox are shared. Operations flush; the view commits.
"""
from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.db import db
from app.errors import DomainError, NotFound, ValidationFailed
from app.jurisdictions.models import Category, Jurisdiction
from app.open311.models import ApiClient, Open311Submission, ReportAttributeValue, ServiceAttribute, UpdateReceipt
from app.reports.models import Report, StatusChange
from app.reports.operations import ReportInput, change_status, create_report
from app.validation import check_length, clean_text, length_errors
from app.reports.status import STATUSES
from geo.geocoding import address_by_id

MAX_PHONE = 50
MAX_ATTRIBUTE_TEXT = 2000

# Extended (mySociety) statuses a back-office system may push -> the German status.
INCOMING_STATUSES = {
    "OPEN": "eingegangen",
    "INVESTIGATING": "in_pruefung",
    "INTERNAL_REFERRAL": "in_pruefung",
    "IN_PROGRESS": "in_bearbeitung",
    "ACTION_SCHEDULED": "in_bearbeitung",
    "FIXED": "erledigt",
    "CLOSED": "erledigt",
    "DUPLICATE": "duplikat",
    "NOT_COUNCILS_RESPONSIBILITY": "nicht_zustaendig",
    "NO_FURTHER_ACTION": "abgelehnt",
}


@dataclass
class RequestInput:
    """A POST requests call, already read from the form (strings as sent)."""

    service_code: str = ""
    description: str = ""
    lat: str | None = None
    long: str | None = None
    address_string: str | None = None
    address_id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    locale: str = "de"
    attributes: dict[str, list[str]] = field(default_factory=dict)
    photos: list[bytes] = field(default_factory=list)


def _coordinate(raw: str | None, low: float, high: float, name: str) -> float | None:
    if raw is None or not raw.strip():
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise DomainError(_l("%(name)s muss eine Zahl zwischen %(low)s und %(high)s sein (Grad, WGS 84).",
                             name=name, low=low, high=high), name)
    return value


def _address_by_id(jurisdiction: Jurisdiction, raw: str) -> tuple[float, float, str]:
    """Coordinates and label of an entry of the town's address table (``address_id``)."""
    address = None
    if raw.strip().isdigit() and len(raw.strip()) < 18:
        address = address_by_id(db.session, jurisdiction.id, int(raw.strip()))
    if address is None:
        raise DomainError(_l("Die Adresse mit der address_id „%(id)s“ gibt es nicht.", id=raw[:40]), "address_id")
    return float(address.lon), float(address.lat), address.label


def _parse_attribute(attribute: ServiceAttribute, raw: list[str], locale: str):
    """The stored value of one answer, or a DomainError naming the attribute."""
    name = f"attribute[{attribute.code}]"
    keys = {str(v.get("key")) for v in attribute.values or []}
    if attribute.datatype == "multivaluelist":
        chosen = [v for v in raw if v != ""]
        if any(v not in keys for v in chosen):
            raise DomainError(_l("%(name)s: unbekannter Wert. Erlaubt sind: %(keys)s.", name=name,
                                 keys=", ".join(sorted(keys))), name)
        return chosen
    value = raw[-1].strip() if raw else ""
    if attribute.datatype == "singlevaluelist":
        if value not in keys:
            raise DomainError(_l("%(name)s: unbekannter Wert. Erlaubt sind: %(keys)s.", name=name,
                                 keys=", ".join(sorted(keys))), name)
        return value
    if attribute.datatype == "number":
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise DomainError(_l("%(name)s muss eine Zahl sein.", name=name), name)
        return number
    if attribute.datatype == "datetime":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise DomainError(_l("%(name)s muss ein Datum im W3C-Format sein, z. B. 2026-05-04T10:00:00+02:00.",
                                 name=name), name)
        return value
    value = clean_text(value)
    check_length(value, MAX_ATTRIBUTE_TEXT, name, name)
    return value


def category_attributes(category: Category) -> list[ServiceAttribute]:
    return list(db.session.scalars(select(ServiceAttribute).where(ServiceAttribute.category_id == category.id)
                                   .order_by(ServiceAttribute.order, ServiceAttribute.id)))


def parse_attributes(category: Category | None, answers: dict[str, list[str]],
                     locale: str) -> list[tuple[ServiceAttribute, object]]:
    """Check the answers against the category's attributes; raises ``ValidationFailed`` with every problem."""
    if category is None:
        return []
    errors: list[DomainError] = []
    parsed = []
    for attribute in category_attributes(category):
        if not attribute.variable:
            continue
        raw = answers.get(attribute.code)
        if not raw or all(v.strip() == "" for v in raw):
            if attribute.required:
                errors.append(DomainError(_l("attribute[%(code)s] fehlt: %(question)s", code=attribute.code,
                                             question=attribute.label(locale)), f"attribute[{attribute.code}]"))
            continue
        try:
            parsed.append((attribute, _parse_attribute(attribute, raw, locale)))
        except DomainError as exc:
            errors.append(exc)
    if errors:
        raise ValidationFailed(errors)
    return parsed


def submit_request(jurisdiction: Jurisdiction, client: ApiClient, data: RequestInput) -> tuple[Report, Open311Submission]:
    """Create a report from an Open311 POST (flushes).

    Location from ``lat``/``long``, else ``address_id``, else ``address_string``
    (geocoded like the web form's address field). Raises ``ValidationFailed`` or
    ``DomainError`` for anything the web form would refuse, plus bad attributes.
    """
    errors: list[DomainError] = []
    lat = lon = None
    try:
        lat = _coordinate(data.lat, -90, 90, "lat")
        lon = _coordinate(data.long, -180, 180, "long")
    except DomainError as exc:
        errors.append(exc)
    address = clean_text(data.address_string).strip() or None
    if (lat is None) != (lon is None) and not errors:
        errors.append(DomainError(_l("lat und long müssen zusammen angegeben werden."), "location"))
        lat = lon = None
    if lat is None and (data.address_id or "").strip() and not errors:
        try:
            lon, lat, address = _address_by_id(jurisdiction, data.address_id)
        except DomainError as exc:
            errors.append(exc)
    phone = clean_text(data.phone).strip() or None
    errors += length_errors([(phone, MAX_PHONE, _l("Die Telefonnummer"), "phone")])
    category = db.session.scalar(select(Category).where(
        Category.jurisdiction_id == jurisdiction.id, Category.code == data.service_code, Category.active))
    try:
        answers = parse_attributes(category, data.attributes, data.locale)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        answers = []
    if errors:
        raise ValidationFailed(errors)
    name = " ".join(p for p in (clean_text(data.first_name).strip(), clean_text(data.last_name).strip()) if p)
    report = create_report(jurisdiction, ReportInput(
        category_code=data.service_code, description=clean_text(data.description), lat=lat, lon=lon,
        address=address, email=(data.email or "").strip() or None, name=name or None, locale=data.locale,
        photos=data.photos,
    ))
    report.reporter_phone = phone
    for attribute, value in answers:
        db.session.add(ReportAttributeValue(report_id=report.id, attribute_id=attribute.id, value=value))
    submission = Open311Submission(report_id=report.id, api_client_id=client.id, token=secrets.token_urlsafe(16),
                                   device_id=(data.device_id or "")[:200] or None,
                                   account_id=(data.account_id or "")[:200] or None)
    db.session.add(submission)
    db.session.flush()
    return report, submission


@dataclass
class UpdateInput:
    service_request_id: str = ""
    status: str = ""
    description: str = ""
    update_id: str | None = None
    external_body: str | None = None
    reason: str | None = None
    duplicate_of: str | None = None


def incoming_status(raw: str) -> str | None:
    """The German status for an extended Open311 status (or a German code itself)."""
    value = (raw or "").strip()
    if value.upper() in INCOMING_STATUSES:
        return INCOMING_STATUSES[value.upper()]
    if value in STATUSES and STATUSES[value].public:
        return value
    return None


def push_update(jurisdiction: Jurisdiction, client: ApiClient, data: UpdateInput) -> StatusChange:
    """Apply a back-office system's status change with its note (flushes).

    Goes through ``change_status``, so the reporter hears of it by mail like of a
    staff change. A retry with the same ``update_id`` returns the first change.
    Raises ``NotFound`` for an unknown request and ``DomainError`` for a bad status.
    """
    external_id = (data.update_id or "").strip()[:200] or None
    if external_id:
        receipt = db.session.scalar(select(UpdateReceipt).where(UpdateReceipt.api_client_id == client.id,
                                                                UpdateReceipt.external_id == external_id))
        if receipt is not None:
            return db.session.get(StatusChange, receipt.status_change_id)
    reference = (data.service_request_id or "").strip()
    if not reference:
        raise DomainError(_l("service_request_id fehlt."), "service_request_id")
    report = db.session.scalar(select(Report).where(Report.jurisdiction_id == jurisdiction.id,
                                                    Report.reference == reference[:32]))
    if report is None:
        raise NotFound(_l("Die Meldung „%(id)s“ gibt es nicht.", id=reference[:40]), "service_request_id")
    new_status = incoming_status(data.status)
    if new_status is None:
        raise DomainError(_l("Unbekannter Status „%(status)s“. Erlaubt sind: %(allowed)s.", status=data.status[:40],
                             allowed=", ".join(INCOMING_STATUSES)), "status")
    note = clean_text(data.description).strip()
    detail = ""
    if STATUSES[new_status].requires == "external_body":
        detail = clean_text(data.external_body).strip() or note
    elif STATUSES[new_status].requires == "reason":
        detail = clean_text(data.reason).strip() or note
    duplicate_of = None
    if STATUSES[new_status].requires == "duplicate_of" and data.duplicate_of:
        duplicate_of = db.session.scalar(select(Report).where(Report.jurisdiction_id == jurisdiction.id,
                                                              Report.reference == data.duplicate_of.strip()[:32]))
    change = change_status(report, new_status, public_note=note, detail=detail, duplicate_of=duplicate_of,
                           actor=f"open311:{client.name}"[:200])
    if external_id:
        db.session.add(UpdateReceipt(api_client_id=client.id, external_id=external_id, status_change_id=change.id))
        db.session.flush()
    return change
