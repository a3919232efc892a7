"""Impressum, privacy notice and accessibility statement: what a town configures
(``jurisdictions.legal``, ``flask town-legal``) and what the pages make of it."""
from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.jurisdictions.legal import FIELD_NAMES, LegalInfo, LegalSettingsError
from app.jurisdictions.operations import update_legal
from tests.factories import town

FULL = {
    "address_street": "Münsterstraße 14",
    "address_postcode": "33428",
    "address_town": "Harsewinkel",
    "phone": "05247 935-0",
    "email": "rathaus@harsewinkel.example",
    "representative": "Bürgermeisterin Sabine Amsbeck-Dopheide",
    "content_responsible": "Pressestelle der Stadt\nMünsterstraße 14, 33428 Harsewinkel",
    "supervisory_authority": "Landrat des Kreises Gütersloh",
    "vat_id": "DE123456789",
    "dpo_name": "Behördliche Datenschutzbeauftragte",
    "dpo_address": "Postfach 1234\n33422 Harsewinkel",
    "dpo_email": "datenschutz@harsewinkel.example",
    "dpo_phone": "05247 935-111",
    "feedback_name": "Beauftragte für Barrierefreiheit",
    "feedback_email": "barrierefrei@harsewinkel.example",
    "feedback_phone": "05247 935-222",
    "statement_date": "2026-11-25",
    "enforcement_body": "Ombudsstelle für barrierefreie Informationstechnik NRW",
    "enforcement_url": "https://ombudsstelle.example/barrierefreie-it",
}


def _text(response) -> str:
    """The page's main content as a visitor reads it (tags gone, entities decoded, spaces folded)."""
    page = response.get_data(as_text=True)
    main = re.search(r"<main\b.*?</main>", page, re.S).group(0)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def _sections(response) -> dict[str, str]:
    """Heading text → visible text up to the next heading, for every <h2> of the main content."""
    page = response.get_data(as_text=True)
    main = re.search(r"<main\b.*?</main>", page, re.S).group(0)
    parts = re.split(r"(<h2\b[^>]*>.*?</h2>)", main, flags=re.S)
    found = {}
    for heading, body in zip(parts[1::2], parts[2::2]):
        title = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", heading)).split())
        found[title] = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    return found


def _configure(values: dict) -> None:
    update_legal(town(), values)


# Impressum

def test_the_imprint_shows_every_configured_field_in_german(client, db_session):
    _configure(FULL)
    response = client.get("/impressum?lang=de")
    assert response.status_code == 200
    sections = _sections(response)
    assert sections["Anbieter"] == "Stadt Harsewinkel Münsterstraße 14 33428 Harsewinkel"
    assert sections["Vertreten durch"] == "Bürgermeisterin Sabine Amsbeck-Dopheide"
    assert sections["Kontakt"] == "Telefon: 05247 935-0 E-Mail: rathaus@harsewinkel.example"
    assert sections["Aufsichtsbehörde"] == "Landrat des Kreises Gütersloh"
    assert sections["Umsatzsteuer-Identifikationsnummer"] == "nach § 27a Umsatzsteuergesetz: DE123456789"
    assert sections["Verantwortlich für den Inhalt nach § 18 Abs. 2 MStV"] == \
        "Pressestelle der Stadt Münsterstraße 14, 33428 Harsewinkel"
    page = response.get_data(as_text=True)
    assert 'href="tel:052479350"' in page and 'href="mailto:rathaus@harsewinkel.example"' in page
    # A value on several lines keeps its lines.
    assert "Pressestelle der Stadt<br>Münsterstraße 14, 33428 Harsewinkel" in page


def test_the_imprint_reads_in_english_with_the_configured_values_as_they_are(client, db_session):
    _configure(FULL)
    response = client.get("/impressum?lang=en")
    sections = _sections(response)
    assert _text(response).startswith("Legal notice")
    assert sections["Provider"] == "Stadt Harsewinkel Münsterstraße 14 33428 Harsewinkel"
    assert sections["Represented by"] == "Bürgermeisterin Sabine Amsbeck-Dopheide"
    assert sections["Contact"] == "Phone: 05247 935-0 E-mail: rathaus@harsewinkel.example"
    assert sections["Supervisory authority"] == "Landrat des Kreises Gütersloh"
    assert sections["VAT identification number"] == "under § 27a of the German VAT Act: DE123456789"
    assert "Responsible for the content under § 18 (2) MStV" in sections


def test_absent_fields_leave_no_headings_behind(client, db_session):
    _configure({"address_street": "Münsterstraße 14"})
    town().contact_email = None
    db_session.flush()
    for lang in ("de", "en"):
        response = client.get(f"/impressum?lang={lang}")
        sections = _sections(response)
        assert all(body for body in sections.values()), sections  # no heading without content
        assert set(sections) == ({"Anbieter", "Vertreten durch"} if lang == "de" else {"Provider", "Represented by"})
    sections = _sections(client.get("/impressum?lang=de"))
    # Without a postcode or town, the address is the street alone; no representative: the office.
    assert sections["Anbieter"] == "Stadt Harsewinkel Münsterstraße 14"
    assert sections["Vertreten durch"] == "Die Bürgermeisterin / Der Bürgermeister"
    assert "E-Mail" not in _text(client.get("/impressum?lang=de"))


def test_without_configuration_the_imprint_still_gives_the_towns_contact_email(client, db_session):
    assert town().legal == {}
    sections = _sections(client.get("/impressum?lang=de"))
    assert sections["Kontakt"] == "E-Mail: maengelmelder@harsewinkel.example"
    assert sections["Vertreten durch"] == "Die Bürgermeisterin / Der Bürgermeister"
    assert "Aufsichtsbehörde" not in sections and "Umsatzsteuer-Identifikationsnummer" not in sections
    assert _sections(client.get("/impressum?lang=en"))["Represented by"] == "The mayor"


def test_configured_values_are_shown_as_text_never_as_markup(client, db_session):
    _configure({"representative": "<script>alert(1)</script>", "supervisory_authority": "<b>Kreis</b>",
                "enforcement_body": '<img src=x onerror="alert(2)">', "dpo_name": "<i>DSB</i>"})
    for path in ("/impressum", "/datenschutz", "/barrierefreiheit"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in page and "<b>Kreis" not in page and "<img src=x" not in page
        assert "<i>DSB" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/impressum").get_data(as_text=True)
    assert "&lt;img src=x" in client.get("/barrierefreiheit").get_data(as_text=True)


# Datenschutz

def _imprint_links(page: str) -> list[str]:
    return re.findall(r'href="(/impressum[^"]*)"', re.search(r"<main\b.*?</main>", page, re.S).group(0))


@pytest.mark.parametrize("configured", [False, True])
def test_the_privacy_notice_links_an_imprint_section_that_exists(client, db_session, configured):
    if configured:
        _configure(FULL)
    links = _imprint_links(client.get("/datenschutz").get_data(as_text=True))
    assert links and all("#" in link for link in links), links
    for link in links:
        path, anchor = link.split("#")
        imprint = client.get(path).get_data(as_text=True)
        assert f'id="{anchor}"' in imprint, link


def test_the_privacy_notice_names_the_data_protection_officer(client, db_session):
    _configure(FULL)
    sections = _sections(client.get("/datenschutz?lang=de"))
    officer = sections["Kontakt zur oder zum Datenschutzbeauftragten"]
    assert officer == ("Behördliche Datenschutzbeauftragte Postfach 1234 33422 Harsewinkel "
                       "Telefon: 05247 935-111 E-Mail: datenschutz@harsewinkel.example")
    assert "Stadt Harsewinkel" in sections["Wer verantwortlich ist"]
    english = _sections(client.get("/datenschutz?lang=en"))
    assert "Telephone" not in english.get("Contact of the data protection officer", "")
    assert english["Contact of the data protection officer"].endswith(
        "Phone: 05247 935-111 E-mail: datenschutz@harsewinkel.example")


def test_without_an_officer_the_privacy_notice_says_how_to_reach_one(client, db_session):
    _configure({"dpo_email": "dsb@harsewinkel.example"})
    sections = _sections(client.get("/datenschutz?lang=de"))
    officer = sections["Kontakt zur oder zum Datenschutzbeauftragten"]
    assert "dsb@harsewinkel.example" in officer and "mit dem Zusatz „Datenschutz“" in officer
    _configure({"dpo_email": None})
    officer = _sections(client.get("/datenschutz?lang=de"))["Kontakt zur oder zum Datenschutzbeauftragten"]
    assert officer.startswith("Die behördliche Datenschutzbeauftragte") and "Impressum" in officer
    assert "Telefon" not in officer


# Barrierefreiheit

def test_the_accessibility_statement_names_the_feedback_contact_date_and_enforcement_body(client, db_session):
    _configure(FULL)
    response = client.get("/barrierefreiheit?lang=de")
    sections = _sections(response)
    assert sections["Feedback und Kontakt"].endswith(
        "Beauftragte für Barrierefreiheit E-Mail: barrierefrei@harsewinkel.example Telefon: 05247 935-222")
    assert "rathaus@harsewinkel.example" not in sections["Feedback und Kontakt"]
    assert "Diese Erklärung wurde am 25. November 2026 erstellt oder zuletzt überprüft." in _text(response)
    assert sections["Durchsetzungsverfahren"].endswith("Ombudsstelle für barrierefreie Informationstechnik NRW")
    page = response.get_data(as_text=True)
    assert ('<a href="https://ombudsstelle.example/barrierefreie-it">'
            "Ombudsstelle für barrierefreie Informationstechnik NRW</a>") in page
    assert 'href="mailto:barrierefrei@harsewinkel.example"' in page and 'href="tel:05247935222"' in page

    english = client.get("/barrierefreiheit?lang=en")
    assert "This statement was made or last reviewed on November 25, 2026." in _text(english)
    assert _sections(english)["Feedback and contact"].endswith(
        "E-mail: barrierefrei@harsewinkel.example Phone: 05247 935-222")
    assert "conciliation procedure" in _sections(english)["Enforcement procedure"]


def test_without_a_feedback_contact_the_statement_falls_back_to_the_towns_contact(client, db_session):
    sections = _sections(client.get("/barrierefreiheit?lang=de"))
    assert sections["Feedback und Kontakt"].endswith("E-Mail: maengelmelder@harsewinkel.example")
    # Nothing configured: the state's ombudsman as before, and no date sentence.
    assert "Ombudsstelle für barrierefreie Informationstechnik des Landes NRW" in sections["Durchsetzungsverfahren"]
    assert "Diese Erklärung wurde am" not in _text(client.get("/barrierefreiheit?lang=de"))
    _configure({"phone": "05247 935-0", "email": "rathaus@harsewinkel.example"})
    feedback = _sections(client.get("/barrierefreiheit?lang=de"))["Feedback und Kontakt"]
    assert feedback.endswith("E-Mail: rathaus@harsewinkel.example Telefon: 05247 935-0")


def test_without_any_contact_the_statement_points_to_the_imprint(client, db_session):
    town().contact_email = None
    db_session.flush()
    response = client.get("/barrierefreiheit?lang=de")
    feedback = _sections(response)["Feedback und Kontakt"]
    assert "E-Mail" not in feedback and "Impressum" in feedback
    assert 'href="/impressum#anbieter"' in response.get_data(as_text=True)


# The settings themselves

def test_values_are_checked_and_a_refusal_changes_nothing(db_session):
    _configure({"phone": "05247 935-0"})
    with pytest.raises(LegalSettingsError) as refused:
        update_legal(town(), {"email": "kein-at-zeichen", "enforcement_url": "javascript:alert(1)",
                              "statement_date": "25.11.2026", "phone": "05247 935-1"})
    message = str(refused.value)
    assert "email" in message and "enforcement_url" in message and "statement_date" in message
    assert town().legal == {"phone": "05247 935-0"}
    with pytest.raises(LegalSettingsError, match="unknown field 'mayor'"):
        update_legal(town(), {"mayor": "Sabine"})
    with pytest.raises(LegalSettingsError, match="single line"):
        update_legal(town(), {"phone": "05247\n935-0"})


def test_the_database_keeps_legal_an_object(db_session):
    with pytest.raises(IntegrityError):
        with db_session.begin_nested():
            db_session.execute(text("UPDATE jurisdictions SET legal = '[]'::jsonb"))


def test_legal_info_reads_a_hand_edited_row_leniently():
    info = LegalInfo.from_json({"phone": "  05247 1 ", "statement_date": "gestern", "vat_id": 7, "nonsense": "x"},
                               town_email="a@b.example")
    assert info.phone == "05247 1" and info.statement_date is None and info.vat_id is None
    assert info.contact_email == "a@b.example" and info.feedback_contact == ("a@b.example", "05247 1")
    assert LegalInfo.tel_href("+49 (0)5247 935-0") == "tel:+4952479350"
    assert LegalInfo.tel_href("+49 5247 0000-0 (Demo)") == "tel:+49524700000"


# flask town-legal

def test_the_cli_sets_and_shows_values(app, db_session):
    runner = app.test_cli_runner()
    outcome = runner.invoke(args=["town-legal", "--slug", "harsewinkel.de",
                                  "--set", "address_street=Münsterstraße 14", "--set", "address_postcode=33428",
                                  "--set", "representative=Bürgermeisterin Sabine Amsbeck-Dopheide"])
    assert outcome.exit_code == 0, outcome.output
    assert "saved 3 field(s) for Stadt Harsewinkel" in outcome.output
    assert re.search(r"representative\s+Bürgermeisterin Sabine Amsbeck-Dopheide", outcome.output)
    assert "still to fill in for complete statements: address_town, phone" in outcome.output
    assert town().legal_info.address_postcode == "33428"

    shown = runner.invoke(args=["town-legal"])  # the default town, nothing changed
    assert shown.exit_code == 0 and "saved" not in shown.output
    assert re.search(r"address_street\s+Münsterstraße 14", shown.output)
    assert re.search(r"vat_id\s+-", shown.output)

    removed = runner.invoke(args=["town-legal", "--unset", "address_postcode", "--set", "representative="])
    assert removed.exit_code == 0, removed.output
    assert town().legal == {"address_street": "Münsterstraße 14"}


def test_the_cli_refuses_unknown_fields_with_a_clear_message(app, db_session):
    runner = app.test_cli_runner()
    outcome = runner.invoke(args=["town-legal", "--set", "mayor=Sabine", "--set", "phone=05247 935-0"])
    assert outcome.exit_code == 2
    assert "unknown field 'mayor'; known fields: address_street" in outcome.output
    assert "nothing was saved" in outcome.output
    assert town().legal == {}
    bad = runner.invoke(args=["town-legal", "--set", "dpo_email=nobody"])
    assert bad.exit_code == 1 and "'nobody' is not an e-mail address" in bad.output
    assert town().legal == {}
    assert runner.invoke(args=["town-legal", "--set", "phone"]).exit_code == 2
    unknown_town = runner.invoke(args=["town-legal", "--slug", "nirgendwo.de"])
    assert unknown_town.exit_code == 2 and "no town with the slug 'nirgendwo.de'" in unknown_town.output


def test_the_cli_reads_a_json_or_toml_file(app, db_session, tmp_path):
    runner = app.test_cli_runner()
    source = tmp_path / "legal.json"
    source.write_text(json.dumps({"address_town": "Harsewinkel", "statement_date": "2026-11-25"}), encoding="utf-8")
    assert runner.invoke(args=["town-legal", "--from-file", str(source)]).exit_code == 0
    toml = tmp_path / "legal.toml"
    toml.write_text('supervisory_authority = "Kreis Gütersloh"\nstatement_date = 2026-12-01\n'
                    'address_postcode = 33428\n', encoding="utf-8")
    refused = runner.invoke(args=["town-legal", "--from-file", str(toml)])
    assert refused.exit_code == 1 and "address_postcode: must be text" in refused.output
    toml.write_text('supervisory_authority = "Kreis Gütersloh"\nstatement_date = 2026-12-01\n', encoding="utf-8")
    assert runner.invoke(args=["town-legal", "--from-file", str(toml)]).exit_code == 0
    assert town().legal == {"address_town": "Harsewinkel", "supervisory_authority": "Kreis Gütersloh",
                            "statement_date": "2026-12-01"}
    listed = runner.invoke(args=["town-legal", "--fields"])
    assert [line.split()[0] for line in listed.output.splitlines()] == list(FIELD_NAMES)


def test_the_demo_town_gets_plausible_details_that_need_nothing_more(db_session):
    from app.demo.load import DEMO_LEGAL, load_legal

    jurisdiction = town()
    assert load_legal(db_session, jurisdiction) is True
    info = jurisdiction.legal_info
    assert info.address_lines == ["Münsterstraße 14", "33428 Harsewinkel"]
    assert "Demo" in info.phone and info.representative is None  # no invented person
    assert info.missing_fields() == []
    assert load_legal(db_session, jurisdiction) is False  # a town's own details are never overwritten
    assert jurisdiction.legal == {k: DEMO_LEGAL[k] for k in FIELD_NAMES if k in DEMO_LEGAL}


def test_the_privacy_notice_names_every_cookie_and_the_towns_own_periods_and_tile_server(client, db_session):
    """What the notice states follows the town's profile (retention, map tiles), not the
    installation's defaults; the cookies and the citizen loop (questionnaire, Meine Meldungen,
    votes) are described, and the rights section links Meine Meldungen."""
    from app.jurisdictions.models import Jurisdiction

    row = db_session.get(Jurisdiction, town().id)
    row.profile = dict(row.profile or {}, retention_closed_days=45,
                       tile_url="https://kacheln.kreis-guetersloh.example/{z}/{x}/{y}.png")
    db_session.flush()
    sections = _sections(client.get("/datenschutz?lang=de"))
    assert "werden 45 Tage nach Abschluss der Meldung gelöscht" in sections["Wie lange"]
    assert "endet 45 Tage nach ihrem Abschluss" in sections["Wie lange"]
    assert "kacheln.kreis-guetersloh.example" in sections["Keine Drittanbieter"]
    cookies = sections["Cookies"]
    assert "„lang“" in cookies and "„mm_browser“" in cookies and "höchstens 2 Stunden" in cookies
    stored = sections["Was wir speichern"]
    assert "Ist der Mangel behoben?" in stored and "(30 Minuten)" in stored and "„Ich auch“" in stored
    page = client.get("/datenschutz?lang=de").get_data(as_text=True)
    assert 'href="/meine-meldungen' in page
    english = _sections(client.get("/datenschutz?lang=en"))
    assert "“mm_browser”" in english["Cookies"] and "45 days" in " ".join(english.values())
