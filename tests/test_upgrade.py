"""Upgrades (issue 22, point 4): a database at revision 0200 (the first schema plus the worker
queue) holding reports, photos, status history and mail is upgraded to the head; every row
is still there and the app serves it. `flask db-upgrade` holds a lock: a second one waits."""
from __future__ import annotations

import os
import select
import subprocess
import time

from sqlalchemy import create_engine, text

from app.cli import MIGRATION_LOCK, run_migrations
from tests.conftest import TEST_SECRET
from tests.services import ROOT, scratch_database

# Written against the schema of revision 0200, as a town running that release had it.
_SEED_0200 = """
INSERT INTO jurisdictions (id, slug, name, reference_prefix, created_at)
  VALUES (1, 'harsewinkel.de', 'Stadt Harsewinkel', 'HW', now() - interval '400 days');
INSERT INTO departments (id, jurisdiction_id, code, name) VALUES (1, 1, 'tiefbau', 'Tiefbau');
INSERT INTO categories (id, jurisdiction_id, code, name, description, "group", icon, publish_immediately, active)
  VALUES (1, 1, 'gully', 'Gully verstopft', '', 'Straßen', '', true, true),
         (2, 1, 'schlagloch', 'Schlagloch', '', 'Straßen', '', false, true);
INSERT INTO reports (id, jurisdiction_id, reference, category_id, department_id, routing_explanation, location,
                     description, description_published, hidden, priority, status, status_changed_at,
                     reporter_email, reporter_email_confirmed, locale, created_at, updated_at) VALUES
  (1, 1, 'HW-2025-000001', 1, 1, 'Bereich Innenstadt', ST_SetSRID(ST_MakePoint(8.2290, 51.9620), 4326),
   'Gully am Markt läuft über', true, false, 0, 'in_bearbeitung', now() - interval '3 days',
   'anna@example.org', true, 'de', now() - interval '300 days', now() - interval '3 days'),
  (2, 1, 'HW-2025-000002', 2, 1, 'Bereich Innenstadt', ST_SetSRID(ST_MakePoint(8.1680, 51.9830), 4326),
   'Tiefes Loch „Greffener Straße“ – 30 cm', false, false, 1, 'erledigt', now() - interval '20 days',
   NULL, false, 'en', now() - interval '60 days', now() - interval '20 days');
INSERT INTO photos (id, report_id, position, variants, width, height, sha256, source_type, published, created_at)
  VALUES (1, 1, 0, '{"thumb": "reports/1/aa/thumb.jpg", "display": "reports/1/aa/display.jpg"}', 1600, 1200,
          repeat('a', 64), 'jpeg', true, now() - interval '300 days');
INSERT INTO status_changes (id, report_id, new_status, public_note, internal_note, detail, actor, created_at) VALUES
  (1, 1, 'in_bearbeitung', 'Der Bauhof ist informiert.', 'Kolonne 2', '{}', 'system', now() - interval '3 days'),
  (2, 2, 'erledigt', 'Repariert.', '', '{}', 'system', now() - interval '20 days');
INSERT INTO outbox_messages (id, kind, channel, dedup_key, payload, state, attempts, last_error, created_at,
                             next_attempt_at) VALUES
  (1, 'status_changed', 'mail', 'status:1:1', '{"report_id": 1}', 'sent', 1, '', now() - interval '3 days',
   now() - interval '3 days');
SELECT setval('reports_id_seq', 2); SELECT setval('photos_id_seq', 1); SELECT setval('status_changes_id_seq', 2);
SELECT setval('outbox_messages_id_seq', 1);
"""

_KEPT = {
    "reports": "SELECT id, reference, category_id, department_id, description, status, reporter_email, locale, "
               "priority, ST_AsText(location), created_at FROM reports ORDER BY id",
    "photos": "SELECT id, report_id, variants, width, height, sha256, published FROM photos ORDER BY id",
    "status_changes": "SELECT id, report_id, new_status, public_note, internal_note FROM status_changes ORDER BY id",
    "outbox_messages": "SELECT id, kind, dedup_key, payload, state FROM outbox_messages ORDER BY id",
    "categories": "SELECT id, code, name, publish_immediately FROM categories ORDER BY id",
}


def _read(engine) -> dict[str, list]:
    with engine.connect() as conn:
        return {name: [tuple(row) for row in conn.execute(text(sql))] for name, sql in _KEPT.items()}


def _tables(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())


def test_data_at_revision_0200_survives_the_upgrade_to_head(database_url):
    with scratch_database("mm_upgrade") as url:
        run_migrations(url, "0200")
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(_SEED_0200)
            before = _read(engine)
            run_migrations(url)
            assert _read(engine) == before
            head = create_engine(database_url)
            try:
                assert _tables(engine) == _tables(head)  # the same schema as a database made at the head
            finally:
                head.dispose()
        finally:
            engine.dispose()

        from app import create_app
        from app.db import db

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_URL": url, "SECRET_KEY": TEST_SECRET,
                          "LOG_LEVEL": "WARNING"})
        client = app.test_client()
        page = client.get("/meldungen/HW-2025-000001")
        assert page.status_code == 200 and "Gully am Markt läuft über" in page.get_data(as_text=True)
        assert "Der Bauhof ist informiert." in page.get_data(as_text=True)
        [request] = client.get("/open311/v2/requests/HW-2025-000002.json").get_json()
        assert request["status"] == "closed" and request["service_code"] == "schlagloch"
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()


def _flask(url: str, *args: str) -> subprocess.Popen:
    env = dict(os.environ, FLASK_APP="app:create_app", DATABASE_URL=url, SECRET_KEY=TEST_SECRET, LOG_LEVEL="WARNING")
    return subprocess.Popen([str(ROOT / ".venv/bin/flask"), *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_db_upgrade_waits_for_a_running_one_and_two_at_once_both_succeed():
    with scratch_database("mm_upgrade_lock") as url:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as holder:
                # Another deploy is migrating: it holds the lock.
                holder.execute(text("SELECT pg_advisory_lock(hashtext(:key))"), {"key": MIGRATION_LOCK})
                waiting = _flask(url, "db-upgrade")
                ready, _, _ = select.select([waiting.stderr], [], [], 60)
                assert ready, "db-upgrade said nothing within 60 s"
                assert waiting.stderr.readline().strip() == "another db-upgrade is running; waiting for it"
                time.sleep(1)
                assert waiting.poll() is None
                assert "alembic_version" not in _tables(engine)  # it has not touched the schema
                holder.execute(text("SELECT pg_advisory_unlock(hashtext(:key))"), {"key": MIGRATION_LOCK})
                out, err = waiting.communicate(timeout=120)
                assert waiting.returncode == 0, err
                assert "database is up to date" in out
        finally:
            engine.dispose()

    with scratch_database("mm_upgrade_race") as url:
        first, second = _flask(url, "db-upgrade"), _flask(url, "db-upgrade")
        results = [(p.communicate(timeout=180), p.returncode) for p in (first, second)]
        results = [(code, out) for out, code in results]
        assert [code for code, _ in results] == [0, 0], results
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                heads = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        finally:
            engine.dispose()
        assert len(heads) == 1
