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
    main = page[page.index("<main"):page.index("</main>")]  # the header's language menu has an icon
    assert main.count("<svg") == 3 and 'role="img"' in main
    assert "<style" not in page and " style=" not in page  # the CSP forbids inline styles
    assert "Graffiti" in page


def test_csv_cells_cannot_become_formulas(client, db_session):
    from tests.factories import category

    category("sonstiges").name = "=HYPERLINK(\"http://evil\")"
    db_session.commit()
    rows = {r["kategorie"]: r for r in _csv(client, "/transparenz/kategorien.csv")}
    assert rows["sonstiges"]["name"].startswith("'=")


def test_key_figures_are_downloadable_too(client, db_session):
    """The figures at the top of the page (all reports, share fixed, median days) were in no CSV;
    the town-wide median cannot be worked out from the medians per category."""
    now = utcnow()
    for days in (1, 3, 8):
        report = make_report(point=HARSEWINKEL, category_code="gully")
        change_status(report, "erledigt", actor="test")
        report.created_at = now - timedelta(days=days)
        report.status_changed_at = now
    make_report(point=HARSEWINKEL, category_code="spielplatz")
    db_session.commit()
    per_category = _expected_per_category(db_session)
    total = sum(t for t, _o, _f, _m in per_category.values())
    fixed = sum(f for _t, _o, f, _m in per_category.values())
    from sqlalchemy import select

    from app.reports.models import Report
    days = [(r.status_changed_at - r.created_at).total_seconds() / 86400
            for r in db_session.scalars(select(Report).where(Report.hidden.is_(False), Report.status == "erledigt"))]
    [row] = _csv(client, "/transparenz/kennzahlen.csv")
    assert (int(row["meldungen"]), int(row["erledigt"])) == (total, fixed)
    assert row["anteil_erledigt"] == f"{fixed / total:.3f}"
    assert row["median_tage_bis_erledigt"] == f"{statistics.median(days):.1f}"
    assert 'href="/transparenz/kennzahlen.csv"' in client.get("/transparenz").get_data(as_text=True)


def test_chart_numbers_are_whole_counts_written_as_the_reader_writes_numbers(client, db_session):
    """German readers read "2,5 Tage", not "2.5 Tage" (the table already wrote "2,5"), and a chart of
    report counts has no grid line at "0.25" reports."""
    import re

    report = make_report(point=HARSEWINKEL, category_code="spielplatz")
    change_status(report, "erledigt", actor="test")
    report.created_at = utcnow() - timedelta(days=2, hours=12)
    db_session.commit()
    median = {r["kategorie"]: r for r in _csv(client, "/transparenz/kategorien.csv")}["spielplatz"]["median_tage_bis_erledigt"]
    page = client.get("/transparenz").get_data(as_text=True)
    assert median == "2.5" and "2,5 Tage" in page and "2.5 Tage" not in page
    start = page.index('<svg', page.index("<main"))  # the first chart (the header's menu icon comes before main)
    months = page[start:page.index('</svg>', start)]
    ticks = re.findall(r'text-anchor="end" font-size="14" fill="[^"]+">([^<]*)</text>', months)
    assert len(ticks) == 5 and ticks[0] == "0"
    assert all(re.fullmatch(r"\d{1,3}(\.\d{3})*", tick) for tick in ticks), ticks  # whole numbers, German thousands
    english = client.get("/transparenz?lang=en").get_data(as_text=True)
    client.get("/?lang=de")
    assert "2.5 days" in english
