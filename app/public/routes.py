"""Public pages of a town."""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from app.db import db
from app.errors import NotFound
from app.jurisdictions.queries import jurisdiction_by_slug
from app.reports.models import Report
from app.reports.status import PUBLIC_STATUSES

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    jurisdiction = jurisdiction_by_slug(None)
    recent = db.session.scalars(
        select(Report).where(Report.jurisdiction_id == jurisdiction.id, Report.hidden.is_(False),
                             Report.status.in_(PUBLIC_STATUSES))
        .order_by(Report.created_at.desc()).limit(10)
    ).all()
    return render_template("public/home.html", jurisdiction=jurisdiction, recent=recent)


@bp.get("/meldungen/<reference>")
def report(reference: str):
    item = db.session.scalar(select(Report).where(Report.reference == reference))
    if item is None or item.hidden or not item.status_info.public:
        raise NotFound("unknown report")
    return render_template("public/report.html", report=item)


@bp.get("/datenschutz")
def privacy():
    return render_template("public/privacy.html")


@bp.get("/impressum")
def imprint():
    return render_template("public/imprint.html", jurisdiction=jurisdiction_by_slug(None))


@bp.get("/barrierefreiheit")
def accessibility():
    return render_template("public/accessibility.html", jurisdiction=jurisdiction_by_slug(None))
