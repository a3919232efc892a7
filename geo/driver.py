"""Running a hot statement straight on the psycopg connection beneath a SQLAlchemy session.

Same connection, same transaction as the session; it only skips SQLAlchemy's
per-statement work, which matters for statements on every submission or map view
(routing, bbox GeoJSON). Other drivers take the ordinary ``session.execute`` path.
"""
from __future__ import annotations

import re
from functools import lru_cache

import psycopg
from psycopg.rows import dict_row, tuple_row
from sqlalchemy import TextClause
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


@lru_cache(maxsize=64)
def _pyformat(sql: str) -> str:
    """``:name`` placeholders as psycopg's ``%(name)s`` (casts like ``::int`` stay)."""
    return re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql.replace("%", "%%"))


def _fetch(session: Session, statement: TextClause, params: dict, tuples: bool):
    connection = session.connection()
    driver = connection.connection.driver_connection
    if type(driver).__module__.split(".")[0] == "psycopg":  # psycopg 3
        sql = _pyformat(statement.text)
        try:
            with driver.cursor(row_factory=tuple_row if tuples else dict_row) as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        except psycopg.Error as error:
            # What SQLAlchemy does for its own statements: a dead connection leaves the
            # pool, and the error says so (app.errors answers 503 rather than 500).
            lost = driver.broken or driver.closed
            if lost:
                connection.invalidate(error)
            raise DBAPIError.instance(sql, params, error, psycopg.Error, connection_invalidated=lost) from error
    result = session.execute(statement, params)
    return [tuple(row) for row in result] if tuples else [dict(row) for row in result.mappings()]


def fetch_all(session: Session, statement: TextClause, params: dict) -> list[dict]:
    """Every row of ``statement`` as dicts, in the session's transaction."""
    return _fetch(session, statement, params, tuples=False)


def fetch_tuples(session: Session, statement: TextClause, params: dict) -> list[tuple]:
    """Every row of ``statement`` as plain tuples (the cheapest to make), in the session's transaction."""
    return _fetch(session, statement, params, tuples=True)

