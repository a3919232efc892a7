"""The staff workspace in a real headless Chromium checked by axe-core (WCAG 2.1 A and AA),
signed in, page by page; and every admin page reachable from the admin index."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from app.db import db
from app.staff.models import InternalNote, TextTemplate
from tests.browser import contrast, describe_violations, run_axe
from tests.catalog.conftest import committed_catalog  # noqa: F401  (fixture: the demo catalog, committed)
from tests.factories import category, jpeg_bytes, make_report, town
from tests.staff.helpers import PASSWORD, app_with, login, make_staff


def _sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/intern/anmelden")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/intern/eingang**")


def _axe_each(page, base: str, paths: list[str], problems: list[str]) -> None:
    for path in paths:
        response = page.goto(base + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        page.wait_for_load_state("load")
        assert urlsplit(page.url).path == urlsplit(base + path).path, (path, page.url)  # not sent to the sign-in
        violations = run_axe(page)
        if violations:
            problems.append(f"{path}: {describe_violations(violations)}")


@pytest.fixture
def workspace_data(staff_committing):
    """A town with reports (one with a photo, a note and history), a text template and an API key,
    committed for the live server; the API keys are removed afterwards (staff_committing does the rest)."""
    from app.open311.keys import create_client

    report = make_report(category_code="schlagloch", description="Tiefes Loch vor der Schule", email="b@example.org",
                         address="Münsterstraße 12", photos=[jpeg_bytes()])
    make_report(category_code="wilder-muell", description="Sperrmüll am Waldrand")
    db.session.add(TextTemplate(jurisdiction_id=town().id, category_id=category("schlagloch").id,
                                status="in_bearbeitung", title="Auftrag an Bauhof", body="Wir kümmern uns darum."))
    db.session.add(InternalNote(report_id=report.id, author="test", body="Bauhof informiert"))
    create_client(town(), "Stadtwerke-Leitstelle", ["post_update"])
    admin = make_staff("admin")
    staff = make_staff("staff", "tiefbau")
    db.session.commit()
    yield {"report": report, "admin": admin, "staff": staff}
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(text("TRUNCATE open311_update_receipts, open311_submissions, open311_api_clients "
                          "RESTART IDENTITY CASCADE"))


def _desktop(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    # The map tiles are the only third-party host allowed; nothing is fetched from it in tests.
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    return context, page


@pytest.mark.browser
def test_staff_pages_pass_axe(live_server, workspace_data, committed_catalog, chromium):  # noqa: F811
    report = workspace_data["report"]
    problems: list[str] = []
    context, page = _desktop(chromium)
    try:
        _axe_each(page, live_server.url, ["/intern/anmelden", "/intern/passwort-vergessen",
                                          "/intern/anmelden?lang=en"], problems)
        page.goto(live_server.url + "/intern/anmelden?lang=de")
        _sign_in(page, live_server.url, workspace_data["admin"].username)
        from app.catalog.models import CatalogEntry
        from app.jurisdictions.models import Category, Department

        entry_id = db.session.scalar(db.select(CatalogEntry.id).order_by(CatalogEntry.id).limit(1))
        department_id = db.session.scalar(db.select(Department.id).order_by(Department.id).limit(1))
        category_id = db.session.scalar(db.select(Category.id).order_by(Category.id).limit(1))
        _axe_each(page, live_server.url, [
            "/intern/eingang", "/intern/eingang?status=alle&q=loch&sort=aelteste",
            f"/intern/meldungen/{report.id}", "/intern/uebersicht",
            "/intern/admin/", "/intern/admin/protokoll", "/intern/admin/gebiete/", "/intern/admin/gebiete/umleitung",
            "/intern/admin/api-schluessel", "/intern/admin/leistungen/", "/intern/admin/leistungen/neu",
            f"/intern/admin/leistungen/{entry_id}", "/intern/admin/leistungen/import",
            f"/intern/admin/leistungen/stellen/{department_id}", "/intern/admin/warteschlange",
            "/intern/eingang?lang=en", f"/intern/meldungen/{report.id}", "/intern/admin/?lang=de",
            f"/intern/admin/kategorien/{category_id}",
            "/intern/admin/stadtprofil", "/intern/admin/stadtprofil?lang=en", "/intern/admin/adressen/",
            "/intern/admin/meldungen-import", f"/intern/admin/abteilungen/{department_id}/aufloesen",
            f"/intern/admin/kategorien/{category_id}/aufloesen", "/intern/admin/?lang=de",
        ], problems)
        # An error page inside the workspace (bad filter) is a page too.
        response = page.goto(live_server.url + "/intern/eingang?sort=quer")
        assert response.status == 400
        violations = run_axe(page)
        if violations:
            problems.append(f"/intern/eingang?sort=quer: {describe_violations(violations)}")
    finally:
        context.close()

    # Department staff see a queue without the department filter and a report without admin links.
    context, page = _desktop(chromium)
    try:
        _sign_in(page, live_server.url, workspace_data["staff"].username)
        _axe_each(page, live_server.url, ["/intern/eingang", f"/intern/meldungen/{report.id}",
                                          "/intern/uebersicht"], problems)
    finally:
        context.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.browser
def test_the_sign_in_page_with_openid_connect_and_its_refusal_page_pass_axe(app, staff_committing, chromium):
    """The button and the page shown when the provider cannot be reached (settings only, no provider)."""
    from werkzeug.serving import make_server

    from tests.browser import LiveServer

    with make_server("127.0.0.1", 0, lambda e, s: None) as probe:
        closed_port = probe.server_port
    oidc_app = app_with(app, OIDC_ISSUER=f"http://127.0.0.1:{closed_port}/realms/stadt", OIDC_CLIENT_ID="mm",
                        OIDC_ROLE_MAP="mm-admin=admin")
    server = LiveServer(oidc_app)
    server.start()
    context, page = _desktop(chromium)
    problems: list[str] = []
    try:
        _axe_each(page, server.url, ["/intern/anmelden"], problems)
        page.click("#oidc-sign-in")
        page.wait_for_selector("#oidc-reason")
        violations = run_axe(page)
        if violations:
            problems.append(f"refusal page: {describe_violations(violations)}")
    finally:
        context.close()
        server.stop()
    assert problems == [], "\n".join(problems)


def test_every_admin_page_is_reachable_from_the_admin_index(app, client):
    """Each admin page without URL parameters is linked from the admin index or a page it links to."""
    admin = make_staff("admin")
    login(client, admin.username)
    wanted = {rule.rule for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/intern/admin") and "GET" in rule.methods and not rule.arguments}
    seen, queue = set(), ["/intern/admin/"]
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        for href in re.findall(r'href="([^"#?]+)', response.get_data(as_text=True)):
            target = urlsplit(href).path
            if target.startswith("/intern/admin") and target not in seen and len(seen) < 200:
                queue.append(target)
    assert wanted - seen == set(), f"not linked from the admin pages: {sorted(wanted - seen)}"


def _colours(css: str) -> list[tuple[int, int, int]]:
    return [tuple(int(v) for v in m) for m in re.findall(r"rgba?\((\d+), (\d+), (\d+)", css)]


@pytest.mark.browser
def test_keyboard_focus_is_visible_with_3_to_1_contrast_on_staff_pages(live_server, workspace_data, chromium):
    """WCAG 1.4.11: the focus indicator of links, buttons and fields in the page body stands out
    from the white page by at least 3:1 (axe does not check this)."""
    report = workspace_data["report"]
    context, page = _desktop(chromium)
    try:
        _sign_in(page, live_server.url, workspace_data["admin"].username)
        for path in ("/intern/eingang", f"/intern/meldungen/{report.id}", "/intern/admin/"):
            page.goto(live_server.url + path)
            page.focus("#main")
            checked = 0
            for _ in range(12):
                page.keyboard.press("Tab")
                style = page.evaluate("""() => { const el = document.activeElement;
                    if (!el || !el.closest('main') || el.closest('.leaflet-container')) return null;
                    const s = getComputedStyle(el);
                    return {tag: el.tagName, outline: s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor,
                            shadow: s.boxShadow, background: getComputedStyle(document.documentElement).backgroundColor}; }""")
                if style is None:
                    continue
                checked += 1
                background = _colours(style["background"])[0]
                rings = _colours(style["outline"]) + _colours(style["shadow"])
                assert "none" not in style["outline"] or rings, (path, style)
                assert max(contrast(c, background) for c in rings) >= 3, (path, style)
            assert checked >= 3, path
    finally:
        context.close()


def test_dashboard_figures_are_also_given_as_tables(client):
    """The charts are images: each one's numbers are in a table too (WCAG 1.1.1)."""
    user = make_staff("dispatcher")
    login(client, user.username)
    make_report(category_code="graffiti")
    body = client.get("/intern/uebersicht").get_data(as_text=True)
    tables = body[body.index('id="chart-tables"'):]
    for caption in ("Offene und überfällige Meldungen je Abteilung", "Offene und überfällige Meldungen je Kategorie",
                    "Neue Meldungen je Woche (letzte 26 Wochen)", "Median der Tage bis zum Abschluss"):
        assert f"<caption>{caption}</caption>" in tables, caption
    assert "<td>Graffiti</td><td>1</td><td>0</td>" in tables
    assert "Noch keine abgeschlossenen Meldungen." in tables  # and the empty median chart says so
    assert body.count('class="chart-empty"') == 1


def _staff_pages_without_parameters(app) -> list[str]:
    """Every page under /intern/ a GET without parameters opens, from the app's URL map (the queue
    page, the API keys and the service catalog once scrolled sideways and no fixed list had them);
    downloads, scripts and the sign-in provider's return address are not pages."""
    paths = {rule.rule for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/intern/") and "GET" in rule.methods and not rule.arguments}
    return sorted(path for path in paths
                  if not path.endswith((".csv", ".geojson", ".pdf", ".js", ".json"))
                  and not path.endswith(("/zurueck", "/schluessel", "/aehnliche", "/dienstkonto")))


@pytest.mark.browser
def test_staff_pages_reflow_at_320_css_pixels(app, live_server, workspace_data, committed_catalog,  # noqa: F811
                                             chromium):
    """WCAG 1.4.10: at 320 px nothing but a wide table (in its own scroll box) needs sideways
    scrolling, on any staff or admin page, and each such page passes axe at that width. The
    catalog and the mail queue have rows, so their tables are drawn."""
    from datetime import timedelta

    from app.outbox.models import OutboxMessage
    from app.db import utcnow

    report = workspace_data["report"]
    error = "451 4.3.0 Mailbox temporarily unavailable: server busy, try again later (sehr lange Meldung)"
    db.session.add_all([
        OutboxMessage(kind="status_changed", dedup_key="reflow-parked", payload={"report_id": report.id},
                      state="failed", attempts=8, last_error=error, failed_at=utcnow(), jurisdiction_id=town().id),
        OutboxMessage(kind="new_report", dedup_key="reflow-retrying", payload={"report_id": report.id},
                      state="pending", attempts=2, last_error=error, next_attempt_at=utcnow() + timedelta(hours=1),
                      jurisdiction_id=town().id)])
    db.session.commit()
    context = chromium.new_context(viewport={"width": 320, "height": 700}, locale="de-DE")
    page = context.new_page()
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    try:
        _sign_in(page, live_server.url, workspace_data["admin"].username)
        for path in [f"/intern/meldungen/{report.id}", *_staff_pages_without_parameters(app)]:
            page.goto(live_server.url + path)
            too_wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
                .filter(e => !e.closest('.table-scroll') && e.getBoundingClientRect().right > 321)
                .slice(0, 5).map(e => e.outerHTML.slice(0, 120))""")
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, (path, too_wide)
            if path in ("/intern/admin/warteschlange", "/intern/admin/leistungen/"):
                assert page.locator("main table tbody tr").count() >= 2, path  # the tables it is about
            violations = run_axe(page)  # the scroll boxes are reachable by keyboard (scrollable-region-focusable)
            assert not violations, (path, describe_violations(violations))
    finally:
        context.close()
