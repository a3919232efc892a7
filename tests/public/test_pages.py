"""The public map page, list, report page, tracking-link additions and statement pages."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.outbox.models import OutboxMessage
from app.public.models import ReporterComment
from app.reports.operations import change_status
from tests.conftest import csrf_token
from tests.factories import GREFFEN, HARSEWINKEL, MARIENFELD, jpeg_bytes, make_address, make_report, town

XSS = "<img src=x onerror=alert(1)>"


def _external_urls(html: str) -> list[str]:
    return [u for u in re.findall(r'(?:src|href)="([^"]+)"', html) if re.match(r"^(https?:)?//", u)]


def test_map_page_loads_nothing_from_cdns_and_has_no_inline_code(client):
    response = client.get("/karte")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # No CDN (folium's defaults would load Leaflet, jQuery, Bootstrap, Font Awesome from five hosts).
    assert _external_urls(html) == []
    assert "cdn" not in html.lower()
    # Inline code would be refused by the CSP: every script has a src, no <style> element.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html
    assert '/static/vendor/leaflet/leaflet.js' in html and '/karte/karte.js' in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_folium_script_is_served_from_the_app_with_the_configured_tiles(app, client):
    response = client.get("/karte/karte.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    script = response.get_data(as_text=True)
    assert "L.map(" in script and '"map_reports"' in script
    assert app.config["TILE_URL"] in script
    assert "OpenStreetMap" in script  # the configured attribution
    again = client.get("/karte/karte.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_list_filters_by_category_status_street_and_ortsteil(client, db_session):
    make_address(HARSEWINKEL, "Münsterstraße", "12")
    make_address(GREFFEN, "Glockengasse", "3", ortsteil="Greffen")
    make_address(MARIENFELD, "Klosterhof", "1", ortsteil="Marienfeld")
    pothole = make_report(point=HARSEWINKEL, category_code="schlagloch", address="Münsterstraße 12")
    light = make_report(point=GREFFEN, category_code="strassenlaterne", address="an der Kirche")
    fixed = make_report(point=MARIENFELD, category_code="schlagloch", address="Klosterhof 1")
    change_status(fixed, "erledigt", public_note="Repariert", actor="test")
    db_session.commit()

    mine = {pothole.reference, light.reference, fixed.reference}

    def refs(query: str) -> set[str]:
        response = client.get("/meldungen" + query)
        assert response.status_code == 200, response.get_data(as_text=True)
        return set(re.findall(r"HW-\d{4}-\d+", response.get_data(as_text=True))) & mine

    assert refs("") >= {pothole.reference, light.reference, fixed.reference}
    assert refs("?kategorie=schlagloch") == {pothole.reference, fixed.reference}
    assert refs("?status=offen") == {pothole.reference, light.reference}
    assert refs("?status=erledigt") == {fixed.reference}
    assert refs("?strasse=glocken") == {light.reference}  # the known address, not what was typed
    assert refs("?strasse=kirche") == set()
    assert refs("?ortsteil=ortsteil-greffen") == {light.reference}
    assert refs("?strasse=100%25") == set()  # a % typed by the user is not a wildcard


def test_list_pages_and_sorts(client, db_session):
    make_address(HARSEWINKEL, "Teststraße", "1")
    reports = [make_report(point=HARSEWINKEL, address=f"Teststraße {i}") for i in range(23)]
    db_session.commit()
    first = client.get("/meldungen?strasse=Teststra").get_data(as_text=True)
    second = client.get("/meldungen?strasse=Teststra&seite=2").get_data(as_text=True)
    on_first = re.findall(r"HW-\d{4}-\d+", first)
    on_second = re.findall(r"HW-\d{4}-\d+", second)
    assert len(set(on_first)) == 20 and len(set(on_second)) == 3
    assert on_first[0] == reports[-1].reference  # newest first
    assert 'rel="next"' in first and 'rel="next"' not in second
    oldest = client.get("/meldungen?strasse=Teststra&sortierung=aelteste").get_data(as_text=True)
    assert re.findall(r"HW-\d{4}-\d+", oldest)[0] == reports[0].reference


@pytest.mark.parametrize("query, german, english", [
    ("?kategorie=gibtsnicht", "Die Kategorie „gibtsnicht“ gibt es nicht.", "does not exist"),
    ("?status=kaputt", "Unbekannter Status-Filter", "Unknown status filter"),
    ("?seite=0", "Die Seitenzahl muss eine ganze Zahl", "page number"),
    ("?seite=abc", "Die Seitenzahl muss eine ganze Zahl", "page number"),
    ("?sortierung=x", "Unbekannte Sortierung", "Unknown sort order"),
    ("?strasse=" + "x" * 101, "Der Straßenname ist zu lang", "street name is too long"),
])
def test_bad_filters_get_a_400_naming_the_problem(client, query, german, english):
    response = client.get("/meldungen" + query)
    assert response.status_code == 400
    assert german in response.get_data(as_text=True)
    if query.startswith(("?kategorie", "?status")):  # the map has these two filters
        assert client.get("/karte" + query).status_code == 400
    response_en = client.get("/meldungen" + query + "&lang=en")
    assert response_en.status_code == 400 and english in response_en.get_data(as_text=True)
    client.get("/?lang=de")


@pytest.mark.parametrize("query", ["?seite=abc", "?seite=0", "?sortierung=x", "?strasse=" + "x" * 101,
                                   "?ortsteil=mond"])
def test_the_map_ignores_the_lists_parameters(client, query):
    """/karte?seite=abc answered 400 with a message linking to the list's page field, which the
    map page does not have; the map filters by category and status only."""
    response = client.get("/karte" + query + "&kategorie=gully")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Der Filter enthält einen Fehler" not in html
    # Its link to the list keeps the map's own filter only.
    assert re.search(r'id="list-link" href="/meldungen\?kategorie=gully"', html)


def test_the_maps_filter_errors_link_to_fields_the_map_has(client):
    response = client.get("/karte?kategorie=gibtsnicht&status=kaputt&seite=abc&sortierung=x")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    targets = re.findall(r'<a href="#([^"]+)">', html.split('class="error-summary"')[1].split("</ul>")[0])
    assert targets == ["f-kategorie", "f-status"]
    assert all(f'id="{target}"' in html for target in targets)


def test_report_page_shows_public_facts_only(client, db_session, app):
    make_address(HARSEWINKEL, "Münsterstraße", "5")
    report = make_report(point=HARSEWINKEL, category_code="schlagloch", email="anna@example.org",
                         name="Anna Reporterin", description="Geheimer Originaltext", photos=[jpeg_bytes()],
                         address="vor dem Haus von Familie Reporterin")
    change_status(report, "in_bearbeitung", public_note="Auftrag an den Bauhof", internal_note="intern: Kolonne 3",
                  actor="test")
    db_session.commit()
    page = client.get(f"/meldungen/{report.reference}").get_data(as_text=True)
    assert report.reference in page and "In Bearbeitung" in page and "Auftrag an den Bauhof" in page
    assert "Münsterstraße 5, 33428 Harsewinkel" in page and 'id="report-map"' in page
    # What the reporter typed as the place is theirs: the public sees the nearest known address.
    for secret in ("anna@example.org", "Anna Reporterin", "Geheimer Originaltext", "Kolonne 3", "Familie Reporterin"):
        assert secret not in page
    assert "/fotos/" not in page  # the photo is not published yet
    report.photos[0].published = True
    report.description_published = True
    db_session.commit()
    page = client.get(f"/meldungen/{report.reference}").get_data(as_text=True)
    assert f"/fotos/{report.photos[0].id}/thumb.jpg" in page and "Geheimer Originaltext" in page


def test_hidden_reports_are_nowhere_public(client, db_session):
    report = make_report(point=HARSEWINKEL, category_code="gully", address="Versteckweg 1")
    report.hidden = True
    db_session.commit()
    assert client.get(f"/meldungen/{report.reference}").status_code == 404
    assert client.get(f"/meldungen/{report.reference}/popup.json").status_code == 404
    assert report.reference not in client.get("/meldungen").get_data(as_text=True)
    assert report.reference not in client.get("/feeds/meldungen.atom").get_data(as_text=True)


def test_popup_json_has_public_fields_and_the_published_description_only(client, db_session):
    unpublished = make_report(point=HARSEWINKEL, category_code="schlagloch", description="noch geheim",
                              email="x@example.org")
    published = make_report(point=HARSEWINKEL, category_code="gully", description=XSS)
    db_session.commit()
    body = client.get(f"/meldungen/{unpublished.reference}/popup.json").get_json()
    assert body["description"] is None and body["status"] == "eingegangen"
    assert "x@example.org" not in str(body) and "noch geheim" not in str(body)
    body = client.get(f"/meldungen/{published.reference}/popup.json").get_json()
    assert body["description"] == XSS and body["url"] == f"/meldungen/{published.reference}"


def test_citizen_markup_is_text_on_the_report_page_and_list(client, db_session):
    report = make_report(point=HARSEWINKEL, category_code="gully", description=XSS, address=XSS + " Straße")
    report.description_published = True
    db_session.commit()
    page = client.get(f"/meldungen/{report.reference}").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    # The list shows no citizen text (the place is the known address), so none as markup either.
    assert report.reference in client.get("/meldungen").get_data(as_text=True)
    assert "<img src=x" not in client.get("/meldungen").get_data(as_text=True)


def test_unknown_report_is_404_in_german_and_english(client):
    response = client.get("/meldungen/HW-1999-99999")
    assert response.status_code == 404 and "Diese Meldung gibt es nicht" in response.get_data(as_text=True)
    response = client.get("/meldungen/HW-1999-99999?lang=en")
    assert "This report does not exist" in response.get_data(as_text=True)
    client.get("/?lang=de")


def test_reporter_adds_a_comment_and_a_photo_via_the_tracking_link(client, db_session):
    report = make_report(point=HARSEWINKEL, category_code="schlagloch")
    db_session.commit()
    path = f"/verfolgen/{report.tracking_token}/ergaenzen"
    assert "ergaenzen" in client.get(f"/verfolgen/{report.tracking_token}").get_data(as_text=True)
    token = csrf_token(client, path)
    response = client.post(path, data={"csrf_token": token, "was": "kommentar", "comment": "Es ist größer " + XSS})
    assert response.status_code == 303
    comment = db_session.scalar(select(ReporterComment).where(ReporterComment.report_id == report.id))
    assert comment.body == "Es ist größer " + XSS
    assert db_session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == f"reporter_comment:{comment.id}"))
    page = client.get(path).get_data(as_text=True)
    assert "&lt;img src=x" in page and "<img src=x" not in page
    assert client.get(path).headers["Cache-Control"] == "private, no-store"

    import io
    response = client.post(path, data={"csrf_token": token, "was": "foto",
                                       "photos": (io.BytesIO(jpeg_bytes()), "neu.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    db_session.refresh(report)
    assert len(report.photos) == 1 and report.photos[0].published is False  # schlagloch: staff review first
    # The public page does not show it; the comment is never public either.
    public = client.get(f"/meldungen/{report.reference}").get_data(as_text=True)
    assert "/fotos/" not in public and "Es ist größer" not in public


def test_tracking_additions_refuse_bad_input(client, db_session):
    report = make_report(point=HARSEWINKEL)
    db_session.commit()
    path = f"/verfolgen/{report.tracking_token}/ergaenzen"
    token = csrf_token(client, path)
    empty = client.post(path, data={"csrf_token": token, "was": "kommentar", "comment": "   "})
    assert empty.status_code == 400 and "Bitte schreiben Sie Ihre Ergänzung" in empty.get_data(as_text=True)
    too_long = client.post(path, data={"csrf_token": token, "was": "kommentar", "comment": "x" * 2001})
    assert too_long.status_code == 400 and "zu lang" in too_long.get_data(as_text=True)
    import io
    broken = client.post(path, data={"csrf_token": token, "was": "foto", "photos": (io.BytesIO(b"not an image"), "a.jpg")},
                         content_type="multipart/form-data")
    assert broken.status_code == 400
    assert db_session.scalar(select(ReporterComment).where(ReporterComment.report_id == report.id)) is None
    assert client.post("/verfolgen/falsch/ergaenzen", data={"csrf_token": token, "was": "kommentar",
                                                           "comment": "x"}).status_code == 404


@pytest.mark.parametrize("path, text", [("/impressum", "Impressum"), ("/datenschutz", "Datenschutz"),
                                        ("/barrierefreiheit", "Barrierefreiheit"), ("/transparenz", "Transparenz"),
                                        ("/benachrichtigungen", "Benachrichtigungen")])
def test_statement_pages_exist_and_every_page_links_them(client, path, text):
    response = client.get(path)
    assert response.status_code == 200 and text in response.get_data(as_text=True)
    for page in ("/", "/karte", "/meldungen", "/melden"):
        html = client.get(page).get_data(as_text=True)
        for link in ('href="/impressum"', 'href="/datenschutz"', 'href="/barrierefreiheit"'):
            assert link in html, (page, link)


def test_recently_fixed_means_fixed_within_the_window_however_old_the_report(client, db_session):
    long_known = make_report(point=HARSEWINKEL, address="Altweg 1")
    change_status(long_known, "erledigt", actor="test")
    long_known.created_at = utcnow() - timedelta(days=400)
    fixed_long_ago = make_report(point=HARSEWINKEL, address="Altweg 2")
    change_status(fixed_long_ago, "erledigt", actor="test")
    fixed_long_ago.status_changed_at = utcnow() - timedelta(days=200)
    db_session.commit()
    listed = client.get("/meldungen?status=erledigt").get_data(as_text=True)
    assert long_known.reference in listed and fixed_long_ago.reference not in listed
    closed = client.get("/meldungen?status=geschlossen").get_data(as_text=True)
    assert long_known.reference in closed and fixed_long_ago.reference in closed
    # The map asks the API for the same reports (templates/public/map.html, static/js/map.js).
    days = client.get("/karte").get_data(as_text=True).split('data-recently-fixed-days="')[1].split('"')[0]
    mapped = client.get(f"/api/v1/reports.geojson?bbox=8.1,51.89,8.36,52.03&status=erledigt&changed_within_days={days}")
    assert [f["properties"]["reference"] for f in mapped.get_json()["features"]] == [long_known.reference]


def test_following_a_report_from_its_page_records_the_opt_in_mail(client, db_session):
    pytest.importorskip("app.followers.operations")
    report = make_report(point=HARSEWINKEL, category_code="gully")
    db_session.commit()
    path = f"/meldungen/{report.reference}"
    assert 'id="follow-email"' in client.get(path).get_data(as_text=True)
    token = csrf_token(client, path)
    bad = client.post(f"{path}/folgen", data={"csrf_token": token, "email": "kein-at"})
    assert bad.status_code == 400 and "Diese E-Mail-Adresse ist ungültig." in bad.get_data(as_text=True)
    response = client.post(f"{path}/folgen", data={"csrf_token": token, "email": "Folger@Example.org"})
    assert response.status_code == 303 and response.headers["Location"].endswith("folgen=angefragt#folgen")
    confirm = [m for m in db_session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "follow_confirm"))
               if m.payload.get("report_id") == report.id]
    assert len(confirm) == 1
    assert "Folger@Example.org".lower() not in client.get(path).get_data(as_text=True)


# --- every public page in English -------------------------------------------------------------------

class _VisibleText(HTMLParser):
    """What a visitor reads or hears: text outside <script>/<style> plus the attributes shown or
    read out (title, alt, aria-label, placeholder, the map script's data-t-* strings). Text an
    element marks as another language (``lang="de"`` on "Deutsch" in the language menu) is that
    language on purpose and left out."""

    SHOWN_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")

    def __init__(self, page_lang: str = "en"):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0
        self._page_lang = page_lang
        self._other_language: list[list] = []  # [tag, depth] of the element that set another lang

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        values = dict(attrs)
        if self._other_language and self._other_language[-1][0] == tag:
            self._other_language[-1][1] += 1
        elif values.get("lang") and values["lang"] != self._page_lang and tag != "html":
            self._other_language.append([tag, 1])
        if self._other_language:
            return
        for name, value in attrs:
            if value and (name in self.SHOWN_ATTRIBUTES or name.startswith("data-t-")):
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1
        if self._other_language and self._other_language[-1][0] == tag:
            self._other_language[-1][1] -= 1
            if self._other_language[-1][1] == 0:
                self._other_language.pop()

    def handle_data(self, data):
        if not self._hidden and not self._other_language and data.strip():
            self.parts.append(data)


def _visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _german_ui_strings() -> list[str]:
    """German msgids of every catalog whose English differs, as fixed text to look for (the
    longest literal piece of a msgid with placeholders). Three-letter ones ("Art", "Ort") are
    left out: they turn up in English ("Art. 13 GDPR")."""
    from babel.messages.pofile import read_po

    from app.config import PROJECT_ROOT

    english: dict[str, set[str]] = {}
    for po in Path(PROJECT_ROOT, "app").glob("**/translations/en/LC_MESSAGES/messages.po"):
        with po.open("rb") as handle:
            for message in read_po(handle):
                if message.id and isinstance(message.id, str):
                    english.setdefault(message.id, set()).add(message.string)
    found: set[str] = set()
    for msgid, strings in english.items():
        if msgid in strings:  # the same in both languages ("Status", "Graffiti")
            continue
        piece = max(re.split(r"%\(\w+\)[sdif]|\{\w*\}", msgid), key=len).strip(" .,:;–-")
        if len(piece) >= 4:
            found.add(" ".join(piece.split()))
    return sorted(found)


def _german_in(text: str, german: list[str]) -> list[str]:
    return [g for g in german if re.search(r"(?<!\w)" + re.escape(g) + r"(?!\w)", text)]


def _german_data(session) -> list[str]:
    """German text that is data, not UI, and has no English in the database: the town's name,
    department names and category descriptions (citizens' words are German in the test data)."""
    from app.jurisdictions.models import Category, Department, Jurisdiction

    texts = [*session.scalars(select(Jurisdiction.name)), *session.scalars(select(Department.name)),
             *session.scalars(select(Category.description))]
    return sorted({t for t in texts if t}, key=len, reverse=True)


@pytest.fixture
def english_site(client, db_session):
    """One report with history, a published photo and description, one fixed report, and an
    alert subscription: the paths of every public page worth reading in English."""
    from app.alerts import operations
    from app.alerts.models import AlertSubscription

    report = make_report(point=HARSEWINKEL, category_code="schlagloch", photos=[jpeg_bytes()],
                         description="Tiefes Loch vor der Schule", address="Münsterstraße 5")
    change_status(report, "in_bearbeitung", public_note="Bauhof beauftragt", actor="test")
    report.photos[0].published = True
    report.description_published = True
    fixed = make_report(point=GREFFEN, category_code="gully", description="Gully verstopft")
    change_status(fixed, "erledigt", public_note="Gereinigt", actor="test")
    db_session.commit()
    response = client.post("/benachrichtigungen", data={
        "csrf_token": csrf_token(client, "/benachrichtigungen"), "email": "nachbar@example.org",
        "where": "ortsteil", "ortsteil": "ortsteil-greffen", "events": ["neu", "erledigt"]})
    assert response.status_code == 303
    subscription = db_session.scalar(select(AlertSubscription).order_by(AlertSubscription.id.desc()).limit(1))
    confirmed = operations.subscribe(town(), operations.AlertInput(
        email="nachbar@example.org", where="ortsteil", ortsteil="ortsteil-marienfeld"))
    operations.confirm(confirmed.token)
    db_session.commit()
    return {
        "/": ["Report a problem", "Latest reports", "Skip to content", "Legal notice"],
        "/melden": ["Send report", "Use my location", "Already reported?", "E-mail address"],
        "/karte": ["Map of reports", "Legend", "Link to this map view", "reports in this map view"],
        "/meldungen": ["List of reports", "Newest first", "Apply filter", "All districts"],
        # The allowed values are the list's URL parameters, which are German words.
        "/meldungen?status=kaputt": ["The filter contains an error",
                                     "Unknown status filter. Possible values: offen, erledigt, geschlossen."],
        f"/meldungen/{report.reference}": ["Reported on", "History", "Follow this report", "In progress",
                                           "Photo 1 of the report"],
        f"/meldungen/{fixed.reference}?folgen=angefragt": ["Fixed", "Almost done"],
        "/meldungen/HW-1999-99999": ["This report does not exist"],
        f"/verfolgen/{report.tracking_token}": ["Your report", "Publicly visible", "Add a comment or photo"],
        f"/verfolgen/{report.tracking_token}/ergaenzen": ["Add to your report", "Send comment", "Send photo"],
        "/transparenz": ["Reports per month", "Median time to fix", "Share fixed", "download as CSV"],
        "/impressum": ["Legal notice", "The mayor"],
        "/datenschutz": ["Privacy notice", "What we store", "Your rights", "No third parties"],
        "/barrierefreiheit": ["Accessibility statement", "Enforcement procedure", "Feedback and contact"],
        "/benachrichtigungen": ["Alerts for your area", "A radius around an address", "Subscribe to alerts"],
        "/benachrichtigungen/angefragt": ["Please confirm your e-mail"],
        f"/benachrichtigungen/bestaetigen/{subscription.token}": [
            "Confirm e-mail notifications", "Do you want e-mails about new and fixed reports in Greffen?",
            "Yes, send me e-mails", "without confirmation we send nothing"],
        f"/benachrichtigungen/bestaetigen/{confirmed.token}": ["Alerts confirmed", "Unsubscribe from alerts"],
        f"/benachrichtigungen/abmelden/{subscription.token}": ["Do you want to stop receiving alerts?",
                                                               "Unsubscribe now"],
    }


def test_every_public_page_reads_in_english_when_english_is_chosen(client, db_session, english_site):
    german = _german_ui_strings()
    data = _german_data(db_session)
    client.get("/?lang=en")  # the choice is kept in a cookie from here on
    for path, english in english_site.items():
        response = client.get(path)
        assert response.headers["Content-Language"] == "en", path
        html = response.get_data(as_text=True)
        assert '<html lang="en"' in html, path
        text = _visible_text(html)
        for value in data:
            text = text.replace(value, "")
        missing = [e for e in english if e not in text]
        assert missing == [], f"{path}: no {missing} in {text[:2000]}"
        for expected in english:
            text = text.replace(expected, "")
        assert _german_in(text, german) == [], f"{path}: German UI text on the English page"
        assert "Sign out" not in text, path  # the staff area's "Abmelden" must not leak into public pages

    feed = client.get("/feeds/meldungen.atom").get_data(as_text=True)
    assert "<title>Problem reporter Stadt Harsewinkel: reports</title>" in feed
    assert "In progress" in feed and "Pothole" in feed


def test_the_german_check_sees_german_pages(client, english_site):
    """The check above is not vacuous: the same pages in German are full of the strings it looks for."""
    german = _german_ui_strings()
    client.get("/?lang=de")
    for path in english_site:
        text = _visible_text(client.get(path).get_data(as_text=True))
        assert len(_german_in(text, german)) >= 2, path


# --- review of the public side: input that reached the database, duplicates, feeds, list ↔ map -------

@pytest.mark.parametrize("path", [
    "/meldungen?strasse=%00", "/meldungen?kategorie=a%00", "/meldungen?ortsteil=%00", "/karte?kategorie=%00",
    "/meldungen/HW%00", "/meldungen/HW%00/popup.json", "/verfolgen/%00/ergaenzen", "/feeds/kategorie/%00.atom",
    "/feeds/ortsteil/%00.atom", "/benachrichtigungen/bestaetigen/%00", "/benachrichtigungen/abmelden/%00",
])
def test_a_nul_character_gets_a_400_naming_it_not_a_500(client, path):
    """PostgreSQL refuses NUL in text: looked up as it came, it was a 500 on every one of these."""
    response = client.get(path)
    assert response.status_code == 400, path
    assert "enthält ein unzulässiges Zeichen" in response.get_data(as_text=True)
    english = client.get(path + ("&" if "?" in path else "?") + "lang=en")
    assert english.status_code == 400 and "contains a character that is not allowed" in english.get_data(as_text=True)
    client.get("/?lang=de")


@pytest.mark.parametrize("page", ["%C2%B2", "%E2%91%A0", "%D9%A1", "1" * 5000])  # ², ①, Arabic-Indic 1, very long
def test_a_page_number_in_other_digits_gets_a_400(client, page):
    """str.isdigit() accepts "²" and "①", and int() then refused them: a 500."""
    response = client.get("/meldungen?seite=" + page)
    assert response.status_code == 400 and "Die Seitenzahl muss eine ganze Zahl" in response.get_data(as_text=True)


def test_a_duplicate_links_to_the_report_it_duplicates(client, db_session):
    original = make_report(point=HARSEWINKEL, category_code="schlagloch", address="Münsterstraße 3")
    duplicate = make_report(point=HARSEWINKEL, category_code="schlagloch", address="Münsterstraße 3")
    change_status(duplicate, "duplikat", duplicate_of=original, actor="test")
    db_session.commit()
    page = client.get(f"/meldungen/{duplicate.reference}").get_data(as_text=True)
    assert "Bereits gemeldet als" in page
    assert f'<a href="/meldungen/{original.reference}">{original.reference}</a>' in page
    # An original the public may not see is not pointed at.
    original.hidden = True
    db_session.commit()
    page = client.get(f"/meldungen/{duplicate.reference}").get_data(as_text=True)
    assert "Bereits gemeldet als" not in page and original.reference not in page


def test_the_list_and_home_page_link_the_feeds_of_their_filter(client, db_session):
    def feeds(path: str) -> tuple[set[str], set[str]]:
        html = client.get(path).get_data(as_text=True)
        announced = set(re.findall(r'<link rel="alternate" type="application/atom\+xml"[^>]* href="([^"]+)"', html))
        linked = set(re.findall(r'<a href="([^"]+\.atom)"', html))
        return announced, linked

    town_feed = "/feeds/meldungen.atom"
    assert feeds("/") == ({town_feed}, {town_feed})
    assert feeds("/meldungen") == ({town_feed}, {town_feed})
    both = {town_feed, "/feeds/ortsteil/ortsteil-greffen.atom", "/feeds/kategorie/gully.atom"}
    assert feeds("/meldungen?ortsteil=ortsteil-greffen&kategorie=gully") == (both, both)
    for path in both:
        assert client.get(path).status_code == 200


def test_the_lists_map_link_opens_the_map_on_the_chosen_ortsteil(client, db_session):
    """The map filters by category and status only: an Ortsteil chosen on the list became a map
    of the town centre, 4 km from Greffen, as if nothing had been reported there."""
    from urllib.parse import parse_qs, urlsplit

    from sqlalchemy import func

    from app.jurisdictions.models import Area

    html = client.get("/meldungen?ortsteil=ortsteil-greffen&kategorie=gully").get_data(as_text=True)
    link = re.search(r'<a href="(/karte\?[^"]*)">', html).group(1).replace("&amp;", "&")
    args = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    assert args["kategorie"] == "gully" and "ortsteil" not in args
    lat, lon = float(args["lat"]), float(args["lon"])
    inside = db_session.scalar(select(func.ST_Covers(Area.geom, func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)))
                               .where(Area.code == "ortsteil-greffen"))
    assert inside is True and args["z"] == "14"
    assert client.get(link).status_code == 200


def test_street_search_finds_the_street_however_it_is_written(client, db_session):
    """"Münsterstr. 12", "Münsterstrasse 12" and "Münsterstraße 12" are one place for residents."""
    beside, further = (HARSEWINKEL[0] + 0.0003, HARSEWINKEL[1]), (HARSEWINKEL[0] + 0.0006, HARSEWINKEL[1])
    make_address(HARSEWINKEL, "Münsterstraße", "12")
    make_address(beside, "Münsterstr.", "12a")  # address files spell streets either way too
    make_address(further, "Münsterstrasse", "30")
    spelled_out = make_report(point=HARSEWINKEL)
    abbreviated = make_report(point=beside)
    elsewhere = make_report(point=further)
    db_session.commit()
    mine = {spelled_out.reference, abbreviated.reference, elsewhere.reference}

    def refs(query: str) -> set[str]:
        response = client.get("/meldungen", query_string={"strasse": query})
        assert response.status_code == 200
        return set(re.findall(r"HW-\d{4}-\d+", response.get_data(as_text=True))) & mine

    for query in ("Münsterstr. 12", "münsterstrasse 12", "Münsterstraße 12", "Münsterstr.12"):
        assert refs(query) == {spelled_out.reference, abbreviated.reference}, query
    assert refs("Münsterstraße") == mine
    assert refs("Münsterstraße 99") == set()


@pytest.mark.parametrize("path,field", [
    ("/api/v1/reports.geojson?bbox=8.1,51.9,8.3,52.0&category=%00", "category"),
    ("/api/v1/clusters.geojson?zoom=12&bbox=8.1,51.9,8.3,52.0&category=a%00", "category"),
    ("/open311/v2/requests.json?service_code=%00", "service_code"),
    ("/open311/v2/requests/HW%00.json", None),
])
def test_a_nul_character_gets_the_apis_own_400_too(client, path, field):
    # The check runs for the whole app (app/guards.py): each API answers in its own format.
    response = client.get(path)
    assert response.status_code == 400, path
    body = response.get_json()
    text = json.dumps(body, ensure_ascii=False)
    assert "unzulässiges Zeichen" in text, body
    assert field is None or field in text


def test_the_typed_place_stays_with_staff_and_the_public_sees_the_nearest_known_address(client, db_session):
    from tests.staff.helpers import login, make_staff

    label = make_address(HARSEWINKEL, "Münsterstraße", "5")
    report = make_report(point=HARSEWINKEL, category_code="schlagloch",
                         address="vor dem Haus von Familie Reporterin")
    staff = make_staff("staff", "tiefbau")
    db_session.commit()
    typed, ref = "Familie Reporterin", report.reference
    public = {path: client.get(path) for path in (
        f"/meldungen/{ref}", f"/meldungen/{ref}/popup.json", "/meldungen", "/feeds/meldungen.atom",
        f"/open311/v2/requests/{ref}.json")}
    for path, response in public.items():
        assert response.status_code == 200 and typed not in response.get_data(as_text=True), path
    assert label in public[f"/meldungen/{ref}"].get_data(as_text=True)
    assert public[f"/meldungen/{ref}/popup.json"].get_json()["address"] == label
    assert label in public["/feeds/meldungen.atom"].get_data(as_text=True)
    assert public[f"/open311/v2/requests/{ref}.json"].get_json()[0]["address"] == label
    login(client, staff.username)
    staff_page = client.get(f"/intern/meldungen/{report.id}").get_data(as_text=True)
    assert typed in staff_page and label in staff_page  # what was typed, and what the public sees


def test_the_demo_reports_show_an_approximate_address(db_session):
    # make demo loads the addresses before the sample reports, so their public place is set.
    from sqlalchemy import func, select

    from app.areas.addresses import load_demo_addresses
    from app.demo.load import load_sample_reports
    from app.reports.models import Report
    from tests.factories import town

    load_demo_addresses(db_session, town())
    assert load_sample_reports(db_session, town(), count=40) == 40
    places = db_session.scalars(select(Report.public_address)).all()
    # A nearby house's address, or away from houses the Ortsteil (the demo town is all Ortsteile).
    assert len(places) == 40 and all(places) and any("," in p for p in places), places
