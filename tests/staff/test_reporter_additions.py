"""What a reporter adds later through the tracking link, as staff see it: remarks in the
report's history, later photos among the photos (unpublished until staff publish them),
the "new addition" badge in the queue, marking additions seen; and none of it on the
public pages of a hidden report. The role matrix (test_role_matrix.py) covers who may
see the additions at all."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from app.db import db, utcnow
from app.public.models import ReporterComment, ReporterPhoto
from app.reports.models import Photo, Report, StatusChange
from app.reports.operations import change_status
from app.staff.models import AuditEntry
from tests.conftest import csrf_token
from tests.factories import jpeg_bytes, make_report
from tests.staff.helpers import PASSWORD, client_address, login, make_staff

XSS = '<img src=x onerror=alert(1)>'
REMARK = "Das Loch ist seit gestern doppelt so groß " + XSS


def _add_remark(client, report, text=REMARK):
    path = f"/verfolgen/{report.tracking_token}/ergaenzen"
    # Own client address: additions are limited per address, and the whole suite posts many.
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "was": "kommentar", "comment": text},
                           environ_base={"REMOTE_ADDR": client_address()})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def _add_photo(client, report, colour=(10, 120, 200)):
    path = f"/verfolgen/{report.tracking_token}/ergaenzen"
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "was": "foto",
                                       "photos": (io.BytesIO(jpeg_bytes(colour=colour)), "spaeter.jpg")},
                           content_type="multipart/form-data", environ_base={"REMOTE_ADDR": client_address()})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return db.session.scalars(select(Photo).where(Photo.report_id == report.id).order_by(Photo.id.desc())).first()


def _staff(client, role="staff", dept="tiefbau"):
    user = make_staff(role, dept)
    login(client, user.username, PASSWORD)
    return user


def _post(client, report, path, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, f"/intern/meldungen/{report.id}"), **data})


def _history_items(page: str) -> list[str]:
    history = page.split('<ol class="history">', 1)[1].split("</ol>", 1)[0]
    return [item for item in history.split("<li")[1:]]


def _figure(page: str, photo_id: int) -> str:
    return page.split(f'id="photo-{photo_id}"', 1)[1].split("</figure>", 1)[0]


def _row(page: str, report_id: int) -> str:
    return page.split(f'id="row-{report_id}"', 1)[1].split("</tr>", 1)[0]


def test_remark_shows_in_the_staff_history_in_time_order_labelled_and_escaped(client):
    report = make_report(category_code="schlagloch", email="melderin@example.org")
    db.session.commit()
    _add_remark(client, report)
    change_status(report, "in_pruefung", public_note="Wir sehen nach.", actor="bauhof")
    db.session.commit()
    # Made → remark (one hour later) → status change (two hours later).
    start = utcnow() - timedelta(hours=3)
    db.session.execute(update(StatusChange).where(StatusChange.report_id == report.id,
                                                  StatusChange.new_status == "eingegangen").values(created_at=start))
    db.session.execute(update(ReporterComment).where(ReporterComment.report_id == report.id)
                       .values(created_at=start + timedelta(hours=1)))
    db.session.execute(update(StatusChange).where(StatusChange.report_id == report.id,
                                                  StatusChange.new_status == "in_pruefung")
                       .values(created_at=start + timedelta(hours=2)))
    db.session.commit()

    _staff(client)
    page = client.get(f"/intern/meldungen/{report.id}").get_data(as_text=True)
    items = _history_items(page)
    assert len(items) == 3
    assert "Eingegangen" in items[0]
    assert "Ergänzung der meldenden Person" in items[1] and "nicht öffentlich" in items[1]
    assert "Das Loch ist seit gestern doppelt so groß &lt;img src=x onerror=alert(1)&gt;" in items[1]
    assert "Wir sehen nach." in items[2]
    assert "<img src=x" not in page
    # Never public: the public report page does not carry the remark.
    public = client.get(f"/meldungen/{report.reference}").get_data(as_text=True)
    assert "doppelt so groß" not in public
    # In English too.
    english = client.get(f"/intern/meldungen/{report.id}?lang=en").get_data(as_text=True)
    assert "Addition by the reporter" in english and "(not public)" in english and "Mark as seen" in english
    assert "1 new addition" in client.get("/intern/eingang").get_data(as_text=True)
    client.get("/intern/eingang?lang=de")


def test_later_photos_start_unpublished_and_staff_publish_them(client):
    # "gully" publishes descriptions and photos at once: the intake photo is public at once ...
    report = make_report(category_code="gully", photos=[jpeg_bytes()])
    db.session.commit()
    [intake] = report.photos
    assert intake.published
    # ... a photo added later is not, and is marked as the reporter's later addition.
    later = _add_photo(client, report)
    assert later.id != intake.id and later.published is False
    assert db.session.get(ReporterPhoto, later.id).report_id == report.id
    assert db.session.get(ReporterPhoto, intake.id) is None
    assert client.get(f"/fotos/{later.id}/display.jpg").status_code == 404
    public = client.get(f"/meldungen/{report.reference}").get_data(as_text=True)
    assert f"/fotos/{intake.id}/" in public and f"/fotos/{later.id}/" not in public

    _staff(client)
    page = client.get(f"/intern/meldungen/{report.id}").get_data(as_text=True)
    figure = _figure(page, later.id)
    assert "Ergänzung der meldenden Person" in figure and "nicht veröffentlicht" in figure
    assert 'class="new-badge"' in figure
    # The same moderation controls as every photo: publish and black out.
    assert f"/intern/meldungen/{report.id}/fotos/{later.id}/freigabe" in figure
    assert f"/intern/meldungen/{report.id}/fotos/{later.id}/schwaerzen" in figure
    assert "Ergänzung der meldenden Person" not in _figure(page, intake.id)
    assert client.get(f"/intern/meldungen/{report.id}/fotos/{later.id}/display.jpg").status_code == 200
    # The history names it too, linking to the photo.
    assert any(f'href="#photo-{later.id}"' in item for item in _history_items(page))

    assert _post(client, report, f"/intern/meldungen/{report.id}/fotos/{later.id}/freigabe",
                 published="1").status_code == 303
    db.session.refresh(later)
    assert later.published
    assert f"/fotos/{later.id}/" in client.get(f"/meldungen/{report.reference}").get_data(as_text=True)
    assert client.get(f"/fotos/{later.id}/display.jpg").status_code == 200


def test_queue_badge_counts_unseen_additions_in_one_statement_and_marking_seen_clears_it(client):
    two = make_report(description="Gehweg abgesackt")
    one = make_report(description="Bordstein lose")
    none = make_report(description="Riss in der Fahrbahn")
    db.session.commit()
    _add_remark(client, two, "Noch ein Hinweis")
    _add_photo(client, two)
    _add_remark(client, one, "Bitte schnell")
    user = _staff(client)

    statements: list[str] = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        page = client.get("/intern/eingang").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert "2 neue Ergänzungen" in _row(page, two.id)
    assert "1 neue Ergänzung" in _row(page, one.id)
    assert "addition-badge" not in _row(page, none.id)
    # One aggregated statement for the whole page, not one per row.
    assert len([s for s in statements if "reporter_comments" in s]) == 1

    detail = client.get(f"/intern/meldungen/{two.id}").get_data(as_text=True)
    assert 'id="new-additions"' in detail and "2 neue Ergänzungen geschickt" in detail
    response = _post(client, two, f"/intern/meldungen/{two.id}/ergaenzungen/gesehen")
    assert response.status_code == 303
    detail = client.get(f"/intern/meldungen/{two.id}").get_data(as_text=True)
    assert "als gesehen markiert" in detail and 'id="new-additions"' not in detail
    assert 'class="new-badge"' not in detail
    # The remark and photo are still shown, only no longer as new.
    assert "Noch ein Hinweis" in detail
    page = client.get("/intern/eingang").get_data(as_text=True)
    assert "addition-badge" not in _row(page, two.id) and "1 neue Ergänzung" in _row(page, one.id)
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.report_id == two.id,
                                                          AuditEntry.action == "additions_seen")).all()
    assert entry.actor == user.username and entry.changes == {"comments": 1, "photos": 1}
    assert "Noch ein Hinweis" not in str(entry.changes)  # no citizen text in the audit log

    # Nothing new: a harmless answer, no second audit row.
    again = _post(client, two, f"/intern/meldungen/{two.id}/ergaenzungen/gesehen")
    assert again.status_code == 303
    assert "keine neuen Ergänzungen" in client.get(f"/intern/meldungen/{two.id}").get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(AuditEntry).where(
        AuditEntry.report_id == two.id, AuditEntry.action == "additions_seen")) == 1


def test_a_new_addition_after_marking_seen_is_new_again(client):
    report = make_report()
    db.session.commit()
    _add_remark(client, report, "Erster Hinweis")
    _staff(client)
    assert _post(client, report, f"/intern/meldungen/{report.id}/ergaenzungen/gesehen").status_code == 303
    _add_remark(client, report, "Zweiter Hinweis")
    page = client.get("/intern/eingang").get_data(as_text=True)
    assert "1 neue Ergänzung" in _row(page, report.id)
    items = _history_items(client.get(f"/intern/meldungen/{report.id}").get_data(as_text=True))
    [first] = [i for i in items if "Erster Hinweis" in i]
    [second] = [i for i in items if "Zweiter Hinweis" in i]
    assert "new-badge" not in first and "new-badge" in second


def test_hidden_report_keeps_its_additions_off_every_public_page(client):
    report = make_report(category_code="gully", photos=[jpeg_bytes()])
    db.session.commit()
    _add_remark(client, report, "Geheime Ergänzung der Melderin")
    later = _add_photo(client, report)
    _staff(client)
    assert _post(client, report, f"/intern/meldungen/{report.id}/fotos/{later.id}/freigabe",
                 published="1").status_code == 303
    # While the report is public, the published later photo is public (so the checks below can fail).
    assert client.get(f"/fotos/{later.id}/display.jpg").status_code == 200
    assert f"/fotos/{later.id}/" in client.get(f"/meldungen/{report.reference}").get_data(as_text=True)

    assert _post(client, report, f"/intern/meldungen/{report.id}/sichtbarkeit", hidden="1").status_code == 303
    db.session.refresh(report)
    assert report.hidden
    photo_ids = [p.id for p in report.photos]
    for photo_id in photo_ids:
        for variant in ("display", "thumb"):
            assert client.get(f"/fotos/{photo_id}/{variant}.jpg").status_code == 404
    assert client.get(f"/meldungen/{report.reference}").status_code == 404
    assert client.get(f"/meldungen/{report.reference}/popup.json").status_code == 404
    assert client.get(f"/open311/v2/requests/{report.reference}.json").status_code == 404
    for path in ("/", "/meldungen", "/meldungen?status=offen", "/feeds/meldungen.atom", "/open311/v2/requests.json",
                 "/open311/v2/requests.json?extensions=true"):
        body = client.get(path).get_data(as_text=True)
        assert report.reference not in body, path
        assert "Geheime Ergänzung" not in body, path
        assert not any(re.search(rf"/fotos/{photo_id}/", body) for photo_id in photo_ids), path
    # Staff still see everything.
    page = client.get(f"/intern/meldungen/{report.id}").get_data(as_text=True)
    assert "Geheime Ergänzung der Melderin" in page and f'id="photo-{later.id}"' in page


def test_reporter_photo_marks_go_with_the_report(client):
    report = make_report()
    db.session.commit()
    later = _add_photo(client, report)
    db.session.delete(db.session.get(Report, report.id))
    db.session.commit()
    assert db.session.get(ReporterPhoto, later.id) is None


@pytest.mark.browser
def test_additions_on_the_detail_page_and_the_queue_badge_pass_axe(live_server, staff_committing, chromium):
    from tests.browser import describe_violations, run_axe
    from app.public.operations import add_reporter_comment, add_reporter_photos

    report = make_report(category_code="schlagloch", description="Loch vor der Schule", photos=[jpeg_bytes()])
    add_reporter_comment(report, "Nachtrag: " + XSS)
    add_reporter_photos(report, [jpeg_bytes(colour=(0, 0, 160))])
    user = make_staff("staff", "tiefbau")
    db.session.commit()
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    try:
        page.goto(live_server.url + "/intern/anmelden")
        page.fill("#username", user.username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url("**/intern/eingang**")
        assert page.locator(f"#row-{report.id} .addition-badge").inner_text() == "2 neue Ergänzungen"
        problems = []
        for path in ("/intern/eingang", f"/intern/meldungen/{report.id}"):
            page.goto(live_server.url + path)
            page.wait_for_load_state("load")
            violations = run_axe(page)
            if violations:
                problems.append(f"{path}: {describe_violations(violations)}")
        assert problems == [], "\n".join(problems)
        # The citizen's markup arrived as text, not as an element.
        assert page.locator(".history .reporter-addition .citizen-text").inner_text() == "Nachtrag: " + XSS
        page.click("#new-additions button[type=submit]")
        page.wait_for_load_state("load")
        assert page.locator("#new-additions").count() == 0
    finally:
        context.close()


def test_department_mail_about_an_addition_links_the_staff_page(committing, smtp_server):
    from app.public.operations import add_reporter_comment, add_reporter_photos
    from tests.services import body_text
    from tests.workers.conftest import drain

    app = committing
    report = make_report(category_code="gully", email="melder@example.org")
    db.session.commit()
    drain(app)
    smtp_server.clear()
    add_reporter_comment(report, "Wasser steht jetzt bis zum Bordstein " + XSS)
    add_reporter_photos(report, [jpeg_bytes()])
    db.session.commit()
    drain(app)
    mails = smtp_server.to(report.department.email)
    assert len(mails) == 2
    texts = [body_text(mail) for mail in mails]
    staff_url = f"http://maengelmelder.test/intern/meldungen/{report.id}"
    assert all(staff_url in text for text in texts)
    assert any("Wasser steht jetzt bis zum Bordstein" in text for text in texts)
    # gully publishes at once, a later photo still waits for staff.
    assert any("Neue Fotos: 1 (noch nicht veröffentlicht" in text for text in texts)
    assert all("melder@example.org" not in text for text in texts)
