"""The staff intake page ("Meldung aufnehmen") asks the chosen category's extra questions and
gives the duplicate hint, like the citizen form (issue 19 point 2); a refusal keeps what was typed."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from app.db import db
from app.open311.models import ServiceAttribute
from app.reports.models import Report
from app.reports.questions import report_answers
from tests.conftest import csrf_token
from tests.factories import HARSEWINKEL, category, make_address, make_report
from tests.staff.helpers import login, make_staff

QUESTION = "Wie tief ist das Loch (cm)?"


def _depth_question() -> ServiceAttribute:
    attribute = ServiceAttribute(category_id=category("schlagloch").id, code="tiefe", datatype="number",
                                 required=True, description=QUESTION, order=1)
    db.session.add(attribute)
    db.session.flush()
    return attribute


def _intake(client, token, **fields):
    data = {"csrf_token": token, "channel": "telefon", "category": "schlagloch", "lat": "51,962", "lon": "8,229",
            "description": "Anrufer meldet ein Loch vor der Schule", "name": "Herr Anrufer"}
    data.update(fields)
    return client.post("/intern/aufnehmen", data=data)


def test_intake_page_asks_the_questions_and_keeps_what_was_typed_when_refused(client):
    _depth_question()
    login(client, make_staff("staff", "abfall").username)
    page = client.get("/intern/aufnehmen").get_data(as_text=True)
    assert 'name="answers.schlagloch.tiefe"' in page and QUESTION in page
    assert 'id="duplicates"' in page and "js/staff-intake.js" in page and "js/questions.js" in page
    token = csrf_token(client, "/intern/aufnehmen")

    refused = _intake(client, token)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert f"attribute[tiefe] fehlt: {QUESTION}" in body
    assert "Anrufer meldet ein Loch vor der Schule</textarea>" in body and 'value="Herr Anrufer"' in body
    assert 'id="channel-telefon" name="channel" value="telefon" required checked' in body
    assert '<option value="schlagloch" selected>' in body
    assert db.session.scalar(select(Report.id).where(Report.reporter_name == "Herr Anrufer")) is None

    taken = _intake(client, token, **{"answers.schlagloch.tiefe": "12", "answers.gully.tiefe": "99"})
    assert taken.status_code == 303
    report = db.session.scalar(select(Report).where(Report.reporter_name == "Herr Anrufer"))
    assert report.channel == "telefon"
    assert report_answers(report.id, "de") == [(QUESTION, "12")]


def test_duplicate_hint_lists_open_reports_of_the_category_nearby(client):
    existing = make_report(description="Loch an der Schule")
    unconfirmed = make_report(point=(HARSEWINKEL[0] + 0.0002, HARSEWINKEL[1]), description="Noch ein Loch")
    unconfirmed.status = "unbestaetigt"  # staff see what the public does not yet
    far = make_report(point=(HARSEWINKEL[0] + 0.01, HARSEWINKEL[1]))
    other_kind = make_report(category_code="strassenlaterne")
    closed = make_report(description="Erledigtes Loch")
    closed.status = "erledigt"
    make_address((HARSEWINKEL[0] + 0.0001, HARSEWINKEL[1]), "Schulstraße", "4")
    db.session.flush()
    login(client, make_staff("staff", "abfall").username)

    def hint(**args) -> list[str]:
        response = client.get("/intern/aufnehmen/aehnliche", query_string=args)
        assert response.status_code == 200
        return [r["reference"] for r in response.get_json()["reports"]]

    near = hint(category="schlagloch", lat="51,962", lon="8,229")
    assert near == [existing.reference, unconfirmed.reference]  # nearest first
    assert far.reference not in near and other_kind.reference not in near and closed.reference not in near
    assert hint(category="schlagloch", address="Schulstraße 4") == [existing.reference, unconfirmed.reference]
    [first] = client.get("/intern/aufnehmen/aehnliche", query_string={"category": "schlagloch", "lat": "51.962",
                                                                       "lon": "8.229"}).get_json()["reports"][:1]
    assert first["url"] == f"/intern/meldungen/{existing.id}" and first["distance"] == "0 m entfernt"
    assert hint(category="gibt-es-nicht", lat="51,962", lon="8,229") == []
    assert hint(category="schlagloch", lat="kein", lon="Ort") == []
    assert hint(category="schlagloch") == []


@pytest.mark.browser
def test_intake_in_the_browser_shows_the_chosen_categorys_question_and_the_duplicate_hint(
        app, live_server, staff_committing, chromium):
    from tests.staff.test_clerk_browser import _checked, _signed_in_page

    existing = make_report(description="Loch an der Schule")  # before the question is required
    attribute = _depth_question()
    lamp_question = ServiceAttribute(category_id=category("strassenlaterne").id, code="mast", datatype="string",
                                     description="Mastnummer", order=1)
    db.session.add(lamp_question)
    clerk = make_staff("staff", "abfall")
    db.session.commit()
    context, page = _signed_in_page(chromium, live_server, clerk)
    try:
        page.goto(live_server.url + "/intern/aufnehmen")
        assert page.is_hidden("#extra-schlagloch") and page.is_hidden("#extra-strassenlaterne")
        page.check("#channel-telefon")
        page.select_option("#category", "schlagloch")
        assert page.is_visible("#extra-schlagloch") and page.is_hidden("#extra-strassenlaterne")
        page.fill("#lat", "51,962")
        page.fill("#lon", "8,229")
        page.press("#lon", "Tab")
        page.wait_for_selector("#duplicates:not([hidden])")
        assert existing.reference in page.inner_text("#duplicates-list")
        _checked(page, "staff-intake-questions")
        page.fill("#q-schlagloch-tiefe", "15")
        page.fill("#description", "Anruferin: Loch vor der Schule, etwa 15 cm tief")
        page.click("#intake-button")
        page.wait_for_selector(".flash")
    finally:
        context.close()
        created = db.session.scalar(select(Report).where(Report.description.like("Anruferin:%")))
        answers = report_answers(created.id, "de") if created else None
        db.session.execute(delete(ServiceAttribute).where(ServiceAttribute.id.in_([attribute.id, lamp_question.id])))
        db.session.commit()
    assert created is not None and created.channel == "telefon"
    assert answers == [(QUESTION, "15")]
