"""Issue 18's "Done when", in a headless browser: a town made by one command (name, slug,
boundary) and its first admin; through the admin pages alone: Ortsteile from a GeoPackage in
EPSG:25832, three departments, four categories (one with a required single-choice question,
one with a stop notice), two rules including an Ortsteil rule. A citizen then reports in the
new category and answers the question, the report routes to the right department, and that
department sees the answer."""
from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import numpy as np
import pyogrio.raw
import pytest
from sqlalchemy import select, text

from app.db import db
from app.jurisdictions.models import Department, Jurisdiction
from app.reports.models import Report
from tests.intake.test_browser import BLANK_TILE, enter_coordinates, show_step
from tests.staff.helpers import PASSWORD

pytestmark = pytest.mark.browser

SLUG = "musterdorf.de"
# The town: a 0.2° square around Greffen; Ortsteil "Nord" its northern half (in UTM 32N).
BOUNDARY = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Musterdorf"},
            "geometry": {"type": "Polygon", "coordinates": [[[8.07, 51.88], [8.27, 51.88], [8.27, 52.08],
                                                             [8.07, 52.08], [8.07, 51.88]]]}}]}
IN_NORD = (8.17, 52.03)
IN_SUED = (8.17, 51.93)


def _ortsteile_gpkg(path, session) -> None:
    halves = [("nord", "Nord", 51.98, 52.08), ("sued", "Süd", 51.88, 51.98)]
    wkbs = [bytes(session.execute(text(
        "SELECT ST_AsBinary(ST_Transform(ST_MakeEnvelope(8.07, :y0, 8.27, :y1, 4326), 25832))"),
        {"y0": y0, "y1": y1}).scalar_one()) for _c, _n, y0, y1 in halves]
    pyogrio.raw.write(str(path), np.array(wkbs, dtype=object),
                      [np.array([c for c, *_ in halves], dtype=object), np.array([n for _c, n, *_ in halves],
                                                                                   dtype=object)],
                      fields=["code", "name"], crs="EPSG:25832", driver="GPKG", geometry_type="Polygon")


def _cleanup() -> None:
    jid = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.slug == SLUG))
    if jid is None:
        return
    for statement in ("DELETE FROM reports WHERE jurisdiction_id = :j", "DELETE FROM routing_rules WHERE jurisdiction_id = :j",
                      "DELETE FROM staff_users WHERE jurisdiction_id = :j", "DELETE FROM jurisdictions WHERE id = :j"):
        db.session.execute(text(statement), {"j": jid})
    db.session.commit()


def _sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/intern/anmelden")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/intern/eingang**")


@pytest.fixture
def fresh_town(app, committing, tmp_path, monkeypatch):
    _cleanup()
    boundary = tmp_path / "grenze.geojson"
    boundary.write_text(json.dumps(BOUNDARY), encoding="utf-8")
    runner = app.test_cli_runner()
    made = runner.invoke(args=["town", "create", "--slug", SLUG, "--name", "Gemeinde Musterdorf", "--prefix", "MD",
                               "--boundary", str(boundary)])
    assert made.exit_code == 0, made.output
    admin = runner.invoke(args=["staff", "create-admin", "--town", SLUG, "--username", "md-admin",
                                "--email", "it@musterdorf.example"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert admin.exit_code == 0, admin.output
    monkeypatch.setitem(app.config, "DEFAULT_JURISDICTION", SLUG)
    yield tmp_path
    db.session.rollback()
    _cleanup()


def test_a_town_goes_live_through_the_admin_pages_alone(app, fresh_town, live_server, chromium):
    gpkg = fresh_town / "ortsteile.gpkg"
    _ortsteile_gpkg(gpkg, db.session)
    db.session.rollback()
    base = live_server.url
    context = chromium.new_context(locale="de-DE", viewport={"width": 1366, "height": 900})
    tile_host = urlsplit(app.config["TILE_URL"].replace("{s}", "a")).netloc
    context.route(f"**://{tile_host}/**", lambda route: route.fulfill(body=BLANK_TILE, content_type="image/png"))
    page = context.new_page()
    try:
        _sign_in(page, base, "md-admin", PASSWORD)
        # Ortsteile from the GeoPackage.
        page.goto(base + "/intern/admin/gebiete/")
        page.set_input_files("#datei", str(gpkg))
        page.select_option("#kind", "ortsteil")
        page.get_by_role("button", name="Importieren").click()
        page.wait_for_selector("text=2 Gebiete importiert (EPSG:25832)")

        # Three departments.
        for code, name in (("bauamt", "Bauamt"), ("bauhof-nord", "Bauhof Nord"), ("rathaus", "Rathaus")):
            page.goto(base + "/intern/admin/")
            page.fill("#new-dept-code", code)
            page.fill("#new-dept-name", name)
            page.fill("#new-dept-email", f"{code}@musterdorf.example")
            page.get_by_role("button", name="Abteilung anlegen").click()
            page.wait_for_selector("text=Die Abteilung wurde angelegt.")

        # Four categories, switched on after checking; one asks a required question, one stops.
        for code, name in (("bank", "Parkbank kaputt"), ("weg", "Weg beschädigt"), ("licht", "Licht aus"),
                           ("gas", "Gasgeruch")):
            page.goto(base + "/intern/admin/")
            page.fill("#new-cat-code", code)
            page.fill("#new-cat-name", name)
            page.get_by_role("button", name="Kategorie anlegen").click()
            page.wait_for_url(re.compile(r"/intern/admin/kategorien/\d+$"))
            page.check("#c-active")
            if code == "gas":
                page.fill("#c-stop", "Gasgeruch? Rufen Sie sofort 112 an.")
            page.get_by_role("button", name="Speichern", exact=True).click()
            page.wait_for_selector("text=Die Kategorie wurde gespeichert.")
            if code == "bank":
                page.fill("#q-code", "schaden")
                page.fill("#q-label", "Was ist kaputt?")
                page.select_option("#q-kind", "singlevaluelist")
                page.check("#q-required")
                page.fill("#q-choices", "sitz = Sitzfläche\nlehne = Lehne")
                page.get_by_role("button", name="Frage anlegen").click()
                page.wait_for_selector("text=Die Frage wurde angelegt.")

        # Two rules: the whole town to the Rathaus, benches in Nord to the Bauhof Nord.
        for area, category, department in (("", "", "Rathaus"), ("Nord", "Parkbank kaputt", "Bauhof Nord")):
            page.goto(base + "/intern/admin/")
            if area:
                page.select_option("#rule-area", label=area)
            if category:
                page.select_option("#rule-category", label=category)
            page.select_option("#rule-department", label=department)
            page.get_by_role("button", name="Weiter zur Vorschau").click()
            page.wait_for_selector("text=Neue Regel prüfen")
            page.get_by_role("button", name="Regel speichern").click()
            page.wait_for_selector("text=Die Regel wurde gespeichert.")

        # A citizen reports a broken bench in Nord and answers the question.
        citizen = context.new_page()
        citizen.goto(base + "/melden")
        show_step(citizen, "step-category")
        citizen.get_by_label("Gasgeruch").check()
        citizen.locator("#step-category").get_by_role("button", name="Weiter").click()
        citizen.wait_for_selector("text=Gasgeruch? Rufen Sie sofort 112 an.")
        # The stop notice ends the form: no "Weiter" after it, and sending is refused too.
        assert citizen.locator("#step-details").get_by_role("button", name="Weiter").is_hidden()
        assert citizen.locator("#send").is_disabled()
        show_step(citizen, "step-category")
        citizen.get_by_label("Parkbank kaputt").check()
        citizen.locator("#step-category").get_by_role("button", name="Weiter").click()
        assert not citizen.locator("#extra-gas").is_visible()
        citizen.get_by_label("Lehne").check()
        show_step(citizen, "step-description")
        citizen.get_by_label("Beschreibung (Pflichtfeld)").fill("Die Lehne der Bank am Teich ist abgebrochen.")
        enter_coordinates(citizen, IN_NORD[1], IN_NORD[0])
        show_step(citizen, "step-send")
        citizen.get_by_role("button", name="Meldung senden").click()
        citizen.wait_for_url(re.compile(r"/meldung/eingegangen/"))

        db.session.rollback()
        jid = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.slug == SLUG))
        report = db.session.scalar(select(Report).where(Report.jurisdiction_id == jid))
        bauhof = db.session.scalar(select(Department).where(Department.jurisdiction_id == jid,
                                                             Department.code == "bauhof-nord"))
        assert report.reference.startswith("MD-") and report.department_id == bauhof.id

        # The admin gives the Bauhof Nord an account (least role preselected); its staff see the answer.
        page.goto(base + "/intern/admin/")
        page.fill("#new-username", "bauhof-nord-1")
        page.fill("#new-email", "bauhof-nord-1@musterdorf.example")
        page.select_option("#new-dept", label="Bauhof Nord")
        page.fill("#new-password", "ein langes Passwort")
        page.get_by_role("button", name="Konto anlegen").click()
        staff = chromium.new_context(locale="de-DE")
        staff_page = staff.new_page()
        try:
            _sign_in(staff_page, base, "bauhof-nord-1", "ein langes Passwort")
            staff_page.goto(f"{base}/intern/meldungen/{report.id}")
            staff_page.wait_for_selector("text=Angaben zu den Zusatzfragen")
            answers = staff_page.locator("dl.answers").inner_text()
            assert "Was ist kaputt?" in answers and "Lehne" in answers
        finally:
            staff.close()
    finally:
        context.close()
