"""Correcting a report: its category, its pin (dragged on the map or an address of the town) and
the place text the reporter typed.

A correction is planned first (``plan_correction``: checks, routes the corrected report by the
town's rules, changes nothing) so the page can offer the re-routing when the rules now name
another department; ``apply_correction`` then writes it, audits it and flushes. The public map
follows through the report triggers (location and category are map columns), Open311 reads the
row. The reporter hears of it only when the clerk chooses so (a public note in the history and
the usual status mail).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point

from app.db import db
from app.errors import DomainError
from app.jurisdictions.models import Category, Department
from app.outbox.operations import record_message
from app.reports.models import Report
from app.reports.operations import approximate_address, change_status
from app.staff import audit
from app.staff.assignments import end_assignment
from app.staff.access import can_edit_report
from app.staff.models import StaffUser
from app.validation import check_length, clean_text
from geo.geocoding import search_addresses
from geo.routing import NoRoutingRule, OutsideJurisdiction, RoutingDecision, route_point

MAX_PLACE_TEXT = 300
# Closer than this the pin has not moved (a dragged marker rounds, a form repeats the value).
SAME_PLACE_M = 0.5


@dataclass
class CorrectionPlan:
    category: Category
    lon: float
    lat: float
    place_text: str | None
    category_changed: bool
    moved_m: float
    place_changed: bool
    decision: RoutingDecision
    rule_department: Department

    @property
    def moved(self) -> bool:
        return self.moved_m >= SAME_PLACE_M

    @property
    def reroutes(self) -> bool:
        return self.decision.department_id != self.current_department_id

    current_department_id: int = 0


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance; a few metres' error over a town does not matter here."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def _coordinate(raw: str, low: float, high: float, field: str) -> float:
    try:
        value = float((raw or "").strip().replace(",", "."))
    except ValueError:
        raise DomainError(_l("Bitte geben Sie Breite und Länge als Zahlen an (z. B. 51,962)."), field)
    if not (low <= value <= high) or math.isnan(value):
        raise DomainError(_l("Bitte geben Sie Breite und Länge als Zahlen an (z. B. 51,962)."), field)
    return value


def plan_correction(user: StaffUser, report: Report, *, category_id: int | None, lat: str, lon: str,
                    address_query: str, place_text: str) -> CorrectionPlan:
    """Check a correction and route the corrected report; changes nothing.

    Raises ``DomainError`` for an unknown category, bad coordinates, an address not found, a
    pin outside the town, a category nobody handles there, or when nothing would change.
    """
    if not can_edit_report(user, report):
        from flask import abort

        abort(403)
    category = report.category if category_id is None else db.session.get(Category, category_id)
    if category is None or category.jurisdiction_id != report.jurisdiction_id:
        raise DomainError(_l("Diese Kategorie gibt es nicht."), "category")
    current = to_shape(report.location)
    query = clean_text(address_query).strip()
    if query:
        found = search_addresses(db.session, report.jurisdiction_id, query, limit=1)
        if not found:
            raise DomainError(_l("Die Adresse „%(query)s“ gibt es in der Stadt nicht.", query=query[:80]), "address")
        new_lon, new_lat = float(found[0].lon), float(found[0].lat)
    else:
        new_lat = _coordinate(lat, -90, 90, "lat")
        new_lon = _coordinate(lon, -180, 180, "lon")
    moved = _metres(current.x, current.y, new_lon, new_lat)
    if moved < SAME_PLACE_M:
        new_lon, new_lat = current.x, current.y
    place = clean_text(place_text).strip()
    check_length(place, MAX_PLACE_TEXT, _l("Die Ortsangabe"), "place_text")
    place = place or None
    try:
        decision = route_point(db.session, report.jurisdiction_id, category.id, new_lon, new_lat,
                               category_name=category.name)
    except OutsideJurisdiction:
        raise DomainError(_l("Dieser Ort liegt außerhalb des Stadtgebiets."), "location")
    except NoRoutingRule:
        raise DomainError(_l("Für diese Kategorie ist an diesem Ort niemand zuständig."), "category")
    plan = CorrectionPlan(category=category, lon=new_lon, lat=new_lat, place_text=place,
                          category_changed=category.id != report.category_id, moved_m=moved,
                          place_changed=place != report.address, decision=decision,
                          rule_department=db.session.get(Department, decision.department_id),
                          current_department_id=report.department_id)
    if not (plan.category_changed or plan.moved or plan.place_changed):
        raise DomainError(_l("Es wurde nichts geändert."), "category")
    return plan


def default_reporter_note(plan: CorrectionPlan, report: Report) -> str:
    parts = []
    if plan.category_changed:
        parts.append(str(_l("Kategorie jetzt „%(name)s“", name=plan.category.name)))
    if plan.moved or plan.place_changed:
        parts.append(str(_l("Ort berichtigt")))
    return str(_l("Wir haben Ihre Meldung berichtigt: %(what)s.", what=", ".join(parts)))


def apply_correction(user: StaffUser, report: Report, plan: CorrectionPlan, *, reroute: bool, notify: bool,
                     public_note: str = "") -> None:
    """Write the planned correction, audit it and flush. ``reroute`` hands the report to the
    department the rules name now (which gets the forwarding mail); otherwise it stays."""
    old_category, old_department = report.category, report.department
    changes: dict = {}
    if plan.category_changed:
        changes["category"] = [old_category.code, plan.category.code]
        report.category_id = plan.category.id
        report.category = plan.category
    if plan.moved:
        old = to_shape(report.location)
        changes["location"] = [[round(old.x, 6), round(old.y, 6)], [round(plan.lon, 6), round(plan.lat, 6)]]
        changes["moved_m"] = round(plan.moved_m)
        report.location = from_shape(Point(plan.lon, plan.lat), srid=4326)
        public = approximate_address(report.jurisdiction_id, plan.lon, plan.lat)
        if public != report.public_address:
            changes["public_address"] = [report.public_address, public]
            report.public_address = public
    if plan.place_changed:
        changes["address"] = [report.address, plan.place_text]
        report.address = plan.place_text
    report.area_id = plan.decision.area_id
    if reroute or not plan.reroutes:
        report.routing_rule_id = plan.decision.rule_id
        report.routing_explanation = plan.decision.explanation
    if plan.reroutes:
        if reroute:
            changes["department"] = [old_department.code, plan.rule_department.code]
            report.department_id = plan.rule_department.id
            report.department = plan.rule_department
            end_assignment(report)
        else:
            changes["kept_department"] = [old_department.code, plan.rule_department.code]
    db.session.flush()
    entry = audit.record("correct", staff=user, report=report, changes=changes)
    if "department" in changes:
        record_message("staff_reassigned", f"staff_reassigned:{report.id}:{entry.id}",
                       {"report_id": report.id, "department_id": report.department_id,
                        "reason": str(_l("Meldung berichtigt (Kategorie oder Ort)")),
                        "from_department": old_department.name})
    if notify:
        note = clean_text(public_note).strip() or default_reporter_note(plan, report)
        change_status(report, report.status, public_note=note, actor=user.username)
