"""What staff do with a report: status with Textbausteine, reassignment, duplicates,
moderation (photos, redaction, description, hiding), bulk actions, audit log, dashboard."""
from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from app.db import db
from app.outbox.models import OutboxMessage
from app.reports.models import Report
from app.jurisdictions.models import Category
from app.staff.models import AuditEntry, InternalNote, StaffUser, TextTemplate
from tests.conftest import csrf_token, run_worker
from tests.factories import category, department, jpeg_bytes, make_report, town
from tests.staff.helpers import PASSWORD, login, make_staff


def _signed_in(client, role="staff", dept="tiefbau"):
    user = make_staff(role, dept)
    login(client, user.username, PASSWORD)
    return user


def _post(client, report, path, **data):
    token = csrf_token(client, f"/intern/meldungen/{report.id}")
    return client.post(path, data={"csrf_token": token, **data})


def _actions(report):
    return db.session.scalars(select(AuditEntry.action).where(AuditEntry.report_id == report.id)
                              .order_by(AuditEntry.id)).all()


def test_status_change_with_text_template(client):
    user = _signed_in(client)
    report = make_report(email="a@example.org")
    report.reporter_email_confirmed = True
    template = TextTemplate(jurisdiction_id=town().id, category_id=category("schlagloch").id, status="in_bearbeitung",
                            title="Auftrag erteilt", body="Der Bauhof ist beauftragt.")
    other = TextTemplate(jurisdiction_id=town().id, category_id=category("graffiti").id, status="erledigt",
                         title="Graffiti weg", body="Entfernt.")
    db.session.add_all([template, other])
    db.session.flush()
    page = client.get(f"/intern/meldungen/{report.id}").get_data(as_text=True)
    assert "Auftrag erteilt" in page and "Graffiti weg" not in page
    response = _post(client, report, f"/intern/meldungen/{report.id}/status", status="in_bearbeitung",
                     template_id=str(template.id))
    assert response.status_code == 303
    db.session.refresh(report)
    assert report.status == "in_bearbeitung"
    assert report.history[-1].public_note == "Der Bauhof ist beauftragt." and report.history[-1].actor == user.username
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "status_changed")) is not None
    assert _actions(report) == ["status"]
    # A template of another category is refused with a 400 naming it.
    bad = _post(client, report, f"/intern/meldungen/{report.id}/status", status="erledigt", template_id=str(other.id))
    assert bad.status_code == 400 and "Textbaustein" in bad.get_data(as_text=True)


def test_status_change_refusals_are_4xx_and_change_nothing(client):
    _signed_in(client)
    report = make_report()
    for data, text in (({"status": "abgelehnt"}, "Grund"), ({"status": "gibtsnicht"}, "Status"),
                       ({"status": "duplikat", "duplicate_of": "HW-1999-000001"}, "ursprüngliche Meldung")):
        response = _post(client, report, f"/intern/meldungen/{report.id}/status", **data)
        assert response.status_code == 400 and text in response.get_data(as_text=True)
    db.session.refresh(report)
    assert report.status == "eingegangen" and _actions(report) == []


def test_reassignment_notifies_the_new_department(app, staff_committing, smtp_server):
    client = app.test_client()
    user = make_staff("dispatcher")
    report = make_report(email="geheim@example.org")
    db.session.commit()
    login(client, user.username, PASSWORD)
    # The first post only asks, naming the receiving department; nothing changes yet.
    question = _post(client, report, f"/intern/meldungen/{report.id}/abteilung",
                     department=str(department("gruen").id), reason="Baumwurzel, nicht Straße")
    assert question.status_code == 200
    page = question.get_data(as_text=True)
    assert f"Meldung {report.reference} an „{department('gruen').name}“ weiterleiten?" in page
    assert 'name="confirmed" value="1"' in page
    db.session.expire_all()
    assert db.session.get(Report, report.id).department.code == "tiefbau"
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "staff_reassigned")) is None
    response = _post(client, report, f"/intern/meldungen/{report.id}/abteilung",
                     department=str(department("gruen").id), reason="Baumwurzel, nicht Straße", confirmed="1")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/intern/meldungen/{report.id}")  # the dispatcher still sees it
    assert f"an „{department('gruen').name}“ weitergeleitet" in client.get(response.headers["Location"]).get_data(
        as_text=True)
    run_worker(app)
    # (The "new report" mail, sent after the commit, also reaches the department it now belongs to.)
    mails = [m for m in smtp_server.to("gruen@harsewinkel.example") if "weitergeleitet" in m["Subject"]]
    assert len(mails) == 1
    text = mails[0].get_body(("plain",)).get_content()
    assert report.reference in text and "Baumwurzel" in text and "geheim@example.org" not in text
    db.session.expire_all()
    assert db.session.get(Report, report.id).department.code == "gruen"
    missing_reason = _post(client, report, f"/intern/meldungen/{report.id}/abteilung",
                           department=str(department("tiefbau").id), reason="")
    assert missing_reason.status_code == 400 and "Grund" in missing_reason.get_data(as_text=True)


def test_department_staff_lose_a_report_they_pass_on(client):
    _signed_in(client, "staff", "tiefbau")
    report = make_report()
    response = _post(client, report, f"/intern/meldungen/{report.id}/abteilung",
                     department=str(department("abfall").id), reason="Müll, keine Straße", confirmed="1")
    # Not the report page (a 403 now) but a page saying where it went.
    assert response.headers["Location"].endswith(f"/intern/meldungen/{report.id}/weitergeleitet")
    after = client.get(response.headers["Location"])
    text = after.get_data(as_text=True)
    assert after.status_code == 200
    assert f"Die Meldung {report.reference} ist jetzt bei „{department('abfall').name}“." in text
    assert "Müll, keine Straße" in text
    assert client.get(f"/intern/meldungen/{report.id}").status_code == 403
    db.session.refresh(report)
    assert report.department.code == "abfall"
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "staff_reassigned")) is not None


def test_forwarding_refusals_name_the_problem(client):
    _signed_in(client, "staff", "tiefbau")
    report = make_report()
    path = f"/intern/meldungen/{report.id}/abteilung"
    page = client.get(f"/intern/meldungen/{report.id}").get_data(as_text=True)
    # Nothing preselected: the first option is the empty "please choose".
    select_html = page[page.index('<select id="department"'):page.index("</select>", page.index('<select id="department"'))]
    assert '<option value="" selected>' in select_html and select_html.count("selected") == 1
    for data, text in (({"department": "", "reason": "x"}, "Bitte wählen Sie eine Abteilung."),
                       ({"department": str(department("abfall").id), "reason": ""}, "Grund"),
                       ({"department": str(department("tiefbau").id), "reason": "x"}, "bereits bei dieser Abteilung"),
                       ({"department": "999999", "reason": "x", "confirmed": "1"}, "Diese Abteilung gibt es nicht.")):
        response = _post(client, report, path, **data)
        assert response.status_code == 400 and text in response.get_data(as_text=True), data
    # Nobody else's forwarding page: a report this account never forwarded.
    assert client.get(f"/intern/meldungen/{report.id}/weitergeleitet").status_code == 404
    db.session.refresh(report)
    assert report.department.code == "tiefbau" and _actions(report) == []


def test_bulk_forwarding_asks_first_and_preselects_nothing(client):
    _signed_in(client, "dispatcher", None)
    reports = [make_report(category_code="schlagloch") for _ in range(2)]
    page = client.get("/intern/eingang").get_data(as_text=True)
    for name in ("bulk-action", "bulk-value"):
        start = page.index(f'<select id="{name}"')
        select_html = page[start:page.index("</select>", start)]
        assert '<option value="" selected>' in select_html and select_html.count("selected") == 1, name
    token = csrf_token(client, "/intern/eingang")
    ids = [str(r.id) for r in reports]
    gruen = department("gruen")
    unchosen = client.post("/intern/sammelaktion", data={"csrf_token": token, "ids": ids, "action": "abteilung",
                                                         "value": "", "public_note": "Bäume"})
    assert unchosen.status_code == 400 and "Bitte wählen Sie den neuen Wert." in unchosen.get_data(as_text=True)
    question = client.post("/intern/sammelaktion", data={"csrf_token": token, "ids": ids, "action": "abteilung",
                                                         "value": str(gruen.id), "public_note": "Bäume"})
    text = question.get_data(as_text=True)
    assert question.status_code == 200 and f"2 Meldungen an „{gruen.name}“ weiterleiten?" in text
    assert all(r.reference in text for r in reports)
    for report in reports:
        db.session.refresh(report)
        assert report.department.code == "tiefbau"
    done = client.post("/intern/sammelaktion", data={"csrf_token": token, "ids": ids, "action": "abteilung",
                                                     "value": str(gruen.id), "reason": "Bäume", "confirmed": "1",
                                                     "back": "/intern/eingang"})
    assert done.status_code == 303
    assert f"2 Meldungen wurden an „{gruen.name}“ weitergeleitet." in client.get("/intern/eingang").get_data(as_text=True)
    for report in reports:
        db.session.refresh(report)
        assert report.department.code == "gruen" and _actions(report) == ["reassign"]


def test_mark_duplicate(client):
    _signed_in(client)
    original = make_report(description="Erstes Loch")
    duplicate = make_report(description="Zweites Loch, gleiche Stelle")
    response = _post(client, duplicate, f"/intern/meldungen/{duplicate.id}/status", status="duplikat",
                     duplicate_of=original.reference.lower(), public_note="Schon gemeldet.")
    assert response.status_code == 303
    db.session.refresh(duplicate)
    assert duplicate.status == "duplikat" and duplicate.duplicate_of_id == original.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.report_id == duplicate.id))
    assert entry.changes["duplicate_of"] == original.reference


def test_internal_note_is_never_public(client):
    _signed_in(client)
    report = make_report()
    report.description_published = True
    db.session.flush()
    assert _post(client, report, f"/intern/meldungen/{report.id}/notiz", note="Nur intern: Anwohner rief an").status_code == 303
    assert db.session.scalar(select(InternalNote.body).where(InternalNote.report_id == report.id)).startswith("Nur intern")
    assert "Nur intern" in client.get(f"/intern/meldungen/{report.id}").get_data(as_text=True)
    public = client.get(f"/meldungen/{report.reference}").get_data(as_text=True)
    assert "Nur intern" not in public


def test_edit_public_description_keeps_the_original(client):
    _signed_in(client)
    report = make_report(description="Loch vor Haus 12, der Nachbar Müller ist ein Idiot")
    response = _post(client, report, f"/intern/meldungen/{report.id}/beschreibung",
                     public_description="Loch vor Haus 12", published="1")
    assert response.status_code == 303
    db.session.refresh(report)
    assert report.description.endswith("Idiot") and report.shown_description == "Loch vor Haus 12"
    public = client.get(f"/meldungen/{report.reference}").get_data(as_text=True)
    assert "Loch vor Haus 12" in public and "Idiot" not in public


def test_hide_whole_report(client):
    _signed_in(client)
    report = make_report()
    assert client.get(f"/meldungen/{report.reference}").status_code == 200
    assert _post(client, report, f"/intern/meldungen/{report.id}/sichtbarkeit", hidden="1").status_code == 303
    assert client.get(f"/meldungen/{report.reference}").status_code == 404
    assert _actions(report) == ["hide"]


def _pixel(data: bytes, xy) -> tuple:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB").getpixel(xy)


def test_redaction_changes_the_served_pixels(app, client, media_dir):
    _signed_in(client)
    report = make_report(photos=[jpeg_bytes(size=(800, 600), colour=(250, 250, 250))])
    photo = report.photos[0]
    storage = app.extensions["storage"]
    old_keys = dict(photo.variants)
    assert _post(client, report, f"/intern/meldungen/{report.id}/fotos/{photo.id}/freigabe", published="1").status_code == 303
    before = client.get(f"/fotos/{photo.id}/display.jpg")
    assert before.status_code == 200 and sum(_pixel(before.data, (200, 150))) > 700
    response = _post(client, report, f"/intern/meldungen/{report.id}/fotos/{photo.id}/schwaerzen",
                     x="20", y="20", w="10", h="10")
    assert response.status_code == 303
    db.session.refresh(photo)
    after = client.get(f"/fotos/{photo.id}/display.jpg")
    assert after.status_code == 200 and after.data != before.data
    # Inside the rectangle (20–30 % of 800 × 600) the pixels are now black; outside unchanged.
    assert sum(_pixel(after.data, (200, 150))) < 30
    assert sum(_pixel(after.data, (600, 450))) > 700
    thumb = client.get(f"/fotos/{photo.id}/thumb.jpg").data
    with Image.open(io.BytesIO(thumb)) as image:
        w, h = image.size
    assert sum(_pixel(thumb, (int(w * 0.25), int(h * 0.25)))) < 30
    # The unredacted files are gone from storage; nothing serves them any more.
    assert set(photo.variants.values()).isdisjoint(old_keys.values())
    for key in old_keys.values():
        assert not storage.exists(key)
    with Image.open(io.BytesIO(after.data)) as image:
        assert not image.getexif() and "exif" not in image.info
    assert "photo_redact" in _actions(report)


def test_redaction_gives_the_public_photo_a_new_address(app, client, media_dir):
    """A cached picture can never show the unredacted pixels: pages link a versioned address
    that is cached for good, redaction changes the version, and the old address redirects
    (uncached) to the new one."""
    import re

    _signed_in(client)
    report = make_report(photos=[jpeg_bytes(size=(800, 600), colour=(250, 250, 250))])
    photo = report.photos[0]
    _post(client, report, f"/intern/meldungen/{report.id}/fotos/{photo.id}/freigabe", published="1")
    report.status = "in_pruefung"
    db.session.flush()
    page = client.get(f"/meldungen/{report.reference}").get_data(as_text=True)
    old_url = re.search(rf'href="(/fotos/{photo.id}/display\.jpg\?v=\w+)"', page).group(1)
    before = client.get(old_url)
    assert before.status_code == 200 and "immutable" in before.headers["Cache-Control"]
    _post(client, report, f"/intern/meldungen/{report.id}/fotos/{photo.id}/schwaerzen", x="20", y="20", w="10", h="10")
    db.session.refresh(photo)
    page = client.get(f"/meldungen/{report.reference}").get_data(as_text=True)
    new_url = re.search(rf'href="(/fotos/{photo.id}/display\.jpg\?v=\w+)"', page).group(1)
    assert new_url != old_url
    stale = client.get(old_url)
    assert stale.status_code == 302 and stale.headers["Location"].endswith(new_url)
    assert stale.headers["Cache-Control"] == "no-store"
    after = client.get(new_url)
    assert after.status_code == 200 and after.data != before.data and sum(_pixel(after.data, (200, 150))) < 30
    assert client.get(f"/fotos/{photo.id}/display.jpg").headers["Cache-Control"] == "public, no-cache"


def test_redaction_rectangle_outside_the_photo_is_refused(client):
    _signed_in(client)
    report = make_report(photos=[jpeg_bytes()])
    photo = report.photos[0]
    keys = dict(photo.variants)
    response = _post(client, report, f"/intern/meldungen/{report.id}/fotos/{photo.id}/schwaerzen",
                     x="90", y="10", w="30", h="10")
    assert response.status_code == 400 and "außerhalb des Fotos" in response.get_data(as_text=True)
    db.session.refresh(photo)
    assert photo.variants == keys


def test_photo_publish_and_hide(client):
    _signed_in(client)
    report = make_report(photos=[jpeg_bytes()])
    photo = report.photos[0]
    assert client.get(f"/fotos/{photo.id}/display.jpg").status_code == 404
    _post(client, report, f"/intern/meldungen/{report.id}/fotos/{photo.id}/freigabe", published="1")
    assert client.get(f"/fotos/{photo.id}/display.jpg").status_code == 200
    _post(client, report, f"/intern/meldungen/{report.id}/fotos/{photo.id}/freigabe", published="0")
    assert client.get(f"/fotos/{photo.id}/display.jpg").status_code == 404
    assert _actions(report) == ["photo_publish", "photo_unpublish"]


def test_bulk_actions_are_all_or_nothing(client):
    _signed_in(client, "staff", "tiefbau")
    mine = [make_report(category_code="schlagloch") for _ in range(2)]
    foreign = make_report(category_code="wilder-muell")
    token = csrf_token(client, "/intern/eingang")
    ids = [str(r.id) for r in mine]
    response = client.post("/intern/sammelaktion", data={"csrf_token": token, "ids": ids + [str(foreign.id)],
                                                         "action": "prioritaet", "value": "3"})
    assert response.status_code == 404 and foreign.reference not in response.get_data(as_text=True)
    for report in mine:
        db.session.refresh(report)
        assert report.priority == 0
    response = client.post("/intern/sammelaktion", data={"csrf_token": token, "ids": ids, "action": "status",
                                                         "value": "in_pruefung", "public_note": "Wir prüfen."})
    assert response.status_code == 303
    response = client.post("/intern/sammelaktion", data={"csrf_token": token, "ids": ids, "action": "prioritaet",
                                                         "value": "2"})
    assert response.status_code == 303
    for report in mine:
        db.session.refresh(report)
        assert report.status == "in_pruefung" and report.priority == 2
        assert _actions(report) == ["status", "priority"]
    empty = client.post("/intern/sammelaktion", data={"csrf_token": token, "action": "status", "value": "erledigt"})
    assert empty.status_code == 400 and "mindestens eine Meldung" in empty.get_data(as_text=True)


def test_admin_audit_list_shows_every_action(client):
    admin = _signed_in(client, "admin", None)
    report = make_report()
    _post(client, report, f"/intern/meldungen/{report.id}/prioritaet", priority="1")
    page = client.get("/intern/admin/protokoll").get_data(as_text=True)
    assert report.reference in page and "Priorität geändert" in page and admin.username in page
    assert "Angemeldet" in page and "priority" not in page[page.index("<tbody>"):]


def test_dashboard_draws_svg_charts(client):
    _signed_in(client, "dispatcher", None)
    for _ in range(3):
        make_report(category_code="graffiti")
    closed = make_report(category_code="graffiti")
    closed.status = "erledigt"
    db.session.flush()
    body = client.get("/intern/uebersicht").get_data(as_text=True)
    assert body.count("<svg") == 4
    assert 'id="chart-departments"' in body and "Ordnungsamt" in body
    kpis = body[body.find('class="kpis"'):][:200]
    assert "<strong>3</strong> offene" in kpis, kpis
    assert "cdn" not in body.lower()


def test_admin_creates_an_account_and_text_template(client):
    _signed_in(client, "admin", None)
    token = csrf_token(client, "/intern/admin/")
    response = client.post("/intern/admin/konten", data={"csrf_token": token, "username": "neu.mitarbeiter",
                                                         "role": "staff", "department": str(department("gruen").id),
                                                         "password": "lang-genug-123"})
    assert response.status_code == 303
    bad = client.post("/intern/admin/konten", data={"csrf_token": token, "username": "ohne-abteilung",
                                                    "role": "staff", "password": "lang-genug-123"})
    assert bad.status_code == 400 and "Abteilung" in bad.get_data(as_text=True)
    response = client.post("/intern/admin/textbausteine", data={"csrf_token": token, "title": "Erledigt",
                                                                "status": "erledigt", "body": "Behoben, danke!"})
    assert response.status_code == 303
    assert db.session.scalar(select(TextTemplate.body).where(TextTemplate.title == "Erledigt")) == "Behoben, danke!"
    login(client.application.test_client(), "neu.mitarbeiter", "lang-genug-123")


def test_mark_duplicate_moves_followers_to_the_original(client):
    from app.followers.models import Follower
    from app.db import utcnow

    _signed_in(client)
    original = make_report(description="Erstes Loch")
    duplicate = make_report(description="Zweites Loch")
    db.session.add_all([Follower(report_id=duplicate.id, email="nachbar@example.org", confirmed_at=utcnow()),
                        Follower(report_id=duplicate.id, email="beide@example.org", confirmed_at=utcnow()),
                        Follower(report_id=original.id, email="beide@example.org", confirmed_at=utcnow())])
    db.session.flush()
    response = _post(client, duplicate, f"/intern/meldungen/{duplicate.id}/status", status="duplikat",
                     duplicate_of=original.reference)
    assert response.status_code == 303
    db.session.expire_all()
    emails = sorted(db.session.scalars(select(Follower.email).where(Follower.report_id == original.id)))
    assert emails == ["beide@example.org", "nachbar@example.org"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.report_id == duplicate.id))
    assert entry.changes["followers_moved"] == 1


def test_admin_forms_refuse_bad_input_naming_the_field_and_change_nothing(client):
    """The admin forms are WTForms classes: every refusal is a 400 in German naming the problem,
    and nothing of the refused request is stored."""
    _signed_in(client, "admin", None)
    token = csrf_token(client, "/intern/admin/")
    graffiti = category("graffiti")
    days_before = graffiti.target_days
    for value, words in (("zehn", "zwischen 1 und 365"), ("0", "zwischen 1 und 365"), ("", "zwischen 1 und 365")):
        response = client.post(f"/intern/admin/kategorien/{graffiti.id}", data={"csrf_token": token,
                                                                                "target_days": value, "active": "1"})
        assert response.status_code == 400 and words in response.get_data(as_text=True), value
    db.session.expire_all()
    assert db.session.get(Category, graffiti.id).target_days == days_before

    response = client.post("/intern/admin/konten", data={"csrf_token": token, "username": "x" * 101, "role": "staff",
                                                         "department": str(department("gruen").id),
                                                         "password": "lang-genug-123"})
    assert response.status_code == 400
    assert "Der Benutzername ist zu lang (höchstens 100 Zeichen)." in response.get_data(as_text=True)
    response = client.post("/intern/admin/konten", data={"csrf_token": token, "username": "neu", "role": "chef",
                                                         "email": "a,b@example.org", "password": "lang-genug-123"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "Diese Rolle gibt es nicht." in body
    assert "Diese E-Mail-Adresse ist ungültig." in body  # every field's problem at once
    response = client.post("/intern/admin/textbausteine", data={"csrf_token": token, "title": "T", "body": "x" * 5001})
    assert response.status_code == 400 and "Der Text ist zu lang (höchstens 5000 Zeichen)." in response.get_data(
        as_text=True)
    assert db.session.scalar(select(StaffUser).where(StaffUser.username == "neu")) is None
    assert db.session.scalar(select(TextTemplate).where(TextTemplate.title == "T")) is None

    response = client.get("/intern/admin/protokoll?vor=abc")
    assert response.status_code == 400 and "nächste Seite ist ungültig" in response.get_data(as_text=True)
