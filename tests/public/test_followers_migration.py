"""Revision 1101 on a database that already holds followers: rows unfollowed before it lose the
e-mail address, the others keep theirs, and only a row that can still get mail must have one.
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
INSERT INTO departments (id, jurisdiction_id, code, name) VALUES (1, 1, 'bauhof', 'Bauhof');
INSERT INTO categories (id, jurisdiction_id, code, name, description, "group", icon, publish_immediately, active)
  VALUES (1, 1, 'gully', 'Gully', '', 'Straßen', '', true, true);
INSERT INTO reports (id, jurisdiction_id, reference, category_id, department_id, routing_explanation, location,
                     description, description_published, hidden, priority, status, status_changed_at,
                     reporter_email_confirmed, locale, created_at, updated_at)
  VALUES (1, 1, 'HW-2026-00001', 1, 1, '', ST_SetSRID(ST_MakePoint(8.23, 51.96), 4326), '', true, false, 0,
          'eingegangen', now(), false, 'de', now(), now());
INSERT INTO followers (id, report_id, email, locale, created_at, confirmed_at, unsubscribed_at) VALUES
  (1, 1, 'gegangen@example.org', 'de', now(), now(), now()),     -- unfollowed: as the code before 1101 left it
  (2, 1, 'nie-bestaetigt@example.org', 'de', now(), NULL, now()), -- unfollowed from the opt-in mail
  (3, 1, 'bleibt@example.org', 'de', now(), now(), NULL),
  (4, 1, 'wartet@example.org', 'en', now(), NULL, NULL);
"""


def _emails(engine) -> dict[int, str | None]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, email FROM followers ORDER BY id")).tuples().all())


def test_1101_erases_the_address_of_rows_unfollowed_before_and_keeps_the_others(scratch_url):
    run_migrations(scratch_url, "1100")
    engine = create_engine(scratch_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(_SEED)

        run_migrations(scratch_url, "1101")
        assert _emails(engine) == {1: None, 2: None, 3: "bleibt@example.org", 4: "wartet@example.org"}

        # Two erased rows of one report do not collide on the unique (report_id, email).
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO followers (id, report_id, email, locale, created_at, unsubscribed_at) "
                              "VALUES (5, 1, NULL, 'de', now(), now())"))
        # Only a follower that can still get mail needs an address.
        with pytest.raises(IntegrityError, match="ck_followers_email"), engine.begin() as conn:
            conn.execute(text("INSERT INTO followers (id, report_id, email, locale, created_at) "
                              "VALUES (6, 1, NULL, 'de', now())"))

        # Down again: erased rows cannot go back into a NOT NULL column and go; the others stay.
        config = Config(str(PROJECT_ROOT / "alembic.ini"))
        config.attributes["url"] = scratch_url
        config.attributes["configure_logging"] = False
        command.downgrade(config, "1100")
        assert _emails(engine) == {3: "bleibt@example.org", 4: "wartet@example.org"}
    finally:
        engine.dispose()
