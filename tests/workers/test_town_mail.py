"""Issue 17 point 5: every mail comes from the town's sender, ends with its signature and contact
(plain text and HTML alike) and carries short readable links; a department with several
addresses gets each mail at every address (issue 18)."""
from __future__ import annotations

import re
from email.utils import getaddresses, parseaddr
from urllib.parse import urlsplit

from sqlalchemy import text

from app.db import db
from app.logs import redact
from app.reports.models import Report
from app.reports.operations import change_status
from tests.factories import make_report
from tests.services import body_text
from tests.workers.conftest import confirmed_reports, department, drain

SIGNATURE = ("Mit freundlichen Grüßen", "Ihr Mängelmelder der Stadt Harsewinkel", "Rathaus Harsewinkel",
             "Münsterstraße 14", "+49 5247 0000-0 (Demo)", "Mo–Fr 8–12 Uhr, Do 14–18 Uhr")


def test_citizen_mail_has_the_towns_sender_signature_contact_and_short_links(committing, smtp_server):
    app = committing
    [report] = confirmed_reports(1)
    change_status(db.session.get(Report, report.id), "in_bearbeitung", public_note="Wir sind dran.", actor="test")
    db.session.commit()
    drain(app)
    [mail] = smtp_server.wait_for(1)
    # The demo town file's [town.profile], not the MAIL_FROM setting the tests start with.
    assert parseaddr(mail["From"]) == ("Mängelmelder der Stadt Harsewinkel", "maengelmelder@harsewinkel.example")
    assert parseaddr(app.config["MAIL_FROM"])[0] != "Mängelmelder der Stadt Harsewinkel"
    plain = body_text(mail)
    html = mail.get_body(preferencelist=("html",)).get_content()
    for line in SIGNATURE:
        assert line in plain and line in html, line
    assert 'href="mailto:maengelmelder@harsewinkel.example"' in html
    # Short links: /t/<token> (tracking) and /m/<reference> (public page), nothing longer.
    tracking = re.search(r"http://maengelmelder\.test/t/\S+", plain).group(0)
    public = re.search(r"http://maengelmelder\.test/m/\S+", plain).group(0)
    assert public.endswith(f"/m/{report.reference}") and len(tracking) < 70
    assert "/verfolgen/" not in plain and "/meldungen/" not in plain
    assert tracking in html and public in html
    client = app.test_client()
    track = client.get(urlsplit(tracking).path)
    assert track.status_code == 302 and track.headers["Location"].endswith(f"/verfolgen/{db.session.get(Report, report.id).tracking_token}")
    assert track.headers["Cache-Control"] == "private, no-store"
    page = client.get(urlsplit(public).path)
    assert page.status_code == 301 and page.headers["Location"].endswith(f"/meldungen/{report.reference}")
    assert client.get(page.headers["Location"]).status_code == 200
    # The short tracking path is a secret in every log line, like /verfolgen/.
    assert redact(f"GET {urlsplit(tracking).path} 302") == "GET /t/[…] 302"


def test_a_department_with_two_addresses_gets_each_mail_with_the_signature(committing, smtp_server):
    app = committing
    tiefbau = department("tiefbau")
    saved = list(tiefbau.emails)
    tiefbau.emails = ["tiefbau@harsewinkel.example", "bauhof-leitung@harsewinkel.example"]
    db.session.commit()
    try:
        report = make_report(description="Loch vor der Schule")
        db.session.commit()
        drain(app)
        [mail] = [m for m in smtp_server.wait_for(1) if report.reference in m["Subject"]]
        assert sorted(a for _n, a in getaddresses(mail.get_all("To"))) == [
            "bauhof-leitung@harsewinkel.example", "tiefbau@harsewinkel.example"]
        plain = body_text(mail)
        html = mail.get_body(preferencelist=("html",)).get_content()
        assert "Mit freundlichen Grüßen" in plain and "Mit freundlichen Grüßen" in html
        assert "+49 5247 0000-0 (Demo)" in plain
    finally:
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE departments SET emails = :e WHERE code = 'tiefbau'"), {"e": saved})
