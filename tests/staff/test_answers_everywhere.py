"""Answers to a category's extra questions (issue 19 point 8): on the staff page, in the
department's mails (new report, forwarded, assigned) and daily digest, in the CSV and GeoJSON
exports and in Open311's ``attributes`` (public kinds of answer only). The queue's text
search is in tests/staff/test_text_search.py."""
from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from xml.etree import ElementTree

from sqlalchemy import select

from app.db import db, utcnow
from app.jurisdictions.models import Department
from app.open311.models import ServiceAttribute
from app.outbox.models import OutboxMessage
from app.outbox.operations import record_message
from app.reports.department_mail import department_digest
from app.reports.notifications import new_report
from app.staff import assignments
from app.staff import operations as staff_ops
from app.staff.notifications import staff_assigned, staff_reassigned
from tests.factories import category, make_report
from tests.services import body_text
from tests.staff.helpers import login, make_staff

QUESTION, CHOICE, TYPED = "Was ist mit der Laterne?", "Brennt nicht", "Mast 12-034 am Spielplatz"


def _answered_report(**extra):
    lamp = category("strassenlaterne")
    db.session.add_all([
        ServiceAttribute(category_id=lamp.id, code="zustand", datatype="singlevaluelist", required=True,
                         description=QUESTION, description_en="What is wrong with the light?", order=1,
                         values=[{"key": "aus", "name": CHOICE, "name_en": "Out"},
                                 {"key": "flackert", "name": "Flackert"}]),
        ServiceAttribute(category_id=lamp.id, code="hinweis", datatype="text", description="Was sollen wir wissen?",
                         order=2)])
    db.session.flush()
    return make_report(category_code="strassenlaterne", description="Laterne aus",
                       answers={"zustand": ["aus"], "hinweis": [TYPED]}, **extra)


def _outbox(kind: str, report_id: int) -> OutboxMessage:
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id.desc())
                             .where(OutboxMessage.payload["report_id"].as_integer() == report_id))


def _both_parts(mail) -> str:
    html = mail.get_body(preferencelist=("html",)).get_content()
    return body_text(mail) + "\n" + html


def test_department_mails_carry_the_answers(db_session):
    report = _answered_report()
    mail = _both_parts(new_report(_outbox("new_report", report.id)))
    assert f"{QUESTION}: {CHOICE}" in mail and TYPED in mail
    assert f"- {QUESTION}: {CHOICE}\n" in body_text(new_report(_outbox("new_report", report.id)))  # a list in text

    dispatcher = make_staff("dispatcher")
    target = db.session.scalar(select(Department).where(Department.jurisdiction_id == report.jurisdiction_id,
                                                        Department.id != report.department_id).limit(1))
    staff_ops.reassign(dispatcher, report, target.id, "Zuständigkeit geklärt")
    forwarded = _both_parts(staff_reassigned(_outbox("staff_reassigned", report.id)))
    assert f"{QUESTION}: {CHOICE}" in forwarded and TYPED in forwarded

    crew = make_staff("staff", target.code, email="crew@harsewinkel.de")
    assignments.assign(dispatcher, report, f"person:{crew.id}")
    assigned = _both_parts(staff_assigned(_outbox("staff_assigned", report.id)))
    assert f"{QUESTION}: {CHOICE}" in assigned and TYPED in assigned


def test_the_daily_digest_carries_the_answers(db_session):
    report = _answered_report()
    report.department.email = report.department.email or "abteilung@harsewinkel.de"
    now = utcnow()
    message = record_message("department_digest", f"test-digest:{report.id}",
                             {"department_id": report.department_id, "since": (now - timedelta(days=1)).isoformat(),
                              "until": (now + timedelta(minutes=1)).isoformat()})
    digest = _both_parts(department_digest(message))
    assert report.reference in digest
    assert f"{QUESTION}: {CHOICE}" in digest and TYPED in digest


def test_exports_carry_the_answers(client):
    report = _answered_report()
    login(client, make_staff("dispatcher").username)
    rows = list(csv.DictReader(io.StringIO(client.get("/intern/eingang.csv").get_data(as_text=True))))
    [row] = [r for r in rows if r["reference"] == report.reference]
    assert row["answers"] == f"{QUESTION}: {CHOICE}; Was sollen wir wissen?: {TYPED}"
    features = json.loads(client.get("/intern/eingang.geojson").get_data(as_text=True))["features"]
    [feature] = [f for f in features if f["properties"]["reference"] == report.reference]
    assert feature["properties"]["answers"] == [
        {"code": "zustand", "question": QUESTION, "answer": CHOICE, "value": "aus"},
        {"code": "hinweis", "question": "Was sollen wir wissen?", "answer": TYPED, "value": TYPED}]


def test_open311_requests_carry_the_public_answers_as_attributes(client):
    report = _answered_report()
    report.status = "in_bearbeitung"  # public
    db.session.flush()
    [item] = client.get(f"/open311/v2/requests/{report.reference}.json").get_json()
    assert item["attributes"] == [{"code": "zustand", "description": QUESTION, "datatype": "singlevaluelist",
                                   "value": "aus", "name": CHOICE}]
    assert TYPED not in json.dumps(item)  # typed text stays with staff
    [english] = client.get(f"/open311/v2/requests/{report.reference}.json", query_string={"lang": "en"}).get_json()
    assert english["attributes"][0]["name"] == "Out"
    listed = client.get("/open311/v2/requests.json",
                        query_string={"service_code": "strassenlaterne", "lang": "de"}).get_json()
    assert [i["attributes"] for i in listed if i["service_request_id"] == report.reference] == [item["attributes"]]
    xml = ElementTree.fromstring(client.get(f"/open311/v2/requests/{report.reference}.xml").get_data())
    assert xml.find("request/attributes/attribute/name").text == CHOICE
    assert xml.find("request/attributes/attribute/value").text == "aus"
    plain = make_report()
    plain.status = "in_bearbeitung"
    db.session.flush()
    assert client.get(f"/open311/v2/requests/{plain.reference}.json").get_json()[0]["attributes"] == []
