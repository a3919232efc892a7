"""map_cells and map_versions through bulk UPDATEs of reports (revision 0106's UPDATE trigger).

The trigger sees every updated row twice (as it was, as it is) and counts only those
whose map data changed; these tests mix, in single statements, rows that move, change
status, visibility or category, change department only, and change nothing the map
shows, then compare the cells with a recount from the reports.
"""
from __future__ import annotations

from sqlalchemy import text

from app.db import db
from geo import mapqueries
from tests.factories import HARSEWINKEL, department, make_report, town

TOWN_BBOX = "8.10,51.89,8.36,52.03"

# The cells a recount gives: 0101's grid over the visible reports of the town.
_LIVE_CELLS = text("""
    SELECT r.jurisdiction_id, l.level,
           floor((r.x + 20037508.342789244) / (40075016.685578488 / (1 << l.level)))::int AS cx,
           floor((20037508.342789244 - r.y) / (40075016.685578488 / (1 << l.level)))::int AS cy,
           r.category_id, r.status, count(*) AS n, sum(r.x) AS sum_x, sum(r.y) AS sum_y
    FROM (SELECT jurisdiction_id, category_id, status, ST_X(ST_Transform(location, 3857)) AS x,
                 ST_Y(ST_Transform(location, 3857)) AS y
          FROM reports WHERE jurisdiction_id = :j AND NOT hidden AND status <> 'unbestaetigt') AS r
    CROSS JOIN generate_series(4, 18) AS l(level)
    GROUP BY 1, 2, 3, 4, 5, 6
""")

_STORED_CELLS = text("""
    SELECT jurisdiction_id, level, cx, cy, category_id, status, n, sum_x, sum_y
    FROM map_cells WHERE jurisdiction_id = :j AND n <> 0
""")


def _cells(query) -> dict[tuple, tuple[int, float, float]]:
    return {tuple(row[:6]): (row.n, row.sum_x, row.sum_y)
            for row in db.session.execute(query, {"j": town().id})}


def assert_cells_match_a_recount() -> None:
    stored, live = _cells(_STORED_CELLS), _cells(_LIVE_CELLS)
    assert set(stored) == set(live), (sorted(set(stored) ^ set(live))[:5])
    for key, (n, sum_x, sum_y) in live.items():
        got = stored[key]
        assert got[0] == n, key
        # Sums of Web-Mercator metres, added and taken away in another order than a recount.
        assert abs(got[1] - sum_x) < 1e-3 and abs(got[2] - sum_y) < 1e-3, (key, got, (n, sum_x, sum_y))
    leftover = db.session.execute(text("SELECT count(*) FROM map_cells WHERE jurisdiction_id = :j AND n < 0"),
                                  {"j": town().id}).scalar()
    assert leftover == 0


def _version() -> int:
    return mapqueries.map_version(db.session, town().id)


def _reports(count: int) -> list[int]:
    categories = ["schlagloch", "graffiti", "gully", "strassenlaterne"]
    ids = [make_report(point=(8.20 + (i % 8) * 0.011, 51.94 + (i // 8) * 0.009),
                       category_code=categories[i % len(categories)]).id for i in range(count)]
    db.session.flush()
    return ids


def test_mixed_bulk_updates_keep_the_cells_exact(db_session):
    ids = _reports(36)
    # Nine groups of four: moved, closed, hidden, recategorised, re-routed, only described,
    # moved and closed, hidden at first then shown, unconfirmed at first then confirmed.
    moved, closed, hiding, recategorised, rerouted, described, moved_closed, shown, confirmed = (
        ids[k::9] for k in range(9))
    db.session.execute(text("UPDATE reports SET hidden = true WHERE id = ANY(:ids)"), {"ids": shown})
    db.session.execute(text("UPDATE reports SET status = 'unbestaetigt' WHERE id = ANY(:ids)"), {"ids": confirmed})
    # A one-row update first, as on a pooled connection: the trigger's statements may keep a
    # plan made for a single row.
    db.session.execute(text("UPDATE reports SET department_id = department_id WHERE id = :id"), {"id": ids[0]})
    assert_cells_match_a_recount()
    graffiti = db.session.execute(text("SELECT id FROM categories WHERE code = 'graffiti'")).scalar()

    # One statement, every kind of change at once.
    db.session.execute(text("""
        UPDATE reports SET
            location = CASE WHEN id = ANY(:moved) OR id = ANY(:moved_closed)
                            THEN ST_Translate(location, 0.004, -0.002) ELSE location END,
            status = CASE WHEN id = ANY(:closed) OR id = ANY(:moved_closed) THEN 'erledigt'
                          WHEN id = ANY(:confirmed) THEN 'eingegangen' ELSE status END,
            hidden = CASE WHEN id = ANY(:hiding) THEN true WHEN id = ANY(:shown) THEN false ELSE hidden END,
            category_id = CASE WHEN id = ANY(:recategorised) THEN :graffiti ELSE category_id END,
            department_id = CASE WHEN id = ANY(:rerouted) THEN :dept ELSE department_id END,
            description = description || ' (geprüft)'
        WHERE id = ANY(:ids)
    """), {"ids": ids, "moved": moved, "moved_closed": moved_closed, "closed": closed, "confirmed": confirmed,
           "hiding": hiding, "shown": shown, "recategorised": recategorised, "graffiti": graffiti,
           "rerouted": rerouted, "dept": department("stadtwerke").id})
    assert_cells_match_a_recount()

    # Back again for some, further for others; a move onto another report's spot.
    db.session.execute(text("""
        UPDATE reports SET
            location = CASE WHEN id = ANY(:moved) THEN ST_Translate(location, -0.004, 0.002)
                            WHEN id = ANY(:described) THEN (SELECT location FROM reports WHERE id = :first)
                            ELSE location END,
            status = CASE WHEN id = ANY(:hiding) THEN 'in_bearbeitung' ELSE status END,
            hidden = CASE WHEN id = ANY(:hiding) THEN false ELSE hidden END
        WHERE id = ANY(:ids)
    """), {"ids": ids, "moved": moved, "described": described, "hiding": hiding, "first": ids[0]})
    assert_cells_match_a_recount()

    # The whole town at once, as a retention job or an Open311 bulk would.
    db.session.execute(text("UPDATE reports SET status = 'in_pruefung' WHERE jurisdiction_id = :j AND NOT hidden "
                            "AND status <> 'unbestaetigt'"), {"j": town().id})
    assert_cells_match_a_recount()
    assert sum(n for key, (n, _x, _y) in _cells(_STORED_CELLS).items() if key[1] == 4) == 36


def test_department_only_updates_leave_the_cells_alone_and_move_the_version(db_session):
    ids = _reports(12)
    before_cells, before = _cells(_STORED_CELLS), _version()

    # Nothing the map shows: no new version.
    db.session.execute(text("UPDATE reports SET description = description || '.', updated_at = now(), "
                            "priority = priority + 1 WHERE id = ANY(:ids)"), {"ids": ids})
    assert _version() == before

    # Re-routing: the cells stay, the version moves once (the map API filters by department).
    db.session.execute(text("UPDATE reports SET department_id = :d WHERE id = ANY(:ids)"),
                       {"d": department("stadtwerke").id, "ids": ids})
    assert _cells(_STORED_CELLS) == before_cells
    assert _version() == before + 1

    # Reports no map shows (hidden, unconfirmed), before and after: no new version.
    db.session.execute(text("UPDATE reports SET hidden = true WHERE id = ANY(:ids)"), {"ids": ids[:6]})
    db.session.execute(text("UPDATE reports SET status = 'unbestaetigt' WHERE id = ANY(:ids)"), {"ids": ids[6:]})
    hidden_version = _version()
    assert hidden_version == before + 3
    db.session.execute(text("UPDATE reports SET department_id = :d, location = ST_Translate(location, 0.001, 0) "
                            "WHERE id = ANY(:ids)"), {"d": department("tiefbau").id, "ids": ids})
    assert _version() == hidden_version
    assert_cells_match_a_recount()

    # Shown again: a new version, and the cells count them where they are now.
    db.session.execute(text("UPDATE reports SET hidden = false, status = 'eingegangen' WHERE id = ANY(:ids)"),
                       {"ids": ids})
    assert _version() == hidden_version + 1
    assert_cells_match_a_recount()


def test_a_department_change_is_not_answered_with_304(client):
    """Why a department-only change moves the map version: the map filters by department."""
    report = make_report(point=HARSEWINKEL)
    url = f"/api/v1/reports.geojson?bbox={TOWN_BBOX}&department=tiefbau"
    first = client.get(url)
    assert [f["properties"]["reference"] for f in first.get_json()["features"]] == [report.reference]
    db.session.execute(text("UPDATE reports SET department_id = :d WHERE id = :id"),
                       {"d": department("stadtwerke").id, "id": report.id})
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.get_json()["features"] == []
