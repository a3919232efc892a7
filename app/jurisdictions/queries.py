from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.db import db
from app.errors import NotFound
from app.jurisdictions.models import Category, Jurisdiction
from app.towncontext import current_town_id


def current_jurisdiction() -> Jurisdiction:
    """This request's town (from its host, ``app/jurisdictions/hosts.py``); outside a request
    the town of ``app.towncontext.using_town`` (a mail being built), else (commands, jobs) the
    DEFAULT_JURISDICTION town. Raises UnknownHost / NotFound."""
    named = current_town_id()
    if named is None and has_request_context():
        from app.jurisdictions.hosts import resolve_request_town

        named = resolve_request_town()
    if named is not None:
        # Kept with the request (not in ``g``, which may outlive it in tests and commands): the
        # session holds its objects only weakly, so without this the row was read again for
        # each of the three or four asks of a staff page. A session closed meanwhile reads afresh.
        kept = request.environ.get("mm.jurisdiction") if has_request_context() else None
        if kept is not None and kept[0] == named and kept[1] in db.session:
            return kept[1]
        town = db.session.get(Jurisdiction, named)
        if town is not None:
            if has_request_context():
                request.environ["mm.jurisdiction"] = (named, town)
            return town
    return _by_slug(current_app.config["DEFAULT_JURISDICTION"])


def this_town_id() -> int:
    """The id of this request's town (raises like ``current_jurisdiction``). Every lookup by an
    id, reference or token that a visitor sends filters by it: another town's object is
    "not found" here."""
    named = current_town_id()
    return named if named is not None else current_jurisdiction().id


def hosted_neighbour_at(lon: float, lat: float, other_than: int) -> Jurisdiction | None:
    """Another town of this installation (served, with a host name) whose boundary covers the
    point: where a pin just across the border belongs."""
    from sqlalchemy import exists, func

    from app.jurisdictions.models import Area, JurisdictionHost

    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    return db.session.scalar(
        select(Jurisdiction).join(Area, Area.jurisdiction_id == Jurisdiction.id)
        .where(Area.kind == "boundary", func.ST_Covers(Area.geom, point), Jurisdiction.id != other_than,
               Jurisdiction.retired_at.is_(None),
               exists().where(JurisdictionHost.jurisdiction_id == Jurisdiction.id))
        .order_by(Area.area_m2).limit(1))


def jurisdiction_by_slug(slug: str | None) -> Jurisdiction:
    """The town with Open311 id ``slug``; None: this request's (or mail's) town (``current_jurisdiction``).

    In a request a slug can only name the request's own town: another town's id on this host
    is answered like an unknown one (NotFound), so town A's host never serves town B's data."""
    if has_request_context():
        town = current_jurisdiction()
        if slug and slug != town.slug:
            raise NotFound(_l("Diese Stadt (jurisdiction_id %(slug)s) wird unter dieser Adresse nicht "
                              "angeboten.", slug=slug[:100]), code="unknown_jurisdiction")
        return town
    if not slug:
        # A mail being built names its town (``using_town``): its face, sender and languages,
        # never the default town's.
        return current_jurisdiction()
    return _by_slug(slug)


def _by_slug(slug: str) -> Jurisdiction:
    jurisdiction = db.session.scalar(select(Jurisdiction).where(Jurisdiction.slug == slug))
    if jurisdiction is None:
        raise NotFound(f"unknown jurisdiction {slug!r}", code="unknown_jurisdiction")
    return jurisdiction


def active_categories(jurisdiction: Jurisdiction) -> list[Category]:
    return list(db.session.scalars(
        select(Category).where(Category.jurisdiction_id == jurisdiction.id, Category.active)
        .order_by(Category.group, Category.name)
    ))
