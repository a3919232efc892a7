"""Citizen pages and mails in German, English, Turkish, Ukrainian and Arabic (issue 20 point 5).

The language comes from ``?lang=`` (kept in a cookie); Arabic pages are right to left; the switch
on every page keeps the page (path and query); category texts, notices and questions come in the
visitor's language with German as the fallback; mails go out in the language the citizen used;
staff pages stay German and English. Browser tests of the intake: tests/intake/test_languages_browser.py.
"""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from app.db import db
from app.followers.models import Follower
from app.i18n import offered_languages, supported_locale, text_direction
from app.jurisdictions.texts import flat_keys, from_flat, to_flat, CATEGORY_FIELDS
from app.open311.models import ServiceAttribute
from app.reports.models import Report
from app.reports.status import STATUSES, TRANSLATED_LABELS
from tests.conftest import csrf_token, run_worker
from tests.factories import HARSEWINKEL, category, make_report
from tests.intake.conftest import form_data

CITIZEN_LANGUAGES = ("tr", "uk", "ar")


def _html_tag(page: str) -> str:
    return re.search(r"<html[^>]*>", page).group(0)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# --- choosing the language -----------------------------------------------------------------------

@pytest.mark.parametrize("lang,direction,heading", [
    ("de", "ltr", "Mangel melden"), ("en", "ltr", "Report a problem"), ("tr", "ltr", "Sorun bildir"),
    ("uk", "ltr", "Повідомити про проблему"), ("ar", "rtl", "الإبلاغ عن مشكلة")])
def test_the_intake_page_speaks_each_language_with_lang_and_dir_on_html(client, lang, direction, heading):
    response = client.get(f"/melden?lang={lang}")
    page = response.get_data(as_text=True)
    assert f'lang="{lang}"' in _html_tag(page) and f'dir="{direction}"' in _html_tag(page)
    assert re.search(rf"<h1>\s*{re.escape(heading)}\s*</h1>", page)
    assert response.headers["Content-Language"] == lang


def test_the_choice_is_kept_in_a_cookie_and_an_unknown_language_falls_back_to_german(client):
    client.get("/?lang=uk")
    assert 'lang="uk"' in _html_tag(client.get("/meldungen").get_data(as_text=True))
    assert 'lang="de"' in _html_tag(client.get("/meldungen?lang=xx").get_data(as_text=True))


def test_the_setting_languages_limits_what_is_offered(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LANGUAGES", "de,en,tr")
    with app.app_context():
        assert offered_languages() == ("de", "en", "tr")
        assert supported_locale("ar") == "de" and supported_locale("tr") == "tr"
    page = client.get("/?lang=ar").get_data(as_text=True)
    assert 'lang="de"' in _html_tag(page)
    assert "?lang=tr" in page and "?lang=ar" not in page


def test_text_direction_is_right_to_left_for_arabic_only():
    assert [text_direction(lang) for lang in ("de", "en", "tr", "uk", "ar")] == ["ltr"] * 4 + ["rtl"]


def _switch_links(page: str) -> dict[str, str]:
    menu = re.search(r'<ul class="lang-menu__list">(.*?)</ul>', page, re.S).group(1)
    return {lang: html.unescape(href) for href, lang in re.findall(r'<a href="([^"]+)" lang="([a-z]+)"', menu)}


def test_the_switch_on_every_page_keeps_path_and_query_and_changes_only_the_language(client):
    page = client.get("/meldungen?kategorie=gully&status=offen&lang=tr").get_data(as_text=True)
    links = _switch_links(page)
    assert sorted(links) == ["ar", "de", "en", "tr", "uk"]
    for lang, href in links.items():
        parts = urlsplit(href)
        assert parts.path == "/meldungen"
        assert parse_qsl(parts.query) == [("kategorie", "gully"), ("status", "offen"), ("lang", lang)]
    # Each language is named in itself, marked with its language and direction; the current one is marked.
    assert re.search(r'lang="ar" hreflang="ar" dir="rtl">العربية</a>', page)
    assert re.search(r'lang="tr" hreflang="tr" dir="ltr" aria-current="true">Türkçe</a>', page)


@pytest.mark.parametrize("path", ["/", "/karte", "/meldungen", "/melden", "/transparenz", "/benachrichtigungen",
                                  "/impressum", "/datenschutz", "/barrierefreiheit", "/leichte-sprache",
                                  "/gebaerdensprache", "/leistungen"])
def test_every_citizen_page_has_the_switch(client, path):
    links = _switch_links(client.get(path + "?lang=ar").get_data(as_text=True))
    assert links["de"] == f"{path}?lang=de"


def test_staff_pages_stay_german_or_english(client):
    page = client.get("/intern/anmelden?lang=ar").get_data(as_text=True)
    assert 'lang="de"' in _html_tag(page) and 'dir="ltr"' in _html_tag(page)
    assert 'class="lang-menu"' not in page and 'hreflang="en"' in page
    assert 'lang="en"' in _html_tag(client.get("/intern/anmelden?lang=en").get_data(as_text=True))


def test_page_dates_and_texts_read_as_flask_babel_gives_them_in_the_rendering_language(app):
    # The queue's short dates and the templates' _() are looked up once per page, not per call
    # (issue 19): the text must be what Flask-Babel gives, also across a clock change and
    # inside force_locale (a mail in the recipient's language).
    from datetime import datetime, timedelta, timezone

    from flask import render_template_string
    from flask_babel import force_locale, format_datetime

    from app.i18n import short_datetime_formatter

    dates = [datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc) + timedelta(minutes=47 * i) for i in range(60)]
    dates += [datetime(2026, 10, 25, 0, 0, tzinfo=timezone.utc) + timedelta(minutes=20 * i) for i in range(12)]
    page = "{{ _('Eingang') }}|{{ _('%(n)s neue Ergänzungen', n=n) }}"
    with app.test_request_context("/intern/eingang"):
        for lang in ("de", "en"):
            with force_locale(lang):
                short = short_datetime_formatter()
                assert [short(d) for d in dates] == [format_datetime(d, "short") for d in dates]
                assert render_template_string(page, n="<b>") == (
                    "Eingang|&lt;b&gt; neue Ergänzungen" if lang == "de" else "Inbox|&lt;b&gt; new additions")
        assert short_datetime_formatter()(dates[0]) == "29.03.26, 01:30"


# --- texts that are data: statuses and the town's categories ------------------------------------

def test_the_translated_status_labels_are_exactly_the_german_labels(app):
    assert sorted(str(label._args[0]) for label in TRANSLATED_LABELS) == sorted(s.label_de for s in STATUSES.values())
    with app.app_context():
        assert STATUSES["erledigt"].label("tr") == "Giderildi"
        assert STATUSES["in_bearbeitung"].label("uk") == "У роботі"
        assert STATUSES["eingegangen"].label("ar") == "تم الاستلام"
        assert STATUSES["erledigt"].label("en") == "Fixed" and STATUSES["erledigt"].label("de") == "Erledigt"


def test_flat_town_file_keys_and_the_stored_translations_convert_both_ways():
    keys = flat_keys(CATEGORY_FIELDS)
    assert "name_tr" in keys and "notice_en" in keys and "stop_notice_ar" in keys
    assert "name_en" not in keys  # English names keep their own column
    stored = from_flat({"name_tr": "Çukur", "notice_en": "Give the pole number", "name_uk": "  "}, CATEGORY_FIELDS)
    assert stored == {"tr": {"name": "Çukur"}, "en": {"notice": "Give the pole number"}}
    flat = to_flat(stored, CATEGORY_FIELDS)
    assert flat["name_tr"] == "Çukur" and flat["notice_en"] == "Give the pole number" and flat["name_ar"] == ""


def test_category_names_notices_and_questions_follow_the_language_with_german_as_fallback(client, db_session):
    gully = category("gully")
    gully.notice, gully.stop_notice = "Bitte die Straße angeben.", ""
    loaded = dict(gully.translations)  # the names from the demo town file
    gully.translations = {**loaded, "tr": {**loaded["tr"], "notice": "Lütfen sokağı belirtin."},
                          "en": {"notice": "Please give the street."}}
    question = ServiceAttribute(category_id=gully.id, code="wasser", description="Steht Wasser auf der Straße?",
                                datatype="singlevaluelist", required=True, order=1,
                                translations={"ar": {"label": "هل توجد مياه على الطريق؟"}},
                                values=[{"key": "ja", "name": "Ja", "name_ar": "نعم"},
                                        {"key": "nein", "name": "Nein"}])
    db_session.add(question)
    db_session.flush()

    turkish = _text(client.get("/melden?lang=tr").get_data(as_text=True))
    assert "Tıkalı yağmur ızgarası" in turkish  # the name from the demo town file
    assert "Lütfen sokağı belirtin." in turkish and "Bitte die Straße angeben." not in turkish
    assert "Steht Wasser auf der Straße?" in turkish  # no Turkish question: German

    arabic = _text(client.get("/melden?lang=ar").get_data(as_text=True))
    assert "هل توجد مياه على الطريق؟" in arabic and "نعم" in arabic
    assert "Nein" in arabic  # the choice without Arabic stays German
    assert "Bitte die Straße angeben." in arabic  # no Arabic notice: German
    assert "Please give the street." in _text(client.get("/melden?lang=en").get_data(as_text=True))


def test_open311_names_services_and_questions_in_the_requested_language(client):
    services = client.get("/open311/v2/services.json?lang=uk").get_json()
    names = {s["service_code"]: s for s in services}
    assert names["schlagloch"]["service_name"] == "Вибоїна / пошкодження дороги"
    assert names["schlagloch"]["group"] == "Дороги та доріжки"
    assert names["schlagloch"]["description"] == "Ями, тріщини або просідання на проїжджій частині та тротуарі."
    german = {s["service_code"]: s for s in client.get("/open311/v2/services.json?lang=de").get_json()}
    assert german["schlagloch"]["service_name"] == "Schlagloch / Straßenschaden"


def test_an_error_message_reads_in_the_visitors_language(client):
    token = csrf_token(client, "/melden?lang=tr")
    response = client.post("/melden?lang=tr", data=form_data(token, description="", category="schlagloch"))
    assert response.status_code == 400
    assert "Lütfen sorunu birkaç kelimeyle açıklayın." in _text(response.get_data(as_text=True))


# --- mails in the language the citizen used ------------------------------------------------------

def _bodies(mail) -> tuple[str, str]:
    return mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()


def test_the_confirmation_mail_goes_out_in_the_language_of_the_intake(committing, smtp_server):
    client = committing.test_client()
    client.get("/melden?lang=ar")
    response = client.post("/melden", data=form_data(csrf_token(client, "/melden?lang=ar"),
                                                     email="melderin@example.org"))
    assert response.status_code == 303
    report = db.session.scalar(select(Report))
    assert report.locale == "ar"
    run_worker(committing)
    smtp_server.wait_for(2)
    [mail] = smtp_server.to("melderin@example.org")
    assert mail["Subject"] == f"يرجى تأكيد بريدك الإلكتروني – البلاغ {report.reference}"
    text, body = _bodies(mail)
    assert "مصرف مياه مسدود" in text  # the category in Arabic
    assert '<html lang="ar" dir="rtl">' in body
    # The department's mail about the same report stays German.
    [department_mail] = [m for m in smtp_server.messages if m["To"] != mail["To"]]
    assert department_mail["Subject"].startswith(f"Neue Meldung {report.reference}: ")


@pytest.mark.parametrize("lang,subject", [
    ("tr", "Lütfen onaylayın: {ref} numaralı bildirimle ilgili güncellemeleri alın"),
    ("uk", "Будь ласка, підтвердьте: отримувати новини щодо повідомлення {ref}")])
def test_a_follower_hears_in_the_language_they_followed_in(committing, smtp_server, lang, subject):
    report = make_report(point=HARSEWINKEL, category_code="gully")
    db.session.commit()
    client = committing.test_client()
    path = f"/meldungen/{report.reference}"
    response = client.post(f"{path}/folgen?lang={lang}",
                           data={"csrf_token": csrf_token(client, f"{path}?lang={lang}"), "email": "leser@example.org"})
    assert response.status_code == 303
    follower = db.session.scalar(select(Follower).where(Follower.report_id == report.id))
    assert follower.locale == lang
    run_worker(committing)
    smtp_server.wait_for(1)
    [mail] = smtp_server.to("leser@example.org")
    assert mail["Subject"] == subject.format(ref=report.reference)
    assert f'<html lang="{lang}" dir="ltr">' in _bodies(mail)[1]
