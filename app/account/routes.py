"""Meine Meldungen: pages of a citizen signed in by a link sent to their address. Views stay thin."""
from __future__ import annotations

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext

from app.account import oidc, operations as ops
from app.account.session import SESSION_HOURS, current_email
from app.account.tokens import LINK_MINUTES
from app.db import db
from app.errors import DomainError
from app.extensions import limiter
from app.jurisdictions.queries import jurisdiction_by_slug

bp = Blueprint("account", __name__, url_prefix="/meine-meldungen", template_folder="templates")


def _private(body, status: int = 200) -> Response:
    response = body if isinstance(body, Response) else Response(body, status=status)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _start_page(errors: dict | None = None, email: str = "", status: int = 200, expired: bool = False) -> Response:
    return _private(render_template("account/start.html", errors=errors or {}, email=email, expired=expired,
                                    minutes=LINK_MINUTES,
                                    oidc_label=oidc.button_label() if oidc.settings() else None), status)


def _overview(email: str, errors: dict | None = None, status: int = 200) -> Response:
    jurisdiction = jurisdiction_by_slug(None)
    reports = ops.my_reports(jurisdiction, email)
    follows = ops.my_follows(jurisdiction, email)
    muted = ops.muted_report_ids([r.id for r in reports], email)
    return _private(render_template("account/overview.html", email=email, reports=reports, follows=follows,
                                    alerts=ops.my_alerts(jurisdiction, email), muted=muted, errors=errors or {},
                                    done=request.args.get("erledigt"), session_hours=SESSION_HOURS), status)


@bp.get("")
def start():
    email = current_email()
    if email is None:
        return _start_page(expired=request.args.get("abgelaufen") == "1")
    return _overview(email)


@bp.post("/anmelden")
@limiter.limit("10/hour")
def request_link():
    """Same answer whether the address has reports and whether its daily mail cap is reached."""
    email = (request.form.get("email") or "").strip()
    try:
        ops.request_sign_in(email, g.get("locale", "de"))
    except DomainError as exc:
        db.session.rollback()
        return _start_page({"email": str(exc.message)}, email[:320], exc.status)
    db.session.commit()
    return redirect(url_for("account.link_sent"), 303)


@bp.get("/link-gesendet")
def link_sent():
    return _private(render_template("account/link_sent.html", minutes=LINK_MINUTES))


@bp.get("/anmelden/<token>")
@limiter.limit("60/minute")
def sign_in(token: str):
    """Asks before signing in: mail scanners open links, and a GET must not use up the link."""
    ops.sign_in_by_link(token)
    return _private(render_template("account/sign_in.html", token=token))


@bp.post("/anmelden/<token>")
@limiter.limit("30/minute")
def sign_in_submit(token: str):
    ops.use_sign_in_link(token)
    db.session.commit()
    return redirect(url_for("account.start"), 303)


@bp.post("/abmelden")
def sign_out():
    ops.sign_out()
    db.session.commit()
    return redirect(url_for("account.start"), 303)


def _signed_in_or_start():
    email = current_email()
    if email is None:
        return None, redirect(url_for("account.start", abgelaufen="1"), 303)
    return email, None


@bp.post("/einstellungen")
@limiter.limit("120/hour")
def settings():
    email, gone = _signed_in_or_start()
    if gone:
        return gone
    jurisdiction = jurisdiction_by_slug(None)
    action = request.form.get("was", "")
    try:
        if action == "meldung_mails":
            ops.set_report_mails(jurisdiction, email, request.form.get("meldung"), request.form.get("an") == "1")
        elif action == "nicht_mehr_folgen":
            ops.unfollow(jurisdiction, email, request.form.get("folgen"))
        elif action == "benachrichtigung_beenden":
            ops.end_alert(jurisdiction, email, request.form.get("benachrichtigung"))
        elif action == "alles_abbestellen":
            ops.unsubscribe_everything(jurisdiction, email)
        else:
            raise DomainError(gettext("Die Anfrage war fehlerhaft."), "was")
    except DomainError as exc:
        db.session.rollback()
        return _overview(email, {"form": str(exc.message)}, exc.status)
    db.session.commit()
    return redirect(url_for("account.start", erledigt=action) + "#einstellungen", 303)


@bp.post("/daten")
@limiter.limit("20/hour")
def download():
    """Everything stored about the address (DSGVO Art. 15) as a ZIP: JSON and the photos."""
    email, gone = _signed_in_or_start()
    if gone:
        return gone
    archive = ops.export_data(jurisdiction_by_slug(None), email)
    db.session.commit()  # the audit entry
    response = Response(archive, mimetype="application/zip")
    response.headers["Content-Disposition"] = 'attachment; filename="meine-daten.zip"'
    return _private(response)


@bp.post("/loeschen")
@limiter.limit("20/hour")
def erase():
    """Erase the address's contact data from all its reports (DSGVO Art. 17), then sign out."""
    email, gone = _signed_in_or_start()
    if gone:
        return gone
    try:
        count = ops.erase_contact_data(jurisdiction_by_slug(None), email, request.form.get("bestaetigt") == "1")
    except DomainError as exc:
        db.session.rollback()
        return _overview(email, {exc.field or "form": str(exc.message)}, exc.status)
    ops.sign_out()
    db.session.commit()
    return _private(render_template("account/erased.html", count=count))


# --- optional: the town's identity broker (CITIZEN_OIDC_ISSUER; app/account/oidc.py) -------

def _oidc_callback_uri() -> str:
    # BASE_URL's scheme on the town's own host name (from the town table, never from the Host
    # header): the provider only accepts registered redirect URIs, one per town, and the
    # browser's sign-in cookie lives on the host the sign-in started on.
    from app.urls import base_url

    return base_url() + url_for("account.oidc_callback")


@bp.get("/servicekonto")
@limiter.limit("30/minute")
def oidc_start():
    if oidc.settings() is None:
        abort(404)
    try:
        return oidc.redirect_to_provider(_oidc_callback_uri())
    except DomainError as exc:
        return _start_page({"oidc": str(exc.message)}, status=exc.status)


@bp.get("/servicekonto/zurueck")
@limiter.limit("30/minute")
def oidc_callback():
    if oidc.settings() is None:
        abort(404)
    try:
        email = oidc.verified_email()
    except DomainError as exc:
        db.session.rollback()
        return _start_page({"oidc": str(exc.message)}, status=exc.status)
    ops.sign_in_verified(email, g.get("locale", "de"))
    db.session.commit()
    return redirect(url_for("account.start"), 303)
