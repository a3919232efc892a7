"""Work orders ("Arbeitsauftrag") for one report and route sheets ("Laufzettel") for a list.

What a crew takes out: reference, category, the answers to the category's extra questions,
the description, the photos the clerk chose, the address, a map excerpt drawn from the
town's own areas and addresses (``geo.sketch``), a QR code to the staff page, the deadline,
the assignee and the internal notes. Reading only: nothing here writes to the database.
Every image is handed to the renderer in memory (``LocalOnlyFetcher.embed``), so rendering
fetches nothing (``pdf.py``).
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from datetime import datetime

import segno
from flask import render_template
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from geoalchemy2.shape import to_shape
from sqlalchemy import select

from app.db import db, utcnow
from app.errors import DomainError, NotFound
from app.reports.models import Report
from app.reports.photos import storage
from app.reports.questions import report_answers
from app.staff import assignments, deadlines
from app.staff.access import can_see_contact, can_view_report
from app.staff.models import InternalNote, StaffTeam, StaffUser
from app.staff.queries import QueueFilters, queue_page
from app.staff.wording import routing_in_words
from app.urls import absolute_url
from app.workorders.pdf import LocalOnlyFetcher, render_pdf
from geo.sketch import Pin, SketchData, draw_svg, sketch_data

# Which photos go on the paper; the clerk chooses, the published ones are the default.
PHOTO_CHOICES = {"keine": _l("keine Fotos"), "oeffentlich": _l("nur veröffentlichte Fotos"),
                 "alle": _l("alle Fotos, auch nicht veröffentlichte (nur für den internen Gebrauch)")}
DEFAULT_PHOTOS = "oeffentlich"
MAX_ROUTE_SHEET = 100


@dataclass
class WorkOrderItem:
    number: int
    report: Report
    answers: list[tuple[str, str]]
    photos: list[str]
    map_svg: str
    qr_svg: str
    staff_url: str
    due: datetime
    overdue: bool
    assignee: str
    routing: str
    contact: tuple[str, str, str] | None
    notes: list[InternalNote]
    lat: float
    lon: float


@dataclass
class WorkOrderOptions:
    photos: str = DEFAULT_PHOTOS
    contact: bool = False


@dataclass
class Document:
    """What the template renders: a single work order, or a route sheet with its overview."""

    title: str
    items: list[WorkOrderItem]
    made_by: str
    made_at: datetime
    overview_svg: str | None = None
    heading: str = ""
    subtitle: str = ""
    fetcher: LocalOnlyFetcher = field(default_factory=LocalOnlyFetcher)


def parse_options(args) -> WorkOrderOptions:
    """The clerk's choices from the query string; raises ``DomainError`` for an unknown photo choice."""
    photos = args.get("fotos") or DEFAULT_PHOTOS
    if photos not in PHOTO_CHOICES:
        raise DomainError(_l("Diese Auswahl an Fotos gibt es nicht: erlaubt sind %(keys)s.",
                             keys=", ".join(PHOTO_CHOICES)), "fotos")
    return WorkOrderOptions(photos=photos, contact=args.get("kontakt") in ("1", "on"))


def parse_team(args) -> int | None:
    raw = (args.get("team") or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
        raise DomainError(_l("„team“ muss die Nummer eines Teams sein."), "team")
    return int(raw)


def _photos(fetcher: LocalOnlyFetcher, report: Report, choice: str, variant: str) -> list[str]:
    if choice == "keine":
        return []
    store = storage()
    chosen = [p for p in report.photos if (choice == "alle" or p.published)]
    return [fetcher.embed("image/jpeg", store.get(p.variants[variant])) for p in chosen if variant in p.variants]


def _qr(fetcher: LocalOnlyFetcher, url: str) -> str:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=4, border=2)
    return fetcher.embed("image/svg+xml", buffer.getvalue())


def _map(fetcher: LocalOnlyFetcher, report_pins: list[Pin], jurisdiction_id: int, margin_m: float, width: int,
         height: int) -> str:
    data: SketchData = sketch_data(db.session, jurisdiction_id, report_pins, margin_m=margin_m)
    svg = draw_svg(data, width=width, height=height, north_label=_("N"))
    return fetcher.embed("image/svg+xml", svg.encode())


def _item(user: StaffUser, fetcher: LocalOnlyFetcher, report: Report, number: int, options: WorkOrderOptions,
          photo_variant: str, pin_label: str = "") -> WorkOrderItem:
    point = to_shape(report.location)
    due = deadlines.expected_completion(report)
    contact = None
    if options.contact and can_see_contact(user, report):
        contact = (report.reporter_name or "", report.reporter_phone or "", report.reporter_email or "")
    staff_url = absolute_url("staff.report_detail", report_id=report.id)
    notes = list(db.session.scalars(select(InternalNote).where(InternalNote.report_id == report.id)
                                    .order_by(InternalNote.id)))
    return WorkOrderItem(
        number=number, report=report, answers=report_answers(report.id, "de"),
        photos=_photos(fetcher, report, options.photos, photo_variant),
        map_svg=_map(fetcher, [Pin(point.x, point.y, pin_label)], report.jurisdiction_id, 90, 520, 260),
        qr_svg=_qr(fetcher, staff_url), staff_url=staff_url, due=due,
        overdue=report.status_info.is_open and due < utcnow(),
        assignee=assignments.assignee_label(assignments.current(report)), routing=routing_in_words(report) or "",
        contact=contact, notes=notes, lat=point.y, lon=point.x)


def work_order(user: StaffUser, report: Report, options: WorkOrderOptions) -> Document:
    """The work order of one report the user may see."""
    with force_locale("de"):
        fetcher = LocalOnlyFetcher()
        item = _item(user, fetcher, report, 1, options, "display")
        return Document(title=_("Arbeitsauftrag %(ref)s", ref=report.reference), items=[item],
                        made_by=user.label, made_at=utcnow(), fetcher=fetcher)


def route_order(points: list[tuple[float, float]]) -> list[int]:
    """A visiting order for the points (lon, lat): from the first, always to the nearest one left.

    Not the shortest tour, but on a town's scale close enough for a crew, and it never sends
    them back and forth across town between neighbours."""
    if not points:
        return []
    cos_lat = math.cos(math.radians(sum(p[1] for p in points) / len(points)))
    left = list(range(1, len(points)))
    order = [0]
    while left:
        x0, y0 = points[order[-1]]
        best = min(left, key=lambda i: ((points[i][0] - x0) * cos_lat) ** 2 + (points[i][1] - y0) ** 2)
        left.remove(best)
        order.append(best)
    return order


def route_sheet_reports(user: StaffUser, filters: QueueFilters, team_id: int | None) -> tuple[list[Report], str]:
    """The reports of a route sheet and its heading: the user's queue under ``filters`` (e.g.
    "Meine Aufgaben"), or the open reports given to team ``team_id``. Raises ``DomainError``
    when there are none or more than ``MAX_ROUTE_SHEET``, ``NotFound`` for a team the user
    may not see."""
    if team_id is not None:
        team = db.session.get(StaffTeam, team_id)
        if team is None or team.jurisdiction_id != user.jurisdiction_id or not (
                user.role in ("admin", "dispatcher") or team.department_id == user.department_id):
            raise NotFound(_l("Dieses Team gibt es nicht."))
        from app.reports.status import OPEN_STATUSES
        from app.staff.models import ReportAssignment

        reports = list(db.session.scalars(
            select(Report).join(ReportAssignment, ReportAssignment.report_id == Report.id)
            .where(ReportAssignment.team_id == team.id, Report.status.in_(OPEN_STATUSES))
            .order_by(Report.priority.desc(), Report.created_at).limit(MAX_ROUTE_SHEET + 1)))
        heading = _("Laufzettel %(team)s", team=team.name)
    else:
        filters.page_size = MAX_ROUTE_SHEET
        filters.after = None
        page = queue_page(filters, user)
        ids = [r.id for r in page.rows]
        by_id = {r.id: r for r in db.session.scalars(select(Report).where(Report.id.in_(ids)))}
        if page.next_cursor:
            raise _too_many()
        reports = [by_id[i] for i in ids]
        heading = _("Laufzettel: Meine Aufgaben") if filters.assignment == "meine" else _("Laufzettel")
    reports = [r for r in reports if can_view_report(user, r)]
    if not reports:
        raise DomainError(_l("Für den Laufzettel gibt es keine offenen Meldungen in dieser Auswahl."), "auswahl")
    if len(reports) > MAX_ROUTE_SHEET:
        raise _too_many()
    return reports, heading


def _too_many() -> DomainError:
    return DomainError(_l("Ein Laufzettel fasst höchstens %(n)s Meldungen; bitte grenzen Sie die Auswahl ein.",
                          n=MAX_ROUTE_SHEET), "auswahl")


def route_sheet(user: StaffUser, reports: list[Report], heading: str, options: WorkOrderOptions) -> Document:
    """An overview map with numbered pins in visiting order, a table, then one work order per report."""
    with force_locale("de"):
        points = [(p.x, p.y) for p in (to_shape(r.location) for r in reports)]
        order = route_order(points)
        fetcher = LocalOnlyFetcher()
        items = [_item(user, fetcher, reports[i], n, options, "thumb", str(n)) for n, i in enumerate(order, start=1)]
        pins = [Pin(item.lon, item.lat, str(item.number)) for item in items]
        overview = _map(fetcher, pins, user.jurisdiction_id, 60, 680, 520)
        return Document(title=heading, items=items, made_by=user.label, made_at=utcnow(), overview_svg=overview,
                        heading=heading, fetcher=fetcher,
                        subtitle=_("%(n)s Meldungen, in der Reihenfolge eines Weges von Meldung 1 aus "
                                   "(jeweils zur nächstgelegenen)", n=len(items)))


def render(document: Document) -> bytes:
    """The document as PDF (German; the paper goes to a crew, whatever the clerk's page language)."""
    with force_locale("de"):
        html = render_template("workorders/document.html", doc=document)
    return render_pdf(html, document.fetcher)
