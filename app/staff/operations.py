"""What staff do with reports. Each operation checks the permission, changes the report,
writes the audit row and flushes; the request commits."""
from __future__ import annotations

import io
import re
import uuid

from flask import abort
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageDraw
from sqlalchemy import select

from app.db import db, on_rollback
from app.followers.models import Follower
from app.errors import DomainError
from app.jurisdictions.models import Department
from app.outbox.operations import record_message
from app.reports.models import Photo, Report
from app.reports.operations import MAX_DESCRIPTION, MAX_NOTE, change_status
from app.validation import check_length, clean_text
from app.reports.photos import storage
from app.reports.status import STATUSES
from app.staff import audit
from app.staff.assignments import assign, end_assignment
from app.staff.access import can_edit_report
from app.staff.models import InternalNote, StaffUser, TextTemplate

PRIORITIES = {0: _l("normal"), 1: _l("erhöht"), 2: _l("hoch"), 3: _l("dringend")}
MAX_REASON = 1000


def _require_edit(user: StaffUser, report: Report) -> None:
    if not can_edit_report(user, report):
        abort(403)


def report_by_reference(user: StaffUser, reference: str) -> Report | None:
    reference = (reference or "").strip().upper()[:32]
    if not reference:
        return None
    return db.session.scalar(select(Report).where(Report.reference == reference,
                                                  Report.jurisdiction_id == user.jurisdiction_id))


def set_status(user: StaffUser, report: Report, new_status: str, *, public_note: str = "", detail: str = "",
               duplicate_of_reference: str = "", extra_changes: dict | None = None) -> None:
    """Change the status through ``change_status`` (history + reporter mail) and audit it
    (``extra_changes`` go into the same audit row, e.g. the photos taken in the field).

    Raises ``DomainError`` for an unknown status, a missing detail, an unknown original.
    """
    _require_edit(user, report)
    duplicate_of = None
    if new_status == "duplikat":
        duplicate_of = report_by_reference(user, duplicate_of_reference)
        if duplicate_of is None:
            raise DomainError(_l("Die ursprüngliche Meldung „%(ref)s“ gibt es nicht.",
                                 ref=(duplicate_of_reference or "")[:32]), "duplicate_of")
    old = report.status
    change = change_status(report, new_status, public_note=clean_text(public_note), detail=clean_text(detail)[:MAX_REASON],
                           duplicate_of=duplicate_of, actor=user.username)
    changes = {"status": [old, new_status]}
    if change.public_note:
        changes["public_note"] = change.public_note
    if duplicate_of is not None:
        changes["duplicate_of"] = duplicate_of.reference
        changes["followers_moved"] = move_followers(report, duplicate_of)
    audit.record("status", staff=user, report=report, changes={**changes, **(extra_changes or {})})


def move_followers(duplicate: Report, original: Report) -> int:
    """Move the duplicate's followers over to the original (flushes); returns how many moved.

    An address already following the original keeps that subscription only.
    """
    taken = set(db.session.scalars(select(Follower.email).where(Follower.report_id == original.id)))
    moved = 0
    for follower in db.session.scalars(select(Follower).where(Follower.report_id == duplicate.id)):
        if follower.email in taken:
            continue
        follower.report_id = original.id
        taken.add(follower.email)
        moved += 1
    db.session.flush()
    return moved


def set_priority(user: StaffUser, report: Report, priority: int) -> None:
    _require_edit(user, report)
    if priority not in PRIORITIES:
        raise DomainError(_l("Diese Priorität gibt es nicht."), "priority")
    if priority == report.priority:
        return
    audit.record("priority", staff=user, report=report, changes={"priority": [report.priority, priority]})
    report.priority = priority
    db.session.flush()


def forward_target(user: StaffUser, department_id: int | str | None, *, field: str = "department") -> Department:
    """The department of the user's town a report may be forwarded to (an id, or its text from a
    form); raises ``DomainError`` when none was chosen or it is not one of the town's."""
    if department_id is None or department_id == "":
        raise DomainError(_l("Bitte wählen Sie eine Abteilung."), field)
    if isinstance(department_id, str):
        if not _SMALL_INT.fullmatch(department_id):
            raise DomainError(_l("Diese Abteilung gibt es nicht."), field)
        department_id = int(department_id)
    department = db.session.get(Department, department_id)
    if department is None or department.jurisdiction_id != user.jurisdiction_id:
        raise DomainError(_l("Diese Abteilung gibt es nicht."), field)
    if department.retired_at is not None:
        raise DomainError(_l("Diese Abteilung ist aufgelöst."), field)
    return department


def forward_reason(reason: str) -> str:
    """The cleaned reason of a forwarding; raises ``DomainError`` when it is empty or too long."""
    reason = clean_text(reason).strip()
    if not reason:
        raise DomainError(_l("Bitte geben Sie einen Grund für die Weiterleitung an."), "reason")
    check_length(reason, MAX_REASON, _l("Der Grund"), "reason")
    return reason


def check_reassign(user: StaffUser, report: Report, department_id: int | None, reason: str) -> Department:
    """Everything ``reassign`` would refuse, checked without changing anything (the confirmation
    step asks only about a forwarding that would go through). Returns the receiving department."""
    _require_edit(user, report)
    forward_reason(reason)
    department = forward_target(user, department_id)
    if department.id == report.department_id:
        raise DomainError(_l("Die Meldung liegt bereits bei dieser Abteilung."), "department")
    return department


def reassign(user: StaffUser, report: Report, department_id: int, reason: str) -> None:
    """Pass the report to another department of the town; that department gets a mail."""
    department = check_reassign(user, report, department_id, reason)
    reason = forward_reason(reason)
    old = report.department
    entry = audit.record("reassign", staff=user, report=report,
                         changes={"department": [old.code, department.code], "reason": reason})
    report.department_id = department.id
    report.department = department
    end_assignment(report)
    record_message("staff_reassigned", f"staff_reassigned:{report.id}:{entry.id}",
                   {"report_id": report.id, "department_id": department.id, "reason": reason,
                    "from_department": old.name})


def add_note(user: StaffUser, report: Report, body: str) -> InternalNote:
    _require_edit(user, report)
    body = clean_text(body).strip()
    if not body:
        raise DomainError(_l("Die Notiz ist leer."), "note")
    check_length(body, MAX_NOTE, _l("Die Notiz"), "note")
    note = InternalNote(report_id=report.id, staff_user_id=user.id, author=user.username, body=body)
    db.session.add(note)
    db.session.flush()
    audit.record("note", staff=user, report=report, changes={"note_id": note.id})
    return note


def edit_public_description(user: StaffUser, report: Report, text: str, published: bool) -> None:
    """Publish an edited description; the reporter's original stays in ``description``."""
    _require_edit(user, report)
    text = clean_text(text).strip()
    check_length(text, MAX_DESCRIPTION, _l("Die Beschreibung"), "public_description")
    new_text = None if text == report.description.strip() or not text else text
    changes = {}
    if new_text != report.public_description:
        changes["public_description"] = [report.public_description, new_text]
    if published != report.description_published:
        changes["description_published"] = [report.description_published, published]
    if not changes:
        return
    report.public_description = new_text
    report.description_published = published
    db.session.flush()
    audit.record("description", staff=user, report=report, changes=changes)


def set_hidden(user: StaffUser, report: Report, hidden: bool) -> None:
    _require_edit(user, report)
    if report.hidden == hidden:
        return
    audit.record("hide" if hidden else "unhide", staff=user, report=report, changes={"hidden": [report.hidden, hidden]})
    report.hidden = hidden
    db.session.flush()


def _photo_of(report: Report, photo_id: int) -> Photo:
    photo = db.session.get(Photo, photo_id)
    if photo is None or photo.report_id != report.id:
        abort(404)
    return photo


def set_photo_published(user: StaffUser, report: Report, photo_id: int, published: bool) -> None:
    _require_edit(user, report)
    photo = _photo_of(report, photo_id)
    if photo.published == published:
        return
    audit.record("photo_publish" if published else "photo_unpublish", staff=user, report=report,
                 target=f"photo:{photo.id}", changes={"published": [photo.published, published]})
    photo.published = published
    db.session.flush()


def parse_rectangle(form) -> tuple[float, float, float, float]:
    """The form's rectangle in percent of the photo (x, y, w, h) as fractions 0…1."""
    values = []
    for name in ("x", "y", "w", "h"):
        raw = (form.get(name) or "").strip().replace(",", ".")
        try:
            value = float(raw)
        except ValueError:
            raise DomainError(_l("Bitte markieren Sie den Bereich, der geschwärzt werden soll."), "rect")
        if not 0 <= value <= 100:
            raise DomainError(_l("Der markierte Bereich liegt außerhalb des Fotos."), "rect")
        values.append(value / 100)
    x, y, w, h = values
    if w <= 0 or h <= 0 or x + w > 1.0001 or y + h > 1.0001:
        raise DomainError(_l("Der markierte Bereich liegt außerhalb des Fotos."), "rect")
    return x, y, w, h


def blank_rectangle(jpeg: bytes, rect: tuple[float, float, float, float]) -> bytes:
    """The JPEG with the rectangle (fractions of width/height) painted black, re-encoded
    without any metadata."""
    from media.processing import JPEG_QUALITY

    with Image.open(io.BytesIO(jpeg)) as source:
        image = source.convert("RGB")
    width, height = image.size
    x, y, w, h = rect
    box = (int(x * width), int(y * height), min(width, int(round((x + w) * width))),
           min(height, int(round((y + h) * height))))
    ImageDraw.Draw(image).rectangle(box, fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def redact_photo(user: StaffUser, report: Report, photo_id: int, rect) -> list[str]:
    """Black out a rectangle in every stored variant of the photo.

    The variants are re-encoded and stored under new keys; returns the old keys,
    which the caller deletes after the commit (so the unredacted pixels are
    neither served nor kept). New files are removed again if the transaction rolls back.
    """
    _require_edit(user, report)
    photo = _photo_of(report, photo_id)
    store = storage()
    prefix = f"reports/{report.id}/{uuid.uuid4().hex}"
    new_keys: dict[str, str] = {}
    try:
        for name, key in photo.variants.items():
            data = blank_rectangle(store.get(key), rect)
            new_key = f"{prefix}/{name}.jpg"
            store.put(new_key, data, "image/jpeg")
            new_keys[name] = new_key
    except Exception:
        for key in new_keys.values():
            store.delete(key)
        raise
    on_rollback(lambda keys=list(new_keys.values()): [store.delete(k) for k in keys])
    old_keys = list(photo.variants.values())
    photo.variants = new_keys
    db.session.flush()
    audit.record("photo_redact", staff=user, report=report, target=f"photo:{photo.id}",
                 changes={"rect": [round(v, 4) for v in rect]})
    return old_keys


def templates_for(report: Report) -> list[TextTemplate]:
    """Textbausteine for this report: its category's and the general ones, by status."""
    return list(db.session.scalars(
        select(TextTemplate).where(TextTemplate.jurisdiction_id == report.jurisdiction_id, TextTemplate.active,
                                   (TextTemplate.category_id == report.category_id) | TextTemplate.category_id.is_(None))
        .order_by(TextTemplate.status, TextTemplate.category_id.nulls_last(), TextTemplate.title)))


def template_text(report: Report, raw_id: str) -> str:
    """The body of a Textbaustein that applies to this report; raises DomainError otherwise."""
    template = db.session.get(TextTemplate, int(raw_id)) if str(raw_id).isdigit() else None
    if (template is None or not template.active or template.jurisdiction_id != report.jurisdiction_id
            or template.category_id not in (None, report.category_id)):
        raise DomainError(_l("Diesen Textbaustein gibt es nicht."), "template_id")
    return template.body


BULK_ACTIONS = ("status", "abteilung", "prioritaet", "zuweisen")


# ASCII digits only, and few of them: str.isdigit() takes "²", which int() refuses, and a
# 30-digit id overflows PostgreSQL's integer (both were 500s).
_SMALL_INT = re.compile(r"-?[0-9]{1,9}")


def bulk_selection(user: StaffUser, report_ids: list[int], action: str, value: str) -> list[Report]:
    """The selected reports, if the user may change every one and chose an action and a value;
    raises ``DomainError`` otherwise. Nothing is preselected on the page, so an empty choice is
    the usual mistake and gets its own answer."""
    if not report_ids:
        raise DomainError(_l("Bitte wählen Sie mindestens eine Meldung aus."), "ids")
    if not action:
        raise DomainError(_l("Bitte wählen Sie eine Aktion."), "action")
    if action not in BULK_ACTIONS:
        raise DomainError(_l("Diese Sammelaktion gibt es nicht."), "action")
    if not value:
        raise DomainError(_l("Bitte wählen Sie den neuen Wert."), "value")
    reports = [report for report in db.session.scalars(
        select(Report).where(Report.id.in_(report_ids), Report.jurisdiction_id == user.jurisdiction_id)
        .order_by(Report.id)) if can_edit_report(user, report)]
    if len(reports) != len(set(report_ids)):
        # One answer for "no such report" and "not yours": the difference would tell department
        # staff which report ids exist elsewhere (and name their references).
        raise DomainError(_l("Einige ausgewählte Meldungen gibt es nicht oder Sie dürfen sie nicht ändern."), "ids",
                          status=404)
    return reports


def bulk_apply(user: StaffUser, report_ids: list[int], action: str, value: str, *, public_note: str = "",
               reason: str = "") -> int:
    """Apply one action to every selected report, all or nothing (raises on the first refusal)."""
    reports = bulk_selection(user, report_ids, action, value)
    for report in reports:
        try:
            if action == "status":
                if value not in STATUSES:
                    raise DomainError(_l("Diesen Status gibt es nicht."), "value")
                if value == report.status and not public_note.strip():
                    continue
                set_status(user, report, value, public_note=public_note)
            elif action == "abteilung":
                if not _SMALL_INT.fullmatch(value):
                    raise DomainError(_l("Diese Abteilung gibt es nicht."), "value")
                if int(value) == report.department_id:
                    continue
                reassign(user, report, int(value), reason)
            elif action == "zuweisen":
                assign(user, report, value)
            else:
                if not _SMALL_INT.fullmatch(value):
                    raise DomainError(_l("Diese Priorität gibt es nicht."), "value")
                set_priority(user, report, int(value))
        except DomainError as exc:
            raise DomainError(_l("Meldung %(ref)s: %(message)s", ref=report.reference, message=str(exc.message)),
                              exc.field, code=exc.code, status=exc.status)
    return len(reports)
