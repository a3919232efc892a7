"""Atom feeds with GeoRSS points per town, Ortsteil and category."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from tests.factories import GREFFEN, HARSEWINKEL, make_report

ATOM = "{http://www.w3.org/2005/Atom}"
GEORSS = "{http://www.georss.org/georss}"
XSS = "<img src=x onerror=alert(1)>"


def _entries(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.get_data())  # well-formed XML or this raises
    return feed, feed.findall(f"{ATOM}entry")


def test_town_feed_has_georss_points_and_citizen_text_as_text(client, db_session):
    report = make_report(point=GREFFEN, category_code="gully", description=XSS, address=XSS)
    hidden = make_report(point=GREFFEN, category_code="gully")
    hidden.hidden = True
    db_session.commit()
    feed, entries = _entries(client, "/feeds/meldungen.atom")
    assert feed.find(f"{ATOM}title").text.startswith("Mängelmelder Stadt Harsewinkel")
    by_link = {e.find(f"{ATOM}link").get("href"): e for e in entries}
    entry = by_link[f"http://maengelmelder.test/meldungen/{report.reference}"]
    lat, lon = (float(v) for v in entry.find(f"{GEORSS}point").text.split())
    assert (round(lon, 3), round(lat, 3)) == GREFFEN
    summary = entry.find(f"{ATOM}summary")
    assert summary.get("type") == "text" and XSS in summary.text  # text content, not markup
    assert "<img" not in client.get("/feeds/meldungen.atom").get_data(as_text=True)
    assert all(hidden.reference not in link for link in by_link)


def test_ortsteil_and_category_feeds_filter(client, db_session):
    greffen = make_report(point=GREFFEN, category_code="gully")
    centre = make_report(point=HARSEWINKEL, category_code="strassenlaterne")
    db_session.commit()

    def refs(path):
        return {e.find(f"{ATOM}link").get("href").rsplit("/", 1)[1] for e in _entries(client, path)[1]}

    assert greffen.reference in refs("/feeds/ortsteil/ortsteil-greffen.atom")
    assert centre.reference not in refs("/feeds/ortsteil/ortsteil-greffen.atom")
    assert refs("/feeds/kategorie/strassenlaterne.atom") >= {centre.reference}
    assert greffen.reference not in refs("/feeds/kategorie/strassenlaterne.atom")
    assert client.get("/feeds/kategorie/gibtsnicht.atom").status_code == 404
    assert client.get("/feeds/ortsteil/gibtsnicht.atom").status_code == 404
