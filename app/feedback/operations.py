""""Ist es erledigt?", "Ich auch" and "Noch nicht behoben". Operations flush; the caller commits."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from app.db import db, utcnow
from app.errors import DomainError, NotFound
from app.jurisdictions.queries import this_town_id
from app.feedback.models import FixedQuestionnaire, ReportVote
from app.feedback.tokens import read_questionnaire_token
from app.outbox.operations import record_message
from app.reports.models import Report, StatusChange
from app.reports.operations import change_status
from app.validation import check_length, clean_text

# A report set to "erledigt" longer ago than the set days plus this is not asked about any more:
# switching the feature on (or a scheduler that was down) must not mail about every report
# ever fixed.
QUESTION_WINDOW_DAYS = 14
MAX_PER_RUN = 1000
MAX_COMMENT = 2000
# History note of a report the reporter reopened: public, in the town's language (stored text).
REOPENED_NOTE = "Die meldende Person hat auf unsere Nachfrage mitgeteilt, dass der Mangel noch nicht behoben ist. " \
                "Wir prüfen die Meldung erneut."


def record_due_questionnaires(now: datetime | None = None) -> int:
    """Ask every confirmed reporter whose report was set to ``erledigt`` at least
    ``FIXED_QUESTIONNAIRE_DAYS`` ago (flushes). One questionnaire per status change to
    ``erledigt``: a run repeated, or a second scheduler, records nothing twice."""
    now = now or utcnow()
    cutoff = now - timedelta(days=float(current_app.config["FIXED_QUESTIONNAIRE_DAYS"]))
    # The change that set "erledigt", not a later note on an "erledigt" report (same status).
    fixing_change = (select(func.max(StatusChange.id)).where(StatusChange.report_id == Report.id,
                                                             StatusChange.new_status == "erledigt",
                                                             StatusChange.old_status.is_distinct_from("erledigt"))
                     .correlate(Report).scalar_subquery())
    rows = db.session.execute(
        select(Report.id, Report.jurisdiction_id, fixing_change.label("change_id"))
        .where(Report.status == "erledigt", Report.reporter_email.is_not(None), Report.reporter_email_confirmed,
               Report.hidden.is_(False), Report.status_changed_at <= cutoff,
               Report.status_changed_at > cutoff - timedelta(days=QUESTION_WINDOW_DAYS))
        .order_by(Report.id).limit(MAX_PER_RUN)).all()
    count = 0
    for report_id, jurisdiction_id, change_id in rows:
        if change_id is None or db.session.scalar(select(exists().where(
                FixedQuestionnaire.status_change_id == change_id))):
            continue
        questionnaire = FixedQuestionnaire(report_id=report_id, status_change_id=change_id, created_at=now)
        db.session.add(questionnaire)
        db.session.flush()
        record_message("fixed_questionnaire", f"fixed_questionnaire:{questionnaire.id}",
                       {"report_id": report_id, "questionnaire_id": questionnaire.id},
                       jurisdiction_id=jurisdiction_id)
        count += 1
    return count


def questionnaire_by_token(token: str, lock: bool = False) -> FixedQuestionnaire:
    """The questionnaire a link is for; raises ``NotFound`` for a bad or expired link."""
    questionnaire_id = read_questionnaire_token(token)
    questionnaire = db.session.get(FixedQuestionnaire, questionnaire_id, with_for_update=lock) \
        if questionnaire_id else None
    # A link of another town is not valid on this town's host (issue 21).
    if questionnaire is None or questionnaire.report.jurisdiction_id != this_town_id():
        raise NotFound(_l("Dieser Link ist ungültig oder abgelaufen."))
    return questionnaire


def answer_questionnaire(token: str, answer: str, comment: str = "") -> FixedQuestionnaire:
    """Record the reporter's answer once (flushes). "nein" puts a report that is still
    ``erledigt`` back to ``in_pruefung`` with a note in its history and tells the department.

    Raises ``DomainError`` (409) for a second answer, (400) for no choice or a comment too long.
    """
    questionnaire = questionnaire_by_token(token, lock=True)
    if questionnaire.answered_at is not None:
        raise DomainError(_l("Diese Frage haben Sie bereits beantwortet. Eine Antwort ist nur einmal möglich."),
                          "answer", code="answered", status=409)
    if answer not in ("ja", "nein"):
        raise DomainError(_l("Bitte wählen Sie „Ja“ oder „Nein“."), "answer")
    text = clean_text(comment or "").strip()
    check_length(text, MAX_COMMENT, _l("Der Kommentar"), "comment")
    questionnaire.answer, questionnaire.comment, questionnaire.answered_at = answer, text, utcnow()
    report = questionnaire.report
    if answer == "nein" and report.status == "erledigt":
        change_status(report, "in_pruefung", public_note=REOPENED_NOTE, internal_note=text, actor="citizen")
        record_message("questionnaire_not_fixed", f"questionnaire_not_fixed:{questionnaire.id}",
                       {"report_id": report.id, "questionnaire_id": questionnaire.id},
                       jurisdiction_id=report.jurisdiction_id)
    db.session.flush()
    return questionnaire


def add_vote(report: Report, kind: str, browser_digest: str) -> Report:
    """One anonymous "Ich auch" (open report) or "Noch nicht behoben" (closed report) from one
    browser (flushes). "Noch nicht behoben" counts once per browser and closing: after the
    report is reopened and closed again, the same browser may say it again. It does not reopen
    the report; it marks it for the department (``not_fixed_at``, the staff queue's filter).

    Raises ``DomainError`` when the report's status does not fit, (409) for a second vote.
    """
    db.session.execute(select(Report.id).where(Report.id == report.id).with_for_update())
    db.session.refresh(report)
    if report.hidden or not report.status_info.public:
        raise NotFound(_l("Diese Meldung gibt es nicht oder sie ist nicht öffentlich."))
    if kind == "ich_auch" and not report.status_info.is_open:
        raise DomainError(_l("„Ich auch“ ist nur bei offenen Meldungen möglich."), "vote", code="closed", status=409)
    if kind == "nicht_behoben" and (report.status_info.is_open or report.status == "duplikat"):
        raise DomainError(_l("„Noch nicht behoben“ ist nur bei abgeschlossenen Meldungen möglich."), "vote",
                          code="open", status=409)
    conditions = [ReportVote.report_id == report.id, ReportVote.kind == kind,
                  ReportVote.browser_digest == browser_digest]
    if kind == "nicht_behoben":
        conditions.append(ReportVote.created_at >= report.status_changed_at)
    if db.session.scalar(select(exists().where(*conditions))):
        raise DomainError(_l("Sie haben das zu dieser Meldung bereits mitgeteilt. Vielen Dank!"), "vote",
                          code="already", status=409)
    now = utcnow()
    db.session.add(ReportVote(report_id=report.id, kind=kind, browser_digest=browser_digest, created_at=now))
    if kind == "ich_auch":
        report.support_count = (report.support_count or 0) + 1
    else:
        report.not_fixed_count = (report.not_fixed_count or 0) + 1
        report.not_fixed_at = now
    db.session.flush()
    return report


def voted(report: Report, browser_digest: str | None) -> set[str]:
    """The kinds this browser already said about the report (now counting)."""
    if not browser_digest:
        return set()
    rows = db.session.execute(select(ReportVote.kind, ReportVote.created_at).where(
        ReportVote.report_id == report.id, ReportVote.browser_digest == browser_digest)).all()
    return {kind for kind, at in rows if kind == "ich_auch" or at >= report.status_changed_at}
