"""Revision 1903 rewrites routing explanations stored as "Regel N: … × code" in the words the
staff page uses (issue 19 point 9), and leaves every other explanation as it was."""
from __future__ import annotations

from sqlalchemy import create_engine, text

from app.cli import run_migrations
from tests.services import scratch_database

# Written against the schema of revision 1902.
_SEED_1902 = """
INSERT INTO jurisdictions (id, slug, name, reference_prefix, created_at)
  VALUES (1, 'harsewinkel.de', 'Stadt Harsewinkel', 'HW', now());
INSERT INTO departments (id, jurisdiction_id, code, name) VALUES (1, 1, 'bauhof-marienfeld', 'Bauhof Marienfeld'),
                                                                 (2, 1, 'buergerbuero', 'Zentrale Anliegenstelle');
INSERT INTO categories (id, jurisdiction_id, code, name, description, "group", icon, publish_immediately, active)
  VALUES (1, 1, 'spielplatz', 'Spielplatz', '', 'Grün', '', true, true);
INSERT INTO areas (id, jurisdiction_id, code, name, kind, rank, geom, area_m2) VALUES
  (1, 1, 'ortsteil-marienfeld', 'Marienfeld', 'ortsteil', 20,
   ST_Multi(ST_MakeEnvelope(8.27, 51.93, 8.30, 51.95, 4326)), 1000000);
INSERT INTO routing_rules (id, jurisdiction_id, area_id, category_id, department_id) VALUES
  (12, 1, 1, 1, 1), (13, 1, NULL, NULL, 2);
INSERT INTO reports (id, jurisdiction_id, reference, category_id, department_id, routing_rule_id, routing_explanation,
                     location, description, description_published, hidden, priority, status, status_changed_at,
                     reporter_email_confirmed, locale, created_at, updated_at)
SELECT id, 1, reference, 1, department_id, rule_id, explanation, ST_SetSRID(ST_MakePoint(8.284, 51.937), 4326),
       description, false, false, 0, 'eingegangen', now(), false, 'de', now(), now()
FROM (VALUES
  (1, 'HW-2025-000001', 1, 12, 'Regel 12: Ortsteil Marienfeld × spielplatz', 'Schaukel kaputt'),
  (2, 'HW-2025-000002', 2, 13, 'Regel 13: Auffangregel (gesamte Kommune × alle Kategorien)', 'Sonstiges'),
  (3, 'HW-2025-000003', 1, NULL, 'Regel 9: Ortsteil Marienfeld × spielplatz', 'Regel gelöscht'),
  (4, 'HW-2025-000004', 1, NULL, 'Übernommen aus dem bisherigen System mit der dort zuständigen Stelle', 'Import')
) AS v(id, reference, department_id, rule_id, explanation, description);
"""


def test_old_routing_explanations_are_rewritten_in_words(database_url):
    with scratch_database("mm_words") as url:
        run_migrations(url, "1902")
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(_SEED_1902)
            run_migrations(url)
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT id, routing_explanation FROM reports ORDER BY id")).all()
        finally:
            engine.dispose()
    assert rows == [(1, "Ortsteil Marienfeld · Spielplatz → Bauhof Marienfeld"),
                    (2, "ganze Stadt · alle Kategorien → Zentrale Anliegenstelle"),
                    (3, "Ortsteil Marienfeld × spielplatz"),  # the rule is gone: only its number goes
                    (4, "Übernommen aus dem bisherigen System mit der dort zuständigen Stelle")]
