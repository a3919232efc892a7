"""Area alert pages: subscribe, confirm (double opt-in), unsubscribe."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.alerts import operations
from app.alerts.operations import DEFAULT_RADIUS_M, RADII_M, AlertInput
from app.db import db
from app.errors import ValidationFailed
from app.extensions import csrf, limiter
from app.jurisdictions.models import Category
from app.jurisdictions.queries import active_categories, jurisdiction_by_slug
from app.public.queries import public_ortsteile

bp = Blueprint("alerts", __name__, url_prefix="/benachrichtigungen")


def _render_form(form: dict, errors: dict, status: int = 200):
    jurisdiction = jurisdiction_by_slug(None)
    return render_template("alerts/subscribe.html", jurisdiction=jurisdiction, form=form, errors=errors,
                           ortsteile=public_ortsteile(jurisdiction), categories=active_categories(jurisdiction),
                           radii=RADII_M), status


@bp.get("", endpoint="subscribe")
def subscribe_form():
    return _render_form({"where": "ortsteil", "radius": str(DEFAULT_RADIUS_M), "events": ["neu", "erledigt"],
                         "categories": []}, {})


@bp.post("")
@limiter.limit("10/hour")
def subscribe_submit():
    form = request.form
    events = form.getlist("events")
    data = AlertInput(email=form.get("email", ""), where=form.get("where", ""), ortsteil=form.get("ortsteil", ""),
                      address=form.get("address", ""), radius_m=form.get("radius", ""),
                      category_codes=form.getlist("categories")[:50], notify_new="neu" in events,
                      notify_fixed="erledigt" in events, locale=g.get("locale", "de"))
    try:
        operations.subscribe(jurisdiction_by_slug(None), data)
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        errors: dict[str, str] = {}
        for error in exc.errors:
            errors.setdefault(error.field or "form", str(error.message))
        shown = {"email": data.email[:320], "where": data.where, "ortsteil": data.ortsteil, "address": data.address[:300],
                 "radius": data.radius_m, "events": events, "categories": data.category_codes}
        return _render_form(shown, errors, 400)
    return redirect(url_for("alerts.requested"), 303)


@bp.get("/angefragt")
def requested():
    return render_template("alerts/requested.html")


@bp.get("/bestaetigen/<token>")
def confirm(token: str):
    """Asks before confirming: mail scanners open every link in a mail, and alerts someone
    else asked for must not start without the address owner pressing the button.
    Once confirmed the same address shows the result."""
    subscription = operations.subscription_to_confirm(token)
    if subscription.confirmed_at is None:
        categories = sorted(c.label(g.get("locale", "de")) for c in db.session.scalars(
            select(Category).where(Category.id.in_(subscription.category_ids))))
        return render_template("public/confirm_subscription.html", kind="alert", subscription=subscription,
                               categories=categories, action=url_for("alerts.confirm_submit", token=subscription.token))
    return render_template("alerts/confirmed.html", subscription=subscription)


@bp.post("/bestaetigen/<token>")
@limiter.limit("60/minute")
def confirm_submit(token: str):
    subscription = operations.confirm(token)
    db.session.commit()
    return redirect(url_for("alerts.confirm", token=subscription.token), 303)


@bp.get("/abmelden/<token>")
def unsubscribe(token: str):
    """Asks before unsubscribing: mail scanners open links, and must not unsubscribe people."""
    subscription = operations.subscription_by_token(token)
    return render_template("alerts/unsubscribe.html", subscription=subscription, done=False)


@bp.post("/abmelden/<token>")
@csrf.exempt  # RFC 8058 one-click unsubscribe comes from the mail client; the token is the secret
def unsubscribe_submit(token: str):
    subscription = operations.unsubscribe(token)
    db.session.commit()
    return render_template("alerts/unsubscribe.html", subscription=subscription, done=True)
