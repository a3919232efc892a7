"""`flask reports import` (issue 18): 2,500 CSV rows and an Open311 requests.json from the old
system; every row accounted for in the last line, old references found by staff search and
Open311, history made, routed, no mail, second run imported=0, rejected rows named by line."""
from __future__ import annotations

import csv
import io
import json
import random

from sqlalchemy import func, select

from app.outbox.models import OutboxMessage
from app.reports.models import Photo, Report, StatusChange
from app.staff.models import AuditEntry
from tests.factories import GREFFEN, MARIENFELD, department, jpeg_bytes, town
from tests.staff.helpers import login, make_staff

HEADER = "reference,service_code,lat,long,status,requested_datetime,updated_datetime,description,address"


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER.split(","))
    writer.writerows(rows)
    return out.getvalue()


def _good_rows(count: int) -> list[list[str]]:
    rng = random.Random(18)
    statuses = ["eingegangen", "in_bearbeitung", "erledigt", "open", "closed"]
    rows = []
    for n in range(count):
        lon, lat = (GREFFEN if n % 2 else MARIENFELD)
        rows.append([f"ALT-{n:05d}", rng.choice(["schlagloch", "gruenflaeche", "wilder-muell"]),
                     f"{lat + rng.uniform(-0.002, 0.002):.6f}", f"{lon + rng.uniform(-0.002, 0.002):.6f}",
                     statuses[n % len(statuses)], "2024-03-01T08:00:00+01:00", "2024-04-02T10:30:00+02:00",
                     f"Altmeldung Nummer {n}", "Hauptstraße 1"])
    return rows


def _outbox() -> int:
    from app.db import db

    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_a_2500_row_csv_is_imported_once_routed_and_findable(app, client, db_session, tmp_path):
    rows = _good_rows(2500)
    bad = [["", "schlagloch", "51.98", "8.17", "erledigt", "2024-01-01T00:00:00Z", "", "x", ""],
           ["ALT-X1", "gibtsnicht", "51.98", "8.17", "erledigt", "2024-01-01T00:00:00Z", "", "x", ""],
           ["ALT-X2", "schlagloch", "48.1", "11.5", "erledigt", "2024-01-01T00:00:00Z", "", "München", ""],
           ["ALT-X3", "schlagloch", "51.98", "8.17", "vergessen", "2024-01-01T00:00:00Z", "", "x", ""],
           ["ALT-X4", "schlagloch", "51.98", "8.17", "erledigt", "gestern", "", "x", ""],
           ["ALT-00007", "schlagloch", "51.98", "8.17", "erledigt", "2024-01-01T00:00:00Z", "", "doppelt", ""]]
    file = tmp_path / "alt.csv"
    file.write_text(_csv(rows + bad), encoding="utf-8")
    photos = tmp_path / "fotos"
    (photos / "ALT-00001").mkdir(parents=True)
    (photos / "ALT-00001" / "1.jpg").write_bytes(jpeg_bytes())
    outbox_before = _outbox()
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["reports", "import", str(file), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines()[-1] == "imported=2500 unchanged=0 rejected=6"
    assert db_session.scalar(select(func.count()).select_from(Report).where(Report.reference.like("ALT-%"))) == 0

    first = runner.invoke(args=["reports", "import", str(file), "--photos", str(photos)])
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert lines[-1] == "imported=2500 unchanged=0 rejected=6"
    assert lines[:-1] == ["line 2502: reference is empty", "line 2503: unknown service_code 'gibtsnicht'",
                          "line 2504: outside the town", "line 2505: unknown status 'vergessen'",
                          "line 2506: requested_datetime/updated_datetime is not an ISO 8601 date and time",
                          "line 2507: reference 'ALT-00007' appears already in line 9"]
    assert _outbox() == outbox_before  # no mail, not even queued

    greffen = db_session.scalar(select(Report).where(Report.reference == "ALT-00001"))
    assert greffen.status == "in_bearbeitung" and greffen.created_at.year == 2024
    assert [(h.old_status, h.new_status, h.actor) for h in greffen.history] == [
        (None, "eingegangen", "import"), ("eingegangen", "in_bearbeitung", "import")]
    assert db_session.scalar(select(func.count()).select_from(Photo).where(Photo.report_id == greffen.id)) == 1
    routed = dict(db_session.execute(select(Report.reference, Report.department_id)
                                     .where(Report.reference.in_(["ALT-00000", "ALT-00001"]))).all())
    assert all(v is not None for v in routed.values())
    # Marienfeld's green spaces go to its Bauhof, as the rules say.
    assert db_session.scalar(select(func.count()).select_from(Report).where(
        Report.reference.like("ALT-%"), Report.category.has(code="gruenflaeche"),
        Report.department_id == department("bauhof-marienfeld").id)) > 0
    assert db_session.scalar(select(func.count()).select_from(StatusChange).where(StatusChange.actor == "import")) \
        == 2500 + sum(1 for n in range(2500) if n % 5 not in (0, 3))

    second = runner.invoke(args=["reports", "import", str(file)])
    assert second.output.splitlines()[-1] == "imported=0 unchanged=2500 rejected=6"
    runs = [e.changes for e in db_session.scalars(select(AuditEntry).where(AuditEntry.action == "reports_imported")
                                                  .order_by(AuditEntry.id))]
    assert runs == [{"imported": 2500, "unchanged": 0, "rejected": 6, "photos": 1},
                    {"imported": 0, "unchanged": 2500, "rejected": 6, "photos": 0}]

    login(client, make_staff("dispatcher").username)
    search = client.get("/intern/eingang", query_string={"q": "alt-00042", "status": "alle"}).get_data(as_text=True)
    assert "ALT-00042" in search
    open311 = client.get("/open311/v2/requests/ALT-00042.json")
    assert open311.status_code == 200 and open311.get_json()[0]["service_request_id"] == "ALT-00042"


def test_an_open311_export_is_imported_and_a_taken_reference_refused(app, db_session, tmp_path):
    taken = db_session.scalar(select(Report.reference).limit(1))
    requests = [
        {"service_request_id": "OLD-1", "service_code": "strassenlaterne", "lat": 51.962, "long": 8.229,
         "status": "open", "requested_datetime": "2023-11-05T17:00:00+01:00", "description": "Laterne aus",
         "address": "Münsterstraße 1"},
        {"service_request_id": "OLD-2", "service_code": "gully", "lat": 51.983, "long": 8.168, "status": "closed",
         "requested_datetime": "2023-11-06T09:00:00+01:00", "updated_datetime": "2023-11-20T09:00:00+01:00",
         "agency_responsible": "ordnungsamt"},
        {"service_request_id": "OLD-3", "service_code": "gully", "lat": "x", "long": 8.1, "status": "open",
         "requested_datetime": "2023-11-06T09:00:00+01:00"},
    ]
    if taken:
        requests.append({"service_request_id": taken, "service_code": "gully", "lat": 51.983, "long": 8.168,
                         "status": "open", "requested_datetime": "2023-11-06T09:00:00+01:00"})
    file = tmp_path / "requests.json"
    file.write_text(json.dumps(requests), encoding="utf-8")
    outcome = app.test_cli_runner().invoke(args=["reports", "import", str(file)])
    assert outcome.exit_code == 0, outcome.output
    lines = outcome.output.splitlines()
    assert "line 3: lat/long are not numbers" in lines
    assert lines[-1] == f"imported=2 unchanged=0 rejected={2 if taken else 1}"
    old2 = db_session.scalar(select(Report).where(Report.reference == "OLD-2"))
    assert old2.status == "erledigt" and old2.department_id == department("ordnungsamt").id
    assert old2.jurisdiction_id == town().id
    again = app.test_cli_runner().invoke(args=["reports", "import", str(file)])
    assert again.output.splitlines()[-1] == f"imported=0 unchanged=2 rejected={2 if taken else 1}"


def test_a_file_without_the_header_is_refused_whole(app, db_session, tmp_path):
    file = tmp_path / "falsch.csv"
    file.write_text("ref;code\n1;2\n", encoding="utf-8")
    outcome = app.test_cli_runner().invoke(args=["reports", "import", str(file)])
    assert outcome.exit_code == 1 and "line 1: the header must be" in outcome.output


def test_imported_references_in_our_own_pattern_raise_the_counter(db_session):
    """An old system that already wrote HW-2026-000123: the next citizen report gets 124, not 1."""
    from app.db import db
    from app.reports.importing import import_reports
    from app.reports.operations import next_reference
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    year = now.year
    lon, lat = GREFFEN
    data = _csv([[f"HW-{year}-000123", "schlagloch", f"{lat}", f"{lon}", "erledigt", "2024-03-01T08:00:00Z", "", "a", ""],
                 [f"HW-{year}-000045", "schlagloch", f"{lat}", f"{lon}", "open", "2024-03-01T08:00:00Z", "", "b", ""],
                 ["HW-2019-000900", "schlagloch", f"{lat}", f"{lon}", "closed", "2019-03-01T08:00:00Z", "", "c", ""],
                 [f"XY-{year}-999999", "schlagloch", f"{lat}", f"{lon}", "closed", "2024-03-01T08:00:00Z", "", "d", ""]])
    result = import_reports(db.session, town(), data, "csv")
    assert result.summary() == "imported=4 unchanged=0 rejected=0"
    assert next_reference(town(), now) == f"HW-{year}-000124"
    assert next_reference(town(), datetime(2019, 6, 1, tzinfo=timezone.utc)) == "HW-2019-000901"
    # A counter already past the imported numbers is not lowered by a second import.
    import_reports(db.session, town(), data, "csv")
    assert next_reference(town(), now) == f"HW-{year}-000125"
