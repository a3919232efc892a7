"""Re-routing open reports after areas or rules changed: preview, then apply in one transaction."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.areas.models import ReroutingRun
from app.db import db
from app.errors import DomainError
from app.jurisdictions.models import Department, Jurisdiction
from app.outbox.operations import record_message
from app.reports.status import OPEN_STATUSES
from app.staff import audit
from geo.rerouting import ReroutePlan, apply_plan, plan_rerouting, planned_moves

MESSAGE_KIND = "reports_rerouted"


@dataclass
class Preview:
    plan: ReroutePlan
    departments: dict[int, Department]
    sample: list[dict]

    def flows_named(self) -> list[tuple[Department, Department, int]]:
        return [(self.departments[a], self.departments[b], n) for a, b, n in self.plan.flows]


def _departments(jurisdiction: Jurisdiction) -> dict[int, Department]:
    return {d.id: d for d in db.session.scalars(select(Department).where(Department.jurisdiction_id == jurisdiction.id))}


def preview_rerouting(jurisdiction: Jurisdiction, on: date | None = None,
                      statuses: tuple[str, ...] = OPEN_STATUSES, sample: int = 100) -> Preview:
    """Which open reports the current areas and rules would send to another department.

    Writes nothing (the plan lives in a temporary table of this transaction).
    """
    plan = plan_rerouting(db.session, jurisdiction.id, statuses, on=on)
    return Preview(plan=plan, departments=_departments(jurisdiction), sample=planned_moves(db.session, sample))


def apply_rerouting(jurisdiction: Jurisdiction, *, actor: str, staff=None, expected_fingerprint: str | None = None,
                    on: date | None = None, statuses: tuple[str, ...] = OPEN_STATUSES,
                    reason: str = "") -> ReroutingRun:
    """Move the open reports to the departments the current rules give them (flushes).

    Everything happens in the caller's transaction: the reports' department, rule,
    area and explanation; the audit row with one move per report; one outbox mail
    per department that gains reports. With ``expected_fingerprint`` (from the
    preview) a changed situation is refused instead of applying something unseen.
    """
    plan = plan_rerouting(db.session, jurisdiction.id, statuses, on=on)
    if expected_fingerprint is not None and plan.fingerprint != expected_fingerprint:
        message = _l("Seit der Vorschau hat sich etwas geändert (neue Meldungen, Regeln oder Gebiete). Bitte sehen Sie sich die Vorschau noch einmal an.")  # noqa: E501
        raise DomainError(message, "fingerprint", code="stale_preview", status=409)
    run = ReroutingRun(jurisdiction_id=jurisdiction.id, actor=actor[:200], rules_date=on or date.today(),
                       statuses=list(statuses), considered=plan.considered, moved=plan.moved,
                       relabelled=plan.relabelled, outside=plan.outside, no_rule=plan.no_rule,
                       flows=[list(f) for f in plan.flows], reason=reason[:2000])
    db.session.add(run)
    db.session.flush()
    from sqlalchemy import text

    db.session.execute(text(
        "INSERT INTO rerouting_moves (run_id, report_id, from_department_id, to_department_id, from_rule_id, "
        "to_rule_id) SELECT :run, report_id, old_department_id, new_department_id, old_rule_id, new_rule_id "
        "FROM reroute_plan WHERE outcome = 'moved' ORDER BY report_id"), {"run": run.id})
    apply_plan(db.session)
    for department_id in plan.gaining_department_ids:
        record_message(MESSAGE_KIND, f"{MESSAGE_KIND}:{run.id}:{department_id}",
                       {"run_id": run.id, "department_id": department_id}, jurisdiction_id=jurisdiction.id)
    if staff is not None:
        audit.record("rerouting_applied", staff=staff, jurisdiction_id=jurisdiction.id,
                     target=f"rerouting_run:{run.id}",
                     changes={"run_id": run.id, "moved": plan.moved, "relabelled": plan.relabelled})
    db.session.flush()
    return run
