"""Issue 21 point 6: each town offers its choice of the installation's languages (German always).

Town B (tests/towns/two_towns.py) takes ``languages = ["de", "en"]`` from its town file; town A
never chose and offers every language of the installation. The switch, the hreflang links,
``?lang=``, the cookie, the stored locale of reports and follows and the mails follow the town
of the host; a language the town does not offer gives German.
"""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.db import db
from app.jurisdictions.models import Jurisdiction
from app.outbox.messages import prepare
from app.outbox.models import OutboxMessage
from app.reports.models import Report
from app.staff.models import AuditEntry
from app.towncontext import using_town
from tests.factories import town
from tests.staff.helpers import make_staff
from tests.towns.test_town_isolation import Client
from tests.towns.two_towns import A_HOST, B_HOST, B_SLUG, IN_B, TOWN_FILE, add_host, write_town_file

B_LANGUAGES_FILE = TOWN_FILE.replace('contact_email = "info@zzbmarker.example"\n',
                                     'contact_email = "info@zzbmarker.example"\nlanguages = ["en", "de"]\n'
                                     f'hosts = ["{B_HOST}"]\n')


@pytest.fixture
def towns(app, db_session, tmp_path):
    """Town B from its town file alone (the marked data of make_town_b is not needed here)."""
    from app.towns.cli import apply_town_file

    add_host(town(), A_HOST)
    apply_town_file(write_town_file(tmp_path / "b", B_LANGUAGES_FILE))
    db.session.commit()  # a savepoint (rolled back after the test)
    return SimpleNamespace(town=db.session.scalar(select(Jurisdiction).where(Jurisdiction.slug == B_SLUG)))


def _lang(page: str) -> str:
    return re.search(r'<html[^>]* lang="([a-z]+)"', page).group(1)


def test_town_b_offers_only_german_and_english_while_a_offers_all(app, towns):
    from app.towns.queries import town_spec
    from app.towns.townfile import render_town_file

    assert db.session.get(Jurisdiction, towns.town.id).languages == ["de", "en"]  # the town file's key, ordered
    assert 'languages = ["de", "en"]' in render_town_file(town_spec(db.session, towns.town))  # and exported
    b, a = Client(app, B_HOST), Client(app, A_HOST)
    b_home = b.open("GET", "/").get_data(as_text=True)
    assert re.findall(r'hreflang="([a-z]+)"', b_home) == ["de", "en"]
    assert "lang=tr" not in b_home and "Türkçe" not in b_home
    assert set(re.findall(r'hreflang="([a-z]+)"', a.open("GET", "/").get_data(as_text=True))) >= {"tr", "uk", "ar"}

    refused = b.open("GET", "/meldungen?lang=tr")
    assert _lang(refused.get_data(as_text=True)) == "de" and refused.headers["Content-Language"] == "de"
    assert "lang=" not in refused.headers.get("Set-Cookie", "")  # no cookie for a language B does not offer
    chosen = a.open("GET", "/meldungen?lang=tr")
    assert _lang(chosen.get_data(as_text=True)) == "tr" and "lang=tr" in chosen.headers["Set-Cookie"]
    assert _lang(b.open("GET", "/meldungen?lang=en").get_data(as_text=True)) == "en"
    # A Turkish cookie (set on another town's host, or before B dropped Turkish) gives German on B.
    b.client.set_cookie("lang", "tr", domain=B_HOST)
    assert _lang(b.open("GET", "/melden").get_data(as_text=True)) == "de"


def test_what_b_stores_and_mails_follows_its_languages(app, towns):
    # A report sent on B's host in Turkish is stored as German (its mails will be German).
    client = Client(app, B_HOST)
    answer = client.open("POST", "/melden?lang=tr", data={
        "csrf_token": client.csrf(), "category": "zzbmarker-loch", "description": "Zzbmarker Loch auf Türkisch",
        "lat": str(IN_B[1]), "lon": str(IN_B[0]), "idempotency_key": "languages-b-1"})
    assert answer.status_code in (200, 303), answer.get_data(as_text=True)[:500]
    report = db.session.scalar(select(Report).where(Report.description == "Zzbmarker Loch auf Türkisch"))
    assert report.jurisdiction_id == towns.town.id and report.locale == "de"
    # A follow stored in Turkish before B stopped offering it: the mail comes in German on B,
    # while the same on town A comes in Turkish.
    from app.followers.operations import request_follow
    from tests.factories import make_report

    with using_town(towns.town.id):
        follower = request_follow(report, "folge-b@zzbmarker.example", locale="tr")
        assert follower.locale == "de"
        follower.locale = "tr"
        db.session.flush()
    b_subject = _subject_of("follow_confirm", towns.town.id)
    assert b_subject.startswith("Bitte bestätigen"), b_subject

    with using_town(town().id):  # the test's app context still holds the last request's town
        a_report = make_report()
        a_follower = request_follow(a_report, "folge-a@example.org", locale="tr")
        db.session.flush()
    assert a_follower.locale == "tr"
    a_subject = _subject_of("follow_confirm", town().id, f"follow_confirm:{a_follower.id}:%")
    assert not a_subject.startswith("Bitte bestätigen") and a_report.reference in a_subject


def _subject_of(kind: str, town_id: int, key_like: str = "%") -> str:
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == kind, OutboxMessage.jurisdiction_id == town_id, OutboxMessage.dedup_key.like(key_like))
        .order_by(OutboxMessage.id.desc()).limit(1))
    with using_town(town_id):
        mail, _reason = prepare(message)
    return str(mail["Subject"])


def test_the_admin_chooses_the_towns_languages_on_the_profile_page_with_an_audit_entry(app, towns):
    admin = make_staff("admin")
    db.session.commit()
    client = Client(app, A_HOST)
    client.sign_in(admin.username)
    page = client.open("GET", "/intern/admin/stadtprofil").get_data(as_text=True)
    boxes = re.findall(r'<input type="checkbox" id="language-([a-z]+)" name="languages" value="[a-z]+"'
                       r'[^>]*?( checked)?>', page)
    assert [code for code, _c in boxes] == ["en", "tr", "uk", "ar"]  # German is always offered: no box
    assert all(checked for _code, checked in boxes)  # a town that never chose offers everything
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    saved = client.open("POST", "/intern/admin/stadtprofil", data={
        "csrf_token": token, "name": "Stadt Harsewinkel", "languages_shown": "1", "languages": ["tr", "xx"],
        "map_lat": "", "map_lon": ""})
    assert saved.status_code == 303
    assert db.session.get(Jurisdiction, town().id).languages == ["de", "tr"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "town_profile_update")
                              .order_by(AuditEntry.id.desc()).limit(1))
    assert entry.changes["languages"] == [None, ["de", "tr"]]
    assert re.findall(r'hreflang="([a-z]+)"', client.open("GET", "/").get_data(as_text=True)) == ["de", "tr"]
    assert _lang(client.open("GET", "/?lang=en").get_data(as_text=True)) == "de"
    # The staff's own pages stay German and English, whatever the town offers its citizens.
    assert _lang(client.open("GET", "/intern/admin/stadtprofil?lang=en").get_data(as_text=True)) == "en"
