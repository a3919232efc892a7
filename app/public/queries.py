"""What the public may see of reports, and the filters of the map, the list and the feeds.

Public means: not hidden, in a public status. Descriptions and photos are only
shown once published (``Report.shown_description``, ``Photo.published``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from app.db import db, utcnow
from app.errors import DomainError, ValidationFailed
from app.jurisdictions.models import Area, Category, Jurisdiction
from app.jurisdictions.queries import this_town_id
from app.reports.models import Photo, Report
from app.reports.photos import public_photo_url
from app.validation import length_errors
from app.reports.status import CLOSED_STATUSES, OPEN_STATUSES, PUBLIC_STATUSES

PAGE_SIZE = 20
MAX_PAGE = 5000
RECENTLY_FIXED_DAYS = 90
MAX_STREET_QUERY = 100
_PAGE_RE = re.compile(r"[0-9]{1,%d}" % len(str(MAX_PAGE)))

# Filter values as they appear in URLs (German, like the rest of the site).
STATUS_FILTERS = ("", "offen", "erledigt", "geschlossen")
SORTS = {
    "neueste": (Report.created_at.desc(), Report.id.desc()),
    "aelteste": (Report.created_at.asc(), Report.id.asc()),
    "aktualisiert": (Report.status_changed_at.desc(), Report.id.desc()),
}


def status_filter_labels() -> list[tuple[str, str]]:
    return [("", str(_l("Alle"))), ("offen", str(_l("Offen"))),
            ("erledigt", str(_l("Erledigt in den letzten %(n)s Tagen", n=RECENTLY_FIXED_DAYS))),
            ("geschlossen", str(_l("Alle abgeschlossenen")))]


def sort_labels() -> list[tuple[str, str]]:
    return [("neueste", str(_l("Neueste zuerst"))), ("aelteste", str(_l("Älteste zuerst"))),
            ("aktualisiert", str(_l("Zuletzt geändert")))]


@dataclass
class ReportFilter:
    category: Category | None = None
    status: str = ""
    street: str = ""
    area: Area | None = None
    sort: str = "neueste"
    page: int = 1
    errors: list[DomainError] = field(default_factory=list)

    def query_args(self, **override) -> dict:
        """The filter as URL parameters (empty ones left out), e.g. for links to other pages."""
        args = {"kategorie": self.category.code if self.category else "", "status": self.status,
                "strasse": self.street, "ortsteil": self.area.code if self.area else "",
                "sortierung": self.sort if self.sort != "neueste" else "", "seite": self.page if self.page > 1 else ""}
        args.update(override)
        return {k: v for k, v in args.items() if v not in ("", None)}


def public_ortsteile(jurisdiction: Jurisdiction) -> list[Area]:
    return list(db.session.scalars(select(Area).where(Area.jurisdiction_id == jurisdiction.id, Area.kind == "ortsteil")
                                   .order_by(Area.name)))


def category_by_code(jurisdiction: Jurisdiction, code: str) -> Category | None:
    return db.session.scalar(select(Category).where(Category.jurisdiction_id == jurisdiction.id, Category.code == code))


def ortsteil_by_code(jurisdiction: Jurisdiction, code: str) -> Area | None:
    return db.session.scalar(select(Area).where(Area.jurisdiction_id == jurisdiction.id, Area.kind == "ortsteil",
                                                Area.code == code))


def parse_filter(jurisdiction: Jurisdiction, args) -> ReportFilter:
    """Read the filter from query arguments. Raises ``ValidationFailed`` naming every bad one."""
    result = ReportFilter()
    errors: list[DomainError] = []
    code = (args.get("kategorie") or "").strip()
    if code:
        result.category = category_by_code(jurisdiction, code[:100])
        if result.category is None:
            errors.append(DomainError(_l("Die Kategorie „%(code)s“ gibt es nicht.", code=code[:100]), "kategorie",
                                      code="unknown_category"))
    status = (args.get("status") or "").strip()
    if status not in STATUS_FILTERS:
        errors.append(DomainError(_l("Unbekannter Status-Filter. Möglich sind: offen, erledigt, geschlossen."),
                                  "status", code="unknown_status"))
    else:
        result.status = status
    street = (args.get("strasse") or "").strip()
    too_long_street = length_errors([(street, MAX_STREET_QUERY, _l("Der Straßenname"), "strasse")])
    errors += too_long_street
    if not too_long_street:
        result.street = street
    area_code = (args.get("ortsteil") or "").strip()
    if area_code:
        result.area = ortsteil_by_code(jurisdiction, area_code[:100])
        if result.area is None:
            errors.append(DomainError(_l("Den Ortsteil „%(code)s“ gibt es nicht.", code=area_code[:100]), "ortsteil",
                                      code="unknown_area"))
    sort = (args.get("sortierung") or "neueste").strip()
    if sort not in SORTS:
        errors.append(DomainError(_l("Unbekannte Sortierung. Möglich sind: neueste, aelteste, aktualisiert."),
                                  "sortierung"))
    else:
        result.sort = sort
    raw_page = (args.get("seite") or "1").strip()
    # ASCII digits only: str.isdigit() also accepts "²" and "①", which int() refuses.
    if not _PAGE_RE.fullmatch(raw_page) or not 1 <= int(raw_page) <= MAX_PAGE:
        errors.append(DomainError(_l("Die Seitenzahl muss eine ganze Zahl zwischen 1 und %(n)s sein.", n=MAX_PAGE),
                                  "seite"))
    else:
        result.page = int(raw_page)
    if errors:
        raise ValidationFailed(errors)
    return result


def public_reports(jurisdiction: Jurisdiction) -> Select:
    """Every report the public may see, with its category loaded."""
    return (select(Report).options(joinedload(Report.category))
            .where(Report.jurisdiction_id == jurisdiction.id, Report.hidden.is_(False),
                   Report.status.in_(PUBLIC_STATUSES)))


_STREET_WORD_SEPARATORS = re.compile(r"[\s,.;]+")
_STREET_SUFFIX = re.compile(r"(?:straße|strasse|str)$")
MAX_STREET_TERMS = 8


def street_terms(query: str) -> list[str]:
    """The words of a street search, each looked for on its own in the address.

    Residents write "Münsterstr. 12", "Münsterstrasse 12" or "Münsterstraße 12" for the same
    place, and addresses are stored in any of these forms; so the street suffix is cut to
    "str" (a part of all three) and the house number is a word of its own.
    """
    words = [_STREET_SUFFIX.sub("str", w) for w in _STREET_WORD_SEPARATORS.split(query.lower()) if w]
    return words[:MAX_STREET_TERMS]


def apply_filter(query: Select, flt: ReportFilter) -> Select:
    if flt.category is not None:
        query = query.where(Report.category_id == flt.category.id)
    if flt.status == "offen":
        query = query.where(Report.status.in_([s for s in OPEN_STATUSES if s in PUBLIC_STATUSES]))
    elif flt.status == "erledigt":
        # "Recently fixed" as residents mean it: set to fixed in the last N days, however old
        # the report (the map asks ``status=erledigt&changed_within_days=N``, the same).
        query = query.where(Report.status == "erledigt",
                            Report.status_changed_at >= utcnow() - timedelta(days=RECENTLY_FIXED_DAYS))
    elif flt.status == "geschlossen":
        query = query.where(Report.status.in_(CLOSED_STATUSES))
    for term in street_terms(flt.street):
        pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Report.public_address.ilike(pattern))
    if flt.area is not None:
        query = query.where(func.ST_Covers(select(Area.geom).where(Area.id == flt.area.id).scalar_subquery(),
                                           Report.location))
    return query


def report_page(jurisdiction: Jurisdiction, flt: ReportFilter) -> tuple[list[Report], bool]:
    """One page of the filtered list and whether a next page exists (no total count:
    counting a million rows for every page view is the slow part of paging)."""
    query = apply_filter(public_reports(jurisdiction), flt).order_by(*SORTS[flt.sort])
    rows = list(db.session.scalars(query.offset((flt.page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).unique())
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def public_thumbnails(reports: list[Report]) -> dict[int, str]:
    """Report id -> address of the thumbnail of its first published photo, for the reports that
    have one (one query)."""
    ids = [r.id for r in reports if not r.hidden]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Photo.report_id, Photo.id, Photo.variants).distinct(Photo.report_id)
        .where(Photo.report_id.in_(ids), Photo.published.is_(True)).order_by(Photo.report_id, Photo.id))
    return {report_id: public_photo_url(photo_id, variants, "thumb") for report_id, photo_id, variants in rows
            if "thumb" in variants}


def public_report_by_reference(reference: str) -> Report | None:
    report = db.session.scalar(select(Report).where(Report.reference == reference[:32],
                                                    Report.jurisdiction_id == this_town_id()))
    if report is None or report.hidden or not report.status_info.public:
        return None
    return report


def public_original_of(report: Report) -> Report | None:
    """The report a duplicate points at, if the public may see it."""
    if report.status != "duplikat" or report.duplicate_of_id is None:
        return None
    original = db.session.get(Report, report.duplicate_of_id)
    if original is None or original.hidden or not original.status_info.public:
        return None
    return original


def recent_public_reports(jurisdiction: Jurisdiction, limit: int, category: Category | None = None,
                          area: Area | None = None) -> list[Report]:
    query = apply_filter(public_reports(jurisdiction), ReportFilter(category=category, area=area))
    return list(db.session.scalars(query.order_by(Report.status_changed_at.desc(), Report.id.desc()).limit(limit))
                .unique())


def area_centre(area: Area) -> tuple[float, float]:
    """(lon, lat) of a point inside the area (its centroid may lie outside a bent Ortsteil)."""
    point = db.session.execute(select(func.ST_X(func.ST_PointOnSurface(Area.geom)),
                                      func.ST_Y(func.ST_PointOnSurface(Area.geom))).where(Area.id == area.id)).one()
    return float(point[0]), float(point[1])


def point_of(report: Report) -> tuple[float, float]:
    """(lon, lat) of the report."""
    from geoalchemy2.shape import to_shape

    point = to_shape(report.location)
    return point.x, point.y
