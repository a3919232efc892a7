"""The figures of the transparency page, computed in PostgreSQL over public reports."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text

from app.db import db
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.texts import translated
from app.reports.status import CLOSED_STATUSES, PUBLIC_STATUSES

MONTHS = 12


@dataclass
class MonthRow:
    month: date
    created: int
    fixed: int


@dataclass
class CategoryRow:
    code: str
    name: str
    name_en: str | None
    total: int
    open: int
    fixed: int
    median_days_to_fix: float | None

    @property
    def share_fixed(self) -> float | None:
        return self.fixed / self.total if self.total else None

    translations: dict | None = None

    def label(self, locale: str) -> str:
        if locale == "de":
            return self.name
        return (self.name_en if locale == "en" else None) or translated(self.translations, locale, "name") or self.name


_PER_MONTH = text("""
    WITH months AS (
        SELECT generate_series(date_trunc('month', now() AT TIME ZONE 'Europe/Berlin') - make_interval(months => :n - 1),
                               date_trunc('month', now() AT TIME ZONE 'Europe/Berlin'), interval '1 month') AS month
    ), created AS (
        SELECT date_trunc('month', created_at AT TIME ZONE 'Europe/Berlin') AS month, count(*) AS n
        FROM reports
        WHERE jurisdiction_id = :j AND NOT hidden AND status = ANY(:public)
          AND created_at >= (date_trunc('month', now() AT TIME ZONE 'Europe/Berlin') - make_interval(months => :n - 1))
                            AT TIME ZONE 'Europe/Berlin'
        GROUP BY 1
    ), fixed AS (
        SELECT date_trunc('month', status_changed_at AT TIME ZONE 'Europe/Berlin') AS month, count(*) AS n
        FROM reports
        WHERE jurisdiction_id = :j AND NOT hidden AND status = 'erledigt'
          AND status_changed_at >= (date_trunc('month', now() AT TIME ZONE 'Europe/Berlin') - make_interval(months => :n - 1))
                                   AT TIME ZONE 'Europe/Berlin'
        GROUP BY 1
    )
    SELECT months.month::date, coalesce(created.n, 0), coalesce(fixed.n, 0)
    FROM months LEFT JOIN created USING (month) LEFT JOIN fixed USING (month)
    ORDER BY months.month
""")

_PER_CATEGORY = text("""
    SELECT c.code, c.name, c.name_en, c.translations,
           count(r.id) AS total,
           count(r.id) FILTER (WHERE r.status <> ALL(:closed)) AS open,
           count(r.id) FILTER (WHERE r.status = 'erledigt') AS fixed,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.status_changed_at - r.created_at) / 86400.0)
               FILTER (WHERE r.status = 'erledigt') AS median_days
    FROM categories c
    LEFT JOIN reports r ON r.category_id = c.id AND NOT r.hidden AND r.status = ANY(:public)
    WHERE c.jurisdiction_id = :j
    GROUP BY c.id, c.code, c.name, c.name_en, c.translations
    ORDER BY count(r.id) DESC, c.name
""")

_OVERALL = text("""
    SELECT count(*), count(*) FILTER (WHERE status = 'erledigt'),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM status_changed_at - created_at) / 86400.0)
               FILTER (WHERE status = 'erledigt')
    FROM reports WHERE jurisdiction_id = :j AND NOT hidden AND status = ANY(:public)
""")


def reports_per_month(jurisdiction: Jurisdiction, months: int = MONTHS) -> list[MonthRow]:
    rows = db.session.execute(_PER_MONTH, {"j": jurisdiction.id, "n": months, "public": list(PUBLIC_STATUSES)})
    return [MonthRow(month, int(created), int(fixed)) for month, created, fixed in rows]


def reports_per_category(jurisdiction: Jurisdiction) -> list[CategoryRow]:
    rows = db.session.execute(_PER_CATEGORY, {"j": jurisdiction.id, "public": list(PUBLIC_STATUSES),
                                              "closed": list(CLOSED_STATUSES)})
    return [CategoryRow(code, name, name_en, int(total), int(open_), int(fixed),
                        float(median) if median is not None else None, translations)
            for code, name, name_en, translations, total, open_, fixed, median in rows]


def overall(jurisdiction: Jurisdiction) -> dict:
    total, fixed, median = db.session.execute(_OVERALL, {"j": jurisdiction.id, "public": list(PUBLIC_STATUSES)}).one()
    return {"total": int(total), "fixed": int(fixed), "share_fixed": (fixed / total) if total else None,
            "median_days_to_fix": float(median) if median is not None else None}
