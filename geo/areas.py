"""Storing areas: geometry made valid and measured in PostGIS."""
from __future__ import annotations

from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

# Area kinds, from least to most specific. Routing prefers the higher rank.
AREA_KIND_RANK = {"boundary": 0, "district": 10, "ortsteil": 20, "custom": 30}


def rank_in_effect(kind: str, rank: int | None) -> int:
    """An area's rank: its own, else its kind's (the areas page's empty field, a town file's
    missing key)."""
    return rank if rank is not None else AREA_KIND_RANK[kind]

_INSERT_AREA = text(
    """
    INSERT INTO areas (jurisdiction_id, code, name, kind, rank, geom, area_m2)
    SELECT :jid, :code, :name, :kind, :rank, g, ST_Area(g::geography)
    FROM (SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_GeomFromText(:wkt, 4326)), 3)) AS g) AS valid
    RETURNING id
    """
)


def insert_area(session: Session, jurisdiction_id: int, code: str, name: str, kind: str,
                geom: BaseGeometry) -> int:
    """Insert an area (WGS 84 geometry), repaired by ST_MakeValid; returns its id."""
    return session.execute(_INSERT_AREA, {
        "jid": jurisdiction_id, "code": code, "name": name, "kind": kind,
        "rank": AREA_KIND_RANK[kind], "wkt": geom.wkt,
    }).scalar_one()


_TOWN_EXTENT = text(
    "SELECT ST_YMin(e), ST_XMin(e), ST_YMax(e), ST_XMax(e) FROM "
    "(SELECT ST_Extent(geom) AS e FROM areas WHERE jurisdiction_id = :jid) s"
)


def town_bounds(session: Session, jurisdiction_id: int) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` of a town's areas (for fitting a map), or None without areas."""
    row = session.execute(_TOWN_EXTENT, {"jid": jurisdiction_id}).first()
    if row is None or row[0] is None:
        return None
    return [[row[0], row[1]], [row[2], row[3]]]
