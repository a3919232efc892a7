"""Mails of the feedback feature: the "Ist es erledigt?" question to the reporter and the note to
the department when the reporter answers "Nein"."""
from __future__ import annotations

from email.message import EmailMessage

from flask_babel import force_locale, gettext

from app.db import db
from app.feedback.models import FixedQuestionnaire
from app.feedback.tokens import questionnaire_token
from app.i18n import supported_locale
from app.outbox.messages import Message, compose_email
from app.outbox.models import OutboxMessage
from app.urls import absolute_url


def _questionnaire(message: OutboxMessage) -> FixedQuestionnaire | None:
    questionnaire = db.session.get(FixedQuestionnaire, message.payload.get("questionnaire_id"))
    if questionnaire is None or questionnaire.report_id != message.payload.get("report_id"):
        return None
    return questionnaire


def fixed_questionnaire(message: OutboxMessage) -> EmailMessage | None:
    questionnaire = _questionnaire(message)
    if questionnaire is None or questionnaire.answered_at is not None:
        return None
    report = questionnaire.report
    if report.status != "erledigt" or not (report.reporter_email and report.reporter_email_confirmed):
        return None  # reopened since, or the contact is gone: nothing to ask
    with force_locale(locale := supported_locale(report.locale)):
        subject = gettext("Ist der Mangel behoben? Ihre Meldung %(ref)s", ref=report.reference)
        return compose_email(report.reporter_email, subject, "fixed_questionnaire", message, locale=locale,
                             report=report,
                             answer_url=absolute_url("feedback.questionnaire", token=questionnaire_token(questionnaire.id)),
                             report_url=absolute_url("public.report", reference=report.reference))


def questionnaire_not_fixed(message: OutboxMessage) -> EmailMessage | None:
    questionnaire = _questionnaire(message)
    if questionnaire is None:
        return None
    report = questionnaire.report
    if not report.department.email:
        return None
    with force_locale("de"):
        subject = f"Meldung {report.reference} nicht behoben: wieder „In Prüfung“"
        return compose_email(report.department.email, subject, "questionnaire_not_fixed", message, locale="de",
                             report=report, questionnaire=questionnaire,
                             staff_url=absolute_url("staff.report_detail", report_id=report.id))


MESSAGES = (
    Message("fixed_questionnaire", fixed_questionnaire, citizen=True),
    Message("questionnaire_not_fixed", questionnaire_not_fixed),
)
