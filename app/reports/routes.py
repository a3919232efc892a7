"""Citizen intake and the reporter's private pages. Views stay thin."""
from __future__ import annotations

import uuid

from flask import (Blueprint, Response, abort, current_app, g, redirect, render_template, request, send_from_directory,
                   url_for)
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.account.session import current_email
from app.config import PROJECT_ROOT
from app.db import db
from app.errors import NotFound, ValidationFailed
from app.jurisdictions.limits import town_limits
from app.jurisdictions.models import Category, Jurisdiction
from app.jurisdictions.queries import active_categories, jurisdiction_by_slug, this_town_id
from app.public.mapview import tile_attribution, tile_url
from app.reports.models import Photo, Report
from app.reports.intake import intake_limit, report_input, submit, town_intake_limit
from app.reports.operations import (
    BelongsToNeighbour, clean_idempotency_key, confirm_reporter_email, report_to_confirm, too_many_photos,
)
from app.reports.photos import photo_version, public_photo_url, storage
from app.reports.questions import category_extras
from geo.areas import town_bounds
from media import LocalStorage

# Mails of this feature keep their templates in the package (app/reports/templates/mail/);
# Flask looks there after the app's templates/ folder.
bp = Blueprint("reports", __name__, template_folder="templates")
bp.add_app_template_global(public_photo_url, "public_photo_url")


def intake_config(jurisdiction: Jurisdiction) -> dict:
    """What the page script needs: endpoints, map, limits and its messages in the page's language."""
    config = current_app.config
    limits = town_limits(jurisdiction.profile, config)
    return {
        "submitUrl": url_for("intake_api.create"),
        "locationUrl": url_for("intake_api.check_location"),
        "followUrl": url_for("intake_api.follow"),
        # "Ich auch" in the duplicate hint (app/feedback); {ref} is the report's reference.
        "supportUrl": url_for("feedback.support_api", reference="REF").replace("REF", "{ref}"),
        # The geo layer's public JSON API (app/mapapi).
        "geocodeUrl": "/api/v1/geocode",
        "reverseUrl": "/api/v1/reverse",
        "nearbyUrl": "/api/v1/reports/nearby",
        "serviceWorker": url_for("reports.service_worker"),
        "tileUrl": tile_url(),
        "tileAttribution": tile_attribution(),
        "bounds": town_bounds(db.session, jurisdiction.id),
        "maxPhotos": limits.photos_per_report,
        "maxPhotoBytes": limits.photo_bytes,
        "photoLongSide": config.get("BROWSER_PHOTO_LONG_SIDE", 2000),
        "duplicateRadius": config.get("DUPLICATE_RADIUS_M", 50),
        "lang": g.get("locale", "de"),
        "messages": {
            "neighbourLink": gettext("Dort melden (Ort und Beschreibung werden übernommen)"),
            "summaryTitle": gettext("Bitte prüfen Sie Ihre Angaben"),
            "category": gettext("Bitte wählen Sie eine Kategorie."),
            "description": gettext("Bitte beschreiben Sie den Mangel in wenigen Worten."),
            "location": gettext("Bitte geben Sie den Ort an: eine Adresse oder Breite und Länge in Grad, "
                                "z. B. 51,962 und 8,229."),
            "tooManyPhotos": str(too_many_photos(limits.photos_per_report)),
            "sending": gettext("Ihre Meldung wird gesendet …"),
            "queued": gettext("Keine Verbindung. Ihre Meldung ist auf diesem Gerät gespeichert und wird automatisch "
                              "gesendet, sobald wieder eine Verbindung besteht. Lassen Sie diese Seite dafür am "
                              "besten geöffnet."),
            "queuedSent": gettext("Ihre gespeicherte Meldung wurde gesendet. Ihre Vorgangsnummer:"),
            "queuedRefused": gettext("Ihre gespeicherte Meldung wurde nicht angenommen. Bitte prüfen Sie die Angaben "
                                     "und senden Sie sie erneut."),
            "showConfirmation": gettext("Bestätigung und privaten Verfolgungslink ansehen"),
            "serverError": gettext("Der Server ist gerade nicht erreichbar. Ihre Meldung ist gespeichert und wird "
                                   "später erneut gesendet."),
            "pinTitle": gettext("Ort des Mangels"),
            "pinSet": gettext("Markierung gesetzt: Breite %(lat)s, Länge %(lon)s."),
            "addressAtPin": gettext("Adresse an der Markierung:"),
            "department": gettext("Zuständig:"),
            "locating": gettext("Ihr Standort wird ermittelt …"),
            "locateFailed": gettext("Ihr Standort konnte nicht ermittelt werden. Bitte setzen Sie die Markierung "
                                    "auf der Karte oder geben Sie eine Adresse ein."),
            "searching": gettext("Adresse wird gesucht …"),
            "noAddress": gettext("Keine passende Adresse gefunden. Bitte prüfen Sie die Schreibweise."),
            "searchUnavailable": gettext("Die Adresssuche ist gerade nicht verfügbar. Bitte setzen Sie die "
                                         "Markierung auf der Karte."),
            "chooseAddress": gettext("Gefundene Adressen – bitte eine auswählen:"),
            "distance": gettext("%(m)s m entfernt"),
            "follow": gettext("Stattdessen dieser Meldung folgen"),
            "followEmail": gettext("Ihre E-Mail-Adresse für Nachrichten zu dieser Meldung"),
            "followSend": gettext("Folgen"),
            "support": gettext("Ich auch"),
            "supportLabel": gettext("Ich auch: %(ref)s betrifft mich auch (anonym)"),
            "photoPreview": gettext("Vorschau von Foto %(n)s"),
            "photoGpsUsed": gettext("Die Position des Fotos wurde als Ort übernommen."),
            "photoRemove": gettext("Foto %(n)s entfernen"),
            "photoOne": gettext("1 Foto"),
            "photoCount": gettext("%(n)s Fotos"),
            "categoriesFound": gettext("%(n)s passende Kategorien"),
            "none": gettext("keine"),
            "missing": gettext("fehlt noch"),
            "noEmail": gettext("keine – Sie verfolgen die Meldung über den Link auf der nächsten Seite"),
            # The step screens (js/intake-steps.js).
            "next": gettext("Weiter"),
            "back": gettext("Zurück"),
            "stepOf": gettext("Schritt %(n)s von %(total)s"),
            "change": gettext("Ändern"),
            "changeWhat": gettext("%(what)s ändern"),
            "answerQuestion": gettext("Bitte beantworten Sie die Frage „%(question)s“."),
        },
    }


# A group or category with one of these names catches what fits nowhere else: it comes last,
# after the choices a person should look at first.
CATCH_ALL = {"sonstiges", "sonstige", "other", "andere"}


def category_groups(categories: list[Category]) -> list[tuple[str, list[Category]]]:
    """Categories as tiles in their groups, the largest group first (most reports fall there), the
    catch-all last."""
    groups: dict[str, list[Category]] = {}
    for category in categories:
        groups.setdefault(category.group or "", []).append(category)
    for items in groups.values():
        items.sort(key=lambda c: c.code in CATCH_ALL or c.name.lower() in CATCH_ALL)
    return sorted(groups.items(), key=lambda item: (item[0].strip().lower() in CATCH_ALL, -len(item[1]), item[0]))


def _render_form(jurisdiction: Jurisdiction, form, errors: dict, status: int = 200, neighbour=None):
    categories = active_categories(jurisdiction)
    groups = category_groups(categories)
    return render_template("reports/new.html", jurisdiction=jurisdiction, categories=categories, form=form,
                           neighbour=neighbour, limits=town_limits(jurisdiction.profile, current_app.config),
                           errors=errors, intake_config=intake_config(jurisdiction), category_groups=groups,
                           category_extras=category_extras(categories),
                           category_description=lambda c: c.help_text(g.get("locale", "de")),
                           first_category=groups[0][1][0].code if groups else ""), status


@bp.get("/melden")
def new_report():
    jurisdiction = jurisdiction_by_slug(None)
    # Signed in to Meine Meldungen: the address is filled in (the person may still change it).
    form = MultiDict({"idempotency_key": uuid.uuid4().hex, "email": current_email() or ""})
    # Carried over from a neighbouring town's form ("Dieser Ort gehört zu …"): place and text only.
    for name in CARRIED_FIELDS:
        if request.args.get(name):
            form[name] = request.args[name][:2000]
    return _render_form(jurisdiction, form, {})


CARRIED_FIELDS = ("lat", "lon", "description", "address")


@bp.post("/melden")
@intake_limit
@town_intake_limit
def submit_report():
    jurisdiction = jurisdiction_by_slug(None)
    data = report_input(request.form, request.files, clean_idempotency_key(request.form.get("idempotency_key")))
    try:
        report, _created = submit(jurisdiction, data)
    except ValidationFailed as exc:
        errors: dict[str, str] = {}
        for error in exc.errors:
            errors.setdefault(error.field or "form", str(error.message))
        form = MultiDict([(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"])
        if not data.idempotency_key:
            form["idempotency_key"] = uuid.uuid4().hex
        neighbour = next((e for e in exc.errors if isinstance(e, BelongsToNeighbour)), None)
        return _render_form(jurisdiction, form, errors, 400, neighbour=neighbour)
    return redirect(url_for("reports.submitted", token=report.tracking_token), 303)


def _report_by_token(token: str) -> Report:
    report = db.session.scalar(select(Report).where(Report.tracking_token == token,
                                                    Report.jurisdiction_id == this_town_id())) if token else None
    if report is None:
        raise NotFound("unknown tracking token")
    return report


def _private(response):
    # Pages behind the tracking link: never cached by shared caches, never indexed.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/meldung/eingegangen/<token>")
def submitted(token: str):
    report = _report_by_token(token)
    return _private(Response(render_template("reports/submitted.html", report=report)))


@bp.get("/verfolgen/<token>")
def track(token: str):
    report = _report_by_token(token)
    return _private(Response(render_template("reports/track.html", report=report)))


@bp.get("/t/<token>")
def short_track(token: str):
    """The short tracking link mails carry ("…/t/<token>"). The token is a secret: this rule's
    ``<token>`` puts the path under the log redaction (app/logs.py) like /verfolgen/."""
    return _private(redirect(url_for("reports.track", token=token), 302))


@bp.get("/verfolgen/<token>/fotos/<int:photo_id>/<variant>.jpg")
def tracked_photo(token: str, photo_id: int, variant: str):
    """The reporter's own photo (published or not), behind the private tracking link."""
    report = _report_by_token(token)
    item = db.session.get(Photo, photo_id)
    if item is None or item.report_id != report.id or variant not in item.variants:
        abort(404)
    return _private(Response(storage().get(item.variants[variant]), mimetype="image/jpeg"))


@bp.get("/bestaetigen/<token>")
def confirm_email(token: str):
    """Asks before confirming: mail scanners open every link in a mail, and the address
    must be confirmed by its owner pressing the button. Once confirmed the same address
    shows the result."""
    report = report_to_confirm(token)
    if not report.reporter_email_confirmed:
        return _private(Response(render_template("public/confirm_subscription.html", kind="reporter", report=report,
                                                 action=url_for("reports.confirm_email_submit", token=token))))
    return _private(Response(render_template("reports/confirmed.html", report=report)))


@bp.post("/bestaetigen/<token>")
def confirm_email_submit(token: str):
    confirm_reporter_email(token)
    db.session.commit()
    return redirect(url_for("reports.confirm_email", token=token), 303)


@bp.get("/fotos/<int:photo_id>/<variant>.jpg")
def photo(photo_id: int, variant: str):
    """A public photo variant: only published photos of visible reports."""
    item = db.session.get(Photo, photo_id)
    if (item is None or variant not in item.variants or not item.published or item.report.hidden
            or not item.report.status_info.public or item.report.jurisdiction_id != this_town_id()):
        abort(404)
    version = photo_version(item.variants[variant])
    asked = request.args.get("v")
    if asked is not None and asked != version:
        # Redacted (or otherwise replaced) since that address was handed out: send the browser to
        # the current picture; the old address is never answered with the new pixels under a
        # long cache, nor the new address with the old ones.
        response = redirect(public_photo_url(item.id, item.variants, variant), 302)
        response.headers["Cache-Control"] = "no-store"
        return response
    accel = current_app.config.get("MEDIA_ACCEL_PREFIX")
    if accel and isinstance(storage(), LocalStorage):
        # nginx sends the file (X-Accel-Redirect to its internal location); the checks above stay here.
        response = Response(b"", mimetype="image/jpeg")
        response.headers["X-Accel-Redirect"] = accel.rstrip("/") + "/" + item.variants[variant]
    else:
        response = Response(storage().get(item.variants[variant]), mimetype="image/jpeg")
    # A versioned address never changes its content; an unversioned one (old links) is checked each time.
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if asked else "public, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- installable web app: the service worker must be served from the site root so
# that its scope covers /melden; the manifest names the app and its icons.

@bp.get("/sw.js")
def service_worker():
    response = send_from_directory(PROJECT_ROOT / "app" / "static" / "js", "sw.js", mimetype="text/javascript",
                                   max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    jurisdiction = jurisdiction_by_slug(None)
    body = {
        "name": f"Mängelmelder {jurisdiction.name}",
        "short_name": "Mängelmelder",
        "lang": "de",
        "start_url": url_for("reports.new_report"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#003e6b",
        "icons": [
            {"src": url_for("static", filename="img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": url_for("static", filename="img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": url_for("static", filename="img/icon-maskable-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    }
    response = current_app.response_class(current_app.json.dumps(body), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
