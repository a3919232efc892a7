"""The public pages in headless Chromium: the map (clusters, panning, filter, popups,
link to the report), third-party requests, citizen markup and axe-core."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.db import db
from tests.browser import describe_violations, run_axe
from tests.factories import MARIENFELD, make_report

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"
# Three reports about 45 m apart: one cluster at zoom 14, single markers at zoom 19.
OPEN_MARKER = ".leaflet-marker-icon.marker-open"
CLOSE = [(8.2290, 51.9620, "schlagloch"), (8.2296, 51.9620, "strassenlaterne"), (8.2293, 51.9624, "gully")]


def _reports():
    made = [make_report(point=(lon, lat), category_code=code, description=f"Test {code}",
                        address=f"Teststraße {i}") for i, (lon, lat, code) in enumerate(CLOSE, start=1)]
    xss = make_report(point=MARIENFELD, category_code="gully", description=XSS, address=XSS)  # gully: published at once
    db.session.commit()
    return made, xss


def _wait_loaded(page):
    page.wait_for_selector("#map_reports[data-state=loaded]", timeout=10000)


def _fail_on_dialog(page, seen):
    page.on("dialog", lambda dialog: (seen.append(dialog.message), dialog.dismiss()))


def test_map_pans_splits_clusters_filters_and_links_to_the_report(public_live, desktop, tile_server):
    made, _xss = _reports()
    page = desktop
    page.goto(public_live.url + "/karte?lat=51.9622&lon=8.2293&z=14")
    _wait_loaded(page)
    assert page.locator("#map_reports").get_attribute("data-mode") == "clusters"
    counts = [int(t) for t in page.locator(".leaflet-marker-icon.marker-cluster").all_inner_texts()]
    assert counts and max(counts) >= 2
    assert sum(counts) + page.locator(".leaflet-marker-icon.marker-single").count() >= 3

    # Pan by dragging the map: new data for the new view, and the permalink follows. (The
    # page already rewrote lon=8.2293 to the map's centre, so compare with what it wrote.)
    lon_before = page.evaluate("() => new URLSearchParams(location.search).get('lon')")
    box = page.locator("#map_reports").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 150, box["y"] + box["height"] / 2 - 60, steps=8)
    page.mouse.up()
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('lon') !== '{lon_before}'")
    _wait_loaded(page)
    assert page.locator("#permalink").get_attribute("href").startswith("/karte?")
    assert tile_server.requests, "the map drew no tiles"

    # Zoom in on the cluster until the server no longer clusters: single markers with status.
    for _ in range(4):
        if page.locator(OPEN_MARKER).count():
            break
        zoom = page.evaluate("() => map_reports.getZoom()")
        page.locator(".leaflet-marker-icon.marker-cluster").first.click()
        page.wait_for_function(f"() => map_reports.getZoom() > {zoom} && new URLSearchParams(location.search)"
                               f".get('z') == map_reports.getZoom() && "
                               "document.getElementById('map_reports').dataset.state === 'loaded'")
    page.wait_for_selector(OPEN_MARKER)
    assert page.locator("#map_reports").get_attribute("data-mode") == "reports"
    assert page.locator(OPEN_MARKER).count() == 3

    # A filter narrows the markers and goes into the permalink.
    page.select_option("#f-kategorie", "strassenlaterne")
    page.wait_for_function("() => document.querySelectorAll('.leaflet-marker-icon.marker-open').length === 1")
    assert "kategorie=strassenlaterne" in page.locator("#permalink").get_attribute("href")
    light = made[1]
    page.locator(OPEN_MARKER).first.click()
    popup = page.locator(".map-popup a")
    popup.wait_for()
    assert light.reference in popup.inner_text()
    # The category's icon, drawn from the page's sprite.
    assert page.locator(".map-popup use").get_attribute("href") == "#i-bulb"
    assert page.locator("#i-bulb").count() == 1
    popup.click()
    page.wait_for_url(f"**/meldungen/{light.reference}")
    assert light.reference in page.locator("h1").inner_text()


# Records, from the page, every change of the map's data-state and every fetch, each with
# whether the map was moving (between Leaflet's movestart and moveend) at that moment.
_RECORD_MOVES = """() => {
  const map = map_reports, el = document.getElementById('map_reports');
  window.mmMoving = false;
  window.mmRecord = [];
  map.on('movestart', () => { window.mmMoving = true; });
  map.on('moveend', () => { window.mmMoving = false; });
  new MutationObserver(() => window.mmRecord.push(['state', el.dataset.state, window.mmMoving, map.getZoom()]))
    .observe(el, {attributes: true, attributeFilter: ['data-state']});
  const fetch = window.fetch;
  window.fetch = function (url, options) {
    window.mmRecord.push(['fetch', String(url), window.mmMoving, map.getZoom()]);
    return fetch.call(this, url, options);
  };
}"""


def test_map_loads_only_views_it_has_come_to_rest_on(public_live, desktop, tile_server):
    """A pan followed at once by a zoom: the load still pending for the panned view must not
    run during the zoom animation (Leaflet already reports the target zoom then), and the map
    must not call itself loaded before it has arrived - the cause of the journey test's flakiness."""
    _reports()
    page = desktop
    page.goto(public_live.url + "/karte?lat=51.9622&lon=8.2293&z=14")
    _wait_loaded(page)
    page.evaluate(_RECORD_MOVES)
    # panBy without animation ends at once (moveend: a load is scheduled), then an animated zoom.
    page.evaluate("() => { map_reports.panBy([40, 0], {animate: false});"
                  " map_reports.setView(map_reports.getCenter(), 16); }")
    page.wait_for_function("() => !window.mmMoving && map_reports.getZoom() === 16 && "
                           "new URLSearchParams(location.search).get('z') === '16' && "
                           "document.getElementById('map_reports').dataset.state === 'loaded'")
    record = page.evaluate("() => window.mmRecord")
    during_move = [entry for entry in record if entry[2] and entry[1] != "moving"]
    assert during_move == [], f"loaded while the map was still moving: {record}"
    fetches = [entry[1] for entry in record if entry[0] == "fetch"]
    assert len(fetches) == 1 and "zoom=16" in fetches[0], record


def test_cluster_click_during_a_zoom_animation_is_not_lost(public_live, desktop, tile_server):
    _reports()
    page = desktop
    page.goto(public_live.url + "/karte?lat=51.9622&lon=8.2293&z=14")
    _wait_loaded(page)
    assert page.locator(".leaflet-marker-icon.marker-cluster").count() == 1
    # Start a zoom animation and click the cluster while it runs (Leaflet drops a setView then).
    page.evaluate("""() => new Promise(resolve => {
        map_reports.once('zoomanim', () => {
            document.querySelector('.leaflet-marker-icon.marker-cluster').click();
            resolve();
        });
        map_reports.setView(map_reports.getCenter(), 15);
    })""")
    page.wait_for_function("() => map_reports.getZoom() === 17 && "
                           "document.getElementById('map_reports').dataset.state === 'loaded'")
    assert page.evaluate("() => new URLSearchParams(location.search).get('z')") == "17"


def test_a_popup_stays_open_while_the_map_pans_to_show_it(public_live, desktop, tile_server):
    """A marker near the top edge: its popup pans the map, the map reloads that view, and the
    reload must not take the marker and its popup away."""
    made, _xss = _reports()
    page = desktop
    page.goto(public_live.url + "/karte?lat=51.9616&lon=8.2293&z=18")  # the gully report (51.9624) at the top
    _wait_loaded(page)
    # (A closed popup fades out before it leaves the DOM: count Leaflet's events instead.)
    page.evaluate("() => { window.mmMoves = 0; window.mmClosed = 0;"
                  " map_reports.on('moveend', () => { window.mmMoves += 1; });"
                  " map_reports.on('popupclose', () => { window.mmClosed += 1; }); }")
    page.locator(f'{OPEN_MARKER}[title*="{made[2].reference}"]').click()
    page.locator(".map-popup a").wait_for()
    page.wait_for_function("() => window.mmMoves > 0 && "
                           "document.getElementById('map_reports').dataset.state === 'loaded'")
    assert page.evaluate("() => window.mmClosed") == 0
    assert made[2].reference in page.locator(".map-popup a").inner_text()
    # A new view without that report closes it (the marker is gone).
    page.evaluate("() => map_reports.setView([51.937, 8.284], 18)")
    page.wait_for_function("() => document.getElementById('map_reports').dataset.state === 'loaded' && "
                           "map_reports.getCenter().lat < 51.94")
    assert page.evaluate("() => window.mmClosed") == 1


def test_citizen_markup_stays_text_in_popups_and_on_the_report_page(public_live, desktop):
    _made, xss = _reports()
    page = desktop
    dialogs: list[str] = []
    _fail_on_dialog(page, dialogs)
    page.goto(public_live.url + f"/karte?lat={MARIENFELD[1]}&lon={MARIENFELD[0]}&z=19")
    _wait_loaded(page)
    page.locator(".leaflet-marker-icon.marker-report").first.click()
    popup = page.locator(".map-popup")
    popup.locator("a").wait_for()
    assert XSS in popup.inner_text()
    assert popup.locator("img").count() == 0
    page.goto(public_live.url + f"/meldungen/{xss.reference}")
    assert XSS in page.locator(".facts").inner_text()
    assert page.locator(".facts img").count() == 0
    assert dialogs == []


def test_public_pages_contact_only_the_app_and_the_tile_server(public_live, desktop, tile_server):
    made, _xss = _reports()
    page = desktop
    hosts: list[str] = []
    page.on("request", lambda request: hosts.append(request.url))
    paths = ["/", "/karte", "/meldungen", f"/meldungen/{made[0].reference}", "/transparenz", "/benachrichtigungen",
             "/impressum", "/datenschutz", "/barrierefreiheit", "/melden",
             f"/verfolgen/{made[0].tracking_token}", f"/verfolgen/{made[0].tracking_token}/ergaenzen"]
    for path in paths:
        page.goto(public_live.url + path)
        page.wait_for_load_state("networkidle")
        if path == "/karte":
            _wait_loaded(page)
            page.locator(".leaflet-marker-icon").first.click()
            page.wait_for_load_state("networkidle")
    allowed = {urlsplit(public_live.url).netloc, urlsplit(tile_server.url).netloc}
    origins = {urlsplit(url).netloc for url in hosts if not url.startswith(("data:", "blob:"))}
    assert origins <= allowed, f"requests to other hosts: {origins - allowed}"
    assert urlsplit(tile_server.url).netloc in origins  # tiles were really loaded from the configured server
    assert any("/api/v1/clusters.geojson" in url for url in hosts)


def _confirmation_paths(report) -> list[str]:
    """The three opt-in questions behind the links in mails: follow, area alert, the reporter's address."""
    from app.alerts import operations as alerts
    from app.followers.operations import request_follow
    from app.followers.tokens import follow_token
    from app.reports.tokens import confirm_email_token
    from tests.factories import town

    follower = request_follow(report, "leserin@example.org", "de")
    subscription = alerts.subscribe(town(), alerts.AlertInput(email="nachbar@example.org", where="umkreis",
                                                              address="51,962; 8,229", radius_m="250",
                                                              category_codes=["gully"]))
    reporter = make_report(point=MARIENFELD, category_code="gully", email="melderin@example.org")
    db.session.commit()
    return [f"/folgen/bestaetigen/{follow_token(follower)}", f"/benachrichtigungen/bestaetigen/{subscription.token}",
            f"/bestaetigen/{confirm_email_token(reporter)}"]


def test_public_pages_pass_axe(public_live, desktop, phone):
    made, _xss = _reports()
    confirmations = _confirmation_paths(made[0])
    for page in (desktop, phone):
        for path in ["/karte?lat=51.9622&lon=8.2293&z=14", "/karte?lat=51.9622&lon=8.2293&z=19", "/meldungen",
                     f"/meldungen/{made[0].reference}", "/transparenz", "/benachrichtigungen",
                     f"/verfolgen/{made[0].tracking_token}/ergaenzen", "/meldungen?status=kaputt", *confirmations]:
            page.goto(public_live.url + path)
            if path.startswith("/karte"):
                _wait_loaded(page)
            violations = run_axe(page)
            assert violations == [], f"{path}: {describe_violations(violations)}"
    # The button works in a real browser (session cookie + CSRF token) and leads to the result page.
    desktop.goto(public_live.url + confirmations[1])
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="Ja, E-Mails erhalten").click()
    assert desktop.url == public_live.url + confirmations[1]
    assert "Benachrichtigungen bestätigt" in desktop.content()
    assert run_axe(desktop) == []


def test_popup_on_a_phone_fits_the_screen_and_is_panned_into_view(public_live, phone, tile_server):
    """At 360 px a tapped pin near the top edge: once the popup's text has arrived, the whole popup
    lies inside the map (the map panned to it) and nothing is wider than the screen."""
    made = [make_report(point=(8.2293, 51.9624), category_code="gully", description="Wasser steht " * 30,
                        address="Teststraße 1")]
    # Two reports together elsewhere: at zoom 12 the map shows a cluster there and a single pin here.
    make_report(point=MARIENFELD, category_code="gully")
    make_report(point=MARIENFELD, category_code="graffiti")
    db.session.commit()
    page = phone
    page.goto(public_live.url + "/karte?lat=51.9618&lon=8.2293&z=18")  # the report near the top of the map
    _wait_loaded(page)
    page.locator(f'.leaflet-marker-icon[title*="{made[0].reference}"]').click()
    page.locator(".map-popup a").wait_for()
    page.wait_for_function("""() => {
        const p = document.querySelector('.leaflet-popup').getBoundingClientRect();
        const m = document.getElementById('map_reports').getBoundingClientRect();
        return p.top >= m.top && p.bottom <= m.bottom && p.left >= m.left && p.right <= m.right;
    }""", timeout=5000)
    popup = page.locator(".leaflet-popup").bounding_box()
    assert popup["width"] <= 360 - 16
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Single pins are coloured by status at every zoom, also where the map still clusters.
    page.evaluate("() => map_reports.setView([51.95, 8.256], 12)")
    page.wait_for_function("() => document.getElementById('map_reports').dataset.state === 'loaded' && "
                           "map_reports.getZoom() === 12")
    assert page.locator("#map_reports").get_attribute("data-mode") == "clusters"
    assert page.locator(".leaflet-marker-icon.marker-single.single-open").count() == 1


def test_transparency_charts_read_whole_at_a_phones_width(public_live, phone, desktop):
    """The charts of /transparenz on a phone: every text lies inside its picture, is drawn at 11 px
    or more (pictures 640 units wide drew it at 6-7 px), and a long category name is wrapped, never
    cut (it was cut at 34 characters); also in Ukrainian (Cyrillic) and Arabic (right to left)."""
    from tests.factories import category

    _reports()
    gully = category("gully")
    old_name = gully.name
    gully.name = "Gully, Sinkkasten oder Straßenablauf verstopft oder beschädigt (auch Rinnen)"
    db.session.commit()
    try:
        for page, lang in ((phone, "de"), (desktop, "de"), (phone, "uk"), (phone, "ar")):
            page.goto(public_live.url + f"/transparenz?lang={lang}")
            texts = page.evaluate("""() => [...document.querySelectorAll('main svg.chart')].flatMap(svg => {
                const box = svg.viewBox.baseVal, scale = svg.getBoundingClientRect().width / box.width;
                return [...svg.querySelectorAll('text')].map(t => {
                    const b = t.getBBox();
                    return {text: t.textContent, chart: svg.id || svg.getAttribute('aria-labelledby'),
                            inside: b.x >= box.x - 1 && b.x + b.width <= box.x + box.width + 1,
                            px: parseFloat(getComputedStyle(t).fontSize) * scale};
                });
            })""")
            assert len(texts) > 20
            assert [t for t in texts if not t["inside"]] == []
            assert min(t["px"] for t in texts) >= 11, sorted(texts, key=lambda t: t["px"])[:3]
            if lang == "de":
                labels = " ".join(page.locator("main svg.chart text").all_text_contents())
                assert gully.name.replace(" ", "") in labels.replace(" ", "")
    finally:
        phone.goto(public_live.url + "/transparenz?lang=de")  # the language sticks to the session
        gully.name = old_name
        db.session.commit()
