"""Figures of the feedback feature for the transparency page."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.db import db
from app.feedback.models import FixedQuestionnaire
from app.reports.models import Report


@dataclass
class ConfirmedFixed:
    answered: int
    confirmed: int

    @property
    def share(self) -> float | None:
        return self.confirmed / self.answered if self.answered else None


def confirmed_fixed(jurisdiction_id: int) -> ConfirmedFixed:
    """Answers to "Ist der Mangel behoben?" about the town's public reports: how many, how many "Ja"."""
    answered, confirmed = db.session.execute(
        select(func.count(), func.count().filter(FixedQuestionnaire.answer == "ja"))
        .select_from(FixedQuestionnaire).join(Report, Report.id == FixedQuestionnaire.report_id)
        .where(Report.jurisdiction_id == jurisdiction_id, Report.hidden.is_(False),
               FixedQuestionnaire.answered_at.is_not(None))).one()
    return ConfirmedFixed(int(answered), int(confirmed))
