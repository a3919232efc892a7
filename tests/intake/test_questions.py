"""A category's extra questions, notice and stop notice: asked in the form (all of them, grouped
per category, without JavaScript), answered through the form, the intake API and Open311 alike,
shown to the department on the staff report page; a stop notice ends the form."""
from __future__ import annotations

from sqlalchemy import select

from app.open311.models import ReportAttributeValue, ServiceAttribute
from app.reports.models import Report
from tests.conftest import csrf_token
from tests.factories import HARSEWINKEL, category
from tests.intake.conftest import form_data
from tests.staff.helpers import login, make_staff


def _questions(db_session):
    lamp = category("strassenlaterne")
    lamp.notice = "Bitte die Mastnummer angeben, sie steht auf einem Schild am Mast."
    db_session.add_all([
        ServiceAttribute(category_id=lamp.id, code="zustand", datatype="singlevaluelist", required=True,
                         description="Was ist mit der Laterne?", description_en="What is wrong with the light?",
                         order=1, values=[{"key": "aus", "name": "Brennt nicht"},
                                          {"key": "flackert", "name": "Flackert", "name_en": "Flickers"}]),
        ServiceAttribute(category_id=lamp.id, code="mast", datatype="string", description="Mastnummer", order=2,
                         datatype_description="z. B. 12-034"),
        # Another category with a question of the same code: the form keeps them apart.
        ServiceAttribute(category_id=category("gully").id, code="mast", datatype="number",
                         description="Wie tief steht das Wasser (cm)?"),
    ])
    gas = category("sonstiges")
    gas.stop_notice = "Gasgeruch? Rufen Sie sofort 112 an."
    db_session.commit()  # a refused submission rolls its own work back, not this


def test_form_shows_every_categorys_questions_grouped_and_the_notices(client, db_session):
    _questions(db_session)
    html = client.get("/melden").get_data(as_text=True)
    assert 'data-category="strassenlaterne"' in html and 'data-category="gully"' in html
    assert "Zusatzangaben zu „Straßenlaterne defekt“" in html
    assert 'name="answers.strassenlaterne.zustand"' in html and 'name="answers.gully.mast"' in html
    assert "Bitte die Mastnummer angeben" in html and "Gasgeruch? Rufen Sie sofort 112 an." in html
    assert 'data-category="schlagloch"' not in html  # nothing to ask there
    assert "js/questions.js" in html


def test_a_required_answer_is_asked_for_and_the_answers_are_stored(client, db_session):
    _questions(db_session)
    token = csrf_token(client)
    missing = client.post("/melden", data=form_data(token, category="strassenlaterne",
                                                   **{"answers.gully.mast": "30"}))
    assert missing.status_code == 400
    assert "attribute[zustand] fehlt: Was ist mit der Laterne?" in missing.get_data(as_text=True)
    # The error summary links to the question itself.
    assert 'href="#q-strassenlaterne-zustand"' in missing.get_data(as_text=True)
    assert 'id="q-strassenlaterne-zustand"' in missing.get_data(as_text=True)
    wrong = client.post("/melden", data=form_data(token, category="strassenlaterne",
                                                 **{"answers.strassenlaterne.zustand": "kaputt"}))
    assert wrong.status_code == 400 and "unbekannter Wert" in wrong.get_data(as_text=True)
    sent = client.post("/melden", data=form_data(token, category="strassenlaterne", idempotency_key="questions-0001",
                                                **{"answers.strassenlaterne.zustand": "flackert",
                                                   "answers.strassenlaterne.mast": "12-034",
                                                   "answers.gully.mast": "abc"}))
    assert sent.status_code == 303
    report = db_session.scalar(select(Report).where(Report.idempotency_key == "questions-0001"))
    values = {v.attribute.code: v.value for v in db_session.scalars(
        select(ReportAttributeValue).where(ReportAttributeValue.report_id == report.id))}
    assert values == {"zustand": "flackert", "mast": "12-034"}  # the gully's field did not count


def test_the_intake_api_takes_answers_as_open311_attributes(client, db_session):
    _questions(db_session)
    fields = {"category": "strassenlaterne", "description": "Laterne flackert", "lat": str(HARSEWINKEL[1]),
              "lon": str(HARSEWINKEL[0])}
    refused = client.post("/api/v1/intake/reports", data=fields, headers={"Idempotency-Key": "questions-api-1"})
    assert refused.status_code == 400
    assert any(e.get("field") == "attribute[zustand]" for e in refused.get_json()["errors"])
    made = client.post("/api/v1/intake/reports", data=dict(fields, **{"attribute[zustand]": "aus"}),
                       headers={"Idempotency-Key": "questions-api-2"})
    assert made.status_code == 201
    report = db_session.scalar(select(Report).where(Report.reference == made.get_json()["reference"]))
    assert [v.value for v in db_session.scalars(select(ReportAttributeValue)
                                                .where(ReportAttributeValue.report_id == report.id))] == ["aus"]


def test_a_stop_notice_ends_the_form_and_stores_nothing(client, db_session):
    _questions(db_session)
    before = db_session.scalar(select(Report.id).order_by(Report.id.desc()).limit(1))
    response = client.post("/melden", data=form_data(csrf_token(client), category="sonstiges"))
    assert response.status_code == 400
    assert "Gasgeruch? Rufen Sie sofort 112 an." in response.get_data(as_text=True)
    api = client.post("/api/v1/intake/reports", headers={"Idempotency-Key": "questions-stop-1"},
                      data={"category": "sonstiges", "description": "Es riecht nach Gas",
                            "lat": str(HARSEWINKEL[1]), "lon": str(HARSEWINKEL[0])})
    assert api.status_code == 400 and api.get_json()["errors"][0]["message"] == "Gasgeruch? Rufen Sie sofort 112 an."
    assert db_session.scalar(select(Report.id).order_by(Report.id.desc()).limit(1)) == before


def test_the_department_sees_the_answers_on_the_report_page(client, db_session):
    _questions(db_session)
    sent = client.post("/melden", data=form_data(csrf_token(client), category="strassenlaterne",
                                                idempotency_key="questions-0002",
                                                **{"answers.strassenlaterne.zustand": "flackert",
                                                   "answers.strassenlaterne.mast": "<b>12-034</b>"}))
    assert sent.status_code == 303
    report = db_session.scalar(select(Report).where(Report.idempotency_key == "questions-0002"))
    staff = make_staff("staff", "stadtwerke")
    login(client, staff.username)
    html = client.get(f"/intern/meldungen/{report.id}").get_data(as_text=True)
    assert "Angaben zu den Zusatzfragen" in html
    assert "<dt>Was ist mit der Laterne?</dt><dd class=\"citizen-text\">Flackert</dd>" in html
    assert "&lt;b&gt;12-034&lt;/b&gt;" in html and "<b>12-034</b>" not in html
