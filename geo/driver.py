"""Running a hot statement straight on the psycopg connection beneath a SQLAlchemy session.

Same connection, same transaction as the session; it only skips SQLAlchemy's
per-statement work, which matters for statements on every submission or map view
(routing, bbox GeoJSON). Other drivers take the ordinary ``session.execute`` path.
"""
from __future__ import annotations

import re
from functools import lru_cache

from psycopg.rows import dict_row
from sqlalchemy import TextClause
from sqlalchemy.orm import Session


@lru_cache(maxsize=64)
def _pyformat(sql: str) -> str:
    """``:name`` placeholders as psycopg's ``%(name)s`` (casts like ``::int`` stay)."""
    return re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql.replace("%", "%%"))


def _fetch(session: Session, statement: TextClause, params: dict, first: bool):
    driver = session.connection().connection.driver_connection
    if type(driver).__module__.split(".")[0] == "psycopg":  # psycopg 3
        with driver.cursor(row_factory=dict_row) as cursor:
            cursor.execute(_pyformat(statement.text), params)
            return cursor.fetchone() if first else cursor.fetchall()
    result = session.execute(statement, params).mappings()
    if first:
        row = result.first()
        return dict(row) if row is not None else None
    return [dict(row) for row in result]


def fetch_all(session: Session, statement: TextClause, params: dict) -> list[dict]:
    """Every row of ``statement`` as dicts, in the session's transaction."""
    return _fetch(session, statement, params, first=False)


def fetch_one(session: Session, statement: TextClause, params: dict) -> dict | None:
    """The first row of ``statement`` as a dict (or None), in the session's transaction."""
    return _fetch(session, statement, params, first=True)
