"""Transparency page: the SVG charts and the CSV downloads show the same figures."""
from __future__ import annotations

import csv
import io
import statistics
from datetime import timedelta

from app.db import utcnow
from app.reports.operations import change_status
from tests.factories import HARSEWINKEL, make_report


def _csv(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _expected_per_category(session) -> dict[str, tuple[int, int, int, float | None]]:
    """The figures recomputed in Python from the rows, independently of the SQL under test."""
    from sqlalchemy import select

    from app.reports.models import Report
    from app.reports.status import PUBLIC_STATUSES, STATUSES

    result = {}
    for report in session.scalars(select(Report).where(Report.hidden.is_(False), Report.status.in_(PUBLIC_STATUSES))):
        total, open_, fixed, days = result.get(report.category.code, (0, 0, 0, []))
        is_fixed = report.status == "erledigt"
        if is_fixed:
            days = days + [(report.status_changed_at - report.created_at).total_seconds() / 86400]
        result[report.category.code] = (total + 1, open_ + STATUSES[report.status].is_open, fixed + is_fixed, days)
    return {code: (t, o, f, statistics.median(d) if d else None) for code, (t, o, f, d) in result.items()}


def test_figures_per_category_and_month(client, db_session):
    now = utcnow()
    before = sum(int(m["neu"]) for m in _csv(client, "/transparenz/meldungen-pro-monat.csv"))
    fixed_fast = make_report(point=HARSEWINKEL, category_code="graffiti")
    fixed_slow = make_report(point=HARSEWINKEL, category_code="graffiti")
    make_report(point=HARSEWINKEL, category_code="graffiti")
    hidden = make_report(point=HARSEWINKEL, category_code="graffiti")
    hidden.hidden = True
    for report, days in ((fixed_fast, 2), (fixed_slow, 6)):
        change_status(report, "erledigt", actor="test")
        report.created_at = now - timedelta(days=days)
        report.status_changed_at = now
    db_session.commit()

    expected = _expected_per_category(db_session)
    assert expected["graffiti"][0] >= 3 and expected["graffiti"][2] >= 2
    rows = {r["kategorie"]: r for r in _csv(client, "/transparenz/kategorien.csv")}
    for code, (total, open_, fixed, median) in expected.items():
        row = rows[code]
        assert (int(row["meldungen"]), int(row["offen"]), int(row["erledigt"])) == (total, open_, fixed)
        assert row["anteil_erledigt"] == f"{fixed / total:.3f}"
        assert row["median_tage_bis_erledigt"] == (f"{median:.1f}" if median is not None else "")
    assert rows["spielplatz"]["meldungen"] == str(expected.get("spielplatz", (0,))[0])

    months = _csv(client, "/transparenz/meldungen-pro-monat.csv")
    assert len(months) == 12 and months[-1]["monat"] == now.astimezone().strftime("%Y-%m")
    assert sum(int(m["neu"]) for m in months) == before + 3  # the hidden report is not counted

    page = client.get("/transparenz").get_data(as_text=True)
    assert page.count("<svg") == 3 and 'role="img"' in page
    assert "<style" not in page and " style=" not in page  # the CSP forbids inline styles
    assert "Graffiti" in page


def test_csv_cells_cannot_become_formulas(client, db_session):
    from tests.factories import category

    category("sonstiges").name = "=HYPERLINK(\"http://evil\")"
    db_session.commit()
    rows = {r["kategorie"]: r for r in _csv(client, "/transparenz/kategorien.csv")}
    assert rows["sonstiges"]["name"].startswith("'=")
