"""Checking a town's areas and rules before citizens find the holes.

``validate_routing`` reports, each with a place to look at:

* errors – invalid geometry; a gap in the town where a tiling level (Ortsteile,
  districts) covers nothing; a category that has no rule somewhere in the town
  (no fallback, no town-wide rule, no rule of every area); rules of the same area
  and category whose validity periods overlap;
* warnings – areas of the same level that overlap (routing then prefers the
  smaller, deterministic but maybe not intended); areas reaching beyond the town
  boundary; rules that are only valid for a period, leaving their category to a
  less specific rule outside it.

Tolerance: slivers below ``min_area_m2`` (default 1 m²) are ignored, so that
digitising noise along shared borders does not drown the real findings.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" | "warning"
    code: str
    message: str
    lon: float | None = None
    lat: float | None = None

    def line(self) -> str:
        where = f" (bei {self.lat:.5f}, {self.lon:.5f})" if self.lon is not None else ""
        return f"{self.severity.upper()} {self.code}: {self.message}{where}"


_KIND_LABEL = {"boundary": "Stadtgebiet", "district": "Bezirke", "ortsteil": "Ortsteile", "custom": "Gebiete"}


def validate_routing(session: Session, jurisdiction_id: int, min_area_m2: float = 1.0) -> list[Finding]:
    """Every finding for the town, errors first."""
    p = {"jid": jurisdiction_id, "min": min_area_m2}
    findings: list[Finding] = []

    for row in session.execute(text(
            "SELECT code, ST_IsValidReason(geom) AS reason, ST_X(ST_PointOnSurface(ST_Envelope(geom))) AS lon, "
            "ST_Y(ST_PointOnSurface(ST_Envelope(geom))) AS lat FROM areas "
            "WHERE jurisdiction_id = :jid AND NOT ST_IsValid(geom) ORDER BY code"), p):
        findings.append(Finding("error", "invalid_geometry", f"Gebiet {row.code}: {row.reason}", row.lon, row.lat))

    boundary = session.execute(text(
        "SELECT ST_Union(geom) FROM areas WHERE jurisdiction_id = :jid AND kind = 'boundary'"), p).scalar()
    if boundary is None:
        findings.append(Finding("warning", "no_boundary",
                                "Kein Stadtgebiet (kind = boundary): Lücken der Ortsteile sind nicht prüfbar."))
    else:
        # Gaps: parts of the town that a tiling level (one that exists at all) leaves uncovered.
        for row in session.execute(text("""
            WITH town AS (SELECT ST_Union(geom) AS g FROM areas WHERE jurisdiction_id = :jid AND kind = 'boundary'),
            levels AS (SELECT kind, ST_Union(geom) AS g FROM areas
                       WHERE jurisdiction_id = :jid AND kind IN ('district', 'ortsteil') GROUP BY kind),
            gaps AS (SELECT l.kind, (ST_Dump(ST_Difference(t.g, l.g))).geom AS g FROM levels l, town t)
            SELECT kind, ST_Area(g::geography) AS m2, ST_X(ST_PointOnSurface(g)) AS lon, ST_Y(ST_PointOnSurface(g)) AS lat
            FROM gaps WHERE ST_Area(g::geography) >= :min ORDER BY kind, m2 DESC"""), p):
            findings.append(Finding("error", "coverage_gap",
                                    f"{row.m2:,.0f} m² des Stadtgebiets liegen in keinem der {_KIND_LABEL[row.kind]}",
                                    row.lon, row.lat))
        for row in session.execute(text("""
            WITH town AS (SELECT ST_Union(geom) AS g FROM areas WHERE jurisdiction_id = :jid AND kind = 'boundary')
            SELECT a.code, ST_Area(ST_Difference(a.geom, t.g)::geography) AS m2,
                   ST_X(ST_PointOnSurface(ST_Difference(a.geom, t.g))) AS lon,
                   ST_Y(ST_PointOnSurface(ST_Difference(a.geom, t.g))) AS lat
            FROM areas a, town t
            WHERE a.jurisdiction_id = :jid AND a.kind <> 'boundary' AND NOT ST_CoveredBy(a.geom, t.g)
              AND ST_Area(ST_Difference(a.geom, t.g)::geography) >= :min
            ORDER BY a.code"""), p):
            findings.append(Finding("warning", "outside_boundary",
                                    f"Gebiet {row.code} ragt {row.m2:,.0f} m² über das Stadtgebiet hinaus",
                                    row.lon, row.lat))

    for row in session.execute(text("""
        SELECT a.code AS a_code, b.code AS b_code, a.kind, ST_Area(i.g::geography) AS m2,
               ST_X(ST_PointOnSurface(i.g)) AS lon, ST_Y(ST_PointOnSurface(i.g)) AS lat
        FROM areas a JOIN areas b ON b.jurisdiction_id = a.jurisdiction_id AND b.kind = a.kind AND a.id < b.id
             AND ST_Intersects(a.geom, b.geom)
        CROSS JOIN LATERAL (SELECT ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3) AS g) AS i
        WHERE a.jurisdiction_id = :jid AND a.kind <> 'boundary' AND NOT ST_IsEmpty(i.g)
          AND ST_Area(i.g::geography) >= :min
        ORDER BY a.code, b.code"""), p):
        findings.append(Finding("warning", "overlap",
                                f"Gebiete {row.a_code} und {row.b_code} ({row.kind}) überlappen auf {row.m2:,.0f} m²; "
                                f"dort gilt das kleinere", row.lon, row.lat))

    # Rule coverage, counting only rules without a validity period (always in force).
    has_fallback = session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM routing_rules WHERE jurisdiction_id = :jid AND area_id IS NULL "
        "AND category_id IS NULL AND valid_from IS NULL AND valid_until IS NULL)"), p).scalar()
    if not has_fallback:
        for row in session.execute(text("""
            SELECT c.code, a.code AS area_code, ST_X(ST_PointOnSurface(a.geom)) AS lon,
                   ST_Y(ST_PointOnSurface(a.geom)) AS lat
            FROM categories c
            JOIN areas a ON a.jurisdiction_id = c.jurisdiction_id
            WHERE c.jurisdiction_id = :jid AND c.active
              AND NOT EXISTS (SELECT 1 FROM routing_rules r WHERE r.jurisdiction_id = :jid AND r.area_id IS NULL
                              AND (r.category_id = c.id OR r.category_id IS NULL)
                              AND r.valid_from IS NULL AND r.valid_until IS NULL)
              -- a point of this area is covered only if this area or an area containing it has a rule
              AND NOT EXISTS (SELECT 1 FROM routing_rules r JOIN areas b ON b.id = r.area_id
                              WHERE r.jurisdiction_id = :jid AND (r.category_id = c.id OR r.category_id IS NULL)
                                AND r.valid_from IS NULL AND r.valid_until IS NULL AND ST_CoveredBy(a.geom, b.geom))
            ORDER BY c.code, a.code"""), p):
            findings.append(Finding("error", "missing_rule",
                                    f"Kategorie {row.code}: im Gebiet {row.area_code} ist niemand zuständig "
                                    f"(keine Regel, keine Auffangregel)", row.lon, row.lat))

    for row in session.execute(text("""
        SELECT r1.id AS a, r2.id AS b, coalesce(ar.code, 'gesamte Kommune') AS area, coalesce(c.code, 'alle') AS cat
        FROM routing_rules r1
        JOIN routing_rules r2 ON r2.jurisdiction_id = r1.jurisdiction_id AND r1.id < r2.id
             AND r2.area_id IS NOT DISTINCT FROM r1.area_id AND r2.category_id IS NOT DISTINCT FROM r1.category_id
             -- a time-limited rule over an open-ended one is an intended override, not a conflict
             AND (r1.valid_from IS NULL AND r1.valid_until IS NULL) = (r2.valid_from IS NULL AND r2.valid_until IS NULL)
             AND coalesce(r1.valid_from, '-infinity'::date) <= coalesce(r2.valid_until, 'infinity'::date)
             AND coalesce(r2.valid_from, '-infinity'::date) <= coalesce(r1.valid_until, 'infinity'::date)
        LEFT JOIN areas ar ON ar.id = r1.area_id
        LEFT JOIN categories c ON c.id = r1.category_id
        WHERE r1.jurisdiction_id = :jid ORDER BY r1.id, r2.id"""), p):
        findings.append(Finding("error", "conflicting_rules",
                                f"Regeln {row.a} und {row.b} gelten beide für {row.area} × {row.cat} in einem "
                                f"gemeinsamen Zeitraum; es gilt die ältere ({row.a})"))

    for row in session.execute(text("""
        SELECT r.id, coalesce(a.code, 'gesamte Kommune') AS area, coalesce(c.code, 'alle') AS cat,
               r.valid_from, r.valid_until
        FROM routing_rules r LEFT JOIN areas a ON a.id = r.area_id LEFT JOIN categories c ON c.id = r.category_id
        WHERE r.jurisdiction_id = :jid AND (r.valid_from IS NOT NULL OR r.valid_until IS NOT NULL)
        ORDER BY r.id"""), p):
        period = f"{row.valid_from or '…'} bis {row.valid_until or '…'}"
        findings.append(Finding("warning", "periodic_rule",
                                f"Regel {row.id} ({row.area} × {row.cat}) gilt nur {period}; sonst greift eine "
                                f"allgemeinere Regel"))

    findings.sort(key=lambda f: (f.severity != "error", f.code))
    return findings
