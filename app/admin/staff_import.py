"""Many staff accounts at once from a CSV file (the admin page's "Konten importieren").

Columns (header row, ',' or ';'): ``username, name, email, role, department``. The role may be
left empty: a new account then gets the least one ("staff"); the department is given by its name
(or code). The file is taken whole or not at all: every line with a problem is named, and then
nothing is created. Each new account gets a mail with a link to set its own password (the
password-reset mail); no password travels in the file."""
from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select

from app.db import db
from app.errors import DomainError
from app.jurisdictions.models import Department
from app.outbox.operations import record_message
from app.staff import audit
from app.staff.auth import set_password
from app.staff.models import ROLES, StaffUser
from app.validation import clean_text, normalize_email

MAX_ROWS = 2000
COLUMNS = {"username": ("username", "benutzername", "kennung"), "name": ("name", "display_name", "anzeigename"),
           "email": ("email", "e-mail", "mail"), "role": ("role", "rolle"), "department": ("department", "abteilung")}
ROLE_WORDS = {"staff": "staff", "abteilung": "staff", "mitarbeitende": "staff", "dispatcher": "dispatcher",
              "leitstelle": "dispatcher", "admin": "admin", "administration": "admin"}


@dataclass
class StaffImport:
    created: list[StaffUser] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def import_staff(admin: StaffUser, data: bytes) -> StaffImport:
    """Create the file's accounts in the admin's town (flushes); with any error, none."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(_l("Die Datei ist nicht in UTF-8 gespeichert."), "datei") from None
    sample = text[:2048]
    reader = csv.DictReader(io.StringIO(text), delimiter=";" if sample.count(";") > sample.count(",") else ",")
    header = {name.strip().lower(): name for name in (reader.fieldnames or [])}
    cols = {key: next((header[n] for n in names if n in header), None) for key, names in COLUMNS.items()}
    if cols["username"] is None or cols["email"] is None:
        raise DomainError(_l("Die Kopfzeile braucht mindestens die Spalten username und email "
                             "(dazu name, role, department)."), "datei")
    departments = {}
    for department in db.session.scalars(select(Department).where(Department.jurisdiction_id == admin.jurisdiction_id,
                                                                  Department.retired_at.is_(None))):
        departments[department.name.strip().lower()] = department
        departments[department.code.lower()] = department
    taken = {u.lower() for u in db.session.scalars(select(func.lower(StaffUser.username)))}
    result, seen = StaffImport(), set()
    rows = list(enumerate(reader, start=2))
    if len(rows) > MAX_ROWS:
        raise DomainError(_l("Höchstens %(n)s Konten pro Datei.", n=MAX_ROWS), "datei")
    planned = []
    for line, raw in rows:
        def value(key: str) -> str:
            return clean_text(raw.get(cols[key]) or "").strip() if cols[key] else ""

        problems = []
        username = value("username").lower()
        if not username or len(username) > 100 or not all(c.isalnum() or c in "._-" for c in username):
            problems.append(_("Benutzername fehlt oder enthält andere Zeichen als Buchstaben, Ziffern und - _ ."))
        elif username in taken or username in seen:
            problems.append(_("Den Benutzernamen %(name)s gibt es schon.", name=username))
        try:
            email = normalize_email(value("email"))
        except DomainError:
            email = None
            problems.append(_("Die E-Mail-Adresse fehlt oder ist ungültig."))
        role = ROLE_WORDS.get(value("role").lower() or "staff")
        if role not in ROLES:
            problems.append(_("Die Rolle %(role)s gibt es nicht (staff, dispatcher oder admin).", role=value("role")))
        department = None
        if value("department"):
            department = departments.get(value("department").lower())
            if department is None:
                problems.append(_("Die Abteilung %(name)s gibt es nicht.", name=value("department")))
        elif role == "staff":
            problems.append(_("Mitarbeitende einer Abteilung brauchen eine Abteilung."))
        if len(value("name")) > 200:
            problems.append(_("Der Name ist zu lang (höchstens 200 Zeichen)."))
        if problems:
            result.errors.append((line, " ".join(problems)))
            continue
        seen.add(username)
        planned.append((username, value("name"), email, role, department))
    if result.errors:
        return result
    for username, name, email, role, department in planned:
        user = StaffUser(jurisdiction_id=admin.jurisdiction_id, username=username, display_name=name, email=email,
                         role=role, department_id=department.id if department else None, active=True)
        set_password(user, secrets.token_urlsafe(32))  # nobody knows it: the mail's link sets the real one
        db.session.add(user)
        db.session.flush()
        record_message("staff_password_reset", f"staff_password_reset:{user.id}:import", {"staff_user_id": user.id})
        audit.record("user_create", staff=admin, target=f"user:{user.username}",
                     changes={"role": role, "department": department.code if department else None, "source": "csv"})
        result.created.append(user)
    audit.record("staff_imported", staff=admin, target="staff:csv",
                 changes={"imported": len(result.created), "rejected": 0})
    return result
