"""Moving in from an earlier system: reports from a CSV file or an Open311 GeoReport v2
``requests.json``, with photos from a folder named by reference (``flask reports import``).

Each old reference stays the report's reference (staff search and Open311 find it); each
report gets its history (received, then its status) and is routed by today's rules (or goes
to the department a ``department`` column names); no mail is sent (no outbox row). A report
imported before is counted as unchanged, so a second run changes nothing. Rows are checked in
Python, then routed and written set-based (a temporary table, one INSERT ... SELECT each for
reports and history), which is what makes 100,000 rows a matter of seconds.
"""
from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.jurisdictions.models import Category, Department, Jurisdiction
from app.reports.status import STATUSES
from app.validation import clean_text

CSV_HEADER = ["reference", "service_code", "lat", "long", "status", "requested_datetime", "updated_datetime",
              "description", "address"]
OPEN311_STATUS = {"open": "eingegangen", "closed": "erledigt"}
IMPORT_ACTOR = "import"
MAX_REFERENCE = 32


@dataclass
class ImportResult:
    imported: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    photos: int = 0
    imported_ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return f"imported={self.imported} unchanged={self.unchanged} rejected={len(self.rejected)}"


def _rows_from_csv(data: str) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    reader = csv.reader(io.StringIO(data.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or [h.strip() for h in header[:len(CSV_HEADER)]] != CSV_HEADER \
            or any(h.strip() not in ("department",) for h in header[len(CSV_HEADER):]):
        raise ValueError("line 1: the header must be " + ",".join(CSV_HEADER) + " (optionally ,department)")
    names = [h.strip() for h in header]
    rows, rejected = [], []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(names):
            rejected.append((line, f"{len(values)} fields instead of {len(names)}"))
            continue
        rows.append((line, dict(zip(names, values))))
    return rows, rejected


def _rows_from_open311(data: str) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    try:
        requests = json.loads(data)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if isinstance(requests, dict) and "service_requests" in requests:
        requests = requests["service_requests"]
    if not isinstance(requests, list):
        raise ValueError("expected a list of Open311 service requests")
    rows, rejected = [], []
    # "Line" of a JSON export: the request's position in the list (1 = the first).
    for number, request in enumerate(requests, start=1):
        if not isinstance(request, dict):
            rejected.append((number, "not an object"))
            continue
        row = {key: "" if request.get(key) is None else str(request.get(key)) for key in CSV_HEADER[1:]}
        row["reference"] = str(request.get("service_request_id") or "")
        row["department"] = str(request.get("agency_responsible") or "")
        rows.append((number, row))
    return rows, rejected


def _datetime(raw: str, name: str) -> datetime:
    value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _checked(row: dict, categories: dict[str, int], departments: dict[str, int]) -> tuple | str:
    """The row as values for the temporary table, or the reason it is refused."""
    reference = row.get("reference", "").strip()
    if not reference:
        return "reference is empty"
    if len(reference) > MAX_REFERENCE:
        return f"reference longer than {MAX_REFERENCE} characters"
    code = row.get("service_code", "").strip()
    if code not in categories:
        return f"unknown service_code {code[:40]!r}"
    try:
        lat, lon = float(row.get("lat", "").replace(",", ".")), float(row.get("long", "").replace(",", "."))
    except ValueError:
        return "lat/long are not numbers"
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return "lat/long out of range"
    raw_status = row.get("status", "").strip().lower()
    status = OPEN311_STATUS.get(raw_status, raw_status)
    if status not in STATUSES or status == "unbestaetigt":
        return f"unknown status {raw_status[:40]!r}"
    try:
        created = _datetime(row.get("requested_datetime", ""), "requested_datetime")
        updated = _datetime(row["updated_datetime"], "updated_datetime") if row.get("updated_datetime", "").strip() \
            else created
    except ValueError:
        return "requested_datetime/updated_datetime is not an ISO 8601 date and time"
    department = row.get("department", "").strip()
    if department and department not in departments:
        return f"unknown department {department[:40]!r}"
    description = clean_text(row.get("description", "")).strip()[:5000]
    address = clean_text(row.get("address", "")).strip()[:300] or None
    return (reference, categories[code], lon, lat, status, created, max(updated, created), description, address,
            departments.get(department))


_CREATE_TEMP = text("""
    CREATE TEMP TABLE import_rows (
        line integer PRIMARY KEY, reference varchar(32), category_id integer, lon float8, lat float8,
        status varchar(32), created timestamptz, updated timestamptz, description text, address varchar(300),
        department_id integer, geom geometry(Point, 4326)
    ) ON COMMIT DROP
""")

# Where each row lies (the most specific covering area) and which rule applies today: the
# precedence of geo.routing (area rule over town-wide, higher rank, smaller area, category
# over catch-all, a rule with validity dates over an open one, lower id).
_ROUTE = text("""
    CREATE TEMP TABLE import_routed ON COMMIT DROP AS
    WITH located AS (
        SELECT DISTINCT ON (i.line) i.line, a.id AS area_id
        FROM import_rows i JOIN areas a ON a.jurisdiction_id = :jid AND ST_Covers(a.geom, i.geom)
        ORDER BY i.line, a.rank DESC, a.area_m2, a.id
    ), candidates AS (
        SELECT i.line, false AS town_wide, -a.rank AS rank_key, a.area_m2, a.id AS area_id, r.id AS rule_id,
               r.department_id, r.category_id, r.valid_from, r.valid_until
        FROM import_rows i
        JOIN areas a ON a.jurisdiction_id = :jid AND ST_Covers(a.geom, i.geom)
        JOIN routing_rules r ON r.area_id = a.id AND (r.category_id IS NULL OR r.category_id = i.category_id)
        UNION ALL
        SELECT i.line, true, 0, 0, 0, r.id, r.department_id, r.category_id, r.valid_from, r.valid_until
        FROM import_rows i
        JOIN routing_rules r ON r.jurisdiction_id = :jid AND r.area_id IS NULL
             AND (r.category_id IS NULL OR r.category_id = i.category_id)
    ), best AS (
        SELECT DISTINCT ON (line) line, rule_id, department_id
        FROM candidates
        WHERE (valid_from IS NULL OR valid_from <= current_date) AND (valid_until IS NULL OR valid_until >= current_date)
        ORDER BY line, town_wide, rank_key, area_m2, area_id, category_id IS NULL,
                 (valid_from IS NULL AND valid_until IS NULL), rule_id
    )
    SELECT l.line, l.area_id, b.rule_id, b.department_id FROM located l LEFT JOIN best b USING (line)
""")

# Reports and their history in one statement: the history reads the inserted rows directly
# (a large "id = ANY(...)" list would make the second insert quadratic).
_INSERT = text("""
    WITH inserted AS (
        INSERT INTO reports (jurisdiction_id, reference, category_id, department_id, routing_rule_id,
                             routing_explanation, area_id, location, address, description, description_published,
                             hidden, priority, status, status_changed_at, reporter_email_confirmed, locale,
                             created_at, updated_at)
        SELECT :jid, i.reference, i.category_id, coalesce(i.department_id, r.department_id),
               CASE WHEN i.department_id IS NULL THEN r.rule_id END,
               CASE WHEN i.department_id IS NULL THEN :routed ELSE :kept END,
               r.area_id, i.geom, i.address, i.description, false, false, 0, i.status, i.updated, false, 'de',
               i.created, i.updated
        FROM import_rows i JOIN import_routed r USING (line)
        WHERE i.department_id IS NOT NULL OR r.department_id IS NOT NULL
        ORDER BY i.line
        RETURNING id, status, created_at, status_changed_at
    ), history AS (
        INSERT INTO status_changes (report_id, old_status, new_status, public_note, internal_note, detail, actor,
                                    created_at)
        SELECT id, NULL, 'eingegangen', '', '', '', :actor, created_at FROM inserted
        UNION ALL
        SELECT id, 'eingegangen', status, '', '', '', :actor, status_changed_at FROM inserted
        WHERE status <> 'eingegangen'
    )
    SELECT id FROM inserted ORDER BY id
""")


def import_reports(session: Session, jurisdiction: Jurisdiction, data: str, kind: str,
                   photos: Path | None = None) -> ImportResult:
    """Import the rows of ``data`` (``kind`` "csv" or "open311") into the town (flushes; the
    caller commits, or rolls back for a dry run). Raises ValueError for an unreadable file."""
    rows, rejected = _rows_from_csv(data) if kind == "csv" else _rows_from_open311(data)
    result = ImportResult(rejected=rejected)
    jid = jurisdiction.id
    categories = dict(session.execute(select(Category.code, Category.id).where(Category.jurisdiction_id == jid)).all())
    departments = dict(session.execute(select(Department.code, Department.id)
                                       .where(Department.jurisdiction_id == jid)).all())
    checked, seen = [], {}
    for line, row in rows:
        values = _checked(row, categories, departments)
        if isinstance(values, str):
            result.rejected.append((line, values))
        elif values[0] in seen:
            result.rejected.append((line, f"reference {values[0]!r} appears already in line {seen[values[0]]}"))
        else:
            seen[values[0]] = line
            checked.append((line, *values))
    # References that exist: imported before (unchanged) or taken by another report (refused).
    existing = dict(session.execute(text(
        "SELECT r.reference, r.jurisdiction_id = :jid AND EXISTS (SELECT 1 FROM status_changes s "
        "WHERE s.report_id = r.id AND s.actor = :actor) FROM reports r WHERE r.reference = ANY(:refs)"),
        {"jid": jid, "actor": IMPORT_ACTOR, "refs": list(seen)}).all()) if seen else {}
    fresh, kept = [], []
    for row in checked:
        if row[1] not in existing:
            fresh.append(row)
        elif existing[row[1]]:
            result.unchanged += 1
            kept.append(row[1])
        else:
            result.rejected.append((row[0], f"reference {row[1]!r} is already used by another report"))
    if fresh:
        # A second import in the same transaction (a test, a script) finds the tables of the first.
        session.execute(text("DROP TABLE IF EXISTS import_routed, import_rows"))
        session.execute(_CREATE_TEMP)
        raw = session.connection().connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy("COPY import_rows (line, reference, category_id, lon, lat, status, created, updated, "
                             "description, address, department_id) FROM STDIN") as copy:
                for row in fresh:
                    copy.write_row(row)
        session.execute(text("UPDATE import_rows SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326)"))
        session.execute(text("ANALYZE import_rows"))
        session.execute(_ROUTE, {"jid": jid})
        for line, located, routed in session.execute(text(
                "SELECT i.line, r.line IS NOT NULL, r.department_id IS NOT NULL OR i.department_id IS NOT NULL "
                "FROM import_rows i LEFT JOIN import_routed r USING (line) "
                "WHERE r.line IS NULL OR (r.department_id IS NULL AND i.department_id IS NULL) ORDER BY i.line")):
            result.rejected.append((line, "outside the town" if not located else "no routing rule applies"))
        ids = list(session.scalars(_INSERT, {
            "jid": jid, "actor": IMPORT_ACTOR,
            "routed": "Übernommen aus dem bisherigen System; zugeordnet nach den Zuständigkeitsregeln",
            "kept": "Übernommen aus dem bisherigen System mit der dort zuständigen Stelle"}))
        result.imported = len(ids)
        result.imported_ids = ids
        kept += list(session.scalars(text("SELECT reference FROM reports WHERE id = ANY(:ids)"), {"ids": ids}))
    raise_reference_counters(session, jurisdiction, kept)
    if photos is not None and result.imported_ids:
        result.photos = _attach_photos(session, result.imported_ids, photos, result, seen)
    result.rejected.sort()
    from app.staff.audit import record

    record("reports_imported", jurisdiction_id=jid, target=f"import:{kind}", actor=IMPORT_ACTOR,
           changes={"imported": result.imported, "unchanged": result.unchanged, "rejected": len(result.rejected),
                    "photos": result.photos})
    session.flush()
    return result


def raise_reference_counters(session: Session, jurisdiction: Jurisdiction, references: list[str]) -> None:
    """Old references written in our own pattern (``HW-2026-000123``) move the town's counter
    for that year past them, so the next citizen report never gets an imported reference."""
    pattern = re.compile(rf"^{re.escape(jurisdiction.reference_prefix)}-(\d{{4}})-(\d{{1,9}})$")
    highest: dict[int, int] = {}
    for reference in references:
        match = pattern.match(reference)
        if match:
            year, number = int(match.group(1)), int(match.group(2))
            highest[year] = max(highest.get(year, 0), number)
    for year, number in highest.items():
        session.execute(text(
            "INSERT INTO reference_counters (jurisdiction_id, year, last_number) VALUES (:jid, :year, :n) "
            "ON CONFLICT (jurisdiction_id, year) DO UPDATE "
            "SET last_number = GREATEST(reference_counters.last_number, EXCLUDED.last_number)"),
            {"jid": jurisdiction.id, "year": year, "n": number})


def _attach_photos(session: Session, ids: list[int], folder: Path, result: ImportResult,
                   lines: dict[str, int]) -> int:
    """Photos from ``folder/<reference>/`` through the normal pipeline (metadata stripped), unpublished."""
    from app.errors import ValidationFailed
    from app.reports.models import Report
    from app.reports.photos import attach_photos, process_uploads

    count = 0
    for report in session.scalars(select(Report).where(Report.id.in_(ids))):
        directory = folder / report.reference
        if not directory.is_dir():
            continue
        files = sorted(p for p in directory.iterdir() if p.is_file())
        try:
            processed = process_uploads([p.read_bytes() for p in files])
        except ValidationFailed as exc:
            # The report stays; the line is named so the photos can be added by hand.
            result.rejected.append((lines[report.reference], f"photos not taken: {exc.errors[0].message}"))
            continue
        attach_photos(report, processed, published=False)
        count += len(processed)
    return count
