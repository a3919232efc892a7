"""Field mode ("Unterwegs", issue 19 point 5): the clerk's tasks on a phone.

The tasks are the open reports given to the clerk or one of the clerk's teams ("Meine
Aufgaben"), nearest first when the phone knows where it is (or the clerk typed a place), else
the most urgent first. A task is closed on site with a note and an "after" photo; the phone
sends that change with an idempotency key, possibly much later and more than once (it queues
changes made without signal), and ``close_task`` does the work only the first time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort
from flask_babel import lazy_gettext as _l
from geoalchemy2 import Geography
from sqlalchemy import cast, func, select

from app.db import db, utcnow
from app.errors import DomainError
from app.jurisdictions.models import Category
from app.reports.models import Report
from app.reports.operations import MAX_NOTE
from app.reports.photos import attach_photos, process_uploads
from app.reports.status import OPEN_STATUSES, STATUSES
from app.staff.access import can_edit_report
from app.staff.assignments import assigned_to_me
from app.staff.models import FieldUpdate, StaffUser
from app.staff.operations import set_status
from app.validation import check_length, clean_text
from geo.geocoding import search_addresses

TASK_LIMIT = 200  # a crew's open work fits; the list is for a day out, not the archive
MAX_AFTER_PHOTOS = 3
DONE = "erledigt"


@dataclass
class Position:
    lat: float
    lon: float
    label: str  # "" for the phone's own position


@dataclass
class Task:
    id: int
    reference: str
    category: str
    status: str
    place: str
    lat: float
    lon: float
    priority: int
    due: datetime
    distance_m: float | None

    @property
    def overdue(self) -> bool:
        return self.due < utcnow()

    @property
    def geo_uri(self) -> str:
        return geo_uri(self.lat, self.lon, self.reference)


def geo_uri(lat: float, lon: float, label: str) -> str:
    """RFC 5870 ``geo:`` URI: the phone offers its navigation apps. ``?q=`` puts a pin there
    (Android's maps read it; the coordinates alone would only centre the map)."""
    return f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({label})"


def parse_position(lat: str | None, lon: str | None) -> Position | None:
    """The phone's position from the query string, or None when absent or not a number on earth."""
    try:
        la, lo = float((lat or "").replace(",", ".")), float((lon or "").replace(",", "."))
    except ValueError:
        return None
    if not (-90 <= la <= 90 and -180 <= lo <= 180) or la != la or lo != lo:
        return None
    return Position(la, lo, "")


def place_position(user: StaffUser, query: str) -> Position:
    """A typed place ("Münsterstraße 5") of the clerk's town; raises ``DomainError`` when unknown."""
    query = clean_text(query).strip()[:200]
    found = search_addresses(db.session, user.jurisdiction_id, query, limit=1) if query else []
    if not found:
        raise DomainError(_l("Den Ort „%(query)s“ kennen wir in der Stadt nicht. Bitte Straße und Hausnummer "
                             "eingeben.", query=query[:80]), "ort", status=400)
    return Position(float(found[0].lat), float(found[0].lon), found[0].label)


def my_tasks(user: StaffUser, position: Position | None) -> list[Task]:
    """The open reports given to the user or the user's teams: nearest first from ``position``,
    else the highest priority, then the earliest expected completion."""
    due = Report.created_at + func.make_interval(0, 0, 0, Category.target_days)
    columns = [Report.id, Report.reference, Category.name.label("category"), Report.status,
               func.coalesce(Report.address, Report.public_address, "").label("place"),
               func.ST_Y(Report.location).label("lat"), func.ST_X(Report.location).label("lon"),
               Report.priority, due.label("due")]
    if position is not None:
        here = cast(func.ST_SetSRID(func.ST_MakePoint(position.lon, position.lat), 4326), Geography)
        distance = func.ST_Distance(cast(Report.location, Geography), here)
        columns.append(distance.label("distance_m"))
        order = [distance, Report.id]
    else:
        order = [Report.priority.desc(), due, Report.id]
    query = (select(*columns).join(Category, Category.id == Report.category_id)
             .where(Report.jurisdiction_id == user.jurisdiction_id, Report.status.in_(OPEN_STATUSES),
                    assigned_to_me(user))
             .order_by(*order).limit(TASK_LIMIT))
    return [Task(r.id, r.reference, r.category, r.status, r.place, float(r.lat), float(r.lon), r.priority, r.due,
                 float(r.distance_m) if position is not None else None)
            for r in db.session.execute(query)]


def close_task(user: StaffUser, report: Report, key: str, note: str, photos: list[bytes],
               publish_photos: bool) -> tuple[dict, bool]:
    """Set the task "erledigt" with a public note and "after" photos, once per idempotency key.

    Returns (outcome, first): the outcome is stored with the key, so a repeat of the same
    change gets the same answer and changes nothing (``first`` False). Photos go through
    ``media`` like every photo (metadata stripped). Flushes; raises ``DomainError`` when the
    report is no longer open or the note or photos are refused (nothing is stored then).
    """
    earlier = db.session.get(FieldUpdate, (user.id, key))
    if earlier is not None:
        if earlier.report_id != report.id:
            raise DomainError(_l("Dieser Schlüssel gehört zu einer anderen Meldung."), "idempotency_key", status=409)
        return earlier.outcome, False
    if not can_edit_report(user, report):
        abort(403)
    if report.status not in OPEN_STATUSES:
        raise DomainError(_l("Die Meldung %(ref)s ist schon abgeschlossen (%(status)s).", ref=report.reference,
                             status=STATUSES[report.status].label("de")), "status", status=409)
    note = clean_text(note).strip()
    if not note:
        raise DomainError(_l("Bitte schreiben Sie eine kurze Notiz, was erledigt wurde."), "note")
    check_length(note, MAX_NOTE, _l("Die Notiz"), "note")
    if len(photos) > MAX_AFTER_PHOTOS:
        raise DomainError(_l("Höchstens %(n)s Fotos.", n=MAX_AFTER_PHOTOS), "photos")
    stored = attach_photos(report, process_uploads(photos), published=publish_photos)
    for photo in stored:
        photo.after_fix = True
    extra = {"after_photos": len(stored)} if stored else {}
    set_status(user, report, DONE, public_note=note, extra_changes={**extra, "field": True})
    outcome = {"reference": report.reference, "status": DONE, "photos": len(stored)}
    db.session.add(FieldUpdate(staff_user_id=user.id, idempotency_key=key, report_id=report.id,
                               received_at=utcnow(), outcome=outcome))
    db.session.flush()
    return outcome, True


def earlier_outcome(user: StaffUser, key: str) -> dict | None:
    """The stored outcome of a change sent before with this key (after a lost race)."""
    row = db.session.get(FieldUpdate, (user.id, key))
    return row.outcome if row is not None else None


def default_note(report: Report) -> str:
    """The suggested note: the category's (or the town's) first Textbaustein for "erledigt",
    else a plain sentence. The clerk may change it before sending."""
    from app.staff.operations import templates_for

    for template in templates_for(report):
        if template.status == DONE:
            return template.body
    return str(_l("Der Mangel wurde behoben. Vielen Dank für Ihre Meldung."))


def distance_label(metres: float | None) -> str:
    """ "80 m", "1,2 km" in the reader's number format."""
    from flask_babel import format_decimal

    if metres is None:
        return ""
    if metres < 1000:
        return f"{format_decimal(round(metres / 10) * 10)} m"
    return f"{format_decimal(round(metres / 1000, 1))} km"

