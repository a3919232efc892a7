"""Staff pages under /intern/: the queue, report detail and actions, export, dashboard. Views stay thin."""
from __future__ import annotations

import csv
import io
import json

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import format_decimal, format_number, gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.db import db, utcnow
from app.errors import DomainError
from app.reports.operations import ReportInput, parse_coordinate
from app.forms import validated
from app.i18n import short_datetime_formatter
from app.jurisdictions.models import Category, Department
from app.reports.models import Photo
from app.reports.photos import storage
from app.reports.intake import answers_from
from app.reports.questions import answers_for_reports, answers_in_words, category_extras, report_answers
from app.reports.status import STATUSES
from app.staff import additions, assignments, corrections, deadlines, intake as staff_intake, operations as ops
from app.staff.intake import CHANNEL_LABELS, ONLINE_LABEL
from app.staff.additions import TimelineEntry
from app.staff.access import can_export_contacts, can_see_contact, can_view_report, report_for
from app.staff.auth import current_staff, role_required
from app.staff.forms import (
    AssignForm, BulkForm, CorrectionForm, DescriptionForm, IntakeForm, NoteForm, PhotoPublishForm, PriorityForm,
    ReassignForm, StatusForm, TeamForm, TeamMemberForm, VisibilityForm,
)
from app.staff.models import AuditEntry, InternalNote
from app.staff.wording import AuditWording, history_actor, people_by_username, routing_in_words
from app.staff.queries import (
    COUNT_CAP, last_forwarding, lookups, not_fixed_count, parse_filters, queue_page, status_counts,
)

bp = Blueprint("staff", __name__, url_prefix="/intern")
ANY_ROLE = ("admin", "dispatcher", "staff")


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/")
@role_required(*ANY_ROLE)
def index():
    return redirect(url_for("staff.queue"))


@bp.get("/eingang")
@role_required(*ANY_ROLE)
def queue():
    user = current_staff()
    filters = parse_filters(request.args, user)
    page = queue_page(filters, user)
    names = lookups(user)
    counts = status_counts(filters, user)
    row_text = _queue_row_text(page.rows, names)
    markers = [{"id": r.id, "ref": r.reference, "lat": r.lat, "lon": r.lon, "status": r.status,
                "label": row_text[r.id]["status"], "url": row_text[r.id]["url"]} for r in page.rows]
    return render_template("staff/queue.html", filters=filters, page=page, names=names, counts=counts,
                           row_text=row_text, markers_json=json.dumps(markers).replace("<", "\\u003c"),
                           priorities=ops.PRIORITIES, bulk_departments=names["departments"], count_cap=COUNT_CAP,
                           assign_options=assignments.options_for(user),
                           count_cap_label=format_number(COUNT_CAP), not_fixed_total=not_fixed_count(user))


def _queue_row_text(rows, names: dict) -> dict[int, dict[str, str]]:
    """Per queue row: its detail URL (list and map), the checkbox label, the category and status
    in the page's language and the creation time (short and ISO).

    Made here in one pass because per row in the template (url_for twice, gettext and
    Flask-Babel's date filter, each looking up locale, time zone and catalog again, and
    attribute look-ups that miss) they were about half of the page's rendering time at 50 rows.
    The URL, the label's translation, the names and the date patterns are looked up once for
    the page, not per row.
    """
    # "/intern/meldungen/0" -> "/intern/meldungen/": the id is the last part of the rule.
    detail = url_for("staff.report_detail", report_id=0)[:-1]
    select_label = _("%(ref)s auswählen")  # translated once, filled per row
    created = short_datetime_formatter()
    locale = g.locale
    category_names = {c.id: c.name_en if locale == "en" and c.name_en else c.name for c in names["categories"]}
    status_labels = {code: status.label(locale) for code, status in STATUSES.items()}
    return {r.id: {"url": f"{detail}{r.id}", "select_label": select_label % {"ref": r.reference},
                   # .get: a category made after this process read the names (app/staff/names.py)
                   # shows unnamed on this one page rather than failing it.
                   "category": category_names.get(r.category_id, ""), "status": status_labels[r.status],
                   "created": created(r.created_at), "created_iso": r.created_at.isoformat()}
            for r in rows}


def _report_page(report, status=200):
    user = current_staff()
    notes = list(db.session.scalars(select(InternalNote).where(InternalNote.report_id == report.id)
                                    .order_by(InternalNote.id)))
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.report_id == report.id)
                                      .order_by(AuditEntry.id.desc()).limit(200)))
    departments = list(db.session.scalars(select(Department).where(Department.jurisdiction_id == report.jurisdiction_id,
                                                                   Department.retired_at.is_(None))
                                          .order_by(Department.name)))
    templates = ops.templates_for(report)
    from geoalchemy2.shape import to_shape

    point = to_shape(report.location)
    wording = AuditWording(report.jurisdiction_id, entries)
    categories = list(db.session.scalars(select(Category).where(Category.jurisdiction_id == report.jurisdiction_id,
                                                                Category.active | (Category.id == report.category_id))
                                         .order_by(Category.name)))
    added = additions.report_additions(report)
    timeline = sorted(added.timeline + [TimelineEntry("correction", e.created_at, text=wording.describe(e))
                                            for e in entries if e.action == "correct"], key=lambda t: t.created_at)
    return render_template("staff/report.html", report=report, notes=notes,
                           audit_lines=[wording.describe(e) for e in entries], history_actor=history_actor,
                           people=people_by_username(report.jurisdiction_id, [c.actor for c in report.history]),
                           routing_words=routing_in_words(report), categories=categories, timeline=timeline,
                           channel_label=CHANNEL_LABELS.get(report.channel, ONLINE_LABEL),
                           assignment=assignments.current(report), candidates=assignments.candidates(report),
                           due=deadlines.expected_completion(report), escalation=deadlines.escalation_of(report),
                           now=utcnow(),
                           departments=departments, templates=templates, priorities=ops.PRIORITIES,
                           show_contact=can_see_contact(user, report), lat=point.y, lon=point.x,
                           additions=added,
                           answers=report_answers(report.id, g.get("locale", "de")),
                           templates_json=json.dumps([{"id": t.id, "status": t.status, "title": t.title,
                                                       "body": t.body} for t in templates]).replace("<", "\\u003c")), status


@bp.get("/meldungen/<int:report_id>")
@role_required(*ANY_ROLE)
def report_detail(report_id: int):
    return _report_page(report_for(current_staff(), report_id))


@bp.post("/meldungen/<int:report_id>/ergaenzungen/gesehen")
@role_required(*ANY_ROLE)
def additions_seen(report_id: int):
    user = current_staff()
    report = report_for(user, report_id)
    if additions.mark_additions_seen(user, report):
        return _done(report, _("Die Ergänzungen sind als gesehen markiert."))
    return _done(report, _("Es gibt keine neuen Ergänzungen."))


# Numbers as the reader writes them ("2,5 Tage", "1.234"): the staff pages format every figure with it.
bp.add_app_template_filter(format_decimal, "decimal")


@bp.get("/meldungen/<int:report_id>/fotos/<int:photo_id>/<variant>.jpg")
@role_required(*ANY_ROLE)
def photo(report_id: int, photo_id: int, variant: str):
    report = report_for(current_staff(), report_id)
    item = db.session.get(Photo, photo_id)
    if item is None or item.report_id != report.id or variant not in item.variants:
        abort(404)
    return Response(storage().get(item.variants[variant]), mimetype="image/jpeg")


def _done(report, message: str):
    db.session.commit()
    flash(message)
    return redirect(url_for("staff.report_detail", report_id=report.id), 303)


@bp.post("/meldungen/<int:report_id>/status")
@role_required(*ANY_ROLE)
def change_status(report_id: int):
    user = current_staff()
    report = report_for(user, report_id)
    form = validated(StatusForm(request.form))
    public_note = form.public_note.data
    if not public_note and form.template_id.data:
        public_note = ops.template_text(report, form.template_id.data)
    ops.set_status(user, report, form.status.data, public_note=public_note, detail=form.detail.data,
                   duplicate_of_reference=form.duplicate_of.data)
    return _done(report, _("Der Status wurde geändert."))


@bp.post("/meldungen/<int:report_id>/prioritaet")
@role_required(*ANY_ROLE)
def change_priority(report_id: int):
    user = current_staff()
    report = report_for(user, report_id)
    form = validated(PriorityForm(request.form))
    ops.set_priority(user, report, int(form.priority.data))
    return _done(report, _("Die Priorität wurde geändert."))


@bp.post("/meldungen/<int:report_id>/abteilung")
@role_required(*ANY_ROLE)
def reassign(report_id: int):
    """Forward in two steps: the first post asks, naming the receiving department; the
    confirmation's post forwards. Afterwards the clerk sees where the report went."""
    user = current_staff()
    report = report_for(user, report_id)
    form = validated(ReassignForm(request.form))
    department = ops.check_reassign(user, report, int(form.department.data), form.reason.data)
    if not form.confirmed.data:
        return render_template("staff/forward_confirm.html", reports=[report], department=department,
                               reason=form.reason.data, action=url_for("staff.reassign", report_id=report.id),
                               back=url_for("staff.report_detail", report_id=report.id),
                               fields={"department": department.id, "reason": form.reason.data})
    ops.reassign(user, report, department.id, form.reason.data)
    db.session.commit()
    if can_view_report(user, report):
        flash(_("Die Meldung wurde an „%(name)s“ weitergeleitet.", name=department.name))
        return redirect(url_for("staff.report_detail", report_id=report.id), 303)
    # Department staff no longer see a report they passed on: a page says where it went.
    return redirect(url_for("staff.forwarded", report_id=report.id), 303)


@bp.get("/meldungen/<int:report_id>/weitergeleitet")
@role_required(*ANY_ROLE)
def forwarded(report_id: int):
    """Where the signed-in clerk's last forwarding of this report went (also after they lost access)."""
    forwarding = last_forwarding(current_staff(), report_id)
    if forwarding is None:
        abort(404)
    return render_template("staff/forwarded.html", forwarding=forwarding)


@bp.post("/meldungen/<int:report_id>/korrektur")
@role_required(*ANY_ROLE)
def correct(report_id: int):
    """Correct category, pin or place text. When the rules now name another department, a
    question page offers the re-routing (or keeping the report) before anything is written."""
    user = current_staff()
    report = report_for(user, report_id)
    form = validated(CorrectionForm(request.form))
    plan = corrections.plan_correction(
        user, report, category_id=int(form.category.data) if form.category.data else None, lat=form.lat.data,
        lon=form.lon.data, address_query=form.address.data, place_text=form.place_text.data)
    if plan.reroutes and not form.routing.data:
        return render_template("staff/correct_confirm.html", report=report, plan=plan,
                               routing_words=routing_in_words(report),
                               fields={"category": plan.category.id, "lat": repr(plan.lat), "lon": repr(plan.lon),
                                       "place_text": plan.place_text or "", "notify": "1" if form.notify.data else "0",
                                       "public_note": form.public_note.data})
    corrections.apply_correction(user, report, plan, reroute=form.routing.data == "neu", notify=form.notify.data,
                                 public_note=form.public_note.data)
    db.session.commit()
    if can_view_report(user, report):
        return _done(report, _("Die Meldung wurde berichtigt."))
    flash(_("Die Meldung wurde berichtigt und liegt jetzt bei „%(name)s“.", name=report.department.name))
    return redirect(url_for("staff.queue"), 303)


@bp.get("/aufnehmen")
@role_required(*ANY_ROLE)
def intake_form():
    return _intake_page(MultiDict(), {})


def _intake_page(form, errors: dict[str, str], status: int = 200):
    categories = list(db.session.scalars(select(Category).where(Category.jurisdiction_id == current_staff().jurisdiction_id,
                                                                Category.active).order_by(Category.name)))
    return render_template("staff/intake.html", categories=categories, channels=CHANNEL_LABELS, form=form,
                           errors=errors, category_extras=category_extras(categories)), status


@bp.post("/aufnehmen")
@role_required(*ANY_ROLE)
def intake_submit():
    """Take a report for a caller; it is routed like the citizen's, whatever the clerk's department.
    A refusal shows the form again with every problem named and what was typed kept (photos aside)."""
    user = current_staff()
    try:
        form = validated(IntakeForm(request.form))
        photos = [upload.read() for upload in request.files.getlist("photos") if upload.filename]
        data = ReportInput(category_code=form.category.data, description=form.description.data,
                           lat=parse_coordinate(form.lat.data, -90, 90), lon=parse_coordinate(form.lon.data, -180, 180),
                           address=form.address.data or None, email=form.email.data or None,
                           name=form.name.data or None, phone=form.phone.data or None, channel=form.channel.data,
                           locale="de", photos=photos, answers=answers_from(request.form, form.category.data))
        report = staff_intake.take_report(user, data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()  # also removes photo files stored before the refusal
        errors: dict[str, str] = {}
        for error in getattr(exc, "errors", [exc]):
            errors.setdefault(error.field or "form", str(error.message))
        return _intake_page(request.form, errors, 400)
    message = _("Meldung %(ref)s aufgenommen; zuständig ist „%(name)s“.", ref=report.reference,
                name=report.department.name)
    flash(message)
    if can_view_report(user, report):
        return redirect(url_for("staff.report_detail", report_id=report.id), 303)
    return redirect(url_for("staff.intake_form"), 303)


@bp.get("/aufnehmen/aehnliche")
@role_required(*ANY_ROLE)
def intake_similar():
    """The intake page's duplicate hint (JSON): open reports of the category near the typed place."""
    found = staff_intake.similar_open_reports(
        current_staff(), request.args.get("category", ""), request.args.get("lat", ""), request.args.get("lon", ""),
        request.args.get("address", ""), radius_m=current_app.config.get("DUPLICATE_RADIUS_M", 50))
    locale = g.get("locale", "de")
    return {"reports": [{"reference": s.report.reference, "url": url_for("staff.report_detail", report_id=s.report.id),
                         "category_label": s.category.label(locale),
                         "status_label": STATUSES[s.report.status].label(locale),
                         "distance": _("%(m)s m entfernt", m=format_number(round(s.report.distance_m)))}
                        for s in found]}


@bp.post("/meldungen/<int:report_id>/zuweisung")
@role_required(*ANY_ROLE)
def assign(report_id: int):
    user = current_staff()
    report = report_for(user, report_id)
    changed = assignments.assign(user, report, validated(AssignForm(request.form)).assignee.data)
    if not changed:
        return _done(report, _("Die Zuweisung ist unverändert."))
    label = assignments.assignee_label(assignments.current(report))
    return _done(report, _("Die Meldung ist jetzt „%(name)s“ zugewiesen.", name=label) if label
                 else _("Die Meldung ist niemandem mehr zugewiesen."))


@bp.get("/teams")
@role_required("admin")
def teams():
    user = current_staff()
    departments = list(db.session.scalars(select(Department).where(Department.jurisdiction_id == user.jurisdiction_id)
                                          .order_by(Department.name)))
    return render_template("staff/teams.html", teams=assignments.teams_of_town(user.jurisdiction_id),
                           departments=departments)


@bp.post("/teams")
@role_required("admin")
def team_create():
    form = validated(TeamForm(request.form))
    team = assignments.create_team(current_staff(), form.name.data, int(form.department.data))
    db.session.commit()
    flash(_("Das Team „%(name)s“ wurde angelegt.", name=team.name))
    return redirect(url_for("staff.teams"), 303)


@bp.post("/teams/<int:team_id>/mitglieder")
@role_required("admin")
def team_member(team_id: int):
    form = validated(TeamMemberForm(request.form))
    assignments.set_member(current_staff(), team_id, form.username.data, not form.remove.data)
    db.session.commit()
    flash(_("Das Team wurde geändert."))
    return redirect(url_for("staff.teams"), 303)


@bp.post("/meldungen/<int:report_id>/notiz")
@role_required(*ANY_ROLE)
def add_note(report_id: int):
    user = current_staff()
    report = report_for(user, report_id)
    ops.add_note(user, report, validated(NoteForm(request.form)).note.data)
    return _done(report, _("Die interne Notiz wurde gespeichert."))


@bp.post("/meldungen/<int:report_id>/beschreibung")
@role_required(*ANY_ROLE)
def edit_description(report_id: int):
    user = current_staff()
    report = report_for(user, report_id)
    form = validated(DescriptionForm(request.form))
    ops.edit_public_description(user, report, form.public_description.data, published=form.published.data)
    return _done(report, _("Die öffentliche Beschreibung wurde gespeichert."))


@bp.post("/meldungen/<int:report_id>/sichtbarkeit")
@role_required(*ANY_ROLE)
def visibility(report_id: int):
    user = current_staff()
    report = report_for(user, report_id)
    hidden = validated(VisibilityForm(request.form)).hidden.data
    ops.set_hidden(user, report, hidden)
    return _done(report, _("Die Meldung ist jetzt verborgen.") if hidden else _("Die Meldung ist wieder öffentlich."))


@bp.post("/meldungen/<int:report_id>/fotos/<int:photo_id>/freigabe")
@role_required(*ANY_ROLE)
def photo_publish(report_id: int, photo_id: int):
    user = current_staff()
    report = report_for(user, report_id)
    ops.set_photo_published(user, report, photo_id, validated(PhotoPublishForm(request.form)).published.data)
    return _done(report, _("Die Freigabe des Fotos wurde geändert."))


@bp.post("/meldungen/<int:report_id>/fotos/<int:photo_id>/schwaerzen")
@role_required(*ANY_ROLE)
def photo_redact(report_id: int, photo_id: int):
    user = current_staff()
    report = report_for(user, report_id)
    old_keys = ops.redact_photo(user, report, photo_id, ops.parse_rectangle(request.form))
    db.session.commit()
    # Only after the commit: the unredacted variants are gone for good.
    store = storage()
    for key in old_keys:
        store.delete(key)
    flash(_("Der Bereich wurde geschwärzt."))
    return redirect(url_for("staff.report_detail", report_id=report.id), 303)


@bp.post("/sammelaktion")
@role_required(*ANY_ROLE)
def bulk():
    user = current_staff()
    form = validated(BulkForm(request.form))
    back = form.back.data or ""
    if not back.startswith("/intern/eingang"):
        back = url_for("staff.queue")
    reason = form.reason.data or form.public_note.data
    if form.action.data == "abteilung" and not form.confirmed.data:
        reports = ops.bulk_selection(user, form.ids.data, form.action.data, form.value.data)
        department = ops.forward_target(user, form.value.data, field="value")
        ops.forward_reason(reason)
        return render_template("staff/forward_confirm.html", reports=reports, department=department, reason=reason,
                               action=url_for("staff.bulk"), back=back,
                               fields={"ids": [r.id for r in reports], "action": "abteilung", "value": department.id,
                                       "reason": reason, "back": back})
    count = ops.bulk_apply(user, form.ids.data, form.action.data, form.value.data,
                           public_note=form.public_note.data, reason=reason)
    db.session.commit()
    if form.action.data == "abteilung":
        flash(_("%(n)s Meldungen wurden an „%(name)s“ weitergeleitet.", n=count,
                name=ops.forward_target(user, form.value.data).name))
    else:
        flash(_("%(n)s Meldungen wurden geändert.", n=count))
    return redirect(back, 303)


# --- export -----------------------------------------------------------------

EXPORT_LIMIT = 100_000


def _export_rows(filters, user):
    """The filtered queue in pages of keyset order, up to EXPORT_LIMIT rows."""
    filters.page_size = 1000
    filters.sort = filters.sort if filters.sort in ("neueste", "aelteste", "prioritaet") else "neueste"
    filters.after = None
    sent = 0
    while sent < EXPORT_LIMIT:
        page = queue_page(filters, user)
        yield from page.rows
        sent += len(page.rows)
        if not page.next_cursor:
            return
        filters.after = page.next_cursor


def _batches(rows, size: int = 1000):
    """The rows in lists of ``size`` (one query for their answers and contacts per list)."""
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _contacts_for(ids: list[int]) -> dict[int, tuple]:
    from app.reports.models import Report

    if not ids:
        return {}
    rows = db.session.execute(select(Report.id, Report.reporter_name, Report.reporter_email)
                              .where(Report.id.in_(ids))).all()
    return {r.id: (r.reporter_name or "", r.reporter_email or "") for r in rows}


@bp.get("/eingang.csv")
@role_required(*ANY_ROLE)
def export_csv():
    user = current_staff()
    filters = parse_filters(request.args, user)
    names = lookups(user)
    with_contacts = request.args.get("kontakte") == "1" and can_export_contacts(user)
    header = ["reference", "status", "category", "department", "priority", "created_at", "address", "lat", "lon",
              "overdue", "hidden", "answers"]
    if with_contacts:
        header += ["reporter_name", "reporter_email"]

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        yield buffer.getvalue()
        for batch in _batches(_export_rows(filters, user)):
            buffer.seek(0)
            buffer.truncate()
            contacts = _contacts_for([r.id for r in batch]) if with_contacts else {}
            answers = answers_for_reports([r.id for r in batch], "de")
            for r in batch:
                row = [r.reference, r.status, names["category_by_id"][r.category_id].code,
                       names["department_by_id"][r.department_id].code, r.priority, r.created_at.isoformat(),
                       _csv_safe(r.address or ""), f"{r.lat:.6f}", f"{r.lon:.6f}", int(bool(r.overdue)),
                       int(r.hidden), _csv_safe(answers_in_words(answers.get(r.id, [])))]
                if with_contacts:
                    row += [_csv_safe(v) for v in contacts.get(r.id, ("", ""))]
                writer.writerow(row)
            yield buffer.getvalue()

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="meldungen.csv"'
    return response


def _csv_safe(value: str) -> str:
    # Spreadsheets run cells starting with = + - @ as formulas.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@bp.get("/eingang.geojson")
@role_required(*ANY_ROLE)
def export_geojson():
    user = current_staff()
    filters = parse_filters(request.args, user)
    names = lookups(user)

    def features(batch):
        answers = answers_for_reports([r.id for r in batch], "de")
        for r in batch:
            yield {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(r.lon, 6), round(r.lat, 6)]},
                   "properties": {"reference": r.reference, "status": r.status,
                                  "category": names["category_by_id"][r.category_id].code,
                                  "department": names["department_by_id"][r.department_id].code,
                                  "priority": r.priority, "created_at": r.created_at.isoformat(),
                                  "address": r.address, "overdue": bool(r.overdue), "hidden": r.hidden,
                                  "answers": [{"code": a.code, "question": a.question, "answer": a.text,
                                               "value": a.value} for a in answers.get(r.id, [])]}}

    def generate():
        yield '{"type":"FeatureCollection","features":['
        first = True
        for batch in _batches(_export_rows(filters, user)):
            for feature in features(batch):
                yield ("" if first else ",") + json.dumps(feature, ensure_ascii=False)
                first = False
        yield "]}"

    response = Response(stream_with_context(generate()), mimetype="application/geo+json")
    response.headers["Content-Disposition"] = 'attachment; filename="meldungen.geojson"'
    return response


@bp.get("/uebersicht")
@role_required(*ANY_ROLE)
def dashboard():
    from app.staff.dashboard import dashboard_data

    user = current_staff()
    data, computed_at = dashboard_data(user.jurisdiction_id)
    channels = [{"label": str(CHANNEL_LABELS.get(r["channel"], ONLINE_LABEL)), "n": r["n"]}
                for r in data.get("open_by_channel", [])]  # absent from a snapshot of the previous release
    return render_template("staff/dashboard.html", data=data, computed_at=computed_at, channels=channels)
