"""Issue 20 point 1: "Ist es erledigt?" – the confirmed reporter is asked some days after
"erledigt"; "Ja" and "Nein" are recorded once, "Nein" reopens the report and tells the department."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import g
from sqlalchemy import select

from app.db import db, utcnow
from app.feedback.models import FixedQuestionnaire
from app.feedback.operations import REOPENED_NOTE, record_due_questionnaires
from app.feedback.tokens import questionnaire_token
from app.outbox.models import OutboxMessage
from app.reports.models import Report
from app.reports.operations import change_status
from tests.conftest import csrf_token, run_worker
from tests.factories import make_report
from tests.services import body_text
from tests.workers.conftest import drain

REPORTER = "melderin@example.org"


def _fixed_report(email: str = REPORTER) -> Report:
    report = make_report(email=email, description="Schlagloch vor der Schule")
    report.reporter_email_confirmed = True
    change_status(report, "erledigt", public_note="Loch verfüllt", actor="bauhof")
    return report


def _questionnaire(report: Report) -> FixedQuestionnaire:
    return db.session.scalar(select(FixedQuestionnaire).where(FixedQuestionnaire.report_id == report.id))


def test_sent_once_after_the_set_days_to_the_confirmed_reporter_only(committing, smtp_server):
    app = committing
    report = _fixed_report()
    unconfirmed = make_report(email="unbestaetigt@example.org")
    change_status(unconfirmed, "erledigt", actor="bauhof")
    db.session.commit()
    assert app.config["FIXED_QUESTIONNAIRE_DAYS"] == 7
    assert record_due_questionnaires(utcnow() + timedelta(days=6)) == 0  # not yet
    assert record_due_questionnaires(utcnow() + timedelta(days=7, minutes=1)) == 1
    db.session.commit()
    assert record_due_questionnaires(utcnow() + timedelta(days=8)) == 0  # once per "erledigt"
    db.session.commit()
    drain(app)
    assert [m for m in smtp_server.to("unbestaetigt@example.org") if "behoben" in m["Subject"]] == []
    [mail] = [m for m in smtp_server.to(REPORTER) if "behoben" in m["Subject"]]
    assert mail["Subject"] == f"Ist der Mangel behoben? Ihre Meldung {report.reference}"
    text = body_text(mail)
    assert re.search(r"/erledigt/[\w.-]+", text)
    assert mail["List-Unsubscribe"]  # a citizen mail: the unsubscribe rules apply


def test_zero_days_goes_out_with_the_next_scheduler_run(committing, smtp_server, settings):
    from app.tasks.scheduler import tick

    app = committing
    settings(FIXED_QUESTIONNAIRE_DAYS=0)
    reference = _fixed_report().reference
    db.session.commit()
    assert "fixed_questionnaires" in tick(utcnow())
    run_worker(app)  # runs the job, which records the mail; the relay's delivery job follows
    drain(app)
    [mail] = [m for m in smtp_server.to(REPORTER) if "behoben" in m["Subject"]]
    assert reference in mail["Subject"]


def test_an_unsubscribed_reporter_is_not_asked(committing, smtp_server, settings):
    from app.followers.operations import unsubscribe
    from app.followers.tokens import unsubscribe_token

    app = committing
    settings(FIXED_QUESTIONNAIRE_DAYS=0)
    report = _fixed_report()
    db.session.commit()
    with app.test_request_context():
        unsubscribe(unsubscribe_token(report.id, REPORTER))
    db.session.commit()
    assert record_due_questionnaires() == 1
    db.session.commit()
    drain(app)
    assert [m for m in smtp_server.to(REPORTER) if "behoben" in m["Subject"]] == []
    assert db.session.scalar(select(OutboxMessage.last_error).where(OutboxMessage.kind == "fixed_questionnaire")) \
        == "unsubscribed"


def _answer(client, token: str, csrf: str | None = None, **data):
    """Post an answer; ``csrf`` reuses a form's token (an answered questionnaire shows no form,
    a second browser tab still has one)."""
    if csrf is None:
        g.pop("csrf_token", None)
        csrf = csrf_token(client, f"/erledigt/{token}")
    data["csrf_token"] = csrf
    return client.post(f"/erledigt/{token}", data=data)


def test_ja_is_recorded_once_and_a_second_answer_is_refused(app, client, db_session, settings):
    settings(FIXED_QUESTIONNAIRE_DAYS=0)
    report = _fixed_report()
    assert record_due_questionnaires() == 1
    db_session.commit()
    token = questionnaire_token(_questionnaire(report).id)
    page = client.get(f"/erledigt/{token}")
    assert page.status_code == 200 and "Ist der Mangel behoben?" in page.get_data(as_text=True)
    assert _questionnaire(report).answered_at is None  # opening the link (a mail scanner) answers nothing
    g.pop("csrf_token", None)
    form_token = csrf_token(client, f"/erledigt/{token}")
    answered = _answer(client, token, form_token, answer="ja")
    assert answered.status_code == 303
    questionnaire = _questionnaire(report)
    assert questionnaire.answer == "ja" and questionnaire.answered_at is not None
    assert "Vielen Dank" in client.get(answered.headers["Location"]).get_data(as_text=True)

    again = _answer(client, token, form_token, answer="nein", comment="doch nicht")
    assert again.status_code == 409
    assert "Diese Frage haben Sie bereits beantwortet. Eine Antwort ist nur einmal möglich." in again.get_data(as_text=True)
    db.session.refresh(report)
    assert report.status == "erledigt" and _questionnaire(report).answer == "ja"


def test_no_choice_and_a_bad_link_are_refused_in_german(app, client, db_session, settings):
    settings(FIXED_QUESTIONNAIRE_DAYS=0)
    report = _fixed_report()
    record_due_questionnaires()
    db_session.commit()  # a savepoint: the refusal's rollback must not take the test's data along
    token = questionnaire_token(_questionnaire(report).id)
    missing = _answer(client, token, comment="ohne Wahl")
    assert missing.status_code == 400 and "Bitte wählen Sie „Ja“ oder „Nein“." in missing.get_data(as_text=True)
    assert client.get("/erledigt/kaputt").status_code == 404


def test_nein_reopens_says_why_in_the_history_and_notifies_the_department(committing, smtp_server, settings):
    app = committing
    settings(FIXED_QUESTIONNAIRE_DAYS=0)
    report = _fixed_report()
    record_due_questionnaires()
    db.session.commit()
    report_id, token = report.id, questionnaire_token(_questionnaire(report).id)
    client = app.test_client()
    with app.test_request_context():
        response = _answer(client, token, answer="nein", comment="Das Loch ist noch da, nur größer.")
    assert response.status_code == 303
    db.session.remove()
    report = db.session.get(Report, report_id)
    assert report.status == "in_pruefung"
    last = report.history[-1]
    assert (last.old_status, last.new_status, last.actor) == ("erledigt", "in_pruefung", "citizen")
    assert last.public_note == REOPENED_NOTE and last.internal_note == "Das Loch ist noch da, nur größer."
    public_page = client.get(f"/meldungen/{report.reference}").get_data(as_text=True)
    assert "noch nicht behoben" in public_page and "nur größer" not in public_page  # the comment is for staff
    drain(app)
    [mail] = [m for m in smtp_server.to(report.department.email) if "nicht behoben" in m["Subject"]]
    assert report.reference in mail["Subject"]
    assert "Das Loch ist noch da, nur größer." in body_text(mail)


def test_transparency_page_shows_the_share_confirmed_as_fixed(app, client, db_session, settings):
    settings(FIXED_QUESTIONNAIRE_DAYS=0)
    reports = [_fixed_report(f"person{n}@example.org") for n in range(4)]
    record_due_questionnaires()
    db_session.commit()
    for report, answer in zip(reports, ("ja", "ja", "ja", "nein")):
        assert _answer(client, questionnaire_token(_questionnaire(report).id), answer=answer).status_code == 303
    page = client.get("/transparenz").get_data(as_text=True)
    assert "Von den Meldenden als behoben bestätigt" in page
    assert re.search(r"75\s*%\s*von 4 Antworten", page)


def test_a_note_on_a_fixed_report_asks_nothing_again_and_retention_erases_the_comment(app, client, db_session,
                                                                                       settings):
    from app.retention.policy import apply_retention

    settings(FIXED_QUESTIONNAIRE_DAYS=0)
    report = _fixed_report()
    assert record_due_questionnaires() == 1
    change_status(report, "erledigt", public_note="Nachtrag: Fahrbahn auch markiert", actor="bauhof")
    assert record_due_questionnaires() == 0  # a note on the same "erledigt" is no new fixing
    db_session.commit()
    token = questionnaire_token(_questionnaire(report).id)
    assert _answer(client, token, answer="ja", comment="Danke, alles gut. Ich wohne gegenüber.").status_code == 303
    result = apply_retention(app.config, utcnow() + timedelta(days=int(app.config["RETENTION_CLOSED_DAYS"]) + 1))
    assert result.erased_questionnaire_comments == 1
    db_session.expire_all()
    questionnaire = _questionnaire(report)
    assert questionnaire.answer == "ja" and questionnaire.comment == ""  # the answer counts on, the text is gone
