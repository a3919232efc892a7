"""Open reports near a point, in metres (duplicate hints for citizens, a tool for staff)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.geocoding import degrees_for_metres

# Open statuses the public may see ("unbestaetigt" is open but not public).
PUBLIC_OPEN_STATUSES = ("eingegangen", "in_pruefung", "in_bearbeitung")
MAX_RADIUS_M = 2000


@dataclass(frozen=True)
class NearbyReport:
    id: int
    reference: str
    category_code: str
    status: str
    distance_m: float
    lon: float
    lat: float


_NEARBY_SQL = text(
    """
    WITH pt AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g)
    SELECT r.id, r.reference, c.code AS category_code, r.status,
           ST_Distance(r.location::geography, pt.g::geography) AS distance_m,
           ST_X(r.location) AS lon, ST_Y(r.location) AS lat
    FROM reports r JOIN categories c ON c.id = r.category_id, pt
    WHERE r.jurisdiction_id = :jid
      AND ST_DWithin(r.location, pt.g, :deg)
      AND ST_DWithin(r.location::geography, pt.g::geography, :metres)
      AND r.status = ANY(:statuses)
      AND (CAST(:cid AS integer) IS NULL OR r.category_id = :cid)
      AND (:include_hidden OR NOT r.hidden)
    ORDER BY distance_m, r.id
    LIMIT :limit
    """
)


def open_reports_nearby(session: Session, jurisdiction_id: int, lon: float, lat: float, radius_m: float = 50,
                        category_id: int | None = None, limit: int = 10,
                        statuses: tuple[str, ...] = PUBLIC_OPEN_STATUSES,
                        include_hidden: bool = False) -> list[NearbyReport]:
    """Open reports within ``radius_m`` metres of (lon, lat), nearest first.

    The distance is geodesic (metres on the ellipsoid), not degrees; an index on
    the point column prefilters by a slightly larger box. By default only what the
    public may see: open, public statuses and no hidden report.
    """
    radius_m = max(0.0, min(float(radius_m), MAX_RADIUS_M))
    rows = session.execute(_NEARBY_SQL, {
        "jid": jurisdiction_id, "lon": lon, "lat": lat, "metres": radius_m,
        "deg": degrees_for_metres(radius_m, lat), "cid": category_id, "statuses": list(statuses),
        "include_hidden": include_hidden, "limit": max(1, min(int(limit), 100)),
    }).mappings().all()
    return [NearbyReport(id=r["id"], reference=r["reference"], category_code=r["category_code"], status=r["status"],
                         distance_m=float(r["distance_m"]), lon=r["lon"], lat=r["lat"]) for r in rows]
