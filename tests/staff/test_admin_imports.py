"""Imports in the admin pages (issue 18): staff accounts from CSV (least role, department by
name, errors per line, all or nothing), reports from the old system (dry run first, then the
same file, the summary line and rejected lines), addresses including NRW's Hauskoordinaten
through a worker with progress."""
from __future__ import annotations

import io

from sqlalchemy import func, select, text

from app.db import db
from app.outbox.models import OutboxMessage
from app.reports.models import Report
from app.staff.models import AuditEntry, StaffUser
from tests.conftest import csrf_token, run_worker
from tests.factories import GREFFEN, town
from tests.staff.helpers import PASSWORD, login, make_staff


def _admin(client) -> str:
    login(client, make_staff("admin").username, PASSWORD)
    return csrf_token(client, "/intern/admin/")


def _file(data: str, name: str):
    return (io.BytesIO(data.encode("utf-8")), name)


def test_staff_accounts_from_csv_least_role_department_by_name_errors_per_line(client, db_session):
    token = _admin(client)
    bad = ("username,name,email,role,department\n"
           "m.muster,Max Muster,max@harsewinkel.example,,Tiefbau und Straßen\n"
           "k.kaputt,Kim,keine-adresse,,Tiefbau und Straßen\n"
           "l.leer,Lea,lea@harsewinkel.example,,\n"
           "x.x,X,x@harsewinkel.example,chef,Gibtsnicht\n")
    refused = client.post("/intern/admin/konten/import", data={"csrf_token": token, "datei": _file(bad, "k.csv")},
                          content_type="multipart/form-data")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "<td>3</td><td>Die E-Mail-Adresse fehlt oder ist ungültig.</td>" in html
    assert "<td>4</td><td>Mitarbeitende einer Abteilung brauchen eine Abteilung.</td>" in html
    assert "Die Rolle chef gibt es nicht" in html and "Die Abteilung Gibtsnicht gibt es nicht." in html
    assert db_session.scalar(select(StaffUser).where(StaffUser.username == "m.muster")) is None  # all or nothing
    good = ("username;name;email;role;department\n"
            "m.muster;Max Muster;max@harsewinkel.example;;Tiefbau und Straßen\n"
            "l.leit;Lea Leit;lea@harsewinkel.example;Leitstelle;\n")
    made = client.post("/intern/admin/konten/import", data={"csrf_token": token, "datei": _file(good, "k.csv")},
                       content_type="multipart/form-data")
    assert made.status_code == 200 and "2 Konten angelegt" in made.get_data(as_text=True)
    max_ = db_session.scalar(select(StaffUser).where(StaffUser.username == "m.muster"))
    assert max_.role == "staff" and max_.department.code == "tiefbau" and max_.email == "max@harsewinkel.example"
    assert db_session.scalar(select(StaffUser).where(StaffUser.username == "l.leit")).role == "dispatcher"
    mails = list(db_session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "staff_password_reset")))
    assert {m.payload["staff_user_id"] for m in mails} >= {max_.id}
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "staff_imported")).changes["imported"] == 2


def test_reports_from_the_old_system_dry_run_first_then_the_same_file(client, db_session):
    token = _admin(client)
    lon, lat = GREFFEN
    data = ("reference,service_code,lat,long,status,requested_datetime,updated_datetime,description,address\n"
            f"ALT-1,schlagloch,{lat},{lon},erledigt,2024-03-01T08:00:00Z,,Loch,\n"
            f"ALT-2,gibtsnicht,{lat},{lon},erledigt,2024-03-01T08:00:00Z,,Loch,\n"
            f"ALT-3,schlagloch,{lat},{lon},open,2024-03-01T08:00:00Z,,Noch ein Loch,\n")
    page = client.get("/intern/admin/meldungen-import")
    assert page.status_code == 200 and "Probelauf" in page.get_data(as_text=True)
    dry = client.post("/intern/admin/meldungen-import", data={"csrf_token": token, "datei": _file(data, "alt.csv")},
                      content_type="multipart/form-data")
    html = dry.get_data(as_text=True)
    assert dry.status_code == 200 and "<code>imported=2 unchanged=0 rejected=1</code>" in html
    assert "<td>3</td><td>" in html and "gibtsnicht" in html
    assert db_session.scalar(select(func.count()).select_from(Report).where(Report.reference.like("ALT-%"))) == 0
    upload_id = int(html.split("/intern/admin/meldungen-import/")[1].split('"')[0])
    done = client.post(f"/intern/admin/meldungen-import/{upload_id}", data={"csrf_token": token})
    assert done.status_code == 200 and "<code>imported=2 unchanged=0 rejected=1</code>" in done.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Report).where(Report.reference.like("ALT-%"))) == 2
    again = client.post(f"/intern/admin/meldungen-import/{upload_id}", data={"csrf_token": token})
    assert again.status_code == 400  # the kept file is used once
    second = client.post("/intern/admin/meldungen-import", data={"csrf_token": token, "datei": _file(data, "alt.csv")},
                         content_type="multipart/form-data")
    assert "<code>imported=0 unchanged=2 rejected=1</code>" in second.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.payload["report_id"].astext.in_([str(r) for r in db_session.scalars(
            select(Report.id).where(Report.reference.like("ALT-%")))]))) == 0


HK_DE = ("N;DENW12345678ABCD;A;05;7;54;016;0001;00123;14;;441234,560;5760123,450;Münsterstraße;33428;Harsewinkel;;\n"
         "N;DENW12345678ABCE;A;05;7;54;016;0002;00456;3;a;440012,100;5762345,780;Dorfstraße;33428;Harsewinkel;;Greffen\n")


def test_an_nrw_house_coordinates_file_is_imported_by_a_worker_with_progress(staff_committing, client):
    app = staff_committing
    with app.app_context():
        admin = make_staff("admin")
        db.session.commit()
        username = admin.username
    login(client, username, PASSWORD)
    token = csrf_token(client, "/intern/admin/adressen/")
    sent = client.post("/intern/admin/adressen/", data={"csrf_token": token, "datei": _file(HK_DE, "hk_harsewinkel.txt")},
                       content_type="multipart/form-data")
    assert sent.status_code == 303
    progress_path = sent.headers["Location"]
    waiting = client.get(progress_path).get_data(as_text=True)
    assert "wartet auf den Start" in waiting and "import_progress.js" in waiting
    assert client.get(progress_path + ".json").get_json() == {"state": "queued", "done": 0, "total": 0}
    run_worker(app)
    assert client.get(progress_path + ".json").get_json() == {"state": "done", "done": 2, "total": 2}
    page = client.get(progress_path).get_data(as_text=True)
    assert "fertig" in page and 'value="2"' in page
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT street, house_number, postcode, ortsteil, round(ST_X(location)::numeric, 3), "
            "round(ST_Y(location)::numeric, 3) FROM addresses WHERE source = 'hk_harsewinkel.txt' ORDER BY street")).all()
        assert [r[:4] for r in rows] == [("Dorfstraße", "3a", "33428", "Greffen"), ("Münsterstraße", "14", "33428", "")]
        assert 7.9 < float(rows[1][4]) < 8.4 and 51.9 < float(rows[1][5]) < 52.1  # UTM 32N reprojected
        db.session.execute(text("DELETE FROM addresses WHERE source = 'hk_harsewinkel.txt'"))
        db.session.execute(text("DELETE FROM admin_uploads"))
        db.session.commit()

    broken = client.post("/intern/admin/adressen/", data={"csrf_token": token,
                                                           "datei": _file("strasse;hausnummer;lat;lon\nA;1;x;8\n", "b.csv")},
                         content_type="multipart/form-data")
    run_worker(app)
    failed = client.get(broken.headers["Location"]).get_data(as_text=True)
    assert "abgelehnt" in failed and "Zeile 2" in failed
    with app.app_context():
        db.session.execute(text("DELETE FROM admin_uploads"))
        db.session.commit()
