"""The clerk's day in a real headless Chromium (issue 19): each flow is checked beyond the
page, in the database and the mail the real worker sent.

Set ``SCREENSHOT_DIR`` to keep screenshots of the pages at 390 and 1366 px for review."""
from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.db import db
from app.reports.models import Report
from tests.browser import describe_violations, run_axe
from tests.conftest import run_worker
from tests.factories import department, make_report
from tests.staff.helpers import PASSWORD, make_staff

pytestmark = pytest.mark.browser
WIDTHS = (390, 1366)


def _signed_in_page(chromium, live_server, user, width=1366):
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="de-DE")
    page = context.new_page()
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    page.goto(live_server.url + "/intern/anmelden")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/intern/eingang**")
    return context, page


def _checked(page, name: str) -> None:
    """axe-core finds nothing; with SCREENSHOT_DIR set, the page is kept at both widths."""
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    # No sideways scrolling at a phone's width either.
    target = os.environ.get("SCREENSHOT_DIR")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (name, width)
        if target:
            page.screenshot(path=os.path.join(target, f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def test_forwarding_asks_naming_the_department_and_then_says_where_it_went(app, live_server, staff_committing,
                                                                          chromium, smtp_server):
    user = make_staff("staff", "tiefbau")
    report = make_report(category_code="schlagloch", description="Wurzel hebt den Gehweg an")
    db.session.commit()
    gruen = department("gruen")
    smtp_server.clear()

    context, page = _signed_in_page(chromium, live_server, user)
    foreign = []
    allowed = ("127.0.0.1", urlsplit(app.config["TILE_URL"]).hostname)
    page.on("request", lambda r: foreign.append(r.url) if urlsplit(r.url).hostname not in allowed else None)
    try:
        page.goto(live_server.url + f"/intern/meldungen/{report.id}")
        assert page.input_value("#department") == ""  # nothing preselected
        page.select_option("#department", label=gruen.name)
        page.fill("#reason", "Baumwurzel, Grünflächenamt")
        page.click("#forward-button")
        page.wait_for_selector("#confirm-forward")
        assert f"Meldung {report.reference} an „{gruen.name}“ weiterleiten?" in page.inner_text("main")
        assert page.inner_text("#forward-department") == gruen.name
        _checked(page, "forward-confirm")
        db.session.expire_all()
        assert db.session.get(Report, report.id).department_id != gruen.id  # asking changed nothing
        page.click("#confirm-forward")
        page.wait_for_url(f"**/intern/meldungen/{report.id}/weitergeleitet")
        assert f"Die Meldung {report.reference} ist jetzt bei „{gruen.name}“." in page.inner_text("#forwarded-to")
        assert "Berechtigung" not in page.inner_text("main")
        _checked(page, "forwarded")

        # The queue's bulk action preselects neither an action nor a value.
        page.goto(live_server.url + "/intern/eingang?status=alle")
        assert page.locator(".report-link").count() == 0  # the report left this department
    finally:
        context.close()

    db.session.expire_all()
    assert db.session.scalar(select(Report.department_id).where(Report.id == report.id)) == gruen.id
    run_worker(app)
    mails = [m for m in smtp_server.to(gruen.email) if "weitergeleitet" in m["Subject"]]
    assert len(mails) == 1 and report.reference in mails[0]["Subject"]
    assert "Baumwurzel, Grünflächenamt" in mails[0].get_body(("plain",)).get_content()
    assert foreign == [], foreign


def test_bulk_forwarding_in_the_browser_preselects_nothing_and_confirms(app, live_server, staff_committing,
                                                                       chromium):
    user = make_staff("dispatcher")
    reports = [make_report(category_code="schlagloch") for _ in range(2)]
    db.session.commit()
    gruen = department("gruen")
    context, page = _signed_in_page(chromium, live_server, user)
    try:
        assert page.input_value("#bulk-action") == "" and page.input_value("#bulk-value") == ""
        for report in reports:
            page.check(f"#sel-{report.id}")
        page.select_option("#bulk-action", "abteilung")
        page.select_option("#bulk-value", label=gruen.name)
        page.fill("#bulk-note", "Bäume")
        page.click("#bulk-form fieldset.bulk button[type=submit]")
        page.wait_for_selector("#confirm-forward")
        assert f"2 Meldungen an „{gruen.name}“ weiterleiten?" in page.inner_text("main")
        _checked(page, "bulk-forward-confirm")
        page.click("#confirm-forward")
        page.wait_for_url("**/intern/eingang**")
        assert f"2 Meldungen wurden an „{gruen.name}“ weitergeleitet." in page.inner_text(".flash")
    finally:
        context.close()
    db.session.expire_all()
    assert {db.session.get(Report, r.id).department_id for r in reports} == {gruen.id}


def test_dashboard_labels_fit_and_staff_pages_read_in_words(app, live_server, staff_committing, chromium):
    """Every chart text lies inside its picture (labels and "(n überfällig)" are never cut) and is
    drawn at 11 px or more, at a phone's and a desktop's width; the report page and the audit log
    are checked by axe."""
    from tests.factories import MARIENFELD

    admin = make_staff("admin")
    gruen = department("gruen")
    old_name = gruen.name
    gruen.name = "Fachbereich Grünflächen, Friedhöfe und Spielplatzunterhaltung (Außenstelle Marienfeld)"
    report = make_report(point=MARIENFELD, category_code="spielplatz")
    for _ in range(3):
        make_report(category_code="gruenflaeche")
    db.session.commit()
    context, page = _signed_in_page(chromium, live_server, admin)
    try:
        page.goto(live_server.url + "/intern/uebersicht")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            outside = page.evaluate("""() => [...document.querySelectorAll('svg.chart-svg')].flatMap(svg => {
                const box = svg.viewBox.baseVal;
                return [...svg.querySelectorAll('text')].filter(t => {
                    const b = t.getBBox();
                    return b.x < box.x - 1 || b.x + b.width > box.x + box.width + 1;  // a glyph's overhang is not a cut
                }).map(t => t.textContent + " " + [t.getBBox().x, t.getBBox().width, box.width] + " " + svg.id);
            })""")
            assert outside == [], (width, outside)
            # Drawn at a size one can read: pictures 560 units wide drew 13-unit text at 8 px on a phone.
            smallest = page.evaluate("""() => Math.min(...[...document.querySelectorAll('svg.chart-svg')].flatMap(svg => {
                const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                return [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
            }))""")
            assert smallest >= 11, (width, smallest)
        assert gruen.name in " ".join(page.locator("#chart-departments .chart-label tspan").all_text_contents())
        _checked(page, "dashboard")
        page.goto(live_server.url + f"/intern/meldungen/{report.id}")
        assert "Bürgerin/Bürger" in page.inner_text("ol.history")
        _checked(page, "report")
        page.goto(live_server.url + "/intern/admin/protokoll")
        assert "Angemeldet" in page.inner_text("table.data-table")
        _checked(page, "audit-log")
    finally:
        context.close()
        # Committed data outlives the test: later tests (the town file round trip) expect the demo's name.
        db.session.rollback()
        department("gruen").name = old_name
        db.session.commit()


def test_clerk_corrects_category_and_drags_the_pin(app, live_server, staff_committing, chromium, smtp_server):
    """Category change re-routed after the question; then the pin dragged on the map with the
    reporter told. Routing, Open311, the public map and the mails follow."""
    import json
    from urllib.request import urlopen

    from geoalchemy2.shape import to_shape

    from tests.factories import MARIENFELD, category

    user = make_staff("dispatcher")
    report = make_report(point=MARIENFELD, category_code="schlagloch", email="melderin@example.org")
    report.reporter_email_confirmed = True
    db.session.commit()
    spielplatz, bauhof = category("spielplatz"), department("bauhof-marienfeld")
    run_worker(app)
    smtp_server.clear()
    context, page = _signed_in_page(chromium, live_server, user)
    try:
        page.goto(live_server.url + f"/intern/meldungen/{report.id}")
        page.select_option("#corr-category", label=spielplatz.name)
        page.click("#correct-button")
        page.wait_for_selector("#reroute")
        assert f"„{bauhof.name}“ zuständig" in page.inner_text("main")
        _checked(page, "correct-confirm")
        page.click("#reroute")
        page.wait_for_selector(".flash")
        assert "berichtigt" in page.inner_text(".flash")

        # Drag the pin some way east; the form's coordinates follow; tell the reporter this time.
        before = (page.input_value("#corr-lat"), page.input_value("#corr-lon"))
        marker = page.locator("#report-map .leaflet-marker-icon").bounding_box()
        x, y = marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] - 4
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 40, y + 10, steps=8)
        page.mouse.up()
        after = (page.input_value("#corr-lat"), page.input_value("#corr-lon"))
        assert after != before and "," in after[0]
        page.check("#corr-notify")
        page.click("#correct-button")
        if page.locator("#keep").count():
            page.click("#keep")
        page.wait_for_selector(".flash")
        _checked(page, "report-corrected")
    finally:
        context.close()

    db.session.expire_all()
    fresh = db.session.get(Report, report.id)
    assert (fresh.category.code, fresh.department_id) == ("spielplatz", bauhof.id)
    moved = to_shape(fresh.location)
    assert moved.x > MARIENFELD[0] and abs(moved.y - float(after[0].replace(",", "."))) < 1e-6
    with urlopen(f"{live_server.url}/open311/v2/requests/{report.reference}.json") as answer:
        item = json.load(answer)[0]
    assert item["service_code"] == "spielplatz" and abs(item["long"] - moved.x) < 1e-6
    with urlopen(f"{live_server.url}/api/v1/reports.geojson?bbox=8.1,51.89,8.36,52.03") as answer:
        features = json.load(answer)["features"]
    feature = next(f for f in features if f["properties"]["reference"] == report.reference)
    assert abs(feature["geometry"]["coordinates"][0] - moved.x) < 1e-6
    run_worker(app)
    to_reporter = [m for m in smtp_server.to("melderin@example.org") if report.reference in m["Subject"]]
    assert len(to_reporter) == 1  # the pin move (chosen), not the category change (not chosen)
    assert "berichtigt" in to_reporter[0].get_body(("plain",)).get_content()
    assert [m for m in smtp_server.to(bauhof.email) if "weitergeleitet" in m["Subject"]]


def test_phone_report_taken_at_the_counter_reaches_the_right_department(app, live_server, staff_committing,
                                                                        chromium, smtp_server):
    from tests.factories import jpeg_bytes

    clerk = make_staff("staff", "abfall")  # the counter is staffed by another department
    db.session.commit()
    smtp_server.clear()
    context, page = _signed_in_page(chromium, live_server, clerk)
    try:
        page.click("text=Meldung aufnehmen")
        page.wait_for_url("**/intern/aufnehmen")
        _checked(page, "intake")
        page.check("#channel-telefon")
        page.select_option("#category", "schlagloch")
        page.fill("#description", "Anruferin meldet ein tiefes Loch an der Ampel")
        page.fill("#lat", "51,962")
        page.fill("#lon", "8,229")
        page.fill("#name", "Frau Anruferin")
        page.fill("#phone", "05247 98765")
        page.set_input_files("#photos", files=[{"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}])
        page.click("#intake-button")
        page.wait_for_selector(".flash")
        flash = page.inner_text(".flash")
        assert "aufgenommen" in flash and department("tiefbau").name in flash
    finally:
        context.close()
    report = db.session.scalar(select(Report).order_by(Report.id.desc()).limit(1))
    assert (report.channel, report.department.code, report.reporter_phone) == ("telefon", "tiefbau", "05247 98765")
    assert len(report.photos) == 1
    run_worker(app)
    mails = [m for m in smtp_server.to(department("tiefbau").email) if report.reference in m["Subject"]]
    assert len(mails) == 1


def test_assign_to_a_colleague_in_the_browser(app, live_server, staff_committing, chromium, smtp_server):
    """Assigned on the report page → in the colleague's "Meine Aufgaben", and their mail arrived."""
    me = make_staff("staff", "tiefbau")
    colleague = make_staff("staff", "tiefbau", email="kollegin@harsewinkel.example")
    colleague.display_name = "Karla Kollegin"
    report = make_report(category_code="schlagloch", description="Loch am Kreisel")
    db.session.commit()
    run_worker(app)
    smtp_server.clear()
    context, page = _signed_in_page(chromium, live_server, me)
    try:
        page.goto(live_server.url + f"/intern/meldungen/{report.id}")
        assert page.input_value("#assignee") == ""
        page.select_option("#assignee", label="Karla Kollegin")
        page.click("#assign-button")
        page.wait_for_selector(".flash")
        assert "Karla Kollegin" in page.inner_text("#assigned-to")
        _checked(page, "assigned")
    finally:
        context.close()
    context, page = _signed_in_page(chromium, live_server, colleague)
    try:
        page.click("header >> text=Meine Aufgaben")
        page.wait_for_url("**zuweisung=meine**")
        assert page.locator(".report-link").all_inner_texts() == [report.reference]
        _checked(page, "my-tasks")
    finally:
        context.close()
    run_worker(app)
    mails = smtp_server.to("kollegin@harsewinkel.example")
    assert len(mails) == 1 and report.reference in mails[0]["Subject"]
    assert "übergeben" in mails[0].get_body(("plain",)).get_content()


def test_printing_the_report_page_gives_a_short_work_order(app, live_server, staff_committing, chromium):
    """With the print stylesheet the page prints without navigation and forms: the facts, the
    description and the history on at most two pages (it was five pages of forms)."""
    import re as _re

    from tests.factories import jpeg_bytes

    user = make_staff("staff", "tiefbau")
    report = make_report(category_code="schlagloch", description="Loch vor der Schule", photos=[jpeg_bytes()])
    db.session.commit()
    context, page = _signed_in_page(chromium, live_server, user)
    try:
        page.goto(live_server.url + f"/intern/meldungen/{report.id}")
        page.emulate_media(media="print")
        assert not page.locator("#status-form").is_visible() and not page.locator("header").is_visible()
        assert page.locator("dl.facts").first.is_visible() and page.locator("ol.history").is_visible()
        assert "Loch vor der Schule" in page.inner_text("main")
        pdf = page.pdf(format="A4")
        pages = len(_re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert 1 <= pages <= 2, pages
    finally:
        context.close()
