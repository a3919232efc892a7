"""Atom feeds with GeoRSS points per town, Ortsteil and category."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from app.reports.operations import change_status
from tests.factories import GREFFEN, HARSEWINKEL, jpeg_bytes, make_report

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


def _updated(client, reference: str) -> datetime:
    feed, entries = _entries(client, "/feeds/meldungen.atom")
    [entry] = [e for e in entries if e.find(f"{ATOM}link").get("href").endswith("/" + reference)]
    updated = datetime.fromisoformat(entry.find(f"{ATOM}updated").text)
    assert datetime.fromisoformat(feed.find(f"{ATOM}updated").text) >= updated
    return updated


def test_entry_updated_moves_when_public_content_changes_not_only_the_status(client, db_session):
    """Feed readers show an entry again when <updated> moves: publishing the description, a
    public note without a new status and publishing a photo must move it; internal changes not."""
    from app.staff import operations as staff
    from tests.staff.helpers import make_staff

    admin = make_staff("admin")
    report = make_report(point=HARSEWINKEL, category_code="schlagloch", photos=[jpeg_bytes()])
    db_session.commit()
    assert report.description_published is False and report.photos[0].published is False
    seen = [_updated(client, report.reference)]

    staff.edit_public_description(admin, report, "Schlagloch vor Hausnummer 5", published=True)
    db_session.commit()
    seen.append(_updated(client, report.reference))
    change_status(report, report.status, public_note="Der Bauhof ist informiert.", actor="test")
    db_session.commit()
    seen.append(_updated(client, report.reference))
    staff.set_photo_published(admin, report, report.photos[0].id, True)
    db_session.commit()
    seen.append(_updated(client, report.reference))
    assert seen == sorted(seen) and len(set(seen)) == 4, seen
    assert report.status_changed_at < seen[-1]

    # What the public does not see leaves it alone.
    staff.set_priority(admin, report, 1)
    staff.add_note(admin, report, "Intern: bitte vor Montag")
    db_session.commit()
    assert _updated(client, report.reference) == seen[-1]
