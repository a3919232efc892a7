"""Issue 21 "Done when", in headless Chromium: one gunicorn serves two towns on two host names
(Chromium maps both names to 127.0.0.1). Each shows its own name, crest, map and reports; a
report made on B's host routes in B; the neighbour hint appears for a pin across the border and
its link carries the place and description over to B."""
from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.db import db
from app.jurisdictions.models import Department
from app.reports.models import Report
from tests.browser import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.factories import town
from tests.intake.test_browser import BLANK_TILE, enter_coordinates, show_step
from tests.services import GunicornServer
from tests.towns.two_towns import A_HOST, B_HOST, B_NAME, IN_B, JUST_INSIDE_B, add_host, make_town_b, remove_town_b

pytestmark = pytest.mark.browser


@pytest.fixture
def two_hosts(app, committing, database_url, redis_server, smtp_server, tmp_path, chromium):
    remove_town_b()
    add_host(town(), A_HOST)
    make_town_b(tmp_path / "b")
    db.session.commit()
    media = Path(tempfile.mkdtemp(prefix="mm-two-towns-media-"))
    web = GunicornServer(workers=1, DATABASE_URL=database_url, REDIS_URL=redis_server.url,
                         RATELIMIT_STORAGE_URI="redis+" + redis_server.url, MEDIA_STORAGE_URL=str(media),
                         SECRET_KEY="two-towns-" + "k" * 40, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port,
                         DEFAULT_JURISDICTION="")
    web.env["BASE_URL"] = f"http://{A_HOST}:{web.port}"
    web.start()
    rules = f"MAP {A_HOST} 127.0.0.1, MAP {B_HOST} 127.0.0.1"
    # A second browser of the session's Playwright, with both host names mapped to loopback.
    browser = None
    try:
        browser = chromium.browser_type.launch(executable_path=CHROMIUM,
                                               args=CHROMIUM_ARGS + [f"--host-resolver-rules={rules}"])
        yield web, browser
    finally:
        if browser is not None:
            browser.close()
        web.stop()  # also when the browser did not start: no gunicorn left behind
        import shutil

        shutil.rmtree(media, ignore_errors=True)
        remove_town_b()


def _page(browser, app):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    tile_host = urlsplit(app.config["TILE_URL"].replace("{s}", "a")).netloc
    page.route(f"**://{tile_host}/**", lambda route: route.fulfill(body=BLANK_TILE, content_type="image/png"))
    return page


def _map_centre(page) -> tuple[float, float]:
    page.wait_for_selector("#map_reports .leaflet-tile-container", state="attached")
    return tuple(page.evaluate("() => { const c = map_reports.getCenter(); return [c.lat, c.lng]; }"))


def test_one_gunicorn_serves_two_towns_on_two_hosts(app, two_hosts):
    web, browser = two_hosts
    a_url, b_url = f"http://{A_HOST}:{web.port}", f"http://{B_HOST}:{web.port}"
    page = _page(browser, app)

    page.goto(a_url + "/")
    assert page.locator(".brand__town").inner_text() == "Stadt Harsewinkel"
    assert page.locator("img.brand__crest").count() == 1  # the demo crest of the settings' town
    a_lat, a_lon = _map_centre(page)
    page.goto(a_url + "/meldungen")
    assert "Zzbmarker" not in page.content()

    page.goto(b_url + "/")
    assert page.locator(".brand__town").inner_text() == B_NAME
    assert page.locator("img.brand__crest").count() == 0  # B has no crest (h18's profile brings one per town)
    b_lat, b_lon = _map_centre(page)
    assert (round(a_lat, 2), round(a_lon, 2)) == (51.96, 8.23)
    assert 8.355 < b_lon < 8.555 and 51.895 < b_lat < 52.025  # B's map opens on B
    page.goto(b_url + "/meldungen")
    assert "ZZBM-20" in page.content() and "Zzbmarker Schlagloch" in page.content()
    assert "HW-20" not in page.content()

    # A report made on B's host routes in B.
    page.goto(b_url + "/melden")
    page.wait_for_selector("#map .leaflet-tile-container", state="attached")
    show_step(page, "step-category")  # the intake shows one step at a time
    page.locator("#category-zzbmarker-loch").check()
    enter_coordinates(page, IN_B[1], IN_B[0] + 0.01)
    show_step(page, "step-description")
    page.fill("#description", "Neues Loch in Zzbmarker")
    show_step(page, "step-send")
    page.get_by_role("button", name="Meldung senden").click()
    page.wait_for_url("**/meldung/eingegangen/**")
    db.session.expire_all()
    report = db.session.scalar(select(Report).where(Report.description == "Neues Loch in Zzbmarker"))
    assert report is not None and report.reference.startswith("ZZBM-")
    assert db.session.get(Department, report.department_id).code == "zzbmarker-bauhof"

    # A pin just across Harsewinkel's border, typed on A's host: the hint sends it to B.
    page.goto(a_url + "/melden")
    page.wait_for_selector("#map .leaflet-tile-container", state="attached")
    show_step(page, "step-category")
    page.locator("#category-schlagloch").check()
    show_step(page, "step-description")
    page.fill("#description", "Loch gleich hinter der Stadtgrenze")
    enter_coordinates(page, JUST_INSIDE_B[1], JUST_INSIDE_B[0])  # shows the place step, where the hint appears
    page.press("#lon", "Tab")
    link = page.locator("a.neighbour-town-link")  # the live check of the pin (the form without JS: test_hosts.py)
    link.wait_for()
    assert f"Dieser Ort gehört zu {B_NAME}" in page.locator("#location-live-error").inner_text()
    link.click()
    page.wait_for_url(f"{b_url}/melden?**")
    assert page.input_value("#description") == "Loch gleich hinter der Stadtgrenze"
    assert abs(float(page.input_value("#lat").replace(",", ".")) - JUST_INSIDE_B[1]) < 1e-5
    page.context.close()
