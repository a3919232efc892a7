"""Focus indicators on the public pages (WCAG 2.1 AA 2.4.7 focus visible, 1.4.11 non-text
contrast), checked in headless Chromium by tabbing through each page.

For every element the Tab key reaches, the test reads the computed outline and box-shadow while
the element has focus and while it has not; what differs is the focus indicator. Each colour of
the indicator that is at least 2 px thick counts. Just outside the indicator, on all four sides,
it finds the colour behind (the CSS background colours under that point, composited; inside a
Leaflet map, where the tiles are images, the rendered pixels). The indicator passes when, against
every one of those backgrounds, one of its colours reaches 3:1 (a two-colour ring, technique C40).
"""
from __future__ import annotations

import io
import re
from collections import Counter

import pytest
from PIL import Image

from app.db import db
from tests.browser import contrast, parse_css_colour
from tests.factories import make_report

pytestmark = pytest.mark.browser

MIN_RATIO = 3.0
MIN_THICKNESS_PX = 2.0
MAX_TABS = 70  # per page; enough to pass the header, the content and into the footer

# Reads the focused element's rings (focused and at rest), its box and, for four points just
# outside its largest ring, either the CSS backgrounds under the point (top first) or a request
# for the rendered pixel (inside a Leaflet map: tiles are <img>s without pointer events).
_READ_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) { return null; }
  const rings = () => {
    const s = getComputedStyle(el);
    return {outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) || 0,
            outlineOffset: parseFloat(s.outlineOffset) || 0, outlineColor: s.outlineColor, boxShadow: s.boxShadow};
  };
  const focused = rings();
  el.blur();
  const resting = rings();
  el.focus({preventScroll: true});
  const r = el.getBoundingClientRect();
  const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
    ' "' + ((el.getAttribute('aria-label') || el.getAttribute('title') || el.textContent || el.value || '')
            .trim().replace(/\\s+/g, ' ').slice(0, 40)) + '"';
  const ancestorBackgrounds = [];
  // The map's own controls sit in its corners, and the map clips what overflows it: the box a
  // ring there may use (a marker near the edge of the view is clipped like the map itself).
  let clip = null;
  for (let e = el.parentElement; e; e = e.parentElement) {
    const s = getComputedStyle(e);
    ancestorBackgrounds.push(s.backgroundColor);
    if (el.closest('.leaflet-control-container') && (s.overflowX !== 'visible' || s.overflowY !== 'visible')) {
      const c = e.getBoundingClientRect();
      clip = clip ? {left: Math.max(clip.left, c.left), top: Math.max(clip.top, c.top),
                     right: Math.min(clip.right, c.right), bottom: Math.min(clip.bottom, c.bottom)}
                  : {left: c.left, top: c.top, right: c.right, bottom: c.bottom};
    }
  }
  return {name, focused, resting, rect: {left: r.left, top: r.top, right: r.right, bottom: r.bottom},
          ancestorBackgrounds, clip, viewport: [innerWidth, innerHeight]};
}"""

_BACKGROUND_AT = """([x, y]) => {
  const el = document.activeElement;
  const stack = document.elementsFromPoint(x, y).filter(e => e !== el && !el.contains(e));
  const inMap = stack.some(e => e.classList && e.classList.contains('leaflet-container'));
  return {inMap, colours: stack.map(e => getComputedStyle(e).backgroundColor)};
}"""


# --- colour arithmetic (WCAG 2.x relative luminance) -------------------------------------------

def parse_colour(text: str) -> tuple[float, float, float, float]:
    return parse_css_colour(text)  # rgb() and KERN's oklch()


def over(top: tuple[float, float, float, float], below: tuple[float, float, float]) -> tuple[float, float, float]:
    alpha = top[3]
    return tuple(top[i] * alpha + below[i] * (1 - alpha) for i in range(3))


def test_contrast_arithmetic_matches_known_values():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((255, 191, 71), (255, 255, 255)) == pytest.approx(1.64, abs=0.01)  # the old yellow ring
    assert contrast((27, 27, 27), (255, 255, 255)) == pytest.approx(17.2, abs=0.1)
    assert contrast((255, 191, 71), (0, 62, 107)) == pytest.approx(6.7, abs=0.1)  # yellow on the header
    # KERN writes its colours in OKLCH: white, black and KERN's dark blue 700 (about #2044aa).
    assert parse_colour("oklch(1 0 0)")[:3] == pytest.approx((255, 255, 255), abs=0.5)
    assert parse_colour("oklch(0 0 0 / 0.5)") == pytest.approx((0, 0, 0, 0.5), abs=0.5)
    assert parse_colour("oklch(0.4284 .1689 265.02)")[:3] == pytest.approx((0x20, 0x44, 0xaa), abs=3)


# --- rings -----------------------------------------------------------------------------------

_SHADOW = re.compile(r"(rgba?\([^)]*\))\s+(-?[\d.]+)px\s+(-?[\d.]+)px\s+(-?[\d.]+)px\s+(-?[\d.]+)px(\s+inset)?")
_STEP = 0.25


def paint_profile(rings: dict) -> dict[float, str]:
    """What is painted at each distance (px) outside the element's border edge: the outline is
    painted above the box-shadows, the first shadow above the later ones; outer shadows only
    outside the border box. Blur and offsets are ignored (they blur or shift a ring, they do not
    make a solid one), so only the solid part of a ring counts."""
    shadows = []
    if rings["boxShadow"] and rings["boxShadow"] != "none":
        for colour, x, y, blur, spread, inset in _SHADOW.findall(rings["boxShadow"]):
            if not inset and float(x) == 0 and float(y) == 0 and float(spread) > 0:
                shadows.append((float(spread), colour))
    has_outline = rings["outlineStyle"] not in ("none", "hidden") and rings["outlineWidth"] > 0
    start, end = rings["outlineOffset"], rings["outlineOffset"] + rings["outlineWidth"]
    profile: dict[float, str] = {}
    d = -10.0
    while d < 20.0:
        middle = d + _STEP / 2
        if has_outline and start <= middle < end:
            profile[d] = rings["outlineColor"]
        elif middle >= 0:
            for spread, colour in shadows:
                if middle < spread:
                    profile[d] = colour
                    break
        d += _STEP
    return profile


def indicator(focused: dict, resting: dict) -> tuple[list[str], float]:
    """The colours (each at least MIN_THICKNESS_PX thick) painted only while focused, and the
    distance from the border edge to the outer edge of everything painted around the element."""
    now, before = paint_profile(focused), paint_profile(resting)
    thickness: Counter[str] = Counter()
    for d, colour in now.items():
        if before.get(d) != colour:
            thickness[colour] += _STEP
    colours = [colour for colour, px in thickness.items() if px >= MIN_THICKNESS_PX]
    extent = max((d + _STEP for d in now), default=0.0)
    return colours, max(extent, 0.0)


def test_paint_profile_of_the_two_colour_ring():
    focused = {"outlineStyle": "solid", "outlineWidth": 3, "outlineOffset": 0, "outlineColor": "rgb(255, 191, 71)",
               "boxShadow": "rgb(27, 27, 27) 0px 0px 0px 6px"}
    resting = {"outlineStyle": "none", "outlineWidth": 0, "outlineOffset": 0, "outlineColor": "rgb(0, 0, 0)",
               "boxShadow": "none"}
    colours, extent = indicator(focused, resting)
    assert sorted(colours) == ["rgb(255, 191, 71)", "rgb(27, 27, 27)"] and extent == 6
    # A shadow the element has anyway is no focus indicator.
    colours, _ = indicator({**focused, "boxShadow": "none"}, {**resting, "boxShadow": "none"})
    assert colours == ["rgb(255, 191, 71)"]
    marker = {**resting, "boxShadow": "rgb(27, 27, 27) 0px 0px 0px 2px"}
    colours, _ = indicator({**marker, "outlineStyle": "solid", "outlineWidth": 3, "outlineOffset": 2,
                            "outlineColor": "rgb(255, 191, 71)"}, marker)
    assert colours == ["rgb(255, 191, 71)"]


# --- the page walk ---------------------------------------------------------------------------

def _pixel_colour(screenshot: Image.Image, x: float, y: float) -> tuple[float, float, float]:
    """The commonest colour of the 5×5 pixels around a point (a stray glyph edge does not win)."""
    pixels = [screenshot.getpixel((px, py))[:3]
              for px in range(int(x) - 2, int(x) + 3) for py in range(int(y) - 2, int(y) + 3)
              if 0 <= px < screenshot.width and 0 <= py < screenshot.height]
    return Counter(pixels).most_common(1)[0][0]


def _composite(colours: list[str]) -> tuple[float, float, float]:
    """CSS background colours listed top first, over the white canvas."""
    result = (255.0, 255.0, 255.0)
    for colour in reversed(colours):
        result = over(parse_colour(colour), result)
    return result


def _backgrounds(page, info: dict, extent: float) -> list[tuple[str, tuple[float, float, float]]]:
    rect, (width, height) = info["rect"], info["viewport"]
    gap = extent + 3  # just outside the outermost ring
    middle_x, middle_y = (rect["left"] + rect["right"]) / 2, (rect["top"] + rect["bottom"]) / 2
    points = {"left": (rect["left"] - gap, middle_y), "right": (rect["right"] + gap, middle_y),
              "above": (middle_x, rect["top"] - gap), "below": (middle_x, rect["bottom"] + gap)}
    found, screenshot = [], None
    for side, (x, y) in points.items():
        if not (0 <= x < width and 0 <= y < height):
            continue
        under = page.evaluate(_BACKGROUND_AT, [x, y])
        if under["inMap"]:
            if screenshot is None:
                screenshot = Image.open(io.BytesIO(page.screenshot(scale="css"))).convert("RGB")
            found.append((f"{side} (map pixel)", _pixel_colour(screenshot, x, y)))
        else:
            found.append((side, _composite(under["colours"])))
    if not found:  # the element fills the viewport: what its ancestors paint
        found.append(("ancestors", _composite(info["ancestorBackgrounds"])))
    return found


def tab_through(page, limit: int = MAX_TABS) -> tuple[list[str], list[str]]:
    """Tab through the page from the top; returns (what was checked, the failures)."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    checked, failures, seen = [], [], set()
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = page.evaluate(_READ_FOCUSED)
        if info is None:
            continue
        key = (info["name"], round(info["rect"]["left"]), round(info["rect"]["top"]))
        if key in seen:  # back at the start: the page is done
            break
        seen.add(key)
        colours, extent = indicator(info["focused"], info["resting"])
        checked.append(info["name"])
        if not colours:
            failures.append(f"{info['name']}: no visible focus indicator ({info['focused']})")
            continue
        rect, clip = info["rect"], info["clip"]
        if clip is not None:
            cut = {"left": clip["left"] - (rect["left"] - extent), "top": clip["top"] - (rect["top"] - extent),
                   "right": rect["right"] + extent - clip["right"], "bottom": rect["bottom"] + extent - clip["bottom"]}
            cut = {side: px for side, px in cut.items() if px > 0.5}
            if cut:
                failures.append(f"{info['name']}: the map cuts off its focus ring ({cut} px)")
        # Against each background one of the colours must reach 3:1; report the worst side.
        ratios = [(max(contrast(over(parse_colour(c), background), background) for c in colours), side, background)
                  for side, background in _backgrounds(page, info, extent)]
        best, side, background = min(ratios)
        if best < MIN_RATIO:
            failures.append(f"{info['name']}: indicator {colours} has {best:.2f}:1 against "
                            f"rgb{tuple(round(v) for v in background)} {side}")
    return checked, failures


def _wait_for_map(page, path: str) -> None:
    if path.startswith("/karte"):
        page.wait_for_selector("#map_reports[data-state=loaded]", timeout=10000)
    elif path.startswith("/melden"):
        # The map is on the place step, shown after "Weiter": there the Tab key reaches it.
        page.wait_for_selector(".leaflet-control-zoom-in", state="attached", timeout=10000)
        page.evaluate("MMSteps.show('step-place')")
    elif path.startswith("/meldungen/"):
        page.wait_for_selector(".leaflet-control-zoom-in", timeout=10000)


def test_every_focus_indicator_on_the_public_pages_has_3_to_1_against_its_background(public_live, desktop, phone):
    report = make_report(point=(8.2290, 51.9620), category_code="gully", description="Gully verstopft",
                         address="Teststraße 1")  # gully: published at once, so it is on the map
    make_report(point=(8.2296, 51.9620), category_code="gully", description="Noch ein Gully")
    db.session.commit()
    desktop_paths = ["/karte?lat=51.9620&lon=8.2293&z=19", "/karte?lat=51.9622&lon=8.2293&z=14", "/meldungen",
                     f"/meldungen/{report.reference}", "/melden", "/benachrichtigungen", "/transparenz",
                     "/impressum", "/datenschutz", "/barrierefreiheit", "/leistungen", "/leistungen/a-z",
                     "/meldungen?lang=en"]
    phone_paths = ["/karte?lat=51.9620&lon=8.2293&z=19", f"/meldungen/{report.reference}", "/melden"]
    problems, reached = [], Counter()
    for page, paths in ((desktop, desktop_paths), (phone, phone_paths)):
        for path in paths:
            page.goto(public_live.url + path)
            _wait_for_map(page, path)
            checked, failures = tab_through(page)
            assert checked, f"{path}: the Tab key reached nothing"
            reached.update(name.split(" ")[0] for name in checked)
            problems += [f"{path}: {failure}" for failure in failures]
    assert problems == [], "\n".join(problems)
    # The walk really met what the pages offer: skip link, map, its controls and markers, form fields.
    names = " ".join(reached)
    for expected in ("a.skip-link", "div#map_reports", "a.leaflet-control-zoom-in", "div#map.intake-map",
                     "marker-report", "select", "input", "button"):
        assert expected in names, f"the walk never reached {expected}: {sorted(reached)}"
