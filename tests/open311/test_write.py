"""POST requests and POST servicerequestupdates: success in both formats, every
spec error (400/403/404), attributes, photos, idempotent updates."""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from sqlalchemy import func, select

from app.db import db
from app.open311.keys import create_client, revoke_client
from app.open311.models import ApiClient, Open311Submission, ReportAttributeValue
from app.outbox.models import OutboxMessage
from app.reports.models import Photo, Report, StatusChange
from tests.factories import GREFFEN, HARSEWINKEL, TWENTY_KM_AWAY, jpeg_bytes, make_report, town


def _form(api_key, **extra):
    data = {"api_key": api_key, "service_code": "schlagloch", "lat": str(HARSEWINKEL[1]),
            "long": str(HARSEWINKEL[0]), "description": "Tiefes Loch vor der Schule"}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def _reports() -> int:
    return db.session.scalar(select(func.count()).select_from(Report))


def _errors(response, status):
    assert response.status_code == status, response.data
    if response.mimetype == "text/xml":
        root = ET.fromstring(response.data)
        assert root.tag == "errors"
        return [(int(e.find("code").text), e.find("description").text) for e in root]
    body = response.get_json()
    assert all(set(e) == {"code", "description"} for e in body)
    return [(e["code"], e["description"]) for e in body]


def test_post_request_json_creates_a_routed_report(client, api_key):
    response = client.post("/open311/v2/requests.json", data=_form(
        api_key, email="Anna@Example.org", first_name="Anna", last_name="Beispiel", phone="+49 5247 123",
        device_id="phone-1", account_id="acc-7"))
    assert response.status_code == 200, response.data
    [posted] = response.get_json()
    assert posted["service_request_id"].startswith("HW-") and posted["token"]
    assert posted["account_id"] == "acc-7" and posted["service_notice"] is None
    report = db.session.scalar(select(Report).where(Report.reference == posted["service_request_id"]))
    assert report.department.code == "tiefbau"
    assert report.reporter_email == "anna@example.org" and report.reporter_name == "Anna Beispiel"
    assert report.reporter_phone == "+49 5247 123" and not report.reporter_email_confirmed
    submission = db.session.get(Open311Submission, report.id)
    assert submission.token == posted["token"] and submission.device_id == "phone-1"
    # The same double opt-in mail as the web form is queued for the given address.
    kinds = set(db.session.scalars(select(OutboxMessage.kind)))
    assert {"confirm_email", "new_report"} <= kinds
    # Fetchable at once, also before staff review (the text is not yet published).
    [item] = client.get(f"/open311/v2/requests/{report.reference}.json").get_json()
    assert item["agency_responsible"] == "Tiefbau und Straßen" and item["description"] is None
    tokens = client.get(f"/open311/v2/tokens/{posted['token']}.json").get_json()
    assert tokens == [{"service_request_id": report.reference, "token": posted["token"]}]
    root = ET.fromstring(client.get(f"/open311/v2/tokens/{posted['token']}.xml").data)
    assert root.find("request/service_request_id").text == report.reference


def test_post_request_xml_answers_in_xml(client, api_key):
    response = client.post("/open311/v2/requests.xml", data=_form(api_key, media_url="https://example.org/a.jpg"))
    assert response.status_code == 200 and response.mimetype == "text/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "service_requests" and root.find("request/service_request_id").text.startswith("HW-")
    assert "media" in root.find("request/service_notice").text  # media_url is not fetched; says so


def test_post_request_with_multipart_photo_goes_through_the_media_pipeline(client, api_key):
    from PIL import Image

    with_exif = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "Kamera GmbH"  # Make
    Image.new("RGB", (800, 600), (10, 120, 30)).save(with_exif, "JPEG", exif=exif.tobytes())
    response = client.post("/open311/v2/requests.json", data={
        **_form(api_key, service_code="gully"),  # gully publishes at once
        "media": (io.BytesIO(with_exif.getvalue()), "foto.jpg"),
    }, content_type="multipart/form-data")
    assert response.status_code == 200, response.data
    reference = response.get_json()[0]["service_request_id"]
    report = db.session.scalar(select(Report).where(Report.reference == reference))
    [photo] = report.photos
    assert {"thumb", "display"} <= set(photo.variants)
    [item] = client.get(f"/open311/v2/requests/{reference}.json").get_json()
    served = client.get(item["media_url"].replace("http://maengelmelder.test", ""))
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert b"Kamera GmbH" not in served.data and b"Exif" not in served.data


def test_refused_photo_leaves_nothing_behind(client, api_key):
    before = _reports(), db.session.scalar(select(func.count()).select_from(Photo))
    response = client.post("/open311/v2/requests.json", data={
        **_form(api_key), "media": (io.BytesIO(b"kein bild"), "x.jpg")}, content_type="multipart/form-data")
    [(code, description)] = _errors(response, 400)
    assert "Foto 1" in description
    assert (_reports(), db.session.scalar(select(func.count()).select_from(Photo))) == before


def test_api_key_errors_are_403(client, api_key, read_only_key, db_session):
    other = town()
    cases = [
        ({k: v for k, v in _form(api_key).items() if k != "api_key"}, "api_key fehlt"),
        (_form("falsch-" + "x" * 30), "Ungültiger api_key"),
    ]
    revoked_client, revoked_key = create_client(other, "Alt", ["create_request"])
    revoke_client(revoked_client)
    cases.append((_form(revoked_key), "Ungültiger api_key"))
    for data, text in cases:
        for fmt in ("json", "xml"):
            [(code, description)] = _errors(client.post(f"/open311/v2/requests.{fmt}", data=data), 403)
            assert code == 403 and text in description
    # A key without the right to push updates.
    response = client.post("/open311/v2/servicerequestupdates.json", data={
        "api_key": read_only_key, "service_request_id": make_report().reference, "status": "FIXED"})
    [(code, description)] = _errors(response, 403)
    assert "post_update" in description


def test_key_of_another_town_is_403(client, db_session):
    from app.jurisdictions.models import Jurisdiction

    elsewhere = Jurisdiction(slug="anderswo.de", name="Anderswo", reference_prefix="AW")
    db.session.add(elsewhere)
    db.session.flush()
    _client, key = create_client(elsewhere, "Fremd", ["create_request"])
    [(code, description)] = _errors(client.post("/open311/v2/requests.json", data=_form(key)), 403)
    assert "harsewinkel.de" in description


def test_invalid_input_is_400_and_nothing_is_stored(client, api_key):
    before = _reports()
    cases = [
        (_form(api_key, service_code=""), "service_code"),
        (_form(api_key, service_code="gibtesnicht"), "Kategorie"),
        (_form(api_key, lat=None, long=None), "Ort"),
        (_form(api_key, lat="abc"), "lat"),
        (_form(api_key, long="200"), "long"),
        (_form(api_key, long=None), "zusammen"),
        (_form(api_key, lat=str(TWENTY_KM_AWAY[1]), long=str(TWENTY_KM_AWAY[0])), "außerhalb"),
        (_form(api_key, description=""), "beschreiben"),
        (_form(api_key, email="keine-adresse"), "E-Mail"),
        (_form(api_key, phone="1" * 60), "Telefon"),
        (_form(api_key, lat=None, long=None, address_id="99999"), "address_id"),
        (_form(api_key, description="a\x00b"), "beschreiben"),
    ]
    for data, word in cases:
        for fmt in ("json", "xml"):
            errors = _errors(client.post(f"/open311/v2/requests.{fmt}", data=data), 400)
            assert any(word in d for _c, d in errors), (data, errors)
    assert _reports() == before


def test_post_with_unknown_jurisdiction_is_404(client, api_key):
    response = client.post("/open311/v2/requests.xml", data=_form(api_key, jurisdiction_id="nirgendwo.de"))
    [(code, description)] = _errors(response, 404)
    assert "nirgendwo.de" in description


def test_attributes_are_checked_and_stored(client, api_key, lamp_attributes):
    pole, fault = lamp_attributes
    base = _form(api_key, service_code="strassenlaterne")
    errors = _errors(client.post("/open311/v2/requests.json", data=base), 400)
    assert any("attribute[mastnummer]" in d for _c, d in errors)
    errors = _errors(client.post("/open311/v2/requests.json", data={
        **base, "attribute[mastnummer]": "A-17", "attribute[fehler]": "explodiert"}), 400)
    assert any("attribute[fehler]" in d and "aus" in d for _c, d in errors)
    response = client.post("/open311/v2/requests.json", data={
        **base, "attribute[mastnummer]": "A-17", "attribute[fehler]": "flackert"})
    assert response.status_code == 200, response.data
    report = db.session.scalar(select(Report).where(Report.reference == response.get_json()[0]["service_request_id"]))
    answers = {a.attribute.code: a.value for a in db.session.scalars(
        select(ReportAttributeValue).where(ReportAttributeValue.report_id == report.id))}
    assert answers == {"mastnummer": "A-17", "fehler": "flackert"}


def test_post_update_changes_status_with_note_in_both_formats(client, api_key):
    report = make_report()
    response = client.post("/open311/v2/servicerequestupdates.json", data={
        "api_key": api_key, "service_request_id": report.reference, "status": "IN_PROGRESS",
        "description": "Auftrag an Baufirma erteilt.", "update_id": "ext-1"})
    assert response.status_code == 200, response.data
    [posted] = response.get_json()
    change = db.session.get(StatusChange, int(posted["update_id"]))
    assert change.new_status == "in_bearbeitung" and change.public_note == "Auftrag an Baufirma erteilt."
    assert change.actor == "open311:Testclient"
    # A retry with the same update_id changes nothing and returns the same update.
    again = client.post("/open311/v2/servicerequestupdates.json", data={
        "api_key": api_key, "service_request_id": report.reference, "status": "IN_PROGRESS",
        "description": "Auftrag an Baufirma erteilt.", "update_id": "ext-1"})
    assert again.get_json() == [posted]
    assert len([c for c in db.session.get(Report, report.id).history]) == 2
    response = client.post("/open311/v2/servicerequestupdates.xml", data={
        "api_key": api_key, "service_request_id": report.reference, "status": "NOT_COUNCILS_RESPONSIBILITY",
        "description": "Zuständig ist der Kreis.", "external_body": "Kreis Gütersloh"})
    assert response.status_code == 200 and response.mimetype == "text/xml"
    root = ET.fromstring(response.data)
    change = db.session.get(StatusChange, int(root.find("request_update/update_id").text))
    assert change.new_status == "nicht_zustaendig" and change.detail == "Kreis Gütersloh"
    [item] = client.get(f"/open311/v2/requests/{report.reference}.json").get_json()
    assert item["status"] == "closed" and item["status_notes"] == "Zuständig ist der Kreis."


def test_post_update_errors(client, api_key):
    report = make_report()
    original = make_report(point=GREFFEN)
    cases = [
        ({"service_request_id": "HW-1999-999999", "status": "FIXED"}, 404, "HW-1999-999999"),
        ({"service_request_id": "", "status": "FIXED"}, 400, "service_request_id"),
        ({"service_request_id": report.reference, "status": "KAPUTT"}, 400, "KAPUTT"),
        ({"service_request_id": report.reference, "status": "unbestaetigt"}, 400, "unbestaetigt"),
        ({"service_request_id": report.reference, "status": "OPEN"}, 400, "bereits"),
        ({"service_request_id": report.reference, "status": "DUPLICATE"}, 400, "ursprüngliche"),
        ({"service_request_id": report.reference, "status": "NO_FURTHER_ACTION"}, 400, "Grund"),
    ]
    for data, status, word in cases:
        for fmt in ("json", "xml"):
            errors = _errors(client.post(f"/open311/v2/servicerequestupdates.{fmt}",
                                         data={"api_key": api_key, **data}), status)
            assert any(word in d for _c, d in errors), (data, errors)
    ok = client.post("/open311/v2/servicerequestupdates.json", data={
        "api_key": api_key, "service_request_id": report.reference, "status": "DUPLICATE",
        "duplicate_of": original.reference})
    assert ok.status_code == 200
    assert db.session.get(Report, report.id).duplicate_of_id == original.id
    assert db.session.get(Report, report.id).status == "duplikat"


def test_api_key_is_stored_only_as_hash(db_session):
    client, raw = create_client(town(), "Hashcheck", ["create_request"])
    stored = db.session.get(ApiClient, client.id)
    assert raw not in (stored.key_hash, stored.key_prefix) and len(stored.key_hash) == 64
    assert raw.startswith(stored.key_prefix)


def test_address_id_and_address_string_locate_the_request(client, api_key):
    from geo.geocoding import import_addresses, read_address_csv, search_addresses

    rows, srid = read_address_csv("strasse;hausnummer;plz;ortsteil;lat;lon\n"
                                  f"Open311-Weg;7;33428;Harsewinkel;{HARSEWINKEL[1]};{HARSEWINKEL[0]}\n")
    assert import_addresses(db.session, town().id, rows, srid=srid) == 1
    [address] = search_addresses(db.session, town().id, "Open311-Weg 7", limit=1)
    by_id = client.post("/open311/v2/requests.json", data=_form(api_key, lat=None, long=None,
                                                                address_id=str(address.id)))
    by_text = client.post("/open311/v2/requests.xml", data=_form(api_key, lat=None, long=None,
                                                                 address_string="Open311-Weg 7"))
    assert by_id.status_code == 200 and by_text.status_code == 200, (by_id.data, by_text.data)
    reference = by_id.get_json()[0]["service_request_id"]
    [item] = client.get(f"/open311/v2/requests/{reference}.json").get_json()
    assert item["address"] == address.label and abs(item["lat"] - HARSEWINKEL[1]) < 1e-6
    unknown = client.post("/open311/v2/requests.json", data=_form(api_key, lat=None, long=None,
                                                                  address_string="Gibtsnichtweg 99"))
    assert unknown.status_code == 400 and "Gibtsnichtweg" in unknown.get_json()[0]["description"]


def test_a_multipart_part_without_a_name_is_ignored_not_a_500(client, api_key):
    """Found by schemathesis: a form-data part without ``name`` reaches the form as the key None."""
    fields = _form(api_key)
    parts = [b"--XX\r\nContent-Disposition: form-data\r\n\r\nohne Namen\r\n"]
    parts += [f'--XX\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
    before = _reports()
    response = client.post("/open311/v2/requests.json", data=b"".join(parts) + b"--XX--\r\n",
                           content_type="multipart/form-data; boundary=XX")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _reports() == before + 1 and response.get_json()[0]["service_request_id"]
