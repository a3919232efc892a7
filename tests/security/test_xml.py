"""Point 3: no text makes an XML document unreadable. Intake removes what XML 1.0 cannot carry,
and each XML writer (Open311 XML, the Atom feeds) is safe on its own: hypothesis feeds arbitrary
Unicode through them and a real XML parser (expat, via ElementTree) must read every answer."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from app.open311.formats import to_xml
from app.reports.models import Report
from app.validation import clean_text
from tests.conftest import csrf_token
from tests.factories import HARSEWINKEL, make_report

ANY_CHARACTER = st.characters(codec=None, categories=None)  # surrogates, noncharacters, controls included
ATOM = "{http://www.w3.org/2005/Atom}"


def _as_parsed(text: str) -> str:
    """What a conforming XML parser gives back for text a writer emitted: line ends normalized."""
    return clean_text(text).replace("\r\n", "\n").replace("\r", "\n")


@settings(max_examples=300, deadline=None)
@given(st.text(ANY_CHARACTER, max_size=80))
def test_open311_xml_writer_is_well_formed_for_any_text(text):
    document = to_xml("service_requests", [{"service_request_id": "HW-1", "description": text,
                                            "address": text, "media_urls": [text]}])
    root = ET.fromstring(document)
    request = root.find("request")
    assert (request.find("description").text or "") == _as_parsed(text)
    assert (request.find("media_urls/media_url").text or "") == _as_parsed(text)


def test_intake_removes_noncharacters_and_controls(client, db_session):
    response = client.post("/melden", data={
        "csrf_token": csrf_token(client), "category": "gully", "lat": str(HARSEWINKEL[1]), "lon": str(HARSEWINKEL[0]),
        "description": "Gully\uffff verstopft\ufffe\x01 \U0010fffe!", "address": "Markt\ufdd0platz"})
    assert response.status_code in (200, 303), response.data
    report = db_session.scalar(select(Report).order_by(Report.id.desc()).limit(1))
    assert report.description == "Gully verstopft !"


# PostgreSQL text holds neither NUL nor lone surrogates, so a stored row can carry every other
# character: the writers must cope with those without help from intake.
STORABLE = st.characters(codec=None, categories=None, exclude_characters="\x00",
                         exclude_categories=["Cs"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(STORABLE, min_size=1, max_size=60))
def test_open311_xml_and_atom_feeds_parse_whatever_a_stored_report_says(client, db_session, text):
    report = make_report(point=HARSEWINKEL, category_code="gully", description="Platzhalter")
    report.description = text  # straight into the row, as an old release or another path might have stored it
    db_session.commit()
    assert report.shown_description == text

    single = client.get(f"/open311/v2/requests/{report.reference}.xml")
    assert single.status_code == 200
    [request] = ET.fromstring(single.data)
    assert (request.find("description").text or "") == _as_parsed(text)
    listing = client.get("/open311/v2/requests.xml")
    assert listing.status_code == 200
    assert report.reference in [r.find("service_request_id").text for r in ET.fromstring(listing.data)]
    for feed in ("/feeds/meldungen.atom", "/feeds/kategorie/gully.atom"):
        response = client.get(feed)
        assert response.status_code == 200
        entries = ET.fromstring(response.data).findall(f"{ATOM}entry")
        assert any(report.reference in e.find(f"{ATOM}title").text for e in entries)
