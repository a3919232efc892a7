"""The mail to a department that gained reports by a re-routing run."""
from __future__ import annotations

from email.message import EmailMessage

from flask_babel import force_locale
from sqlalchemy import select

from app.areas.models import ReroutingMove, ReroutingRun
from app.db import db
from app.jurisdictions.models import Department
from app.outbox.messages import Message, compose_email
from app.outbox.models import OutboxMessage
from app.reports.models import Report
from app.urls import absolute_url

LISTED = 50  # references listed in the mail; the rest is counted


def reports_rerouted(message: OutboxMessage) -> EmailMessage | None:
    run = db.session.get(ReroutingRun, message.payload.get("run_id"))
    department = db.session.get(Department, message.payload.get("department_id"))
    if run is None or department is None or not department.emails:
        return None
    moves = db.session.execute(
        select(Report.reference, Report.routing_explanation, ReroutingMove.from_department_id)
        .join(ReroutingMove, ReroutingMove.report_id == Report.id)
        .where(ReroutingMove.run_id == run.id, ReroutingMove.to_department_id == department.id)
        .order_by(Report.reference)).all()
    if not moves:
        return None
    names = {d.id: d.name for d in db.session.scalars(select(Department).where(
        Department.jurisdiction_id == department.jurisdiction_id))}
    listed = [{"reference": m.reference, "from": names.get(m.from_department_id, "?"),
               "explanation": m.routing_explanation,
               "url": absolute_url("public.short_report", reference=m.reference)} for m in moves[:LISTED]]
    with force_locale("de"):
        subject = f"{len(moves)} Meldungen neu an {department.name} zugeordnet"
        return compose_email(department.emails, subject, "reports_rerouted", message, locale="de",
                             department=department, run=run, count=len(moves), listed=listed,
                             more=len(moves) - len(listed))


MESSAGES = (
    Message("reports_rerouted", reports_rerouted),
)
