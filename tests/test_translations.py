"""The catalogs agree with each other, are complete, and the pages that used to pick up
another package's wording now read right.

Five languages: German is the source; English covers every message; Turkish, Ukrainian and
Arabic cover every message a citizen reads (pages and mails; ``scripts/po_citizen.py`` says
which sources those are), with the plural forms of each language. Staff pages are German and
English only.

Every feature package keeps its own catalog (``app/<package>/translations``, built by
``scripts/po_update.py``), and Flask-Babel merges them all into one domain: where two catalogs
translate the same German msgid (in the same context) differently, the catalog whose folder sorts
last wins on every page, silently. So the staff area's "Abmelden" → "Sign out" once turned the
citizens' unsubscribe button into "Sign out". German text that means two things gets a
``pgettext`` context (or different German); these tests keep it that way.
"""
from __future__ import annotations

import html
import importlib.util
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext, pgettext

from app.config import SETTINGS
from app.followers.tokens import unsubscribe_token
from tests.factories import HARSEWINKEL, make_report

ROOT = Path(__file__).resolve().parent.parent
# Where gettext calls live: Python code and the Jinja templates (mail templates included).
SOURCE_ROOTS = ("app", "templates")


CITIZEN_LANGUAGES = ("tr", "uk", "ar")
PLURAL_FORMS = {"en": 2, "tr": 2, "uk": 3, "ar": 6}


def _catalogs() -> dict[str, Catalog]:
    paths = sorted(ROOT.glob("app/**/translations/*/LC_MESSAGES/messages.po"))
    return {str(path.relative_to(ROOT)): read_po(path.open("rb")) for path in paths}


def _language(path: str) -> str:
    """The language of a catalog path (``app/public/translations/tr/LC_MESSAGES/messages.po`` → tr)."""
    return path.split("/translations/")[1].split("/")[0]


def _script(name: str):
    """One of the scripts/ as a module (they are not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / f"scripts/{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _po_citizen():
    return _script("po_citizen")


def _msgid(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _label(context: str | None, msgid: str) -> str:
    return f"[{context}] {msgid!r}" if context else repr(msgid)


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return all(strings)


def test_there_are_several_catalogs_to_compare():
    """The checks below are not vacuous: the catalogs are found and hold messages, in every language."""
    catalogs = _catalogs()
    assert len(catalogs) >= 5, sorted(catalogs)
    assert all(len([m for m in catalog if m.id]) > 0 for catalog in catalogs.values())
    assert {_language(path) for path in catalogs} == {"en", *CITIZEN_LANGUAGES}


def test_no_two_catalogs_translate_a_message_differently():
    translations: dict[tuple[str, str | None, str], dict[str, object]] = defaultdict(dict)
    for path, catalog in _catalogs().items():
        for message in catalog:
            if message.id and _translated(message):
                string = message.string if isinstance(message.string, str) else tuple(message.string)
                translations[_language(path), message.context, _msgid(message)][path] = string
    conflicts = []
    for (_lang, context, msgid), by_catalog in sorted(translations.items(),
                                                       key=lambda item: (item[0][2], item[0][0], item[0][1] or "")):
        if len(set(by_catalog.values())) > 1:
            lines = [f"  {path}: {string!r}" for path, string in sorted(by_catalog.items())]
            conflicts.append("\n".join([_label(context, msgid)] + lines))
    assert conflicts == [], (
        f"{len(conflicts)} msgid(s) translated differently by two catalogs (Flask-Babel merges them; the last "
        "folder wins on every page). Same meaning: use one wording everywhere. Different meaning: give the "
        "template a pgettext context or different German.\n" + "\n".join(conflicts))


def test_no_catalog_has_untranslated_or_fuzzy_entries():
    problems = []
    for path, catalog in _catalogs().items():
        for message in catalog:
            if not message.id:
                continue
            if message.fuzzy:
                problems.append(f"{path}: fuzzy {_label(message.context, _msgid(message))}")
            elif not _translated(message):
                problems.append(f"{path}: untranslated {_label(message.context, _msgid(message))}")
    assert problems == [], "\n".join(problems)


def _extracted_messages() -> dict[tuple[str | None, str], set[str]]:
    """(context, msgid) → files, extracted exactly as scripts/po_update.py extracts them."""
    po_update = _script("po_update")
    found: dict[tuple[str | None, str], set[str]] = defaultdict(set)
    for root in SOURCE_ROOTS:
        for filename, _line, message, _comments, context in po_update.extract_from_dir(
                ROOT / root, po_update.METHODS, keywords=po_update.KEYWORDS):
            msgid = message if isinstance(message, str) else message[0]
            if msgid:
                found[context, msgid].add(f"{root}/{filename}")
    return found


def test_every_message_in_the_code_and_templates_has_an_english_translation():
    """A msgid (or a new pgettext context) that no catalog holds shows in German on English pages."""
    translated = {(message.context, _msgid(message)) for path, catalog in _catalogs().items()
                  if _language(path) == "en" for message in catalog if message.id and _translated(message)}
    extracted = _extracted_messages()
    assert (None, "Mangel melden") in extracted  # the extraction itself works
    missing = [f"{_label(context, msgid)} in {', '.join(sorted(files))}"
               for (context, msgid), files in sorted(extracted.items(), key=lambda item: (item[0][1], item[0][0] or ""))
               if (context, msgid) not in translated]
    assert missing == [], "no catalog translates:\n" + "\n".join(missing)


def test_every_citizen_message_is_translated_into_turkish_ukrainian_and_arabic():
    """Every message extracted from a page or mail a citizen reads has a translation in each citizen language."""
    po_citizen = _po_citizen()
    citizen = po_citizen.citizen_messages()
    assert (None, "Mangel melden") in citizen and (None, "Meldung senden") in citizen
    # Staff-only text is not among them (staff pages stay German and English).
    assert (None, "Meine Aufgaben") not in citizen
    catalogs = _catalogs()
    for lang in CITIZEN_LANGUAGES:
        translated = {(m.context, _msgid(m)) for path, catalog in catalogs.items() if _language(path) == lang
                      for m in catalog if m.id and _translated(m)}
        missing = sorted(_label(context, msgid) for (context, msgid) in citizen if (context, msgid) not in translated)
        assert missing == [], f"{lang}: {len(missing)} citizen messages untranslated:\n" + "\n".join(missing)


def test_the_citizen_source_rule_tells_staff_files_from_citizen_files():
    po_citizen = _po_citizen()
    for staff in ("templates/staff/queue.html", "templates/admin/category.html", "app/reports/department_mail.py",
                  "templates/mail/new_report.html", "templates/catalog/admin/form.html", "app/towns/cli.py"):
        assert po_citizen.is_staff_source(staff), staff
    for citizen in ("templates/reports/new.html", "templates/mail/confirm_email.html", "app/reports/routes.py",
                    "templates/public/easy_language.html", "app/errors.py", "templates/base.html"):
        assert not po_citizen.is_staff_source(citizen), citizen


@pytest.mark.parametrize("lang", ["en", *CITIZEN_LANGUAGES])
def test_each_catalog_declares_the_plural_forms_of_its_language(lang):
    """Arabic has six plural forms, Ukrainian three, Turkish and English two; a plural message
    carries exactly that many."""
    for path, catalog in _catalogs().items():
        if _language(path) != lang:
            continue
        assert catalog.num_plurals == PLURAL_FORMS[lang], path
        for message in catalog:
            if message.id and message.pluralizable:
                assert len(message.string) == PLURAL_FORMS[lang], (path, message.id)


def test_plural_rules_pick_the_arabic_and_ukrainian_forms(app):
    """Flask-Babel chooses among the forms by the language's rule (here through Babel's own plural rules)."""
    from babel import Locale
    arabic = Locale.parse("ar").plural_form
    assert [arabic(n) for n in (0, 1, 2, 3, 11, 100)] == ["zero", "one", "two", "few", "many", "other"]
    ukrainian = Locale.parse("uk").plural_form
    assert [ukrainian(n) for n in (1, 2, 5, 21)] == ["one", "few", "many", "one"]


# What Flask-Babel serves from the merged catalogs, and the pages that showed another package's wording.

def test_the_merged_catalogs_give_each_meaning_its_own_english(app):
    with app.test_request_context("/"), force_locale("en"):
        assert gettext("Abmelden") == "Sign out"  # the staff area's button
        assert pgettext("E-Mails abbestellen", "Abmelden") == "Unsubscribe"
        assert gettext("Breite") == "width"  # the staff area's photo redaction box
        assert pgettext("Koordinate", "Breite") == "Latitude"
        assert pgettext("Koordinate", "Länge") == "Longitude"
    with app.test_request_context("/"), force_locale("de"):
        assert pgettext("E-Mails abbestellen", "Abmelden") == "Abmelden"


def _text(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_unsubscribe_page_says_unsubscribe_not_sign_out(client, db_session):
    report = make_report(point=HARSEWINKEL, email="leser@example.org")
    db_session.commit()
    path = f"/abmelden/{unsubscribe_token(report.id, 'leser@example.org')}"
    english = _text(client.get(path + "?lang=en"))
    assert "Unsubscribe" in english and "Sign out" not in english
    german = _text(client.get(path + "?lang=de"))
    assert "Abmelden" in german


def test_intake_form_labels_the_coordinates_latitude_and_longitude(client):
    page = client.get("/melden?lang=en").get_data(as_text=True)
    assert re.search(r'<label for="lat">\s*Latitude\s*</label>', page)
    assert re.search(r'<label for="lon">\s*Longitude\s*</label>', page)
    german = client.get("/melden?lang=de").get_data(as_text=True)
    assert re.search(r'<label for="lat">\s*Breite\s*</label>', german)


# The default map credit follows the visitor's language; a town's own credit is shown as set.

DEFAULT_ATTRIBUTION = SETTINGS["TILE_ATTRIBUTION"][0]


def _script_attribution(response) -> str:
    """The attribution option of folium's tile layer (a JSON string in the script)."""
    return json.loads(re.search(r'"attribution": ("(?:[^"\\]|\\.)*")', response.get_data(as_text=True)).group(1))


def test_default_tile_attribution_reads_in_the_visitors_language(app, client, db_session):
    assert app.config["TILE_ATTRIBUTION"] == DEFAULT_ATTRIBUTION
    german = client.get("/karte/karte.js?lang=de")
    assert _script_attribution(german) == DEFAULT_ATTRIBUTION
    english = client.get("/karte/karte.js?lang=en")
    assert _script_attribution(english) == (
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors')
    # A cache must not hand the German script to an English visitor (the language is in a cookie).
    assert "Cookie" in english.headers.get("Vary", "")
    assert english.headers["ETag"] != german.headers["ETag"]

    report = make_report(point=HARSEWINKEL, category_code="gully")  # gully reports are public at once
    db_session.commit()
    page = client.get(f"/meldungen/{report.reference}?lang=en").get_data(as_text=True)
    attribution = html.unescape(re.search(r'data-attribution="([^"]*)"', page).group(1))
    assert attribution == '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_towns_own_tile_attribution_is_shown_as_configured(app, client, db_session, monkeypatch, lang):
    monkeypatch.setitem(app.config, "TILE_ATTRIBUTION", "Karten: Kreis Gütersloh")
    assert _script_attribution(client.get(f"/karte/karte.js?lang={lang}")) == "Karten: Kreis Gütersloh"
    report = make_report(point=HARSEWINKEL, category_code="gully")
    db_session.commit()
    page = client.get(f"/meldungen/{report.reference}?lang={lang}").get_data(as_text=True)
    assert 'data-attribution="Karten: Kreis Gütersloh"' in page
