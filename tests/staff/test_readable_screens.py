"""Staff screens in words (issue 19 point 9): the audit log and the history carry no JSON and no
English codes on German pages; the history names who acted; the routing is a sentence; numbers
are written the German way; the staff header has the staff navigation only."""
from __future__ import annotations

import html
import re

from sqlalchemy import select

from app.db import db
from app.reports.operations import change_status
from app.staff.models import AuditEntry
from app.staff.wording import ACTIONS
from tests.conftest import csrf_token
from tests.factories import MARIENFELD, category, department, jpeg_bytes, make_report
from tests.staff.helpers import PASSWORD, login, make_staff

# Words that are German as well as English, so their showing proves nothing.
_ALSO_GERMAN = {"status", "name", "system", "foto", "open"}


def _section(page: str, start: str, end: str = "</ol>") -> str:
    i = page.index(start)
    return html.unescape(re.sub(r"<[^>]+>", " ", page[i:page.index(end, i)]))


def _english_codes(entries: list[AuditEntry]) -> set[str]:
    """Every English word the stored rows are made of: action names, change keys, targets' kinds."""
    words = {"citizen", "true", "false", "null", "none", "reset", "department", "reason", "changes"}
    for entry in entries:
        words.update(entry.action.split("_"))
        words.update(part for key in (entry.changes or {}) for part in key.split("_"))
        if entry.target and ":" in entry.target:  # "kind:key"; a bare code or slug may be a German word
            words.update(entry.target.split(":")[0].split("_"))
    for code in ACTIONS:
        words.update(code.split("_"))
    return {w.lower() for w in words if len(w) > 2} - _ALSO_GERMAN


def _assert_readable(text: str, entries: list[AuditEntry]) -> None:
    for mark in ("{", "}", '":', "[", "]", "\\u00"):
        assert mark not in text, (mark, text)
    words = {w.lower() for w in re.findall(r"[A-Za-zÄÖÜäöüß]+", text)}
    leaked = words & _english_codes(entries)
    assert not leaked, (leaked, text)


def test_audit_log_and_history_are_words_without_json_or_english(client):
    clerk = make_staff("admin", None, username="emuster")
    clerk.display_name = "Erika Muster"
    login(client, clerk.username, PASSWORD)
    report = make_report(point=MARIENFELD, category_code="spielplatz", photos=[jpeg_bytes()])
    change_status(report, "in_pruefung", public_note="Wird geprüft", actor="open311:Stadtwerke-App")
    db.session.flush()
    base = f"/intern/meldungen/{report.id}"
    token = csrf_token(client, base)

    def post(path, **data):
        response = client.post(base + path, data={"csrf_token": token, **data})
        assert response.status_code == 303, (path, response.status_code)

    post("/status", status="in_bearbeitung", public_note="Vielen Dank für Ihre Meldung")
    post("/prioritaet", priority="2")
    post("/notiz", note="Anwohner rief an")
    post("/beschreibung", public_description="Schaukel kaputt", published="1")
    post("/sichtbarkeit", hidden="1")
    post("/sichtbarkeit", hidden="0")
    post(f"/fotos/{report.photos[0].id}/freigabe", published="1")
    post(f"/fotos/{report.photos[0].id}/schwaerzen", x="10", y="10", w="20", h="20")
    post("/abteilung", department=str(department("tiefbau").id), reason="Fahrbahn, nicht Spielplatz", confirmed="1")

    page = client.get(base).get_data(as_text=True)
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.report_id == report.id)))
    assert len(entries) == 9
    audit = _section(page, '<ol class="audit">')
    history = _section(page, '<ol class="history">')
    _assert_readable(audit, entries)
    _assert_readable(history, entries)
    # Who acted, in words.
    assert "Bürgerin/Bürger" in history and "Erika Muster" in history
    assert "Open311-Schnittstelle (Stadtwerke-App)" in history
    # What was done, in words, with the citizen-facing text as text.
    for words in ("Status geändert", "„In Prüfung“ → „In Bearbeitung“", "Vielen Dank für Ihre Meldung",
                  "Priorität „normal“ → „hoch“", "Interne Notiz geschrieben", "Beschreibung veröffentlicht",
                  "Meldung verborgen", "Foto veröffentlicht", "Bereich eines Fotos geschwärzt",
                  f"von „{department('bauhof-marienfeld').name}“ an „{department('tiefbau').name}“",
                  "Grund: Fahrbahn, nicht Spielplatz"):
        assert words in audit, words
    assert "Erika Muster" in audit
    # The routing as a sentence, not "Regel 7: Ortsteil Marienfeld × spielplatz".
    facts = _section(page, '<dl class="facts">', "</dl>")
    assert (f"Ortsteil Marienfeld · {category('spielplatz').name} → {department('bauhof-marienfeld').name}"
            in facts), facts
    assert "×" not in facts and "Regel" not in facts
    assert re.search(r"\(51,\d{5}; 8,\d{5}\)", facts), facts  # German decimal commas

    # The town's audit log page says the same in words, logins included.
    log_page = client.get("/intern/admin/protokoll").get_data(as_text=True)
    table = _section(log_page, "<tbody>", "</tbody>")
    all_entries = list(db.session.scalars(select(AuditEntry)))
    _assert_readable(table, all_entries)
    assert "Angemeldet" in table and "Weitergeleitet" in table and report.reference in table
    filtered = _section(client.get("/intern/admin/protokoll?aktion=priority").get_data(as_text=True),
                        "<tbody>", "</tbody>")
    assert "Priorität geändert" in filtered and "Weitergeleitet" not in filtered


def test_the_audit_log_words_what_a_town_file_and_the_command_line_did(client):
    """A town set up from its town file (flask town apply) starts its audit log with those rows:
    they read in words too, naming the town file and the departments' and categories' names."""
    from app.staff.audit import record

    admin = make_staff("admin", None, username="bverwalter")
    login(client, admin.username, PASSWORD)
    town_id = admin.jurisdiction_id
    rows = [record("town_file.create_category", jurisdiction_id=town_id, target="schlagloch", actor="town-file",
                   changes={"name": [None, category("schlagloch").name], "department": [None, "tiefbau"]}),
            record("town_file.update_department", jurisdiction_id=town_id, target="tiefbau", actor="town-file",
                   changes={"emails": [[], ["tiefbau@harsewinkel.example"]]}),
            record("town_file.create_question", jurisdiction_id=town_id, target="schlagloch.tiefe", actor="town-file",
                   changes={"question": [None, "Wie tief?"]}),
            record("town_file.create_rule", jurisdiction_id=town_id, target="whole town × schlagloch → tiefbau",
                   actor="town-file", changes={"rule": [None, [None, "schlagloch", "tiefbau", None, None]]}),
            record("town.create", jurisdiction_id=town_id, target="harsewinkel.de", actor="cli")]
    db.session.flush()
    table = _section(client.get("/intern/admin/protokoll").get_data(as_text=True), "<tbody>", "</tbody>")
    _assert_readable(table, rows)
    for words in ("Kategorie aus der Stadtdatei angelegt", "Abteilung nach der Stadtdatei geändert",
                  "Zusatzfrage aus der Stadtdatei angelegt", "Stadt angelegt", "Stadtdatei", "Kommandozeile",
                  category("schlagloch").name, department("tiefbau").name,
                  f"ganze Stadt · {category('schlagloch').name} → {department('tiefbau').name}"):
        assert words in table, words
    for raw in ("town-file", "whole town", "every category", "schlagloch.tiefe", "Sonstige Aktion"):
        assert raw not in table, raw


def test_staff_header_has_the_staff_navigation_only(client):
    clerk = make_staff("staff", "tiefbau")
    login(client, clerk.username, PASSWORD)
    page = client.get("/intern/eingang").get_data(as_text=True)
    header = page[page.index('<header'):page.index("</header>")]
    assert 'href="/intern/eingang"' in header and 'href="/intern/uebersicht"' in header
    for public in ('href="/melden"', 'href="/karte"', ">Leistungen<", ">Liste<"):
        assert public not in header, public
    public_header = client.get("/").get_data(as_text=True)
    assert 'href="/melden"' in public_header[:public_header.index("</header>")]


def test_dashboard_labels_are_whole_and_numbers_german(client):
    dispatcher = make_staff("dispatcher")
    login(client, dispatcher.username, PASSWORD)
    long_name = "Fachbereich Tiefbau, Straßenunterhaltung und Verkehrssicherung (Außenstelle Greffen)"
    tiefbau = department("tiefbau")
    tiefbau.name = long_name
    for _ in range(2):
        make_report(category_code="schlagloch")
    db.session.flush()
    body = client.get("/intern/uebersicht").get_data(as_text=True)
    chart = body[body.index('id="chart-departments"'):body.index("</svg>", body.index('id="chart-departments"'))]
    # Wrapped on word boundaries into lines, every word kept.
    label = " ".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>", chart))
    assert long_name in label, label
    assert "…" not in chart
