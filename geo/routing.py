"""Decide in PostGIS which department is responsible for a point and a category."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.driver import fetch_one


class OutsideJurisdiction(Exception):
    """The point lies outside every area of the jurisdiction."""


class NoRoutingRule(Exception):
    """No rule matched, not even a fallback: a configuration error of the town."""


@dataclass(frozen=True)
class RoutingDecision:
    department_id: int
    department_code: str
    rule_id: int
    area_id: int | None  # the most specific area containing the point (e.g. the Ortsteil)
    explanation: str


# Precedence, in ORDER BY terms: a rule bound to an area beats a town-wide one; among
# areas, the higher rank (Ortsteil over boundary), then the smaller area, then the
# lower area id; then a category-specific rule beats a catch-all; then a rule with a
# validity period (winter service) beats an open-ended one of the same scope while it
# is in force; the rule id breaks every remaining tie. A point on a boundary shared by two areas is covered by both
# (ST_Covers), so it always goes to the smaller one (or, if equal, the older one).
_ROUTE_SQL = text(
    """
    WITH pt AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g),
    hit AS MATERIALIZED (
        SELECT a.id, a.name, a.kind, a.rank, a.area_m2
        FROM areas a, pt
        WHERE a.jurisdiction_id = :jid AND ST_Covers(a.geom, pt.g)
    ),
    best AS (
        SELECT c.* FROM (
            -- rules of the areas that cover the point (index on area_id) ...
            SELECT r.id, r.department_id, r.category_id, r.valid_from, r.valid_until,
                   h.id AS area_id, h.name, h.kind, h.rank, h.area_m2
            FROM hit h JOIN routing_rules r ON r.area_id = h.id
            UNION ALL
            -- ... and the town-wide ones (partial index), if the point is in the town at all
            SELECT r.id, r.department_id, r.category_id, r.valid_from, r.valid_until, NULL, NULL, NULL, NULL, NULL
            FROM routing_rules r
            WHERE r.jurisdiction_id = :jid AND r.area_id IS NULL AND EXISTS (SELECT 1 FROM hit)
        ) AS c
        WHERE (c.category_id IS NULL OR c.category_id = :cid)
          AND (c.valid_from IS NULL OR c.valid_from <= :day)
          AND (c.valid_until IS NULL OR c.valid_until >= :day)
        ORDER BY (c.area_id IS NULL), c.rank DESC, c.area_m2 ASC, c.area_id ASC, (c.category_id IS NULL),
                 (c.valid_from IS NULL AND c.valid_until IS NULL), c.id
        LIMIT 1
    )
    SELECT
        (SELECT id FROM hit ORDER BY rank DESC, area_m2 ASC, id ASC LIMIT 1) AS innermost_area_id,
        b.id AS rule_id, b.department_id,
        (SELECT d.code FROM departments d WHERE d.id = b.department_id) AS department_code,
        b.name AS area_name, b.kind AS area_kind,
        (SELECT cat.code FROM categories cat WHERE cat.id = b.category_id) AS category_code
    FROM best b
    """
)

_INSIDE_SQL = text(
    "SELECT EXISTS (SELECT 1 FROM areas WHERE jurisdiction_id = :jid "
    "AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)))"
)

_KIND_LABEL = {"boundary": "Stadtgebiet", "district": "Bezirk", "ortsteil": "Ortsteil", "custom": "Gebiet"}


def route_point(session: Session, jurisdiction_id: int, category_id: int, lon: float, lat: float,
                on: date | None = None) -> RoutingDecision:
    """Return the department responsible for ``category_id`` at (lon, lat).

    Raises ``OutsideJurisdiction`` when no area of the jurisdiction covers the point
    and ``NoRoutingRule`` when the town has no rule that applies (no fallback).
    """
    params = {"jid": jurisdiction_id, "cid": category_id, "lon": lon, "lat": lat, "day": on or date.today()}
    # Inside every submission: straight on the psycopg connection (same transaction).
    row = fetch_one(session, _ROUTE_SQL, params)
    if row is None:
        if not session.execute(_INSIDE_SQL, params).scalar():
            raise OutsideJurisdiction()
        raise NoRoutingRule()
    return RoutingDecision(
        department_id=row["department_id"],
        department_code=row["department_code"],
        rule_id=row["rule_id"],
        area_id=row["innermost_area_id"],
        explanation=explain(row["rule_id"], row["area_kind"], row["area_name"], row["category_code"]),
    )


def explain(rule_id: int, area_kind: str | None, area_name: str | None, category_code: str | None) -> str:
    """Human-readable reason stored on the report, e.g. 'Regel 12: Ortsteil Marienfeld × spielplatz'."""
    where = f"{_KIND_LABEL.get(area_kind or '', 'Gebiet')} {area_name}" if area_name else "gesamte Kommune"
    what = category_code or "alle Kategorien"
    if area_name is None and category_code is None:
        return f"Regel {rule_id}: Auffangregel (gesamte Kommune × alle Kategorien)"
    return f"Regel {rule_id}: {where} × {what}"
