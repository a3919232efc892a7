"""The intake page in real headless Chromium at 360 px: the whole path with map,
pin and photo; the offline queue; the photo's GPS offer; the outside-town refusal;
the duplicate hint; the plain path without JavaScript; axe-core."""
from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from PIL import Image
from sqlalchemy import delete, select

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


def show_step(page, step_id):
    """With JavaScript the form shows one step at a time (js/intake-steps.js); tests of other
    things go straight to the step they work in, as the summary's "Ändern" buttons do."""
    page.evaluate("id => MMSteps.show(id)", step_id)


def enter_coordinates(page, lat, lon):
    """Typed coordinates sit behind the "Koordinaten eingeben" disclosure on the place step."""
    if page.evaluate("() => !!window.MMSteps"):
        show_step(page, "step-place")
    if not page.locator("details.coordinates").evaluate("d => d.open"):
        page.get_by_text("Koordinaten eingeben").click()
    page.fill("#lat", str(lat))
    page.fill("#lon", str(lon))


def coordinate(page, selector: str) -> float:
    """A coordinate as the page writes it (German pages: decimal comma)."""
    return float(page.input_value(selector).replace(",", "."))


def set_pin_by_tapping_the_map(page):
    show_step(page, "step-place")
    page.locator("#map").click()  # scrolled into view, tapped in the middle
    page.wait_for_function("() => document.getElementById('lat').value !== ''")


def committed_reports():
    db.session.remove()
    return db.session.scalars(select(Report)).all()


def test_phone_pick_category_set_pin_attach_photo_send_see_reference(live_server, phone):
    app = live_server.server.app
    hosts, tile_host = open_intake(phone, live_server, app)

    show_step(phone, "step-category")
    phone.get_by_label("Schlagloch / Straßenschaden").check()
    show_step(phone, "step-description")
    phone.get_by_label("Beschreibung (Pflichtfeld)").fill("Tiefes Loch am Straßenrand, Radfahrer weichen aus.")
    set_pin_by_tapping_the_map(phone)
    assert phone.locator(".leaflet-marker-icon").count() == 1
    phone.wait_for_function("() => document.getElementById('location-feedback').textContent.includes('Markierung gesetzt')")
    lat, lon = coordinate(phone, "#lat"), coordinate(phone, "#lon")
    show_step(phone, "step-photo")
    phone.set_input_files("#photos", files=[{"name": "loch.jpg", "mimeType": "image/jpeg",
                                             "buffer": jpeg_with_gps(size=(3000, 2250))}])
    phone.wait_for_selector("#photo-previews img")
    show_step(phone, "step-send")
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
        show_step(page, "step-category")
        page.get_by_label("Straßenlaterne defekt").check()
        show_step(page, "step-description")
        page.get_by_label("Beschreibung (Pflichtfeld)").fill("Laterne Nr. 17 brennt nicht.")
        enter_coordinates(page, HARSEWINKEL[1], HARSEWINKEL[0])
        show_step(page, "step-photo")
        page.set_input_files("#photos", files=[{"name": "laterne.jpg", "mimeType": "image/jpeg",
                                                "buffer": jpeg_with_gps()}])
        page.wait_for_selector("#photo-previews img")
        key = page.input_value("input[name=idempotency_key]")
        show_step(page, "step-send")

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
    show_step(phone, "step-category")
    phone.get_by_label("Wilder Müll").check()
    show_step(phone, "step-description")
    phone.get_by_label("Beschreibung (Pflichtfeld)").fill("Sperrmüll am Waldrand abgeladen.")
    enter_coordinates(phone, HARSEWINKEL[1], HARSEWINKEL[0])
    show_step(phone, "step-send")
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
    assert coordinate(phone, "#lat") == pytest.approx(PHOTO_LAT, abs=1e-4)
    assert coordinate(phone, "#lon") == pytest.approx(PHOTO_LON, abs=1e-4)
    assert phone.locator(".leaflet-marker-icon").count() == 1


def test_pin_outside_the_town_is_refused_with_a_clear_message(live_server, phone):
    app = live_server.server.app
    open_intake(phone, live_server, app)
    show_step(phone, "step-category")
    phone.get_by_label("Graffiti").check()
    show_step(phone, "step-description")
    phone.get_by_label("Beschreibung (Pflichtfeld)").fill("Schmiererei an der Brücke.")
    enter_coordinates(phone, TWENTY_KM_AWAY[1], TWENTY_KM_AWAY[0])
    phone.press("#lon", "Tab")
    live = phone.locator("#location-live-error")
    live.wait_for()
    assert "außerhalb des Stadtgebiets" in live.inner_text()
    assert phone.get_attribute("#lat", "aria-invalid") == "true"

    # Sent anyway: the server refuses it, the summary names it and takes the focus.
    show_step(phone, "step-send")
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
    show_step(phone, "step-category")
    phone.get_by_label("Schlagloch / Straßenschaden").check()
    # About 20 m north-east of the existing report.
    enter_coordinates(phone, HARSEWINKEL[1] + 0.00013, HARSEWINKEL[0] + 0.0002)
    phone.press("#lon", "Tab")
    show_step(phone, "step-category")  # the hint sits under the category tiles
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
    # Or just say "Ich auch" (issue 20 point 2): anonymous, counted at once, once per browser.
    phone.get_by_role("button", name=f"Ich auch: {existing.reference} betrifft mich auch (anonym)").click()
    phone.get_by_text("Danke! Ihre Unterstützung ist gezählt.").wait_for()
    db.session.remove()
    assert db.session.get(type(existing), existing.id).support_count == 1
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
    violations = run_axe(phone)
    assert violations == [], describe_violations(violations)
    show_step(phone, "step-send")
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
        page.get_by_text("Koordinaten eingeben").click()  # the disclosure opens without JavaScript too
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
    show_step(phone, "step-place")
    phone.get_by_label("Adresse oder Ortsbeschreibung").fill("Kirchplatz 3")
    phone.get_by_role("button", name="Adresse suchen").click()
    first = phone.locator("#address-results button").first
    first.wait_for()
    assert "Kirchplatz 3" in first.inner_text()
    first.click()
    assert coordinate(phone, "#lat") == pytest.approx(51.962319, abs=1e-6)
    assert phone.locator(".leaflet-marker-icon").count() == 1
    # Moving the pin (typed coordinates of Kirchplatz 1) updates the shown address.
    enter_coordinates(phone, "51.96259", "8.228385")
    phone.press("#lon", "Tab")
    phone.wait_for_function("() => document.getElementById('location-feedback').textContent.includes('Kirchplatz 1')")


@pytest.fixture
def committed_required_question(live_server):
    """A required single-choice question on "Schlagloch", committed (the live server sees it) and
    removed again afterwards."""
    from app.open311.models import ServiceAttribute
    from tests.factories import category

    question = ServiceAttribute(category_id=category("schlagloch").id, code="wo", datatype="singlevaluelist",
                                required=True, description="Wo ist der Schaden?", order=1,
                                values=[{"key": "fahrbahn", "name": "Auf der Fahrbahn"},
                                        {"key": "gehweg", "name": "Auf dem Gehweg"}])
    db.session.add(question)
    db.session.commit()
    question_id = question.id
    yield question
    db.session.rollback()
    db.session.execute(delete(ServiceAttribute).where(ServiceAttribute.id == question_id))
    db.session.commit()


def _step_fits(page, width=390, height=844):
    """The shown step: its id, and that it fits the phone's screen (height and width)."""
    shown = page.evaluate("""() => [...document.querySelectorAll('.intake-step')].filter(s => !s.hidden)
                                  .map(s => [s.id, s.offsetHeight])""")
    assert len(shown) == 1, shown
    [(step_id, step_height)] = shown
    assert step_height <= height, shown
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    return step_id


def test_phone_390_completes_a_report_step_by_step_counting_taps_and_entries(
        committed_demo_addresses, committed_required_question, live_server, chromium):
    """The step screens at 390 x 844, as a person holding a phone does it: photo from the camera
    button, an address picked from the suggestions that appear while typing, a category tile, the
    category's required question, a description, an e-mail address, the summary, send. Every tap
    and every typed text is counted (the closing note of issue 17 states the numbers)."""
    app = live_server.server.app
    context = chromium.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                   has_touch=True, locale="de-DE")
    page = context.new_page()
    taps = entries = 0
    steps = []

    def tap(locator):
        nonlocal taps
        locator.tap()
        taps += 1

    def next_step():
        tap(page.get_by_role("button", name="Weiter").and_(page.locator(":visible")))
        steps.append(_step_fits(page))
        # The new step's heading has the focus (a screen reader starts reading there).
        assert page.evaluate("document.activeElement.closest('.intake-step').id") == steps[-1]
        assert page.evaluate("document.activeElement.tagName") == "H2"

    try:
        open_intake(page, live_server, app)
        steps.append(_step_fits(page))
        assert page.locator("#step-progress-text").inner_text() == "Schritt 1 von 6"
        # No autocomplete may offer the user's own (home) address as the defect's place.
        assert page.get_attribute("#address", "autocomplete") == "off"

        with page.expect_file_chooser() as chooser:
            tap(page.get_by_text("Foto aufnehmen"))
        assert chooser.value.element.get_attribute("capture") == "environment"
        chooser.value.set_files(files=[{"name": "loch.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}])
        page.wait_for_selector("#photo-previews img")
        next_step()

        assert page.locator("#lat").is_hidden()  # coordinates only behind "Koordinaten eingeben"
        tap(page.locator("#address"))
        page.locator("#address").press_sequentially("Kirchplatz 3", delay=20)
        entries += 1
        suggestion = page.locator("#address-results button", has_text="Kirchplatz 3").first
        suggestion.wait_for()
        assert page.evaluate("document.activeElement.id") == "address"  # typing kept the focus
        tap(suggestion)
        page.wait_for_function("() => document.getElementById('lat').value !== ''")
        assert coordinate(page, "#lat") == pytest.approx(51.962319, abs=1e-6)
        next_step()

        tap(page.get_by_text("Schlagloch / Straßenschaden", exact=True))
        assert page.is_checked("#category-schlagloch")
        next_step()
        # The chosen category asks its question on a step of its own.
        assert page.locator("#step-progress-text").inner_text() == "Schritt 4 von 7"
        assert page.get_by_text("Wo ist der Schaden?").is_visible()
        tap(page.get_by_text("Auf der Fahrbahn"))
        next_step()

        tap(page.locator("#description"))
        page.locator("#description").fill("Tiefes Loch vor der Kirche.")
        entries += 1
        next_step()
        tap(page.locator("#email"))
        page.locator("#email").fill("melderin@example.org")
        entries += 1
        next_step()

        summary = page.locator("#summary").inner_text()
        for shown in ("1 Foto", "Kirchplatz 3", "Schlagloch / Straßenschaden", "Tiefes Loch vor der Kirche.",
                      "melderin@example.org"):
            assert shown in summary, summary
        tap(page.get_by_role("button", name="Meldung senden"))
        page.wait_for_url(re.compile(r"/meldung/eingegangen/"))
        reference = page.locator("#reference").inner_text()
    finally:
        context.close()
    assert steps == ["step-photo", "step-place", "step-category", "step-details", "step-description",
                     "step-contact", "step-send"]
    [report] = committed_reports()
    assert report.reference == reference and report.category.code == "schlagloch"
    assert report.reporter_email == "melderin@example.org" and len(report.photos) == 1
    assert "Kirchplatz 3" in (report.address or "")
    from app.open311.models import ReportAttributeValue

    answers = db.session.scalars(select(ReportAttributeValue).where(ReportAttributeValue.report_id == report.id)).all()
    assert [(a.attribute.code, a.value) for a in answers] == [("wo", "fahrbahn")]
    print(f"390 x 844 report: {taps} taps, {entries} text entries")
    assert (taps, entries) == (14, 3)


def test_steps_move_with_weiter_zurueck_and_the_back_button(committed_required_question, live_server, phone):
    """One step per screen: the progress, "Weiter" checks the step (a place, a required question),
    the error summary leads to the field, the browser's back and forward buttons move between steps,
    "Ändern" in the summary leads back; axe-clean on later steps too."""
    app = live_server.server.app
    open_intake(phone, live_server, app)
    assert phone.locator("#step-photo").is_visible() and phone.locator("#step-place").is_hidden()
    assert phone.get_by_role("button", name="Zurück").is_hidden()  # nothing before the first step
    phone.get_by_role("button", name="Weiter").click()
    assert phone.locator("#step-progress-text").inner_text() == "Schritt 2 von 6"
    assert phone.evaluate("document.activeElement.id") == "step-place-title"
    assert phone.url.endswith("#place")

    # "Weiter" without a place: refused, the summary says why and its link opens the coordinates.
    phone.locator("#step-place").get_by_role("button", name="Weiter").click()
    summary = phone.locator("#error-summary")
    summary.wait_for()
    assert "Bitte geben Sie den Ort an" in summary.inner_text()
    assert phone.evaluate("document.activeElement.id") == "error-summary"
    assert phone.locator("#step-place").is_visible()
    summary.get_by_role("link").click()
    assert phone.evaluate("document.activeElement.id") == "lat"
    enter_coordinates(phone, HARSEWINKEL[1], HARSEWINKEL[0])
    phone.locator("#step-place").get_by_role("button", name="Weiter").click()
    assert phone.locator("#error-summary").count() == 0
    assert phone.locator("#step-category").is_visible()

    # The browser's back button: one step back, the heading focused; forward again.
    phone.go_back()
    phone.wait_for_function("() => !document.getElementById('step-place').hidden")
    assert phone.evaluate("document.activeElement.id") == "step-place-title"
    phone.go_forward()
    phone.wait_for_function("() => !document.getElementById('step-category').hidden")
    phone.get_by_label("Graffiti").check()
    assert phone.locator("#step-progress-text").inner_text() == "Schritt 3 von 6"  # no questions: no details step
    phone.get_by_label("Schlagloch / Straßenschaden").check()
    assert phone.locator("#step-progress-text").inner_text() == "Schritt 3 von 7"
    phone.locator("#step-category").get_by_role("button", name="Weiter").click()
    assert phone.locator("#step-details").is_visible()
    violations = run_axe(phone)
    assert violations == [], describe_violations(violations)
    # The required question unanswered: refused, and the summary's link leads to its first choice.
    phone.locator("#step-details").get_by_role("button", name="Weiter").click()
    summary = phone.locator("#error-summary")
    summary.wait_for()
    assert "Bitte beantworten Sie die Frage „Wo ist der Schaden?“." in summary.inner_text()
    summary.get_by_role("link").click()
    assert phone.evaluate("document.activeElement.value") == "fahrbahn"
    phone.get_by_label("Auf dem Gehweg").check()
    phone.locator("#step-details").get_by_role("button", name="Weiter").click()
    assert phone.locator("#step-description").is_visible()
    phone.get_by_label("Beschreibung (Pflichtfeld)").fill("Schmiererei am Rathaus.")
    phone.locator("#step-description").get_by_role("button", name="Weiter").click()
    phone.locator("#step-contact").get_by_role("button", name="Weiter").click()
    assert phone.locator("#step-progress-text").inner_text() == "Schritt 7 von 7"
    violations = run_axe(phone)
    assert violations == [], describe_violations(violations)

    # "Ändern" leads to the step; "Zurück" moves one step back.
    phone.get_by_role("button", name="Kategorie ändern").click()
    assert phone.locator("#step-category").is_visible()
    phone.locator("#step-category").get_by_role("button", name="Zurück").click()
    assert phone.locator("#step-place").is_visible()
    assert committed_reports() == []


def test_photos_add_up_and_can_be_taken_out_again(live_server, phone):
    app = live_server.server.app
    open_intake(phone, live_server, app)
    phone.set_input_files("#photos", files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}])
    phone.wait_for_selector("#photo-previews li:nth-child(1) img")
    phone.set_input_files("#photos-gallery", files=[{"name": "b.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()},
                                                    {"name": "c.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}])
    phone.wait_for_selector("#photo-previews li:nth-child(3) img")
    phone.get_by_role("button", name="Foto 2 entfernen").click()
    assert phone.locator("#photo-previews li").count() == 2
    show_step(phone, "step-send")
    assert phone.locator("#summary-photos").inner_text() == "2 Fotos"


def test_category_search_narrows_the_tiles(live_server, phone):
    app = live_server.server.app
    open_intake(phone, live_server, app)
    show_step(phone, "step-category")
    assert phone.locator(".tile:visible").count() == 10
    phone.get_by_label("Kategorie suchen").fill("laterne")
    phone.wait_for_function("() => document.querySelectorAll('.tile:not([hidden])').length === 1")
    assert "Straßenlaterne defekt" in phone.locator(".tile:visible").inner_text()
    assert "1 passende" in phone.locator("#category-search-result").inner_text()
    # The catch-all comes last, after every other group.
    assert phone.locator(".tile__input").evaluate_all("els => els.map(e => e.value)")[-1] == "sonstiges"


def test_confirmation_page_copies_the_private_tracking_link(live_server, chromium):
    report = make_report(point=HARSEWINKEL, category_code="gully")
    db.session.commit()
    context = chromium.new_context(viewport={"width": 320, "height": 700}, is_mobile=True, has_touch=True,
                                   locale="de-DE")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    try:
        page.goto(live_server.url + f"/meldung/eingegangen/{report.tracking_token}")
        assert page.locator("#reference").inner_text() == report.reference
        assert float(page.locator("#reference").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 28
        link = page.locator("#tracking-url")
        assert report.tracking_token in link.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 320  # the long link wraps
        page.get_by_role("button", name="Link kopieren").click()
        page.get_by_text("Der Link ist kopiert.").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == link.inner_text()
    finally:
        context.close()
