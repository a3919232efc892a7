"""The town profile page (issue 18): names, crest, colours, mail sender and signature, contact,
map, retention and legal details saved from the admin page, live at once on pages and in mails,
audited with before and after; bad values refused naming the field; the crest sanitised."""
from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from app.db import db
from app.jurisdictions.models import Jurisdiction
from app.staff.models import AuditEntry
from tests.conftest import csrf_token
from tests.factories import town
from tests.staff.helpers import PASSWORD, login, make_staff

PAGE = "/intern/admin/stadtprofil"


def _admin(client) -> str:
    login(client, make_staff("admin").username, PASSWORD)
    return csrf_token(client, PAGE)


def _form(client) -> dict:
    """The page's form as a browser would send it unchanged (every input and textarea)."""
    import re

    html = client.get(PAGE).get_data(as_text=True)
    form = html[html.index('class="action-form profile-form"'):]
    values = {m[0]: m[1] for m in re.findall(r'<input id="[^"]+" name="([^"]+)" type="[^"]+"[^>]*? value="([^"]*)"', form)}
    values.update({m[0]: m[1] for m in re.findall(r'<input id="p-name" name="(name)" value="([^"]*)"', form)})
    values.update({m[0]: m[1] for m in re.findall(r'<textarea id="[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', form)})
    import html as html_lib
    return {k: html_lib.unescape(v) for k, v in values.items()}


def test_the_profile_page_saves_what_the_town_shows_and_mails_with_an_audit_entry(client, db_session, app):
    token = _admin(client)
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="der Stadt Harsewinkel"' in html and "Rathaus Harsewinkel" in html
    form = _form(client)
    assert form["name"] == "Stadt Harsewinkel" and form["map_lat"] == "51,962"
    form.update(csrf_token=token, name="Stadt Harsewinkel an der Ems", short_name="Harsewinkel",
                name_in_sentence="der Stadt Harsewinkel an der Ems", colour="#00594F", contact_phone="05247 935-0",
                mail_sender_name="Stadt Harsewinkel – Mängelmelder", mail_signature="Freundliche Grüße\nIhr Bauhof",
                map_lat="51,95", map_zoom="13", retention_closed_days="120", legal_address_street="Münsterstraße 14")
    saved = client.post(PAGE, data=form)
    assert saved.status_code == 303
    row = db_session.get(Jurisdiction, town().id)
    assert row.name == "Stadt Harsewinkel an der Ems" and row.profile["colour"] == "#00594f"
    assert row.profile["map_lat"] == 51.95 and row.profile["map_zoom"] == 13
    assert row.profile["retention_closed_days"] == 120 and row.legal["address_street"] == "Münsterstraße 14"
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "town_profile_update"))
    assert entry.changes["name"] == ["Stadt Harsewinkel", "Stadt Harsewinkel an der Ems"]
    assert entry.changes["colour"] == ["#005a9c", "#00594f"]
    assert entry.changes["contact_phone"] == ["+49 5247 0000-0 (Demo)", "05247 935-0"]
    # Live at once: the header, the colours' stylesheet, a mail's sender and signature.
    home = client.get("/").get_data(as_text=True)
    assert "Stadt Harsewinkel an der Ems" in home
    css_url = home.split('href="/stadt.css?v=')[1].split('"')[0]
    assert "--kern-color-action-default:#00594f" in client.get(f"/stadt.css?v={css_url}").get_data(as_text=True)
    from app.branding import current_town
    from app.outbox.messages import compose_email
    from app.outbox.models import OutboxMessage

    with app.test_request_context("/"):
        town_now = current_town()
        assert town_now.map_center == (51.95, 8.229) and town_now.retention_closed_days == 120
        mail = compose_email("a@example.org", "Test", "status_changed", OutboxMessage(id=1, payload={}),
                             locale="de", report=_FakeReport(), change=_FakeChange(), status_label="In Bearbeitung",
                             tracking_url="http://x/t/abc", report_url="http://x/m/HW-1")
    assert mail["From"].addresses[0].display_name == "Stadt Harsewinkel – Mängelmelder"
    assert "Freundliche Grüße\nIhr Bauhof\nRathaus Harsewinkel" in mail.get_body(("plain",)).get_content()
    # Audit log page describes it in words.
    log = client.get("/intern/admin/protokoll").get_data(as_text=True)
    assert "Stadtprofil geändert" in log and "Hauptfarbe: „#005a9c“ → „#00594f“" in log


class _FakeCategory:
    def label(self, locale):
        return "Schlagloch"


class _FakeReport:
    reference = "HW-2026-00001"
    category = _FakeCategory()


class _FakeChange:
    public_note = ""
    new_status = "in_bearbeitung"
    detail = ""


def test_bad_values_are_refused_naming_each_field_and_nothing_is_saved(client, db_session):
    token = _admin(client)
    form = _form(client)
    before = dict(db_session.get(Jurisdiction, town().id).profile)
    form.update(csrf_token=token, colour="#ffdd00", mail_sender_address="keine-adresse", tile_url="http://evil/x.png",
                map_zoom="30", legal_dpo_email="nein", name="")
    refused = client.post(PAGE, data=form)
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "„Hauptfarbe“: Bitte geben Sie eine Farbe wie #005a9c an" in text
    assert "„Absenderadresse der E-Mails“: Bitte geben Sie eine gültige E-Mail-Adresse an." in text
    assert "„Kartenkacheln (Adresse)“: Bitte geben Sie eine Kachel-Adresse" in text
    assert "„Kartenmitte: Zoomstufe“: Bitte geben Sie eine Zahl von 10 bis 18 an." in text
    assert "„E-Mail des Datenschutzes“: Bitte geben Sie eine gültige E-Mail-Adresse an." in text
    assert "Bitte geben Sie den Namen der Stadt an" in text
    db_session.expire_all()
    assert db_session.get(Jurisdiction, town().id).profile == before
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "town_profile_update")) is None
    english = client.post(PAGE + "?lang=en", data=dict(form, lang="en"), headers={"Accept-Language": "en"})
    assert english.status_code == 400


def test_an_svg_crest_is_sanitised_and_a_png_loses_its_metadata(client, db_session):
    token = _admin(client)
    evil = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            b'viewBox="0 0 10 10" onload="alert(1)"><script>alert(2)</script><style>*{background:url(https://x.example/a)}</style>'
            b'<a href="javascript:alert(3)"><rect width="10" height="10" fill="url(https://x.example/p)"/></a>'
            b'<image href="https://tracker.example/p.png"/><foreignObject><p>hi</p></foreignObject>'
            b'<path d="M0 0h10v10z" fill="#005a9c" onclick="alert(4)" style="fill:red"/><use xlink:href="#a"/></svg>')
    saved = client.post(PAGE + "/wappen", data={"csrf_token": token, "wappen": (io.BytesIO(evil), "wappen.svg")},
                        content_type="multipart/form-data")
    assert saved.status_code == 303
    row = db_session.get(Jurisdiction, town().id)
    stored = row.crest.decode()
    assert row.crest_type == "image/svg+xml" and '<path d="M0 0h10v10z" fill="#005a9c"' in stored
    for bad in ("script", "alert", "onload", "onclick", "style", "https://", "javascript", "foreignObject", "<image",
                "<a "):
        assert bad not in stored, bad
    assert 'href="#a"' in stored
    served = client.get(f"/wappen?v={row.profile_version}")
    assert served.status_code == 200 and served.mimetype == "image/svg+xml" and served.data == row.crest
    assert served.headers["Content-Security-Policy"].startswith("default-src 'none'")
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "town_crest_update"))
    assert entry.changes["crest"][0].startswith("image/svg+xml sha256:") and entry.changes["crest"][1] != entry.changes["crest"][0]

    png = io.BytesIO()
    from PIL import PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Max Mustermann, Geheimstraße 1")
    Image.new("RGBA", (40, 48), (0, 90, 156, 255)).save(png, "PNG", pnginfo=info)
    assert b"Mustermann" in png.getvalue()
    client.post(PAGE + "/wappen", data={"csrf_token": token, "wappen": (io.BytesIO(png.getvalue()), "wappen.png")},
                content_type="multipart/form-data")
    db_session.refresh(row)
    assert row.crest_type == "image/png" and b"Mustermann" not in row.crest and b"tEXt" not in row.crest
    assert Image.open(io.BytesIO(row.crest)).size == (40, 48)

    for data, name, message in ((b"GIF89a....", "x.gif", "als SVG- oder PNG-Datei"),
                                (b"<svg><!DOCTYPE x [<!ENTITY a 'b'>]>", "bomb.svg", "ließ sich nicht lesen"),
                                (b"<svg xmlns='http://www.w3.org/2000/svg'>" + b" " * 600_000 + b"</svg>", "big.svg",
                                 "zu groß")):
        refused = client.post(PAGE + "/wappen", data={"csrf_token": token, "wappen": (io.BytesIO(data), name)},
                              content_type="multipart/form-data")
        assert refused.status_code == 400 and message in refused.get_data(as_text=True), name
    removed = client.post(PAGE + "/wappen/entfernen", data={"csrf_token": token})
    assert removed.status_code == 303
    db_session.refresh(row)
    assert row.crest is None and row.crest_type is None
    assert client.get("/wappen").status_code == 404


def test_the_cached_face_follows_a_change_made_by_the_town_file(client, db_session, app):
    """Another process (here: the town file) raises the version: the next request sees it."""
    from app.branding import current_town

    with app.test_request_context("/"):
        assert current_town().short_name == "Harsewinkel"
    row = db_session.get(Jurisdiction, town().id)
    row.profile = dict(row.profile, short_name="HSW")
    row.profile_version += 1
    db.session.flush()
    with app.test_request_context("/"):
        assert current_town().short_name == "HSW"
