"""The foundation's pages: German by default, English on request, no markup from citizens."""
from __future__ import annotations

import pytest

from tests.browser import describe_violations, run_axe
from tests.factories import HARSEWINKEL, make_report


def test_pages_are_german_by_default_and_english_on_request(client):
    german = client.get("/melden")
    assert german.status_code == 200 and 'lang="de"' in german.get_data(as_text=True)
    assert "Mangel melden" in german.get_data(as_text=True)
    english = client.get("/melden?lang=en")
    assert 'lang="en"' in english.get_data(as_text=True)
    assert "Report a problem" in english.get_data(as_text=True)
    # The choice sticks (cookie) for the next page.
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_citizen_text_is_escaped_on_the_public_page(client, db_session):
    report = make_report(point=HARSEWINKEL, category_code="gully",  # gully publishes at once
                         description='<img src=x onerror=alert(1)> <script>alert(2)</script>')
    db_session.commit()
    page = client.get(f"/meldungen/{report.reference}").get_data(as_text=True)
    assert "<img src=x" not in page and "<script>alert(2)" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


@pytest.mark.parametrize("path", ["/", "/melden", "/datenschutz", "/impressum", "/barrierefreiheit", "/leichte-sprache",
                                  "/gebaerdensprache", "/melden?lang=ar", "/gibt-es-nicht"])
def test_no_page_answers_5xx_and_unknown_pages_are_404(client, path):
    response = client.get(path)
    assert response.status_code == (404 if path == "/gibt-es-nicht" else 200)


@pytest.mark.browser
def test_foundation_pages_pass_axe_in_chromium(live_server, phone):
    for path in ["/", "/melden", "/datenschutz", "/impressum", "/barrierefreiheit", "/leichte-sprache",
                 "/gebaerdensprache", "/gibt-es-nicht?lang=ar"]:
        phone.goto(live_server.url + path)
        violations = run_axe(phone)
        assert violations == [], f"{path}: {describe_violations(violations)}"
