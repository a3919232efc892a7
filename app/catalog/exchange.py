"""Import and export of a town's catalog as JSON or CSV.

An import is all or nothing: every row is read and checked first (fields, departments,
duplicate slugs); if any row is bad, ``ImportRefused`` lists the bad rows with their line
numbers and nothing is written. Rows are matched to existing entries by ``slug``.

CSV: UTF-8 (a BOM is fine), comma or semicolon separated, a header row with the
exchange field names; list fields separated by ``|``; ``online``/``retired`` as ja/nein.
JSON: an array of objects with the same keys (lists as arrays, booleans as true/false).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.catalog.models import CatalogEntry
from app.catalog.operations import EXCHANGE_FIELDS, EntryInput, clean, entry_as_exchange, parse_entry, save_entry
from app.db import db
from app.errors import DomainError, ValidationFailed
from app.jurisdictions.models import Department, Jurisdiction

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 20000
MAX_REPORTED_ERRORS = 50


class RowError(DomainError):
    """A problem with one row of an import file, with its line number."""

    def __init__(self, line: int, message, field: str | None = None):
        super().__init__(_l("Zeile %(line)s: %(message)s", line=line, message=message), field, code="bad_row")
        self.line = line

    def as_dict(self) -> dict:
        return {**super().as_dict(), "line": self.line}


class ImportRefused(ValidationFailed):
    """The import was refused; ``errors`` are ``RowError``s (or one file-level error)."""

    status = 422

    def __init__(self, errors: list[DomainError]):
        super().__init__(errors)
        self.code = "import_refused"


@dataclass
class _BadRow:
    message: object


@dataclass
class ImportResult:
    created: int
    updated: int


def _file_error(message, line: int = 1) -> ImportRefused:
    return ImportRefused([RowError(line, message)])


def json_rows(text: str) -> list[tuple[int, object]]:
    """The objects of a top-level JSON array with the line each one starts on."""
    decoder = json.JSONDecoder()
    text = text.lstrip("\ufeff")
    position = _skip_space(text, 0)
    if position >= len(text) or text[position] != "[":
        raise _file_error(_l("Die JSON-Datei muss eine Liste von Einträgen sein ([ {...}, {...} ])."),
                          text.count("\n", 0, position) + 1)
    position = _skip_space(text, position + 1)
    rows: list[tuple[int, object]] = []
    expect_item = True
    while True:
        if position >= len(text):
            raise _file_error(_l("Die JSON-Datei endet mitten in der Liste."), text.count("\n") + 1)
        if text[position] == "]" and (not rows or not expect_item):
            break
        line = text.count("\n", 0, position) + 1
        if not expect_item:
            if text[position] != ",":
                raise _file_error(_l("Ungültiges JSON: Komma oder ] erwartet."), line)
            position = _skip_space(text, position + 1)
            expect_item = True
            continue
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise _file_error(_l("Ungültiges JSON: %(error)s", error=exc.msg), exc.lineno) from None
        rows.append((line, value))
        if len(rows) > MAX_IMPORT_ROWS:
            raise _file_error(_l("Höchstens %(n)s Einträge pro Import.", n=MAX_IMPORT_ROWS), line)
        position = _skip_space(text, position)
        expect_item = False
    if _skip_space(text, position + 1) != len(text):
        raise _file_error(_l("Nach dem Ende der Liste folgt noch etwas."), text.count("\n", 0, position) + 1)
    return rows


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def csv_rows(text: str) -> list[tuple[int, object]]:
    """The rows of a CSV file as dicts, with the line each row starts on (the header is line 1)."""
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise _file_error(_l("Die CSV-Datei ist leer.")) from None
    except csv.Error as exc:
        raise _file_error(_l("Ungültige CSV-Datei: %(error)s", error=str(exc))) from None
    unknown = [h for h in header if h not in EXCHANGE_FIELDS]
    if unknown or len(set(header)) != len(header):
        raise _file_error(_l("Unbekannte oder doppelte Spalten in der Kopfzeile: %(names)s. Erlaubt sind: %(allowed)s.",
                             names=", ".join(unknown or header)[:200], allowed=", ".join(EXCHANGE_FIELDS)))
    rows: list[tuple[int, object]] = []
    line = reader.line_num + 1
    try:
        for values in reader:
            if any(v.strip() for v in values):
                if len(values) != len(header):
                    rows.append((line, _BadRow(_l("Die Zeile hat %(got)s statt %(want)s Spalten.",
                                                  got=len(values), want=len(header)))))
                else:
                    rows.append((line, dict(zip(header, values))))
            if len(rows) > MAX_IMPORT_ROWS:
                raise _file_error(_l("Höchstens %(n)s Einträge pro Import.", n=MAX_IMPORT_ROWS), line)
            line = reader.line_num + 1
    except csv.Error as exc:
        raise _file_error(_l("Ungültige CSV-Datei: %(error)s", error=str(exc)), line) from None
    return rows


def read_rows(data: bytes, fmt: str) -> list[tuple[int, object]]:
    if len(data) > MAX_IMPORT_BYTES:
        raise _file_error(_l("Die Datei ist zu groß (höchstens %(n)s MB).", n=MAX_IMPORT_BYTES // 1024 // 1024))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _file_error(_l("Die Datei ist nicht in UTF-8 kodiert."), data.count(b"\n", 0, exc.start) + 1) from None
    if fmt == "json":
        return json_rows(text)
    if fmt == "csv":
        return csv_rows(text)
    raise DomainError(_l("Unbekanntes Format (erlaubt: json, csv)."), "format")


def import_catalog(jurisdiction: Jurisdiction, data: bytes, fmt: str) -> ImportResult:
    """Create or update the entries in ``data`` (JSON or CSV bytes); flushes.

    Raises ``ImportRefused`` naming each bad row's line when any row is bad; then
    nothing has been written.
    """
    rows = read_rows(data, fmt)
    departments = {d.code: d for d in db.session.scalars(
        select(Department).where(Department.jurisdiction_id == jurisdiction.id))}
    existing = {e.slug: e for e in db.session.scalars(
        select(CatalogEntry).where(CatalogEntry.jurisdiction_id == jurisdiction.id))}
    errors: list[DomainError] = []
    parsed: list[EntryInput] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        if isinstance(row, _BadRow):
            errors.append(RowError(line, row.message))
            continue
        if not isinstance(row, dict):
            errors.append(RowError(line, _l("Ein Eintrag muss ein Objekt mit Feldern sein.")))
            continue
        department_code = clean(row.get("department")) if not isinstance(row.get("department"), (dict, list)) else ""
        if department_code and department_code not in departments:
            errors.append(RowError(line, _l("Die zuständige Stelle „%(code)s“ gibt es nicht.",
                                            code=department_code[:100]), "department"))
        try:
            entry = parse_entry(row)
        except ValidationFailed as exc:
            errors.extend(RowError(line, f"{e.field}: {e.message}" if e.field else e.message, e.field)
                          for e in exc.errors)
            continue
        if entry.slug in seen:
            errors.append(RowError(line, _l("Die Kurzadresse „%(slug)s“ steht schon in Zeile %(other)s.",
                                            slug=entry.slug, other=seen[entry.slug]), "slug"))
        seen.setdefault(entry.slug, line)
        parsed.append(entry)
    if not rows:
        errors.append(RowError(1, _l("Die Datei enthält keine Einträge.")))
    if errors:
        raise ImportRefused(errors[:MAX_REPORTED_ERRORS])
    created = updated = 0
    for entry in parsed:
        target = existing.get(entry.slug)
        save_entry(jurisdiction, entry, target)
        if target is None:
            created += 1
        else:
            updated += 1
    return ImportResult(created=created, updated=updated)


def export_entries(jurisdiction: Jurisdiction, include_retired: bool = True) -> list[dict]:
    query = (select(CatalogEntry).where(CatalogEntry.jurisdiction_id == jurisdiction.id)
             .options(selectinload(CatalogEntry.department)).order_by(CatalogEntry.slug))
    if not include_retired:
        query = query.where(CatalogEntry.retired_at.is_(None))
    return [entry_as_exchange(e) for e in db.session.scalars(query)]


def export_json(jurisdiction: Jurisdiction) -> str:
    return json.dumps(export_entries(jurisdiction), ensure_ascii=False, indent=2) + "\n"


def export_csv(jurisdiction: Jurisdiction) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXCHANGE_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in export_entries(jurisdiction):
        writer.writerow({
            **row,
            "online": "ja" if row["online"] else "nein",
            "retired": "ja" if row["retired"] else "nein",
            "required_documents": " | ".join(row["required_documents"]),
            "keywords": " | ".join(row["keywords"]),
            "leika_key": row["leika_key"] or "",
            "online_url": row["online_url"] or "",
            "last_reviewed": row["last_reviewed"] or "",
            "review_due": row["review_due"] or "",
        })
    return out.getvalue()
