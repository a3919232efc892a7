"""Issue 20 point 4: own data (DSGVO Art. 15/17) from Meine Meldungen. The export holds exactly
that person's data and photos; erasure anonymises every report of the address and keeps the
reports; unsubscribing from everything; each audited without the address."""
from __future__ import annotations

import io
import json
import zipfile

from flask import g
from sqlalchemy import func, select

from app.alerts.models import AlertSubscription
from app.db import db, utcnow
from app.followers.models import Follower, MailUnsubscribe
from app.followers.operations import request_follow
from app.public.models import ReporterComment
from app.reports.models import Report, StatusChange
from app.reports.operations import change_status
from app.reports.photos import storage
from app.staff.models import AuditEntry
from tests.account.test_sign_in import ANNA, BERND, sign_in
from tests.conftest import csrf_token
from tests.factories import GREFFEN, HARSEWINKEL, MARIENFELD, jpeg_bytes, make_report


def _post(client, path: str, **data):
    g.pop("csrf_token", None)
    return client.post(path, data={"csrf_token": csrf_token(client, "/meine-meldungen"), **data})


def _audit_texts() -> list[str]:
    return [json.dumps(changes) + actor + target for changes, actor, target in db.session.execute(
        select(AuditEntry.changes, AuditEntry.actor, AuditEntry.target))]


def _people():
    first = make_report(email=ANNA, name="Anna A.", description="Annas erstes Loch",
                        photos=[jpeg_bytes(colour=(10, 200, 10))])
    second = make_report(point=MARIENFELD, category_code="spielplatz", email=ANNA, description="Annas Schaukel",
                         photos=[jpeg_bytes(colour=(10, 10, 200)), jpeg_bytes(colour=(200, 200, 10))])
    bernds = make_report(point=GREFFEN, category_code="wilder-muell", email=BERND, name="Bernd B.",
                         description="Bernds Müll", photos=[jpeg_bytes(colour=(250, 0, 0))])
    db.session.add(ReporterComment(report=first, body="Ich wohne gegenüber, Tel. 0151 000"))
    db.session.add(ReporterComment(report=bernds, body="Bernds Ergänzung"))
    follower = request_follow(bernds, ANNA)
    follower.confirmed_at = utcnow()
    db.session.add(AlertSubscription(jurisdiction_id=first.jurisdiction_id, email=ANNA, token="t" * 40,
                                     center=None, radius_m=None, address=None,
                                     confirmed_at=utcnow(), **_area(first)))
    return first, second, bernds


def _area(report) -> dict:
    from app.jurisdictions.models import Area

    area = db.session.scalar(select(Area).where(Area.jurisdiction_id == report.jurisdiction_id,
                                                Area.kind == "ortsteil").limit(1))
    return {"area_id": area.id}


def test_export_contains_exactly_that_persons_data_and_photos(app, client, db_session):
    first, second, bernds = _people()
    db_session.commit()
    sign_in(client, ANNA)
    response = _post(client, "/meine-meldungen/daten")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "private, no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("daten.json"))
    assert {r["aktenzeichen"] for r in data["meldungen"]} == {first.reference, second.reference}
    assert data["email"] == ANNA
    by_ref = {r["aktenzeichen"]: r for r in data["meldungen"]}
    assert by_ref[first.reference]["name"] == "Anna A." and by_ref[first.reference]["beschreibung"] == "Annas erstes Loch"
    assert by_ref[first.reference]["ergaenzungen"][0]["text"] == "Ich wohne gegenüber, Tel. 0151 000"
    assert [f["aktenzeichen"] for f in data["gefolgte_meldungen"]] == [bernds.reference]
    assert len(data["benachrichtigungen_fuer_gebiete"]) == 1
    # Exactly Anna's photos, byte for byte the stored (metadata-free) pictures.
    photo_names = sorted(n for n in archive.namelist() if n.startswith("fotos/"))
    expected = {f"fotos/{r.reference}-{i}.jpg": p for r in (first, second) for i, p in enumerate(r.photos, start=1)}
    assert photo_names == sorted(expected)
    for name, photo in expected.items():
        assert archive.read(name) == storage().get(photo.variants["display"])
    everything = b"".join(archive.read(n) for n in archive.namelist())
    for foreign in (BERND.encode(), b"Bernd B.", "Bernds Müll".encode(), "Bernds Ergänzung".encode()):
        assert foreign not in everything
    entries = db.session.execute(select(AuditEntry.action, AuditEntry.changes).where(
        AuditEntry.action == "citizen_export")).all()
    assert entries == [("citizen_export", {"reports": 2, "follows": 1, "alerts": 1})]
    assert not any(ANNA in text for text in _audit_texts())


def test_erasure_anonymises_every_report_of_the_address_and_keeps_the_reports(app, client, db_session):
    first, second, bernds = _people()
    # A "Nein" to "Ist der Mangel behoben?" left the reporter's comment in the history's internal note.
    change_status(first, "in_pruefung", public_note="erneut geprüft", internal_note="Ich wohne direkt daneben.",
                  actor="citizen")
    db_session.commit()
    ids = [first.id, second.id]
    sign_in(client, ANNA)
    refused = _post(client, "/meine-meldungen/loeschen")  # the checkbox is never preselected
    assert refused.status_code == 400
    assert "Bitte bestätigen Sie, dass Ihre Kontaktdaten gelöscht werden sollen." in refused.get_data(as_text=True)
    done = _post(client, "/meine-meldungen/loeschen", bestaetigt="1")
    assert done.status_code == 200 and "aus 2 Meldungen gelöscht" in done.get_data(as_text=True)
    db.session.expire_all()
    for report in db.session.scalars(select(Report).where(Report.id.in_(ids))):
        assert (report.reporter_email, report.reporter_name, report.reporter_phone, report.tracking_token) == \
            (None, None, None, None)
        assert report.description and report.photos  # the report itself stays
    assert db.session.scalar(select(func.count()).select_from(ReporterComment)
                             .where(ReporterComment.report_id.in_(ids))) == 0
    assert "Ich wohne direkt daneben." not in db.session.scalars(select(StatusChange.internal_note)).all()
    assert db.session.scalar(select(func.count()).select_from(Follower).where(Follower.email == ANNA)) == 0
    assert db.session.scalar(select(func.count()).select_from(AlertSubscription)
                             .where(AlertSubscription.email == ANNA)) == 0
    db.session.refresh(bernds)  # another address's report is untouched
    assert bernds.reporter_email == BERND and bernds.reporter_name == "Bernd B."
    assert db.session.scalar(select(func.count()).select_from(ReporterComment)
                             .where(ReporterComment.report_id == bernds.id)) == 1
    audited = db.session.scalars(select(AuditEntry.report_id).where(AuditEntry.action == "citizen_erasure")).all()
    assert sorted(audited) == sorted(ids)
    assert not any(ANNA in text for text in _audit_texts())
    assert "Anmeldelink senden" in client.get("/meine-meldungen").get_data(as_text=True)  # signed out


def test_unsubscribe_from_everything(app, client, db_session):
    first, second, bernds = _people()
    db_session.commit()
    sign_in(client, ANNA)
    assert _post(client, "/meine-meldungen/einstellungen", was="alles_abbestellen").status_code == 303
    assert set(db.session.scalars(select(MailUnsubscribe.report_id))) == {first.id, second.id}
    assert db.session.scalar(select(func.count()).select_from(Follower).where(Follower.email == ANNA)) == 0
    assert db.session.scalar(select(func.count()).select_from(AlertSubscription).where(
        AlertSubscription.email == ANNA, AlertSubscription.unsubscribed_at.is_(None))) == 0
    db.session.refresh(first)
    assert first.reporter_email == ANNA  # unsubscribing erases nothing from the reports
    assert db.session.execute(select(AuditEntry.changes).where(AuditEntry.action == "citizen_unsubscribe_all")
                              ).scalar_one() == {"reports": 2, "follows": 1, "alerts": 1}
    assert not any(ANNA in text for text in _audit_texts())
