"""The town file: export → apply → export is byte for byte the same, an edit applied is live and
audited, a bad file is refused naming the key and changes nothing; `flask town create` and
`flask staff create-admin` make a town from nothing."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from app.db import db
from app.demo.load import TOWN_FILE
from app.jurisdictions.models import Area, Category, Jurisdiction
from app.open311.models import ServiceAttribute
from app.staff.auth import check_password
from app.staff.models import AuditEntry, StaffUser
from app.towns.cli import apply_town_file, export_town_file
from geo.routing import route_point
from tests.factories import GREFFEN, MARIENFELD, category, department, town


def export(tmp_path: Path, name: str) -> dict[str, bytes]:
    folder = tmp_path / name
    folder.mkdir()
    export_town_file("harsewinkel.de", folder / "town.toml")
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_export_apply_export_is_byte_identical_and_equals_the_demo_file(db_session, tmp_path):
    first = export(tmp_path, "first")
    assert sorted(first) == ["areas/ortsteil-greffen.geojson", "areas/ortsteil-harsewinkel.geojson",
                             "areas/ortsteil-marienfeld.geojson", "areas/stadtgebiet.geojson", "crest.svg", "town.toml"]
    # The test town was loaded from the repository's town file: the export gives it back unchanged.
    assert first["town.toml"] == TOWN_FILE.read_bytes()
    assert first["areas/ortsteil-greffen.geojson"] == (TOWN_FILE.parent / "areas/ortsteil-greffen.geojson").read_bytes()
    assert first["crest.svg"] == (TOWN_FILE.parent / "crest.svg").read_bytes()
    before = db_session.scalar(select(func.count()).select_from(AuditEntry))
    assert apply_town_file(tmp_path / "first" / "town.toml") == []
    assert db_session.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert export(tmp_path, "second") == first


def test_an_edit_applied_is_live_audited_and_exported_as_written(db_session, tmp_path):
    export(tmp_path, "edit")
    file = tmp_path / "edit" / "town.toml"
    text = file.read_text(encoding="utf-8")
    text = text.replace('name = "Grünflächen"', 'name = "Grünflächen und Friedhöfe"')
    # Greffen's potholes go to the Ordnungsamt from now on; a new category with a required question.
    text = text.replace('[[rules]]\narea = "ortsteil-marienfeld"\ncategory = "gruenflaeche"',
                        '[[rules]]\narea = "ortsteil-greffen"\ncategory = "schlagloch"\ndepartment = "ordnungsamt"\n\n'
                        '[[rules]]\narea = "ortsteil-marienfeld"\ncategory = "gruenflaeche"')
    text = text.replace('\n[[rules]]', '''
[[categories]]
code = "ampel"
name = "Ampel defekt"
group = "Straßen und Wege"
target_days = 3

[[categories.questions]]
code = "richtung"
label = "Welche Richtung ist betroffen?"
kind = "singlevaluelist"
required = true
choices = [{ key = "nord", name = "Nord" }, { key = "sued", name = "Süd" }]

[[rules]]''', 1)
    # Rules are written sorted (area, category, department, dates): "ampel" comes before "graffiti".
    text = text.replace('[[rules]]\ncategory = "graffiti"',
                        '[[rules]]\ncategory = "ampel"\ndepartment = "tiefbau"\n\n[[rules]]\ncategory = "graffiti"')
    file.write_text(text, encoding="utf-8")

    lines = apply_town_file(file)
    assert "~ department gruen: name \"Grünflächen\" → \"Grünflächen und Friedhöfe\"" in lines
    assert "+ category ampel (Ampel defekt)" in lines
    assert "+ rule ortsteil-greffen × schlagloch → ordnungsamt" in lines
    assert any(line.startswith("+ question ampel.richtung") for line in lines)
    assert department("gruen").name == "Grünflächen und Friedhöfe"
    jid = town().id
    in_greffen = route_point(db_session, jid, category("schlagloch").id, *GREFFEN)
    assert in_greffen.department_id == department("ordnungsamt").id
    in_marienfeld = route_point(db_session, jid, category("schlagloch").id, *MARIENFELD)
    assert in_marienfeld.department_id == department("tiefbau").id
    question = db_session.scalar(select(ServiceAttribute).where(ServiceAttribute.code == "richtung"))
    assert question.required and question.datatype == "singlevaluelist" and question.category.code == "ampel"
    renamed = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "town_file.update_department"))
    assert renamed.actor == "town-file" and renamed.target == "gruen"
    assert renamed.changes == {"name": ["Grünflächen", "Grünflächen und Friedhöfe"]}
    # The edited file is what the town now is: exporting gives the same bytes back.
    assert export(tmp_path, "after")["town.toml"] == text.encode()
    assert apply_town_file(file) == []


def test_a_category_left_out_is_retired_and_a_rule_left_out_removed(db_session, tmp_path):
    export(tmp_path, "cut")
    file = tmp_path / "cut" / "town.toml"
    text = file.read_text(encoding="utf-8")
    start = text.index('[[categories]]\ncode = "graffiti"')
    end = text.index("[[categories]]", start + 5)
    text = text[:start] + text[end:]
    text = text.replace('[[rules]]\ncategory = "graffiti"\ndepartment = "ordnungsamt"\n\n', "")
    file.write_text(text, encoding="utf-8")
    lines = apply_town_file(file)
    assert lines == ["- category graffiti: not in the file, retired", "- rule whole town × graffiti → ordnungsamt"]
    assert category("graffiti").active is False


def test_an_invalid_file_is_refused_naming_key_and_line_and_the_town_is_unchanged(app, db_session, tmp_path):
    before = export(tmp_path, "before")
    file = tmp_path / "before" / "town.toml"
    text = file.read_text(encoding="utf-8")
    lines = text.splitlines()
    broken = text.replace('name = "Ordnungsamt"', 'name = "Ordnungsamt und Bürgerdienste"') \
        .replace('emails = ["abfall@harsewinkel.example"]', 'emial = ["abfall@harsewinkel.example"]') \
        .replace('kind = "ortsteil"\nfile = "areas/ortsteil-greffen.geojson"',
                 'kind = "stadtteil"\nfile = "areas/ortsteil-greffen.geojson"') \
        .replace('category = "wilder-muell"\ndepartment = "abfall"', 'category = "wilder-muell"\ndepartment = "muell"')
    file.write_text(broken, encoding="utf-8")
    outcome = app.test_cli_runner().invoke(args=["town", "apply", str(file)])
    assert outcome.exit_code == 1
    assert "refused, nothing was changed" in outcome.output
    emial_line = lines.index('emails = ["abfall@harsewinkel.example"]') + 1
    assert f"line {emial_line}: departments[3].emial: unknown key" in outcome.output
    assert "areas[3].kind: one of boundary, district, ortsteil, custom" in outcome.output
    assert "rules[" in outcome.output and ".department: 'muell' is not a department code of this file" in outcome.output
    assert department("ordnungsamt").name == "Ordnungsamt"  # the good edit in the same file was not applied
    file.write_text(text.replace('[town]', '[town\nslug = 1'), encoding="utf-8")
    outcome = app.test_cli_runner().invoke(args=["town", "apply", str(file)])
    assert outcome.exit_code == 1 and "not a TOML file" in outcome.output and "line 3" in outcome.output
    assert export(tmp_path, "after") == before


def test_dry_run_prints_the_changes_and_changes_nothing(app, db_session, tmp_path):
    export(tmp_path, "dry")
    file = tmp_path / "dry" / "town.toml"
    file.write_text(file.read_text(encoding="utf-8")
                    .replace('name = "Graffiti"', 'name = "Graffiti und Schmierereien"'), encoding="utf-8")
    outcome = app.test_cli_runner().invoke(args=["town", "apply", str(file), "--dry-run"])
    assert outcome.exit_code == 0, outcome.output
    assert 'category graffiti: name "Graffiti" → "Graffiti und Schmierereien"' in outcome.output
    assert outcome.output.strip().endswith("dry run: 1 changes, nothing was changed")
    db_session.expire_all()
    assert category("graffiti").name == "Graffiti"
    outcome = app.test_cli_runner().invoke(args=["town", "apply", str(file)])
    assert outcome.exit_code == 0 and outcome.output.strip().endswith("1 changes applied")
    assert category("graffiti").name == "Graffiti und Schmierereien"


def test_an_area_file_with_a_new_shape_updates_the_area(db_session, tmp_path):
    export(tmp_path, "shape")
    area_file = tmp_path / "shape" / "areas" / "ortsteil-greffen.geojson"
    # A Feature with a plain square polygon, as an editor might save it.
    square = {"type": "Polygon", "coordinates": [[[8.10, 51.95], [8.19, 51.95], [8.19, 52.02], [8.10, 52.02],
                                                  [8.10, 51.95]]]}
    area_file.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": square}), encoding="utf-8")
    lines = apply_town_file(tmp_path / "shape" / "town.toml")
    assert lines == ['~ area ortsteil-greffen: geometry "(before)" → "areas/ortsteil-greffen.geojson"']
    greffen = db_session.scalar(select(Area).where(Area.code == "ortsteil-greffen", Area.jurisdiction_id == town().id))
    assert db_session.scalar(select(func.ST_XMax(Area.geom)).where(Area.id == greffen.id)) == 8.19
    assert apply_town_file(tmp_path / "shape" / "town.toml") == []


BOUNDARY = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:25832"}},
            "features": [{"type": "Feature", "properties": {"name": "Musterstadt"},
                          "geometry": {"type": "Polygon", "coordinates": [[
                              [440000, 5750000], [446000, 5750000], [446000, 5756000], [440000, 5756000],
                              [440000, 5750000]]]}}]}


def test_town_create_and_create_admin_make_a_town_from_nothing(app, db_session, tmp_path):
    boundary = tmp_path / "grenze.geojson"
    boundary.write_text(json.dumps(BOUNDARY), encoding="utf-8")
    runner = app.test_cli_runner()
    outcome = runner.invoke(args=["town", "create", "--slug", "musterstadt.de", "--name", "Stadt Musterstadt",
                                  "--prefix", "MU", "--boundary", str(boundary)])
    assert outcome.exit_code == 0, outcome.output
    made = db_session.scalar(select(Jurisdiction).where(Jurisdiction.slug == "musterstadt.de"))
    areas = list(db_session.scalars(select(Area).where(Area.jurisdiction_id == made.id)))
    assert [(a.code, a.kind) for a in areas] == [("musterstadt", "boundary")]
    again = runner.invoke(args=["town", "create", "--slug", "musterstadt.de", "--name", "X", "--prefix", "MU",
                                "--boundary", str(boundary)])
    assert again.exit_code == 1 and "exists already" in again.output
    bad = runner.invoke(args=["town", "create", "--slug", "neu.de", "--name", "X", "--prefix", "mu-1",
                              "--boundary", str(boundary)])
    assert bad.exit_code == 1 and "reference_prefix" in bad.output
    assert db_session.scalar(select(Jurisdiction).where(Jurisdiction.slug == "neu.de")) is None

    outcome = runner.invoke(args=["staff", "create-admin", "--town", "musterstadt.de", "--username", "m.admin",
                                  "--email", "admin@musterstadt.example"], input="kurz\nkurz\n")
    assert outcome.exit_code == 1 and "mindestens 10 Zeichen" in outcome.output
    outcome = runner.invoke(args=["staff", "create-admin", "--town", "musterstadt.de", "--username", "m.admin",
                                  "--email", "admin@musterstadt.example"],
                            input="ein langes Passwort\nein langes Passwort\n")
    assert outcome.exit_code == 0, outcome.output
    user = db_session.scalar(select(StaffUser).where(StaffUser.username == "m.admin"))
    assert user.role == "admin" and user.jurisdiction_id == made.id and check_password(user, "ein langes Passwort")
    actions = set(db_session.scalars(select(AuditEntry.action).where(AuditEntry.jurisdiction_id == made.id)))
    assert actions == {"town.create", "staff.create_admin"}


def test_the_demo_file_loads_a_town_that_routes(db_session):
    # The categories and rules the rest of the suite relies on came from the file.
    assert db_session.scalar(select(func.count()).select_from(Category)
                             .where(Category.jurisdiction_id == town().id)) == 10
    decision = route_point(db_session, town().id, category("spielplatz").id, *MARIENFELD)
    assert decision.department_id == department("bauhof-marienfeld").id


def test_an_areas_own_rank_travels_with_the_file_and_a_bad_one_is_refused(app, db_session, tmp_path):
    """A rank the admin gave an area on the areas page (not its kind's rank) is written to the file,
    comes back when the file is applied to a town that lost it (a move to another installation),
    and a change in the file is applied and audited with the ranks in effect."""
    def greffen() -> Area:
        return db_session.scalar(select(Area).where(Area.code == "ortsteil-greffen", Area.jurisdiction_id == town().id))

    greffen().rank = 35
    db_session.flush()
    file = tmp_path / "rank" / "town.toml"
    text = export(tmp_path, "rank")["town.toml"].decode()
    assert 'kind = "ortsteil"\nfile = "areas/ortsteil-greffen.geojson"\nrank = 35\n' in text
    assert text.count("rank = ") == 1  # the other areas keep their kind's rank and the file need not say it

    greffen().rank = 20  # as a new installation that knows only the kind
    db_session.flush()
    assert apply_town_file(file) == ["~ area ortsteil-greffen: rank 20 → 35"]
    assert greffen().rank == 35
    file.write_text(text.replace("rank = 35", "rank = 40"), encoding="utf-8")
    assert apply_town_file(file) == ["~ area ortsteil-greffen: rank 35 → 40"]
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "town_file.update_area")
                              .order_by(AuditEntry.id.desc()))
    assert entry.changes == {"rank": [35, 40]}
    # Left out of the file, the area goes back to its kind's rank (the file says what the town is).
    file.write_text(text.replace("rank = 35\n", ""), encoding="utf-8")
    assert apply_town_file(file) == ["~ area ortsteil-greffen: rank 40 → 20"]

    file.write_text(text.replace("rank = 35", "rank = 101"), encoding="utf-8")
    outcome = app.test_cli_runner().invoke(args=["town", "apply", str(file)])
    line = text.splitlines().index("rank = 35") + 1
    assert outcome.exit_code == 1
    assert f"line {line}: areas[" in outcome.output and ".rank: a whole number from 0 to 100" in outcome.output
    assert greffen().rank == 20
    # A new area with its own rank: the dry run's line says so.
    file.write_text(text.replace("rank = 35\n", "") + '\n[[areas]]\ncode = "spielbezirk"\nname = "Spielbezirk"\n'
                    'kind = "custom"\nfile = "areas/ortsteil-greffen.geojson"\nrank = 50\n', encoding="utf-8")
    assert apply_town_file(file) == ["+ area spielbezirk (Spielbezirk, custom, rank 50)"]
