"""The intake in Turkish, Ukrainian and Arabic in headless Chromium on a phone (issue 20 point 5):
the page speaks the language (Arabic right to left), the category tiles carry the town's names in
that language, the map takes a pin and its controls stay usable, the report is sent and stored with
its language, and axe-core finds nothing on the form and on the confirmation."""
from __future__ import annotations

import re

import pytest

from tests.browser import PHONE, describe_violations, run_axe
from tests.intake.test_browser import REFERENCE, committed_reports, open_intake, set_pin_by_tapping_the_map, show_step

pytestmark = pytest.mark.browser

AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")

CASES = {
    # language: (category name in the demo town file, description typed, pin feedback, confirmation heading)
    "tr": ("Tıkalı yağmur ızgarası", "Izgara günlerdir tıkalı, su birikiyor.", "İşaret konuldu", "Çok teşekkürler"),
    "uk": ("Забита зливова решітка", "Решітка забита вже кілька днів, стоїть вода.", "Позначку поставлено",
           "Щиро дякуємо"),
    "ar": ("مصرف مياه مسدود", "المصرف مسدود منذ أيام والمياه متجمعة.", "تم وضع العلامة", "شكرًا جزيلًا"),
}

# Where things are on the page: direction of the page, the form and the map; whether the zoom
# button is inside the map and on top (a tap reaches it).
_LAYOUT = """() => {
  const style = (sel) => getComputedStyle(document.querySelector(sel));
  const zoom = document.querySelector('#map .leaflet-control-zoom-in');
  zoom.scrollIntoView({block: 'center', behavior: 'instant'});
  const map = document.querySelector('#map').getBoundingClientRect();
  const z = zoom.getBoundingClientRect();
  const hit = document.elementFromPoint(z.left + z.width / 2, z.top + z.height / 2);
  const tile = document.querySelector('.tile');
  const input = tile.querySelector('input').getBoundingClientRect(), label = tile.querySelector('.tile__name').getBoundingClientRect();
  return {page: style('body').direction, description: style('#description').direction, map: style('#map').direction,
          zoomInsideMap: z.left >= map.left && z.right <= map.right && z.top >= map.top && z.bottom <= map.bottom,
          zoomReachable: hit === zoom || zoom.contains(hit),
          hit: hit ? hit.outerHTML.slice(0, 200) : null, z: [z.left, z.top, z.width, z.height],
          inputRightOfLabel: input.left >= label.right - 1,
          scrollWidth: document.documentElement.scrollWidth, width: document.documentElement.clientWidth};
}"""


@pytest.mark.parametrize("lang", sorted(CASES))
def test_intake_in_the_citizens_language_pin_set_report_sent_axe_clean(live_server, chromium, lang):
    category_name, description, feedback, heading = CASES[lang]
    app = live_server.server.app
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    try:
        open_intake(page, live_server, app, path=f"/melden?lang={lang}")
        html_tag = page.locator("html")
        assert html_tag.get_attribute("lang") == lang
        assert html_tag.get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
        violations = run_axe(page, tags=AXE_TAGS)
        assert violations == [], describe_violations(violations)

        # With JavaScript the form shows one step at a time: the map on the place step, the tiles
        # on the category step; each is measured where it is shown.
        show_step(page, "step-place")
        layout = page.evaluate(_LAYOUT)
        assert layout["scrollWidth"] <= layout["width"], layout
        assert layout["map"] == "ltr"  # Leaflet stays left to right inside
        assert layout["zoomInsideMap"] and layout["zoomReachable"], repr(layout)
        show_step(page, "step-category")
        tiles = page.evaluate(_LAYOUT)
        if lang == "ar":
            assert layout["page"] == "rtl" and layout["description"] == "rtl"
            assert tiles["inputRightOfLabel"], "the radio button sits at the start (right) of an Arabic tile"
        else:
            assert layout["page"] == "ltr"

        page.get_by_label(category_name).check()
        show_step(page, "step-description")
        page.fill("#description", description)
        set_pin_by_tapping_the_map(page)
        assert page.locator("#map .leaflet-marker-icon").count() == 1
        page.wait_for_function("(words) => document.getElementById('location-feedback').textContent.includes(words)",
                               arg=feedback)
        # The zoom control still works with the pin set: a tap zooms the map in.
        before = page.evaluate("() => document.querySelector('#map .leaflet-tile-container').style.transform")
        page.locator("#map .leaflet-control-zoom-in").click()
        page.wait_for_function("(before) => document.querySelector('#map .leaflet-tile-container') === null"
                               " || document.querySelector('#map .leaflet-tile-container').style.transform !== before",
                               arg=before)

        show_step(page, "step-send")
        page.locator("#send").click()
        page.wait_for_url(re.compile(r"/meldung/eingegangen/"))
        assert page.get_by_role("heading", level=1).inner_text().startswith(heading)
        assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
        violations = run_axe(page, tags=AXE_TAGS)
        assert violations == [], describe_violations(violations)
        reference = page.locator("#reference").inner_text()
        assert REFERENCE.fullmatch(reference)

        [report] = committed_reports()
        assert report.reference == reference and report.category.code == "gully"
        assert report.locale == lang and report.description == description
    finally:
        context.close()
