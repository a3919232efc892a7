"""A real headless Chromium: department staff sign in, filter the queue, open a report,
change its status with a Textbaustein; the reporter's mail arrives (real worker, real SMTP)."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.db import db
from app.staff.models import TextTemplate
from tests.browser import describe_violations, run_axe
from tests.conftest import run_worker
from tests.factories import category, make_report, town
from tests.staff.helpers import PASSWORD, make_staff

pytestmark = pytest.mark.browser


def _desktop(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    return context, context.new_page()


def test_staff_change_status_with_template_and_reporter_gets_mail(app, live_server, staff_committing, chromium,
                                                                   smtp_server):
    user = make_staff("staff", "tiefbau")
    report = make_report(category_code="schlagloch", email="buerger@example.org", description="Loch an der Ampel")
    report.reporter_email_confirmed = True
    make_report(category_code="radweg", description="Scherben auf dem Radweg")
    make_report(category_code="wilder-muell", description="Fremde Abteilung")
    db.session.add(TextTemplate(jurisdiction_id=town().id, category_id=category("schlagloch").id,
                                status="in_bearbeitung", title="Auftrag an Bauhof",
                                body="Der Bauhof repariert die Stelle in dieser Woche."))
    db.session.commit()
    smtp_server.clear()

    context, page = _desktop(chromium)
    foreign = []
    allowed = ("127.0.0.1", urlsplit(app.config["TILE_URL"]).hostname)  # the app and the configured tiles only
    page.on("request", lambda r: foreign.append(r.url) if urlsplit(r.url).hostname not in allowed else None)
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    try:
        page.goto(live_server.url + "/intern/eingang")
        assert "/intern/anmelden" in page.url
        page.fill("#username", user.username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url("**/intern/eingang**")
        assert page.locator(".report-link").count() == 2  # own department only
        assert page.locator(".staff-marker").count() == 2  # one marker per listed report
        violations = run_axe(page)
        assert not violations, describe_violations(violations)

        # Filter by category, keyboard only for the submit.
        page.select_option("#f-category", label=category("schlagloch").name)
        page.focus("#queue-filters button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_url("**kategorie=**")
        links = page.locator(".report-link")
        assert links.count() == 1 and links.first.inner_text() == report.reference
        # Selecting the row highlights its marker.
        page.click(f"#row-{report.id} td:nth-child(4)")
        assert page.locator(".staff-marker.selected").count() == 1

        links.first.click()
        page.wait_for_url(f"**/intern/meldungen/{report.id}")
        assert "buerger@example.org" in page.content()
        page.select_option("#template", label="Auftrag an Bauhof (In Bearbeitung)")
        assert page.input_value("#public_note") == "Der Bauhof repariert die Stelle in dieser Woche."
        assert page.input_value("#status") == "in_bearbeitung"
        page.click("#status-form button[type=submit]")
        page.wait_for_selector(".flash")
        assert "Der Status wurde geändert" in page.inner_text(".flash")
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
    finally:
        context.close()

    run_worker(app)
    # (The reporter also gets the double opt-in mail of the report's creation.)
    mails = [m for m in smtp_server.to("buerger@example.org") if report.reference in m["Subject"]
             and "In Bearbeitung" in m["Subject"]]
    assert len(mails) == 1
    text = mails[0].get_body(("plain",)).get_content()
    assert "In Bearbeitung" in text and "Der Bauhof repariert die Stelle in dieser Woche." in text
    assert foreign == [], foreign
