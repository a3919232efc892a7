"""Import/export as JSON and CSV: round trips, and bad rows refused with their line number
while nothing is half-imported."""
from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select, text

from app.catalog.exchange import ImportRefused, export_csv, export_json, import_catalog
from app.catalog.models import CatalogEntry
from app.catalog.operations import entry_by_slug
from tests.factories import town

HEADER = "slug,name,topic,department,online,online_url,leika_key,keywords,required_documents\n"


def entry_count() -> int:
    from app.db import db

    return db.session.scalar(select(func.count()).select_from(CatalogEntry))


def refused(data: bytes, fmt: str) -> list[dict]:
    with pytest.raises(ImportRefused) as caught:
        import_catalog(town(), data, fmt)
    return [e.as_dict() for e in caught.value.errors]


def test_json_export_and_import_round_trip(demo_catalog, db_session):
    exported = export_json(demo_catalog)
    rows = json.loads(exported)
    assert len(rows) == 31 and sum(r["online"] for r in rows) >= 25
    db_session.execute(text("DELETE FROM catalog_entries"))
    result = import_catalog(demo_catalog, exported.encode(), "json")
    assert (result.created, result.updated) == (31, 0)
    assert json.loads(export_json(demo_catalog)) == rows


def test_csv_export_and_import_round_trip(demo_catalog, db_session):
    exported = export_csv(demo_catalog)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == 31
    hund = next(r for r in rows if r["slug"] == "hundesteuer")
    assert hund["online"] == "ja" and hund["department"] == "steueramt" and " | " in hund["required_documents"]
    before = json.loads(export_json(demo_catalog))
    db_session.execute(text("DELETE FROM catalog_entries"))
    assert import_catalog(demo_catalog, exported.encode("utf-8-sig"), "csv").created == 31
    assert json.loads(export_json(demo_catalog)) == before


def test_import_updates_entries_with_the_same_slug(demo_catalog):
    data = json.dumps([{"slug": "hundesteuer", "name": "Hundesteuer", "topic": "Steuern und Abgaben",
                        "department": "steueramt", "fees": "100 Euro im Jahr"}]).encode()
    before = entry_count()
    assert (import_catalog(demo_catalog, data, "json").updated, entry_count()) == (1, before)
    assert entry_by_slug(demo_catalog, "hundesteuer").fees == "100 Euro im Jahr"


def test_a_bad_csv_row_is_refused_with_its_line_and_nothing_is_imported(db_session):
    data = (HEADER
            + "hundesteuer,Hundesteuer,Steuern,buergerbuero,ja,https://portal.example/hund,,Hund | Steuer,\n"
            + 'gewerbe,"Gewerbe\nanmelden",Wirtschaft,ordnungsamt,nein,,,,\n'   # a quoted line break: lines 3–4
            + "kaputt,Kaputt,Steuern,gibt-es-nicht,ja,,12345,,\n").encode()    # line 5: three problems
    errors = refused(data, "csv")
    assert {e["line"] for e in errors} == {5}
    fields = {e["field"] for e in errors}
    assert fields == {"department", "online_url", "leika_key"}
    assert any("Zeile 5" in e["message"] and "gibt-es-nicht" in e["message"] for e in errors)
    assert entry_count() == 0


def test_a_bad_json_row_is_refused_with_the_line_it_starts_on(db_session):
    good = {"slug": "a", "name": "A", "topic": "T", "department": "tiefbau"}
    data = ('[\n  ' + json.dumps(good) + ',\n  {\n    "name": "",\n    "topic": "T",\n    "department": "tiefbau"\n  }\n]')
    errors = refused(data.encode(), "json")
    assert [(e["line"], e["field"]) for e in errors] == [(3, "name")]
    assert "Zeile 3" in errors[0]["message"]
    assert entry_count() == 0


@pytest.mark.parametrize("data, fmt, line, fragment", [
    (b'[{"name": "A", "topic": "T", "department": "tiefbau"},\n {"name": "B", ', "json", 2, "Ungültiges JSON"),
    (b'{"name": "A"}', "json", 1, "Liste"),
    (b'[\n1,\n{"name": "A", "topic": "T", "department": "tiefbau"}]', "json", 2, "Objekt"),
    (b'[{"name": "A", "topic": "T", "department": "tiefbau", "colour": "blau"}]', "json", 1, "Unbekannte Felder"),
    (b'[{"name": ["A"], "topic": "T", "department": "tiefbau"}]', "json", 1, "einzelner Wert"),
    (b'[{"name": "A", "topic": "T", "department": "tiefbau", "online": "vielleicht"}]', "json", 1, "Ja/Nein"),
    (b'[{"name": "A", "topic": "T", "department": "tiefbau", "review_due": "morgen"}]', "json", 1, "Datum"),
    (b'[{"name": "A", "topic": "T", "department": "tiefbau", "online": true, "online_url": "javascript:alert(1)"}]',
     "json", 1, "https://"),
    (b"name,topic,farbe\nA,T,blau\n", "csv", 1, "Unbekannte"),
    (b"name,topic,department\nA,T,tiefbau\nB,T\n", "csv", 3, "Spalten"),
    (b"name,topic,department\nA,T,tiefbau\n\xff\xfe,T,tiefbau\n", "csv", 3, "UTF-8"),
    (b"", "csv", 1, "leer"),
    (b"[]", "json", 1, "keine Eintr"),
])
def test_malformed_files_are_refused_with_a_line_number(db_session, data, fmt, line, fragment):
    errors = refused(data, fmt)
    assert errors[0]["line"] == line
    assert fragment in errors[0]["message"]
    assert entry_count() == 0


def test_a_slug_twice_in_one_file_names_both_lines(db_session):
    data = ("name,topic,department,slug\nHundesteuer,Steuern,buergerbuero,hund\n"
            "Hundemarke,Steuern,buergerbuero,hund\n").encode()
    errors = refused(data, "csv")
    assert [e["line"] for e in errors] == [3]
    assert "Zeile 2" in errors[0]["message"]


def test_semicolon_csv_from_a_spreadsheet_is_read(db_session):
    data = "\ufeffname;topic;department;online;online_url\nHundesteuer;Steuern;buergerbuero;JA;/melden\n"
    assert import_catalog(town(), data.encode(), "csv").created == 1
    assert entry_by_slug(town(), "hundesteuer").online is True


def test_the_cli_refuses_a_bad_file_and_imports_a_good_one(app, db_session, tmp_path):
    runner = app.test_cli_runner()
    bad = tmp_path / "katalog.csv"
    bad.write_text("name,topic,department\nGut,T,tiefbau\nSchlecht,T,nirgendwo\n", encoding="utf-8")
    outcome = runner.invoke(args=["catalog-import", str(bad)])
    assert outcome.exit_code == 1
    assert "Zeile 3" in outcome.output and "nothing was imported" in outcome.output
    assert entry_count() == 0
    good = tmp_path / "katalog.json"
    good.write_text(json.dumps([{"name": "Gut", "topic": "T", "department": "tiefbau"}]), encoding="utf-8")
    outcome = runner.invoke(args=["catalog-import", str(good)])
    assert outcome.exit_code == 0 and "imported 1 new" in outcome.output
    exported = runner.invoke(args=["catalog-export", "--format", "csv"])
    assert exported.exit_code == 0 and exported.output.splitlines()[1].startswith("gut,Gut,T,")
