"""The transparency page and its CSV downloads."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, current_app, g, render_template
from flask_babel import format_date, format_decimal, gettext
from markupsafe import Markup

from app.feedback.queries import confirmed_fixed
from app.jurisdictions.queries import jurisdiction_by_slug
from app.transparency import charts
from app.transparency.queries import overall, reports_per_category, reports_per_month

bp = Blueprint("transparency", __name__, url_prefix="/transparenz")


def _month_label(month, fmt: str = "MMM yy") -> str:
    return format_date(month, fmt)


def _days(days: float) -> str:
    """Days to one decimal in the reader's language ("2,5" in German), as the table writes them."""
    return format_decimal(round(days, 1))


@bp.get("")
def page():
    jurisdiction = jurisdiction_by_slug(None)
    locale = g.get("locale", "de")
    months = reports_per_month(jurisdiction)
    categories = reports_per_category(jurisdiction)
    totals = overall(jurisdiction)
    month_chart = charts.grouped_columns(
        "chart-months", gettext("Meldungen pro Monat"),
        gettext("Neue und erledigte Meldungen in den letzten %(n)s Monaten; die Zahlen stehen in der Tabelle darunter.",
                n=len(months)),
        [_month_label(m.month) for m in months],
        [(gettext("Neu"), charts.BLUE, [m.created for m in months]),
         (gettext("Erledigt"), charts.GREEN, [m.fixed for m in months])], number=format_decimal)
    category_chart = charts.horizontal_bars(
        "chart-categories", gettext("Meldungen pro Kategorie"),
        gettext("Anzahl der Meldungen je Kategorie; die Zahlen stehen in der Tabelle darunter."),
        [(c.label(locale), c.total, format_decimal(c.total)) for c in categories])
    fixed_rows = [c for c in categories if c.median_days_to_fix is not None]
    median_chart = charts.horizontal_bars(
        "chart-median", gettext("Mittlere Dauer bis zur Erledigung"),
        gettext("Median der Tage von der Meldung bis zur Erledigung je Kategorie."),
        [(c.label(locale), c.median_days_to_fix, gettext("%(d)s Tage", d=_days(c.median_days_to_fix)))
         for c in fixed_rows], colour=charts.GREEN)
    response = current_app.make_response(render_template(
        "public/transparency.html", jurisdiction=jurisdiction, months=months, categories=categories, totals=totals,
        confirmed=confirmed_fixed(jurisdiction.id),
        month_chart=Markup(month_chart), category_chart=Markup(category_chart),
        median_chart=Markup(median_chart) if fixed_rows else None))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.vary.add("Cookie")  # the language may come from the cookie: a cached German page is no English one
    return response


def _cell(value) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; such text gets a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _csv(filename: str, header: list[str], rows: list[list]):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    response = current_app.response_class("\ufeff" + buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/kennzahlen.csv")
def totals_csv():
    """The key figures at the top of the page (a town-wide median is not the median of the categories')."""
    totals = overall(jurisdiction_by_slug(None))
    return _csv("kennzahlen.csv", ["meldungen", "erledigt", "anteil_erledigt", "median_tage_bis_erledigt"],
                [[totals["total"], totals["fixed"],
                  f"{totals['share_fixed']:.3f}" if totals["share_fixed"] is not None else "",
                  f"{totals['median_days_to_fix']:.1f}" if totals["median_days_to_fix"] is not None else ""]])


@bp.get("/meldungen-pro-monat.csv")
def months_csv():
    months = reports_per_month(jurisdiction_by_slug(None))
    return _csv("meldungen-pro-monat.csv", ["monat", "neu", "erledigt"],
                [[m.month.strftime("%Y-%m"), m.created, m.fixed] for m in months])


@bp.get("/kategorien.csv")
def categories_csv():
    categories = reports_per_category(jurisdiction_by_slug(None))
    return _csv("kategorien.csv", ["kategorie", "name", "meldungen", "offen", "erledigt", "anteil_erledigt",
                                   "median_tage_bis_erledigt"],
                [[c.code, c.name, c.total, c.open, c.fixed,
                  f"{c.share_fixed:.3f}" if c.share_fixed is not None else "",
                  f"{c.median_days_to_fix:.1f}" if c.median_days_to_fix is not None else ""] for c in categories])
