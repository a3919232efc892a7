"""Submitting through the HTML form and the JSON API: idempotent retries, field
errors in the citizen's language, outside-town refusal, CSRF, the rate limit, and
no 5xx for any input."""
from __future__ import annotations

import io
import re
import threading

import pytest
import requests
from sqlalchemy import select

from app.db import db
from app.outbox.models import OutboxMessage
from app.reports.models import Report
from tests.conftest import csrf_token, run_worker
from tests.factories import GREFFEN, HARSEWINKEL, TWENTY_KM_AWAY, department, town
from tests.intake.conftest import form_data, jpeg_with_gps, report_count

API = "/api/v1/intake/reports"


def _api_fields(**overrides) -> dict:
    fields = {"category": "schlagloch", "description": "Tiefes Schlagloch vor Hausnummer 4",
              "lat": str(HARSEWINKEL[1]), "lon": str(HARSEWINKEL[0])}
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


# ------------------------------------------------------------------ idempotency


def test_form_resubmission_with_the_same_key_makes_one_report_and_the_same_confirmation(client, db_session):
    token = csrf_token(client)
    data = form_data(token, idempotency_key="form-retry-key-0001")
    first = client.post("/melden", data=dict(data, photos=(io.BytesIO(jpeg_with_gps()), "a.jpg")),
                        content_type="multipart/form-data")
    # The connection dropped before the answer arrived; the browser sends the form again.
    second = client.post("/melden", data=dict(data, photos=(io.BytesIO(jpeg_with_gps()), "a.jpg")),
                         content_type="multipart/form-data")
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    reports = db_session.scalars(select(Report).where(Report.idempotency_key == "form-retry-key-0001")).all()
    assert len(reports) == 1 and len(reports[0].photos) == 1
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert reports[0].reference in page


def test_api_retry_answers_with_the_same_report(client, db_session):
    headers = {"Idempotency-Key": "api-retry-key-0001"}
    first = client.post(API, headers=headers, data=_api_fields(), content_type="multipart/form-data")
    again = client.post(API, headers=headers, data=_api_fields(), content_type="multipart/form-data")
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.get_json() == again.get_json()
    body = first.get_json()
    assert re.fullmatch(r"HW-\d{4}-\d{6}", body["reference"])
    assert body["confirmation_url"].startswith("/meldung/eingegangen/")
    assert "/verfolgen/" in body["tracking_url"]
    assert report_count() == 1
    # Only one confirmation and one department notice are queued.
    assert db_session.scalar(select(db.func.count()).select_from(OutboxMessage)) == 1


def test_concurrent_retries_with_one_key_make_exactly_one_report(live_server):
    """Four copies of one submission arrive at the same moment (a flaky connection
    retried in parallel): the unique key decides, every answer names the same report."""
    url = live_server.url + API
    barrier = threading.Barrier(4)
    answers: list[requests.Response] = []

    def send():
        barrier.wait()
        answers.append(requests.post(url, headers={"Idempotency-Key": "parallel-key-0001"}, data=_api_fields(),
                                     files={"photos": ("a.jpg", jpeg_with_gps(), "image/jpeg")}, timeout=30))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201], [a.text for a in answers]
    assert len({a.json()["reference"] for a in answers}) == 1
    db.session.remove()
    reports = db.session.scalars(select(Report)).all()
    assert len(reports) == 1 and len(reports[0].photos) == 1


def test_api_needs_a_well_formed_idempotency_key(client, db_session):
    missing = client.post(API, data=_api_fields(), content_type="multipart/form-data")
    assert missing.status_code == 400
    assert missing.get_json()["errors"][0]["field"] == "Idempotency-Key"
    bad = client.post(API, headers={"Idempotency-Key": "<script>"}, data=_api_fields(),
                      content_type="multipart/form-data")
    assert bad.status_code == 400
    as_json = client.post(API, headers={"Idempotency-Key": "json-body-0001"}, json=_api_fields())
    assert as_json.status_code == 415 and "multipart/form-data" in as_json.get_json()["errors"][0]["message"]
    assert report_count() == 0


# ------------------------------------------------------------------ field errors


def test_empty_form_names_every_missing_field_tied_to_its_control(client, db_session):
    response = client.post("/melden", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Bitte wählen Sie eine Kategorie." in page
    assert "Bitte beschreiben Sie den Mangel in wenigen Worten." in page
    assert "Bitte geben Sie den Ort an" in page
    # Each message is tied to its field and the summary links to the field.
    assert re.search(r'<textarea id="description"[^>]*aria-describedby="description-hint description-error"', page)
    assert re.search(r'id="lat"[^>]*aria-describedby="location-hint coordinates-hint location-error" aria-invalid="true"', page)
    assert 'href="#category-' in page and 'href="#lat"' in page and 'href="#description"' in page
    assert 'id="error-summary"' in page
    assert report_count() == 0


def test_errors_in_english_on_request(client, db_session):
    response = client.post("/melden?lang=en", data={"csrf_token": csrf_token(client)})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please choose a category." in page and "Please describe the problem in a few words." in page
    api = client.post(API + "?lang=en", headers={"Idempotency-Key": "english-errors-0001"},
                      data={"category": "schlagloch"}, content_type="multipart/form-data")
    fields = {e["field"]: e["message"] for e in api.get_json()["errors"]}
    assert set(fields) == {"description", "location"}
    assert fields["location"].startswith("Please give the location")


def test_description_length_limit(client, db_session):
    response = client.post("/melden", data=form_data(csrf_token(client), description="x" * 5001))
    assert response.status_code == 400
    assert "Die Beschreibung ist zu lang (höchstens 5000 Zeichen)." in response.get_data(as_text=True)


def test_pin_outside_the_town_is_refused_by_form_and_api(client, db_session):
    lon, lat = TWENTY_KM_AWAY
    response = client.post("/melden", data=form_data(csrf_token(client), lat=str(lat), lon=str(lon)))
    assert response.status_code == 400
    assert f"Dieser Ort liegt außerhalb des Stadtgebiets ({town().name})." in response.get_data(as_text=True)
    api = client.post(API + "?lang=en", headers={"Idempotency-Key": "outside-0001"},
                      data=_api_fields(lat=str(lat), lon=str(lon)), content_type="multipart/form-data")
    [error] = api.get_json()["errors"]
    assert api.status_code == 400 and error["code"] == "outside_jurisdiction" and error["field"] == "location"
    assert f"outside the town's area ({town().name})" in error["message"]
    assert report_count() == 0


def test_live_location_check(client, db_session):
    inside = client.get(f"/api/v1/intake/location?lat={GREFFEN[1]}&lon={GREFFEN[0]}&category=schlagloch")
    assert inside.get_json() == {"inside": True, "message": None, "department": department("tiefbau").name}
    lon, lat = TWENTY_KM_AWAY
    outside = client.get(f"/api/v1/intake/location?lat={lat}&lon={lon}").get_json()
    assert outside["inside"] is False and "außerhalb des Stadtgebiets" in outside["message"]
    assert client.get("/api/v1/intake/location?lat=abc&lon=8").status_code == 400


def test_form_without_csrf_token_is_refused(client, db_session):
    data = form_data("")
    del data["csrf_token"]
    response = client.post("/melden", data=data)
    assert response.status_code == 400
    assert "Das Formular ist abgelaufen oder unvollständig." in response.get_data(as_text=True)
    assert report_count() == 0


def test_submissions_are_rate_limited_per_client(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "INTAKE_RATE_LIMIT", "3/minute")
    token = csrf_token(client)
    statuses = [client.post("/melden", data=form_data(token, idempotency_key=f"rate-limit-{i:04d}")).status_code
                for i in range(3)]
    assert statuses == [303, 303, 303]
    # Form and API share one budget.
    refused = client.post(API, headers={"Idempotency-Key": "rate-limit-api-1"}, data=_api_fields(),
                          content_type="multipart/form-data")
    assert refused.status_code == 429
    assert "Zu viele Anfragen" in refused.get_json()["errors"][0]["message"]
    page = client.post("/melden", data=form_data(token, idempotency_key="rate-limit-9999"))
    assert page.status_code == 429 and "Zu viele Anfragen" in page.get_data(as_text=True)
    assert report_count() == 3


GARBAGE = [
    {"lat": "nan", "lon": "inf"},
    {"lat": "1e400", "lon": "-1e400"},
    {"lat": "51,962", "lon": "8,229", "description": "NUL\x00 im\x00 Text \x07"},
    {"category": "\x00" * 5},
    {"category": "schlagloch' OR 1=1 --"},
    {"category": "ü" * 5000},
    {"email": "a@b"},
    {"email": "x" * 400 + "@example.org"},
    {"address": "Hauptstraße\x00 1"},
    {"address": "A" * 10_000, "lat": "", "lon": ""},
    {"name": "N" * 1000},
    {"idempotency_key": "\x00\x01" * 80},
    {"description": "😀" * 6000},
    {"lat": "", "lon": "", "address": ""},
]


@pytest.mark.parametrize("fields", GARBAGE, ids=[str(i) for i in range(len(GARBAGE))])
def test_no_input_produces_a_server_error(client, db_session, fields):
    response = client.post("/melden", data=form_data(csrf_token(client), **fields))
    assert response.status_code in (303, 400), response.get_data(as_text=True)[:500]
    api = client.post(API, headers={"Idempotency-Key": f"garbage-{len(str(fields))}-x"},
                      data=_api_fields(**{k: v for k, v in fields.items() if k != "idempotency_key"}),
                      content_type="multipart/form-data")
    assert api.status_code in (200, 201, 400), api.get_data(as_text=True)[:500]


def test_text_is_stored_without_control_characters_and_never_as_markup(client, db_session):
    response = client.post("/melden", data=form_data(csrf_token(client), description="<b>fett</b>\x00 und <script>x</script>"))
    assert response.status_code == 303
    track = client.get(response.headers["Location"].replace("/meldung/eingegangen/", "/verfolgen/"))
    page = track.get_data(as_text=True)
    assert "&lt;b&gt;fett&lt;/b&gt; und &lt;script&gt;x&lt;/script&gt;" in page
    assert "<script>x" not in page


# ------------------------------------------------------------------ after sending


def test_without_email_only_the_department_is_told(committing, smtp_server):
    client = committing.test_client()
    response = client.post("/melden", data=form_data(csrf_token(client), category="schlagloch"))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    reference = re.search(r"HW-\d{4}-\d{6}", page).group(0)
    assert "/verfolgen/" in page and "Bestätigungs" not in page
    run_worker(committing)
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "tiefbau@harsewinkel.example" and reference in mail["Subject"]
    assert smtp_server.wait_for(2, timeout=0.5)[1:] == []


def test_with_email_a_double_opt_in_mail_goes_out_through_the_queue(committing, smtp_server):
    client = committing.test_client()
    response = client.post("/melden", data=form_data(csrf_token(client), email="melderin@example.org"))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bitte bestätigen Sie darin Ihre Adresse" in page
    run_worker(committing)
    smtp_server.wait_for(2)
    [mail] = smtp_server.to("melderin@example.org")
    assert "bestätigen" in mail["Subject"]
    report = db.session.scalar(select(Report))
    assert report.reporter_email_confirmed is False


# ------------------------------------------------------------------ location by address (no JavaScript)


def test_address_without_coordinates_is_found_in_the_town(client, db_session, demo_addresses):
    from geoalchemy2.shape import to_shape

    response = client.post("/melden", data=form_data(csrf_token(client), lat="", lon="", address="Kirchplatz 3"))
    assert response.status_code == 303, response.get_data(as_text=True)
    token = response.headers["Location"].rsplit("/", 1)[1]
    report = db_session.scalar(select(Report).where(Report.tracking_token == token))
    point = to_shape(report.location)
    assert (round(point.y, 6), round(point.x, 6)) == (51.962319, 8.229466)  # Kirchplatz 3 in the address list
    assert report.address.startswith("Kirchplatz 3")


def test_unknown_address_is_refused_naming_the_address_field(client, db_session, demo_addresses):
    response = client.post("/melden", data=form_data(csrf_token(client), lat="", lon="",
                                                     address="Qwertzuiopweg 99"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Die Adresse „Qwertzuiopweg 99“ haben wir in" in page
    assert re.search(r'id="address"[^>]*aria-describedby="location-hint address-error" aria-invalid="true"', page)
    assert report_count() == 0
