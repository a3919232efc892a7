from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.db import db
from app.errors import NotFound
from app.jurisdictions.models import Category, Jurisdiction


def jurisdiction_by_slug(slug: str | None) -> Jurisdiction:
    """The town with Open311 id ``slug`` (default: DEFAULT_JURISDICTION); raises NotFound."""
    slug = slug or current_app.config["DEFAULT_JURISDICTION"]
    jurisdiction = db.session.scalar(select(Jurisdiction).where(Jurisdiction.slug == slug))
    if jurisdiction is None:
        raise NotFound(f"unknown jurisdiction {slug!r}", code="unknown_jurisdiction")
    return jurisdiction


def active_categories(jurisdiction: Jurisdiction) -> list[Category]:
    return list(db.session.scalars(
        select(Category).where(Category.jurisdiction_id == jurisdiction.id, Category.active)
        .order_by(Category.group, Category.name)
    ))
