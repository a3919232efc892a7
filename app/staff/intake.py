"""Staff intake ("Meldung aufnehmen"): a report taken for someone who phoned, came to the
counter, wrote a letter or an e-mail. It goes through the citizen's ``create_report`` (same
checks, routing, photos, mails: the department's, and the opt-in to the caller's address if one
was given) and records the channel and who took it (audit log)."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.db import db
from app.errors import DomainError
from app.jurisdictions.models import Category
from app.reports.models import CHANNELS, Report
from app.reports.operations import ReportInput, create_report, parse_coordinate
from app.reports.status import OPEN_STATUSES
from app.staff import audit
from app.staff.models import StaffUser
from geo.geocoding import search_addresses
from geo.nearby import NearbyReport, open_reports_nearby

CHANNEL_LABELS = {"telefon": _l("Telefon"), "schalter": _l("Schalter"), "brief": _l("Brief"), "email": _l("E-Mail")}
# Reports without a channel: the citizen's own (web form, app, Open311).
ONLINE_LABEL = _l("Online (selbst gemeldet)")
assert tuple(CHANNEL_LABELS) == CHANNELS


def take_report(user: StaffUser, data: ReportInput) -> Report:
    """Create the report for the caller and audit who took it (flushes).

    Raises ``ValidationFailed``/``DomainError`` like the citizen form, and for an unknown channel.
    """
    if data.channel not in CHANNELS:
        raise DomainError(_l("Bitte wählen Sie, wie die Meldung eingegangen ist."), "channel")
    report = create_report(user.jurisdiction, data)
    audit.record("intake", staff=user, report=report, changes={"channel": data.channel})
    return report


@dataclass(frozen=True)
class Similar:
    report: NearbyReport
    category: Category


def similar_open_reports(user: StaffUser, category_code: str, lat: str, lon: str, address: str,
                         radius_m: float, limit: int = 10) -> list[Similar]:
    """The duplicate hint of the intake page: open reports of the category near the place the
    clerk typed (coordinates, else the best address match), unconfirmed and hidden ones too.
    An unknown category or a place that cannot be found gives no hint, not an error."""
    category = db.session.scalar(select(Category).where(Category.jurisdiction_id == user.jurisdiction_id,
                                                        Category.code == (category_code or "")[:100]))
    if category is None:
        return []
    x, y = parse_coordinate(lon, -180, 180), parse_coordinate(lat, -90, 90)
    point = (x, y) if x is not None and y is not None else None
    if point is None and len(address.strip()) >= 3:
        found = search_addresses(db.session, user.jurisdiction_id, address[:200], limit=1)
        point = (found[0].lon, found[0].lat) if found else None
    if point is None:
        return []
    nearby = open_reports_nearby(db.session, user.jurisdiction_id, point[0], point[1], radius_m=radius_m,
                                 category_id=category.id, limit=limit, statuses=OPEN_STATUSES, include_hidden=True)
    return [Similar(item, category) for item in nearby]
