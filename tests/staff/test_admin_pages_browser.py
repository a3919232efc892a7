"""The admin pages of issue 18's rest in headless Chromium: the pages only a form reaches (retire
confirmation, import results, the address import's progress) pass axe, have no sideways
scrolling at 390 px, and screenshots at 390 and 1366 px are written for review."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from app.db import db
from tests.browser import describe_violations, run_axe
from tests.factories import GREFFEN, department
from tests.staff.test_accessibility import _sign_in, workspace_data  # noqa: F401  (fixture)

SHOTS = Path(os.environ.get("H18_SCREENSHOTS", "/tmp/h18-shots"))


def _check(page, name: str, problems: list[str], width: int) -> None:
    page.wait_for_load_state("load")
    violations = run_axe(page)
    if violations:
        problems.append(f"{name}: {describe_violations(violations)}")
    wide = page.evaluate("document.documentElement.scrollWidth")
    if wide > width:
        problems.append(f"{name}: {wide} px wide at {width} px")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1366])
def test_form_reached_admin_pages_pass_axe_and_fit(live_server, workspace_data, chromium, tmp_path, width):  # noqa: F811
    lon, lat = GREFFEN
    reports = tmp_path / "alt.csv"
    reports.write_text("reference,service_code,lat,long,status,requested_datetime,updated_datetime,description,address\n"
                       f"ALT-1,schlagloch,{lat},{lon},erledigt,2024-03-01T08:00:00Z,,Loch,\n"
                       f"ALT-2,gibtsnicht,{lat},{lon},erledigt,2024-03-01T08:00:00Z,,Loch,\n", encoding="utf-8")
    accounts = tmp_path / "konten.csv"
    accounts.write_text("username,name,email,role,department\nk.kaputt,Kim,keine-adresse,,\n", encoding="utf-8")
    addresses = tmp_path / "adressen.csv"
    addresses.write_text("strasse;hausnummer;lat;lon\nMünsterstraße;14;51,962;8,229\n", encoding="utf-8")
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="de-DE")
    page = context.new_page()
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    problems: list[str] = []
    try:
        _sign_in(page, live_server.url, workspace_data["admin"].username)
        for path, name in (("/intern/admin/stadtprofil", "profil"), ("/intern/admin/gebiete/", "gebiete"),
                           ("/intern/admin/", "verwaltung")):
            page.goto(live_server.url + path)
            _check(page, name, problems, width)
        page.goto(live_server.url + f"/intern/admin/abteilungen/{department('gruen').id}/aufloesen")
        _check(page, "aufloesen", problems, width)
        page.select_option("#successor", str(department("ordnungsamt").id))
        page.click("text=Weiter zur Bestätigung")
        assert page.locator("text=gehen an „Ordnungsamt“").count() == 1
        _check(page, "aufloesen-bestaetigen", problems, width)
        page.goto(live_server.url + "/intern/admin/meldungen-import")
        page.set_input_files("#datei", str(reports))
        page.click("text=Probelauf starten")
        assert page.locator("code", has_text="imported=1 unchanged=0 rejected=1").count() == 1
        _check(page, "meldungen-probelauf", problems, width)
        page.goto(live_server.url + "/intern/admin/")
        page.set_input_files("#staff-csv", str(accounts))
        page.click("button:has-text('Konten importieren')")
        assert page.locator("text=Die E-Mail-Adresse fehlt oder ist ungültig.").count() == 1
        _check(page, "konten-fehler", problems, width)
        page.goto(live_server.url + "/intern/admin/adressen/")
        page.set_input_files("#datei", str(addresses))
        page.click("button:has-text('Importieren')")
        page.wait_for_url("**/intern/admin/adressen/*")
        _check(page, "adressimport", problems, width)
    finally:
        context.close()
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM admin_uploads"))
    assert problems == [], "\n".join(problems)
