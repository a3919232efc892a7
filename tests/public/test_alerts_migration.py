"""Revision 0601 on a database that already holds area alerts: rows unsubscribed before it lose
the subscriber's place, active ones keep theirs, and only active rows must still have a place.
Runs Alembic on a scratch database of its own (the session database is already at the heads)."""
from __future__ import annotations


import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from app.cli import run_migrations
from app.config import PROJECT_ROOT


_SEED = """
INSERT INTO jurisdictions (id, slug, name, reference_prefix, created_at)
  VALUES (1, 'harsewinkel.de', 'Stadt Harsewinkel', 'HW', now());
INSERT INTO areas (id, jurisdiction_id, code, name, kind, rank, area_m2, geom)
  VALUES (1, 1, 'ortsteil-greffen', 'Greffen', 'ortsteil', 2, 1,
          ST_Multi(ST_MakeEnvelope(8.15, 51.97, 8.19, 51.99, 4326)));
INSERT INTO alert_subscriptions (id, jurisdiction_id, email, locale, token, area_id, center, radius_m, address,
                                 category_ids, notify_new, notify_fixed, created_at, confirmed_at, unsubscribed_at)
VALUES
  -- as the code before 0601 left an unsubscribed radius subscription: e-mail gone, place kept
  (1, 1, '', 'de', 'gone-radius', NULL, ST_SetSRID(ST_MakePoint(8.229, 51.962), 4326), 250, 'Kirchplatz 3',
   '{1,2}', true, true, now(), now(), now()),
  (2, 1, '', 'de', 'gone-ortsteil', 1, NULL, NULL, NULL, '{}', true, false, now(), now(), now()),
  (3, 1, 'bleibt@example.org', 'de', 'active-radius', NULL, ST_SetSRID(ST_MakePoint(8.23, 51.96), 4326), 500,
   'Münsterstraße 1', '{3}', true, true, now(), now(), NULL),
  (4, 1, 'auch@example.org', 'en', 'active-ortsteil', 1, NULL, NULL, NULL, '{}', true, true, now(), NULL, NULL);
"""

_ROWS = text("SELECT token, email, address, ST_AsText(center) AS center, radius_m, area_id, category_ids "
             "FROM alert_subscriptions ORDER BY id")


def _rows(engine) -> dict[str, dict]:
    with engine.connect() as conn:
        return {row.token: dict(row._mapping) for row in conn.execute(_ROWS)}


def test_0601_erases_the_place_of_rows_unsubscribed_before_and_keeps_active_ones(scratch_url):
    run_migrations(scratch_url, "0600")
    engine = create_engine(scratch_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(_SEED)

        run_migrations(scratch_url, "0601")
        rows = _rows(engine)
        erased = {"email": "", "address": None, "center": None, "radius_m": None, "area_id": None, "category_ids": []}
        assert rows["gone-radius"] == {"token": "gone-radius", **erased}
        assert rows["gone-ortsteil"] == {"token": "gone-ortsteil", **erased}
        assert rows["active-radius"] == {"token": "active-radius", "email": "bleibt@example.org",
                                         "address": "Münsterstraße 1", "center": "POINT(8.23 51.96)", "radius_m": 500,
                                         "area_id": None, "category_ids": [3]}
        assert rows["active-ortsteil"]["area_id"] == 1 and rows["active-ortsteil"]["email"] == "auch@example.org"

        # Only a subscription that can still send needs a place.
        with pytest.raises(IntegrityError, match="ck_alert_subscriptions_where"), engine.begin() as conn:
            conn.execute(text("INSERT INTO alert_subscriptions (jurisdiction_id, email, locale, token, category_ids, "
                              "notify_new, notify_fixed, created_at) VALUES (1, 'x@example.org', 'de', 'no-place', "
                              "'{}', true, true, now())"))

        # Down again: the erased rows cannot satisfy the old check and go; the others stay.
        config = Config(str(PROJECT_ROOT / "alembic.ini"))
        config.attributes["url"] = scratch_url
        config.attributes["configure_logging"] = False
        command.downgrade(config, "0600")
        assert sorted(_rows(engine)) == ["active-ortsteil", "active-radius"]
    finally:
        engine.dispose()
