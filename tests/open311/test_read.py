"""GET endpoints of Open311 in both formats: discovery, services, definitions,
requests, single request, tokens, and the spec's error answers."""
from __future__ import annotations

from datetime import timedelta

from app.db import db, utcnow
from app.reports.operations import change_status
from tests.factories import GREFFEN, HARSEWINKEL, MARIENFELD, jpeg_bytes, make_report
from tests.open311.conftest import both_formats


def _error(response_json, status):
    assert isinstance(response_json, list) and response_json
    assert all(set(e) == {"code", "description"} and e["code"] == status and e["description"] for e in response_json)


def test_discovery_in_both_formats_at_root_and_under_v2(client):
    for path in ("/open311/discovery", "/open311/v2/discovery"):
        response, root = both_formats(client, path)
        body = response.get_json()
        assert body["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert body["endpoints"][0]["url"] == "http://maengelmelder.test/open311/v2"
        assert body["endpoints"][0]["formats"] == ["text/xml", "application/json"]
        assert root.tag == "discovery" and root.find("endpoints/endpoint/formats/format").text == "text/xml"
        assert body["changeset"].endswith("+01:00")


def test_services_list_every_active_category(client, lamp_attributes):
    response, root = both_formats(client, "/open311/v2/services")
    services = {s["service_code"]: s for s in response.get_json()}
    assert "schlagloch" in services and "strassenlaterne" in services
    assert services["strassenlaterne"]["metadata"] is True
    assert services["schlagloch"]["metadata"] is False
    assert services["schlagloch"]["service_name"] == "Schlagloch / Straßenschaden"
    assert services["schlagloch"]["type"] == "realtime" and services["schlagloch"]["group"] == "Straßen und Wege"
    assert root.tag == "services" and root[0].tag == "service"
    english = client.get("/open311/v2/services.json?lang=en").get_json()
    assert {s["service_code"]: s["service_name"] for s in english}["schlagloch"] == "Pothole / road damage"


def test_service_definition_lists_attributes(client, lamp_attributes):
    response, root = both_formats(client, "/open311/v2/services/strassenlaterne")
    body = response.get_json()
    assert body["service_code"] == "strassenlaterne"
    pole, fault = body["attributes"]
    assert pole == {"variable": True, "code": "mastnummer", "datatype": "string", "required": True,
                    "datatype_description": "", "order": 1, "description": "Mastnummer", "values": []}
    assert fault["datatype"] == "singlevaluelist"
    assert fault["values"] == [{"key": "aus", "name": "Brennt nicht"}, {"key": "flackert", "name": "Flackert"}]
    assert root.tag == "service_definition"
    assert [v.find("key").text for v in root.iter("value")] == ["aus", "flackert"]
    english = client.get("/open311/v2/services/strassenlaterne.json?lang=en").get_json()
    assert english["attributes"][0]["description"] == "Pole number"


def test_service_definition_without_attributes_is_empty(client):
    response, _ = both_formats(client, "/open311/v2/services/schlagloch")
    assert response.get_json() == {"service_code": "schlagloch", "attributes": []}


def test_unknown_service_code_and_jurisdiction_are_404_in_both_formats(client):
    for path in ("/open311/v2/services/gibtesnicht", "/open311/v2/services", "/open311/v2/requests",
                 "/open311/v2/requests/HW-2026-000001", "/open311/v2/tokens/abc"):
        query = {"jurisdiction_id": "nirgendwo.de"} if not path.endswith(("gibtesnicht", "000001", "abc")) else {}
        response, root = both_formats(client, path, query_string=query)
        assert response.status_code == 404, path
        _error(response.get_json(), 404)
        assert root.tag == "errors" and root[0].tag == "error" and root[0].find("code").text == "404"


def test_unknown_paths_and_methods_answer_in_the_spec_format(client):
    response = client.get("/open311/v2/unbekannt.xml")
    assert response.status_code == 404 and response.data.startswith(b"<?xml")
    response = client.delete("/open311/v2/services.json")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    _error(response.get_json(), 405)
    assert client.get("/open311/v2/services.html").status_code == 404


def _published_report(**extra):
    report = make_report(**extra)
    report.description_published = True
    for photo in report.photos:
        photo.published = True
    db.session.flush()
    return report


def test_get_requests_lists_public_fields_only(client):
    report = _published_report(point=MARIENFELD, category_code="spielplatz", description="Schaukel kaputt",
                               email="geheim@example.org", name="Erika Mustermann", photos=[jpeg_bytes()])
    change_status(report, "in_bearbeitung", public_note="Wird repariert.", actor="staff:test")
    db.session.flush()
    response, root = both_formats(client, "/open311/v2/requests")
    [item] = [r for r in response.get_json() if r["service_request_id"] == report.reference]
    assert item["status"] == "open"
    assert item["status_notes"] == "Wird repariert."
    assert item["service_code"] == "spielplatz" and item["service_name"] == "Spielplatz"
    assert item["agency_responsible"] == "Bauhof Marienfeld"
    assert item["description"] == "Schaukel kaputt"
    assert item["media_url"].startswith("http://maengelmelder.test/fotos/")
    assert abs(item["lat"] - MARIENFELD[1]) < 1e-6 and abs(item["long"] - MARIENFELD[0]) < 1e-6
    assert item["requested_datetime"][-6:] in ("+01:00", "+02:00")
    assert "extended_attributes" not in item
    raw = response.get_data(as_text=True) + root.__repr__()
    assert "geheim@example.org" not in response.get_data(as_text=True)
    assert "Mustermann" not in response.get_data(as_text=True)
    assert root.tag == "service_requests" and root[0].tag == "request"
    assert raw


def test_unpublished_text_and_photos_are_left_out_but_the_request_is_there(client):
    report = make_report(description="Noch nicht freigegeben", photos=[jpeg_bytes()])
    response, _ = both_formats(client, f"/open311/v2/requests/{report.reference}")
    [item] = response.get_json()
    assert item["service_request_id"] == report.reference
    assert item["description"] is None and item["media_url"] is None
    assert "Noch nicht freigegeben" not in response.get_data(as_text=True)


def test_hidden_and_unconfirmed_reports_are_not_served(client):
    hidden = make_report()
    hidden.hidden = True
    unconfirmed = make_report()
    unconfirmed.status = "unbestaetigt"
    db.session.flush()
    for report in (hidden, unconfirmed):
        assert client.get(f"/open311/v2/requests/{report.reference}.json").status_code == 404
    listed = {r["service_request_id"] for r in client.get("/open311/v2/requests.json").get_json()}
    assert hidden.reference not in listed and unconfirmed.reference not in listed


def test_extensions_add_detailed_status_history_and_all_photos(client):
    report = _published_report(photos=[jpeg_bytes(), jpeg_bytes(colour=(0, 0, 200))])
    change_status(report, "nicht_zustaendig", public_note="Das ist Sache des Kreises.", detail="Kreis Gütersloh",
                  actor="staff:test")
    db.session.flush()
    response, root = both_formats(client, f"/open311/v2/requests/{report.reference}",
                                  query_string={"extensions": "true"})
    [item] = response.get_json()
    extended = item["extended_attributes"]
    assert item["status"] == "closed"
    assert extended["detailed_status"] == "NOT_COUNCILS_RESPONSIBILITY"
    assert [h["detailed_status"] for h in extended["status_history"]] == ["OPEN", "NOT_COUNCILS_RESPONSIBILITY"]
    assert extended["status_history"][1]["description"] == "Das ist Sache des Kreises."
    assert len(extended["media_urls"]) == 2 and extended["media_urls"][0] == item["media_url"]
    assert [e.tag for e in root.find("request/extended_attributes/status_history")] == ["update", "update"]
    # The internal detail ("Kreis Gütersloh") is not published through Open311.
    assert "Kreis Gütersloh" not in response.get_data(as_text=True)


def test_filters_service_code_status_ids_bbox(client):
    pothole = make_report(point=HARSEWINKEL, category_code="schlagloch")
    graffiti = make_report(point=GREFFEN, category_code="graffiti")
    fixed = make_report(point=MARIENFELD, category_code="schlagloch")
    change_status(fixed, "erledigt", actor="staff:test")
    db.session.flush()

    def ids(**query):
        response = client.get("/open311/v2/requests.json", query_string=query)
        assert response.status_code == 200, response.data
        return {r["service_request_id"] for r in response.get_json()}

    assert ids(service_code="schlagloch") >= {pothole.reference, fixed.reference}
    assert graffiti.reference not in ids(service_code="schlagloch")
    assert ids(service_code="schlagloch,graffiti") >= {pothole.reference, graffiti.reference}
    assert fixed.reference not in ids(status="open") and pothole.reference in ids(status="open")
    assert ids(status="closed") >= {fixed.reference} and pothole.reference not in ids(status="closed")
    assert fixed.reference in ids(status="FIXED") and pothole.reference not in ids(status="fixed")
    assert ids(service_request_id=f"{pothole.reference},{graffiti.reference}") == {pothole.reference,
                                                                                    graffiti.reference}
    # service_request_id overrides the other filters.
    assert ids(service_request_id=pothole.reference, status="closed") == {pothole.reference}
    around_greffen = ids(bbox=f"{GREFFEN[0] - 0.01},{GREFFEN[1] - 0.01},{GREFFEN[0] + 0.01},{GREFFEN[1] + 0.01}")
    assert graffiti.reference in around_greffen and pothole.reference not in around_greffen


def test_date_window_defaults_and_limits(client):
    old = make_report()
    old.created_at = utcnow() - timedelta(days=120)
    recent = make_report()
    db.session.flush()

    def ids(**query):
        response = client.get("/open311/v2/requests.json", query_string=query)
        assert response.status_code == 200, response.data
        return {r["service_request_id"] for r in response.get_json()}

    assert recent.reference in ids() and old.reference not in ids()  # the last 90 days by default
    start = (utcnow() - timedelta(days=130)).isoformat()
    end = (utcnow() - timedelta(days=100)).isoformat()
    assert ids(start_date=start, end_date=end) == {old.reference}
    assert old.reference in ids(start_date=start)
    # updated_after looks at changes, not at the 90-day window of requested_datetime.
    old.updated_at = utcnow()
    db.session.flush()
    assert old.reference in ids(updated_after=(utcnow() - timedelta(hours=1)).isoformat())
    assert old.reference not in ids(updated_before=(utcnow() - timedelta(days=1)).isoformat())


def test_paging(client):
    made = [make_report().reference for _ in range(3)]
    first = client.get("/open311/v2/requests.json?page_size=2&page=1").get_json()
    second = client.get("/open311/v2/requests.json?page_size=2&page=2").get_json()
    assert len(first) == 2
    seen = [r["service_request_id"] for r in first + second]
    assert len(seen) == len(set(seen)) and set(made) <= set(seen)
    assert [r["service_request_id"] for r in first] == made[::-1][:2]  # newest first


def test_bad_query_parameters_are_400_naming_the_problem(client):
    cases = {
        "start_date=gestern": "start_date",
        "end_date=2026-13-45": "end_date",
        "start_date=2026-01-01T00:00:00%2B01:00&end_date=2026-06-01T00:00:00%2B01:00": "90",
        "start_date=2026-06-01&end_date=2026-01-01": "start_date",
        "status=kaputt": "status",
        "bbox=1,2,3": "bbox",
        "bbox=8.3,51.9,8.2,52.0": "bbox",
        "page=0": "page",
        "page_size=5000": "page_size",
        "page=%C2%B2": "page",
        "updated_after=morgen": "updated_after",
    }
    for query, word in cases.items():
        for fmt in ("json", "xml"):
            response = client.get(f"/open311/v2/requests.{fmt}?{query}")
            assert response.status_code == 400, (query, response.data)
        body = client.get(f"/open311/v2/requests.json?{query}").get_json()
        _error(body, 400)
        assert word in body[0]["description"], (query, body)
    english = client.get("/open311/v2/requests.json?status=kaputt&lang=en").get_json()
    assert "Unknown status" in english[0]["description"]


def test_servicerequestupdates_get_lists_public_status_changes(client):
    report = make_report()
    change = change_status(report, "in_bearbeitung", public_note="Wir sind dran.", internal_note="intern",
                           actor="staff:test")
    db.session.flush()
    response, root = both_formats(client, "/open311/v2/servicerequestupdates")
    updates = [u for u in response.get_json() if u["service_request_id"] == report.reference]
    assert updates[-1] == {"update_id": str(change.id), "service_request_id": report.reference,
                           "status": "IN_PROGRESS", "updated_datetime": updates[-1]["updated_datetime"],
                           "description": "Wir sind dran.", "media_url": None}
    assert "intern" not in response.get_data(as_text=True).replace("international", "")
    assert root.tag == "service_request_updates" and root[0].tag == "request_update"
    future = (utcnow() + timedelta(days=1)).isoformat()
    assert client.get("/open311/v2/servicerequestupdates.json", query_string={"start_date": future}).get_json() == []
    bad = client.get("/open311/v2/servicerequestupdates.xml?start_date=nie")
    assert bad.status_code == 400 and b"<errors>" in bad.data
