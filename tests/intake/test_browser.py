"""The intake page in real headless Chromium at 360 px: the whole path with map,
pin and photo; the offline queue; the photo's GPS offer; the outside-town refusal;
the duplicate hint; the plain path without JavaScript; axe-core."""
from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from PIL import Image
from sqlalchemy import select

from app.db import db
from app.reports.models import Report
from tests.browser import describe_violations, run_axe
from tests.factories import HARSEWINKEL, TWENTY_KM_AWAY, make_report
from tests.intake.conftest import PHOTO_LAT, PHOTO_LON, jpeg_with_gps

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"HW-\d{4}-\d{6}")


def _blank_tile() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (230, 230, 225)).save(buffer, "PNG")
    return buffer.getvalue()


BLANK_TILE = _blank_tile()


def open_intake(page, live_server, app, path="/melden"):
    """Load the intake page with the map's tile server answered locally; returns the
    list of hosts the page contacted."""
    tile_host = urlsplit(app.config["TILE_URL"].replace("{s}", "a")).netloc
    hosts: list[str] = []
    page.on("request", lambda request: hosts.append(urlsplit(request.url).netloc))
    page.route(f"**://{tile_host}/**", lambda route: route.fulfill(body=BLANK_TILE, content_type="image/png"))
    page.goto(live_server.url + path)
    page.wait_for_selector("#map .leaflet-tile-container", state="attached")
    return hosts, tile_host


def set_pin_by_tapping_the_map(page):
    page.locator("#map").click()  # scrolled into view, tapped in the middle
    page.wait_for_function("() => document.getElementById('lat').value !== ''")


def committed_reports():
    db.session.remove()
    return db.session.scalars(select(Report)).all()


def test_phone_pick_category_set_pin_attach_photo_send_see_reference(live_server, phone):
    app = live_server.server.app
    hosts, tile_host = open_intake(phone, live_server, app)

    phone.get_by_label("Schlagloch / Straßenschaden").check()
    phone.get_by_label("Beschreibung (Pflichtfeld)").fill("Tiefes Loch am Straßenrand, Radfahrer weichen aus.")
    set_pin_by_tapping_the_map(phone)
    assert phone.locator(".leaflet-marker-icon").count() == 1
    phone.wait_for_function("() => document.getElementById('location-feedback').textContent.includes('Markierung gesetzt')")
    lat, lon = float(phone.input_value("#lat")), float(phone.input_value("#lon"))
    phone.set_input_files("#photos", files=[{"name": "loch.jpg", "mimeType": "image/jpeg",
                                             "buffer": jpeg_with_gps(size=(3000, 2250))}])
    phone.wait_for_selector("#photo-previews img")
    phone.get_by_role("button", name="Meldung senden").click()

    phone.wait_for_url(re.compile(r"/meldung/eingegangen/"))
    reference = phone.locator("#reference").inner_text()
    assert REFERENCE.fullmatch(reference)
    assert phone.get_by_role("heading", level=1).inner_text().startswith("Vielen Dank")

    [report] = committed_reports()
    assert report.reference == reference and report.category.code == "schlagloch"
    from geoalchemy2.shape import to_shape

    point = to_shape(report.location)
    assert point.y == pytest.approx(lat, abs=1e-6) and point.x == pytest.approx(lon, abs=1e-6)
    # The browser shrank the photo to a long side of 2000 px before uploading it.
    [photo] = report.photos
    assert max(photo.width, photo.height) == 2000
    # Nothing was loaded from anywhere but this app and the configured tile server.
    assert set(hosts) <= {urlsplit(live_server.url).netloc, tile_host}, set(hosts)


def test_report_written_offline_is_sent_when_the_connection_returns(live_server, chromium):
    from tests.browser import PHONE

    app = live_server.server.app
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    try:
        open_intake(page, live_server, app)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")  # installable: the worker is active
        page.get_by_label("Straßenlaterne defekt").check()
        page.get_by_label("Beschreibung (Pflichtfeld)").fill("Laterne Nr. 17 brennt nicht.")
        page.fill("#lat", str(HARSEWINKEL[1]))
        page.fill("#lon", str(HARSEWINKEL[0]))
        page.set_input_files("#photos", files=[{"name": "laterne.jpg", "mimeType": "image/jpeg",
                                                "buffer": jpeg_with_gps()}])
        page.wait_for_selector("#photo-previews img")
        key = page.input_value("input[name=idempotency_key]")

        context.set_offline(True)
        page.get_by_role("button", name="Meldung senden").click()
        page.wait_for_function("() => document.getElementById('queue-status').textContent.includes('Keine Verbindung')")
        assert page.evaluate("MMQueue.waiting().then(w => w.map(e => [e.key, e.photos.length]))") == [[key, 1]]
        assert committed_reports() == []

        context.set_offline(False)
        page.wait_for_function("() => /HW-\\d{4}-\\d{6}/.test(document.getElementById('queue-status').textContent)",
                               timeout=15000)
        shown = REFERENCE.search(page.locator("#queue-status").inner_text()).group(0)
        [report] = committed_reports()
        assert report.reference == shown and report.idempotency_key == key and len(report.photos) == 1
        assert page.evaluate("MMQueue.waiting().then(w => w.length)") == 0
        page.get_by_role("link", name="Bestätigung und privaten Verfolgungslink ansehen").click()
        page.wait_for_url(re.compile(r"/meldung/eingegangen/"))
        assert page.locator("#reference").inner_text() == shown
    finally:
        context.close()


def test_answer_lost_on_the_way_back_still_makes_one_report(live_server, phone):
    """The server stores the report but the answer never reaches the phone: the page
    keeps the report and sends it again with the same key, and exactly one exists."""
    app = live_server.server.app
    open_intake(phone, live_server, app)
    dropped = []

    def drop_first_answer(route):
        if not dropped:
            dropped.append(route.fetch().status)  # reaches the server ...
            route.abort("connectionreset")        # ... but the answer is lost
        else:
            route.continue_()

    phone.route("**/api/v1/intake/reports*", drop_first_answer)
    phone.get_by_label("Wilder Müll").check()
    phone.get_by_label("Beschreibung (Pflichtfeld)").fill("Sperrmüll am Waldrand abgeladen.")
    phone.fill("#lat", str(HARSEWINKEL[1]))
    phone.fill("#lon", str(HARSEWINKEL[0]))
    phone.get_by_role("button", name="Meldung senden").click()
    phone.wait_for_function("() => document.getElementById('queue-status').textContent.includes('Keine Verbindung')")
    assert dropped == [201] and len(committed_reports()) == 1

    phone.evaluate("window.dispatchEvent(new Event('online'))")
    phone.wait_for_function("() => /HW-\\d{4}-\\d{6}/.test(document.getElementById('queue-status').textContent)")
    [report] = committed_reports()
    assert report.reference in phone.locator("#queue-status").inner_text()


def test_photo_position_is_offered_as_the_pin(live_server, phone):
    app = live_server.server.app
    open_intake(phone, live_server, app)
    assert phone.locator("#photo-gps").is_hidden()
    phone.set_input_files("#photos", files=[{"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}])
    offer = phone.get_by_role("button", name="Position des Fotos übernehmen")
    offer.wait_for()
    offer.click()
    assert float(phone.input_value("#lat")) == pytest.approx(PHOTO_LAT, abs=1e-4)
    assert float(phone.input_value("#lon")) == pytest.approx(PHOTO_LON, abs=1e-4)
    assert phone.locator(".leaflet-marker-icon").count() == 1


def test_pin_outside_the_town_is_refused_with_a_clear_message(live_server, phone):
    app = live_server.server.app
    open_intake(phone, live_server, app)
    phone.get_by_label("Graffiti").check()
    phone.get_by_label("Beschreibung (Pflichtfeld)").fill("Schmiererei an der Brücke.")
    phone.fill("#lat", str(TWENTY_KM_AWAY[1]))
    phone.fill("#lon", str(TWENTY_KM_AWAY[0]))
    phone.press("#lon", "Tab")
    live = phone.locator("#location-live-error")
    live.wait_for()
    assert "außerhalb des Stadtgebiets" in live.inner_text()
    assert phone.get_attribute("#lat", "aria-invalid") == "true"

    # Sent anyway: the server refuses it, the summary names it and takes the focus.
    phone.get_by_role("button", name="Meldung senden").click()
    summary = phone.locator("#error-summary")
    summary.wait_for()
    assert "außerhalb des Stadtgebiets" in summary.inner_text()
    assert phone.evaluate("document.activeElement.id") == "error-summary"
    assert committed_reports() == []


def test_open_report_nearby_is_shown_as_already_reported(live_server, phone):
    app = live_server.server.app
    existing = make_report(point=HARSEWINKEL, category_code="schlagloch")
    db.session.commit()
    open_intake(phone, live_server, app)
    phone.get_by_label("Schlagloch / Straßenschaden").check()
    # About 20 m north-east of the existing report.
    phone.fill("#lat", str(HARSEWINKEL[1] + 0.00013))
    phone.fill("#lon", str(HARSEWINKEL[0] + 0.0002))
    phone.press("#lon", "Tab")
    hint = phone.locator("#duplicates")
    hint.wait_for(timeout=10000)
    assert phone.get_by_role("heading", name="Schon gemeldet?").is_visible()
    assert existing.reference in hint.inner_text()
    # Follow that report instead of filing a new one.
    phone.get_by_role("button", name="Stattdessen dieser Meldung folgen").click()
    phone.get_by_label("Ihre E-Mail-Adresse für Nachrichten zu dieser Meldung").fill("nachbarin@example.org")
    phone.get_by_role("button", name="Folgen", exact=True).click()
    phone.get_by_text("Fast geschafft").wait_for()
    from app.followers.models import Follower

    db.session.remove()
    assert [f.email for f in db.session.scalars(select(Follower))] == ["nachbarin@example.org"]
    # Another category at the same place is not a duplicate.
    phone.get_by_label("Graffiti").check()
    phone.wait_for_function("() => document.getElementById('duplicates').hidden")


def test_intake_page_with_map_passes_axe(live_server, phone):
    app = live_server.server.app
    open_intake(phone, live_server, app)
    violations = run_axe(phone)
    assert violations == [], describe_violations(violations)
    # With a pin set and the errors of a refused submission shown.
    set_pin_by_tapping_the_map(phone)
    phone.get_by_role("button", name="Meldung senden").click()
    phone.locator("#error-summary").wait_for()
    violations = run_axe(phone)
    assert violations == [], describe_violations(violations)


def test_plain_form_without_javascript(live_server, chromium):
    from tests.browser import PHONE

    context = chromium.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/melden")
        assert page.locator("#map-tools").is_hidden()
        page.get_by_label("Gully / Straßenablauf verstopft").check()
        page.get_by_label("Beschreibung (Pflichtfeld)").fill("Gully läuft über.")
        page.get_by_label("Breite", exact=True).fill("51,962")
        page.get_by_label("Länge", exact=True).fill("8,229")
        page.set_input_files("#photos", files=[{"name": "gully.jpg", "mimeType": "image/jpeg",
                                                "buffer": jpeg_with_gps()}])
        page.get_by_role("button", name="Meldung senden").click()
        page.wait_for_url(re.compile(r"/meldung/eingegangen/"))
        reference = page.locator("#reference").inner_text()
        [report] = committed_reports()
        assert report.reference == reference and len(report.photos) == 1
    finally:
        context.close()


def test_address_search_sets_the_pin_and_the_address_follows_the_pin(committed_demo_addresses, live_server, phone):
    app = live_server.server.app
    open_intake(phone, live_server, app)
    phone.get_by_label("Adresse oder Ortsbeschreibung").fill("Kirchplatz 3")
    phone.get_by_role("button", name="Adresse suchen").click()
    first = phone.locator("#address-results button").first
    first.wait_for()
    assert "Kirchplatz 3" in first.inner_text()
    first.click()
    assert float(phone.input_value("#lat")) == pytest.approx(51.962319, abs=1e-6)
    assert phone.locator(".leaflet-marker-icon").count() == 1
    # Moving the pin (typed coordinates of Kirchplatz 1) updates the shown address.
    phone.fill("#lat", "51.96259")
    phone.fill("#lon", "8.228385")
    phone.press("#lon", "Tab")
    phone.wait_for_function("() => document.getElementById('location-feedback').textContent.includes('Kirchplatz 1')")
