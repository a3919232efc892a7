"""The public map's street views from memory (geo/mapcache.py) on real PostGIS: the same bytes
as the database answer, changes after the recheck, bounded memory, races with changes."""
from __future__ import annotations

import json
import math
import random
from datetime import timedelta

import pytest
from sqlalchemy import text

from app.db import db
from app.reports.status import OPEN_STATUSES, PUBLIC_STATUSES
from geo import mapqueries
from geo.mapcache import BLOCK_LEVEL, LEVEL, MapCache
from geo.mapqueries import MapFilter, cell_range
from tests.factories import GREFFEN, HARSEWINKEL, category, department, make_report, town

LABELS = {code: code.upper() for code in ("eingegangen", "in_pruefung", "in_bearbeitung", "erledigt",
                                          "nicht_zustaendig", "abgelehnt", "duplikat", "unbestaetigt")}
OPTIONS = {"locale": "de", "url_prefix": "https://maengelmelder.test/meldungen/", "status_labels": LABELS}
CATEGORIES = ("schlagloch", "strassenlaterne", "wilder-muell", "spielplatz")


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def reports(db_session):
    """~120 reports within ~1.5 km of the centre: several categories and statuses, some hidden,
    some unconfirmed, two visible ones on the very same spot, 20 with the same creation time."""
    rng = random.Random(7)
    made = []
    for i in range(120):
        point = (HARSEWINKEL[0] + rng.uniform(-0.012, 0.012), HARSEWINKEL[1] + rng.uniform(-0.008, 0.008))
        if i == 118:
            point = made[1][1]
        report = make_report(point=point, category_code=CATEGORIES[i % len(CATEGORIES)])
        report.status = ("eingegangen", "in_bearbeitung", "erledigt", "abgelehnt", "unbestaetigt")[i % 5]
        report.hidden = i % 17 == 0
        made.append((report, point))
    made[3][0].reference = 'ALT-"Ä"\\3'  # imported from elsewhere: its URL must be JSON-quoted
    for report, _point in made[40:60]:  # created in one transaction of an import: the id decides the order
        report.created_at = made[40][0].created_at
    db.session.flush()
    visible = [r for r, _p in made if not r.hidden and r.status != "unbestaetigt"]
    assert made[1][0] in visible and made[118][0] in visible  # two visible reports on one spot
    assert sum(1 for r in visible if r.created_at == made[40][0].created_at) >= 10
    return made


def _database(bbox, filters, limit=mapqueries.MAX_FEATURES):
    return mapqueries.reports_geojson(db.session, town().id, bbox, filters, limit=limit, **OPTIONS)


def _memory(cache, bbox, filters, limit=mapqueries.MAX_FEATURES):
    return cache.reports_geojson(db.session, town().id, bbox, filters, limit=limit, **OPTIONS)


def _references(answer):
    return [f["properties"]["reference"] for f in json.loads(answer[1])["features"]]


def test_answers_from_memory_are_the_database_answers_byte_for_byte(reports):
    cache = MapCache(recheck_seconds=0)
    rng = random.Random(11)
    pothole, light = category("schlagloch").id, category("strassenlaterne").id
    filters = [MapFilter(statuses=PUBLIC_STATUSES),
               MapFilter(statuses=tuple(s for s in OPEN_STATUSES if s in PUBLIC_STATUSES)),
               MapFilter(statuses=PUBLIC_STATUSES, category_ids=(pothole, light)),
               MapFilter(statuses=("erledigt",), department_ids=(department("tiefbau").id,))]
    # Boxes whose edges lie exactly on a report, or a hair (1e-7°) inside or outside it: the
    # database's && alone would take single-precision boxes (up to ~0.4 m beyond the edge).
    lon, lat = reports[5][1]
    edges = [(lon, lat, lon + 0.004, lat + 0.003), (lon - 0.004, lat - 0.003, lon, lat),
             (lon + 1e-7, lat - 0.003, lon + 0.004, lat + 0.003), (lon - 0.004, lat - 0.003, lon - 1e-7, lat),
             (lon - 0.004, lat + 1e-7, lon + 0.004, lat + 0.003)]
    boxes = edges + [(x, y, x + rng.uniform(0.001, 0.02), y + rng.uniform(0.001, 0.012))
                     for x, y in ((HARSEWINKEL[0] + rng.uniform(-0.016, 0.01), HARSEWINKEL[1] + rng.uniform(-0.01, 0.006))
                                  for _ in range(40))]
    compared = nonempty = 0
    for bbox in boxes:
        for filter_ in filters:
            for limit in (mapqueries.MAX_FEATURES, 7):
                expected = _database(bbox, filter_, limit)
                assert _memory(cache, bbox, filter_, limit) == expected, (bbox, filter_, limit)
                compared += 1
                nonempty += expected[1] != mapqueries.EMPTY_FEATURE_COLLECTION
    assert compared == len(boxes) * 8 and nonempty > compared // 2
    assert cache.features > 0
    # A box whose south-west corner is a report's own spot holds it (edges included).
    assert reports[5][0].hidden or reports[5][0].reference in _references(_memory(cache, edges[0], filters[0]))
    assert not reports[5][0].hidden


def test_each_language_gets_its_own_labels_from_one_cache(reports):
    # A block holds whole features, labels included: German and English views of the same
    # blocks must not be answered from each other's.
    cache = MapCache(recheck_seconds=0)
    everything = MapFilter(statuses=PUBLIC_STATUSES)
    bbox = (HARSEWINKEL[0] - 0.01, HARSEWINKEL[1] - 0.006, HARSEWINKEL[0] + 0.01, HARSEWINKEL[1] + 0.006)
    english = {**OPTIONS, "locale": "en", "status_labels": {code: code.title() for code in LABELS}}
    german = _memory(cache, bbox, everything)
    held = cache.features
    answer = cache.reports_geojson(db.session, town().id, bbox, everything, **english)
    assert answer == mapqueries.reports_geojson(db.session, town().id, bbox, everything, **english)
    assert answer != german and cache.features == 2 * held > 0  # its own blocks, not German ones
    statuses = {f["properties"]["status_label"] for f in json.loads(answer[1])["features"]}
    assert statuses and all(label.istitle() for label in statuses)
    assert _memory(cache, bbox, everything) == german


def test_a_change_shows_once_the_version_is_checked_again(reports):
    clock = FakeClock()
    cache = MapCache(recheck_seconds=30, clock=clock)
    everything = MapFilter(statuses=PUBLIC_STATUSES)
    bbox = (HARSEWINKEL[0] - 0.02, HARSEWINKEL[1] - 0.01, HARSEWINKEL[0] + 0.02, HARSEWINKEL[1] + 0.01)
    before = _memory(cache, bbox, everything)
    new = make_report(point=HARSEWINKEL)
    visible = next(r for r, _p in reports if not r.hidden and r.status == "eingegangen")
    visible.hidden = True
    db.session.flush()
    clock.now += 29
    assert _memory(cache, bbox, everything) == before  # within the recheck: the old answer
    clock.now += 2
    after = _memory(cache, bbox, everything)
    assert after == _database(bbox, everything) and after[0] > before[0]
    references = _references(after)
    assert new.reference in references and visible.reference not in references


def test_memory_stays_bounded_and_answers_stay_right(reports):
    cache = MapCache(max_features=40, recheck_seconds=0)
    everything = MapFilter(statuses=PUBLIC_STATUSES)
    rng = random.Random(3)
    seen_blocks, dropped = set(), False
    for _ in range(25):
        x, y = HARSEWINKEL[0] + rng.uniform(-0.014, 0.008), HARSEWINKEL[1] + rng.uniform(-0.009, 0.004)
        bbox = (x, y, x + 0.006, y + 0.004)  # at most 2 × 2 blocks
        assert _memory(cache, bbox, everything) == _database(bbox, everything)
        now_held = {key[2:] for key in cache._blocks}
        dropped |= bool(seen_blocks - now_held)
        seen_blocks |= now_held
        # Beyond the bound only the blocks of the view just answered stay.
        assert cache.features <= 40 or len(cache._blocks) <= 4
    assert dropped  # the views needed more than the bound holds: blocks were dropped


def test_a_load_that_raced_a_change_is_not_kept(reports):
    cache = MapCache(recheck_seconds=0)
    everything = MapFilter(statuses=PUBLIC_STATUSES)
    bbox = (HARSEWINKEL[0] - 0.003, HARSEWINKEL[1] - 0.002, HARSEWINKEL[0] + 0.003, HARSEWINKEL[1] + 0.002)
    town_id = town().id
    known, _stamp = cache.current(db.session, town_id)
    stale_generation = known.generation
    make_report(point=HARSEWINKEL)  # the map moves on while a load (of the old generation) runs
    db.session.flush()
    cache.current(db.session, town_id)
    cx0, cy0, cx1, cy1 = cell_range(bbox, LEVEL)
    shift = LEVEL - BLOCK_LEVEL
    blocks = (cx0 >> shift, cy0 >> shift, cx1 >> shift, cy1 >> shift)
    filter_key = (everything.statuses, everything.category_ids, everything.department_ids, OPTIONS["url_prefix"],
                  OPTIONS["locale"])
    cache._load(db.session, town_id, stale_generation, filter_key, everything, OPTIONS["status_labels"], blocks)
    assert cache.features == 0
    assert _memory(cache, bbox, everything) == _database(bbox, everything) and cache.features > 0


def test_zoomed_out_views_and_age_filters_go_to_the_database(reports, client):
    cache = MapCache(recheck_seconds=0)
    town_wide = (8.10, 51.89, 8.36, 52.03)
    assert _memory(cache, town_wide, MapFilter(statuses=PUBLIC_STATUSES)) is None
    assert not cache.usable_for(MapFilter(statuses=PUBLIC_STATUSES, max_age_days=30))
    assert not MapCache(max_features=0).usable_for(MapFilter(statuses=PUBLIC_STATUSES))
    # Through the API both kinds still answer, and the same as a street view would.
    aged = client.get("/api/v1/reports.geojson?bbox=8.10,51.89,8.36,52.03&max_age_days=30")
    assert aged.status_code == 200 and len(aged.get_json()["features"]) == len(
        [r for r, _p in reports if not r.hidden and r.status != "unbestaetigt"])


def test_the_api_answers_street_views_from_memory(reports, client, app):
    cache = app.extensions["map_cache"]
    bbox = f"{HARSEWINKEL[0] - 0.004},{HARSEWINKEL[1] - 0.003},{HARSEWINKEL[0] + 0.004},{HARSEWINKEL[1] + 0.003}"
    held = cache.features
    first = client.get(f"/api/v1/reports.geojson?bbox={bbox}")
    assert first.status_code == 200 and cache.features > held
    # An age filter of 100 years selects the same reports, from the database.
    from_database = client.get(f"/api/v1/reports.geojson?bbox={bbox}&max_age_days=36500")
    assert first.data == from_database.data and len(first.get_json()["features"]) > 3
    version = mapqueries.map_version(db.session, town().id)
    assert first.headers["ETag"].startswith(f'W/"reports-{town().id}-{version}-')


def test_misses_are_answered_by_the_database_while_blocks_are_read_in_the_background(committing, caplog):
    from functools import partial

    from sqlalchemy.orm import Session

    rng = random.Random(5)
    for _ in range(30):
        make_report(point=(HARSEWINKEL[0] + rng.uniform(-0.004, 0.004), HARSEWINKEL[1] + rng.uniform(-0.003, 0.003)))
    db.session.commit()
    everything = MapFilter(statuses=PUBLIC_STATUSES)
    bbox = (HARSEWINKEL[0] - 0.003, HARSEWINKEL[1] - 0.002, HARSEWINKEL[0] + 0.003, HARSEWINKEL[1] + 0.002)
    cache = MapCache(recheck_seconds=0, background=partial(Session, bind=db.engines["read"]))
    assert _memory(cache, bbox, everything) is None  # a miss: the caller asks the database
    assert cache.wait_for_loader() and cache.features == 0  # one miss reads nothing yet
    assert _memory(cache, bbox, everything) is None  # the second: its blocks are read
    assert cache.wait_for_loader()
    held = _memory(cache, bbox, everything)
    assert held == _database(bbox, everything) and cache.features >= 30
    generation = cache._towns[town().id].generation

    new = make_report(point=HARSEWINKEL)
    db.session.commit()
    for _ in range(2):  # the map moved on: its blocks are read again after two misses
        assert _memory(cache, bbox, everything) is None
        assert cache.wait_for_loader()
    again = _memory(cache, bbox, everything)
    assert again == _database(bbox, everything) and new.reference in _references(again)
    assert {entry[2] for entry in cache._blocks.values()} == {generation + 1}  # none of an older map

    def broken():
        raise RuntimeError("no connection")

    failing = MapCache(recheck_seconds=0, background=broken)
    for _ in range(2):
        assert _memory(failing, bbox, everything) is None and failing.wait_for_loader()
    assert failing.features == 0 and caplog.text.count("loading blocks") == 1
    for _ in range(2):
        assert _memory(failing, bbox, everything) is None and failing.wait_for_loader()
    assert caplog.text.count("loading blocks") == 2  # tried again, not stuck as pending


def test_memory_counts_what_blocks_hold_and_empty_land_costs_next_to_nothing(reports):
    from geo.mapcache import _EMPTY_BLOCK

    cache = MapCache(recheck_seconds=0)
    everything = MapFilter(statuses=PUBLIC_STATUSES)
    _memory(cache, (HARSEWINKEL[0] - 0.01, HARSEWINKEL[1] - 0.006, HARSEWINKEL[0] + 0.01, HARSEWINKEL[1] + 0.006), everything)
    # A thin strip over empty land: under the cell limit, but across many blocks.
    strip = (8.0, 52.30, 8.7, 52.3004)
    assert _memory(cache, strip, everything) == (mapqueries.map_version(db.session, town().id),
                                                 mapqueries.EMPTY_FEATURE_COLLECTION)
    assert cache.features == sum(cost for cost, _cells, _generation in cache._blocks.values())
    empty = [cells for _cost, cells, _generation in cache._blocks.values() if cells is _EMPTY_BLOCK]
    assert len(empty) >= 20 and all(cost == 1 for cost, cells, _generation in cache._blocks.values()
                                    if cells is _EMPTY_BLOCK)


def test_a_block_too_dense_to_keep_goes_to_the_database_and_is_not_read_again(reports, monkeypatch):
    import geo.mapcache as mapcache

    monkeypatch.setattr(mapcache, "MAX_ROWS_PER_LOAD", 5)
    cache = MapCache(recheck_seconds=0)
    everything = MapFilter(statuses=PUBLIC_STATUSES)
    bbox = (HARSEWINKEL[0] - 0.004, HARSEWINKEL[1] - 0.003, HARSEWINKEL[0] + 0.004, HARSEWINKEL[1] + 0.003)
    loads = []
    original = mapcache.fetch_tuples
    monkeypatch.setattr(mapcache, "fetch_tuples", lambda *a: loads.append(a[1]) or original(*a))
    assert _memory(cache, bbox, everything) is None and _memory(cache, bbox, everything) is None
    assert sum(1 for statement in loads if statement is mapcache._LOAD_SQL) == 1  # remembered as dense


def test_a_load_newer_than_the_version_held_is_not_kept(reports):
    clock = FakeClock()
    cache = MapCache(recheck_seconds=30, clock=clock)
    everything = MapFilter(statuses=PUBLIC_STATUSES)
    far = (HARSEWINKEL[0] + 0.06, HARSEWINKEL[1] + 0.03, HARSEWINKEL[0] + 0.063, HARSEWINKEL[1] + 0.032)  # other blocks
    near = (HARSEWINKEL[0] - 0.002, HARSEWINKEL[1] - 0.001, HARSEWINKEL[0] + 0.002, HARSEWINKEL[1] + 0.001)
    before = _memory(cache, far, everything)  # the version is read now, and far's blocks
    new = make_report(point=HARSEWINKEL)
    db.session.flush()
    # near's blocks are read after the change, within the recheck window: their rows belong to a
    # newer map than the version held, so they are not kept and the view is for the database.
    assert _memory(cache, near, everything) is None
    after = _memory(cache, near, everything)  # the version is asked again at once
    assert after == _database(near, everything) and new.reference in _references(after)
    assert after[0] > before[0]


def test_a_slow_version_check_does_not_move_the_map_back(reports):
    cache = MapCache(recheck_seconds=0)
    town_entry, stamp = cache.current(db.session, town().id)
    older, newer = (stamp[0] + 1, 1), (stamp[0] + 2, 2)
    first, second = 1000, 1001  # two checks began in this order and finish in the other
    cache._apply(town_entry, town().id, second, newer, 0.0, stamp, None)
    cache._apply(town_entry, town().id, first, older, 0.0, stamp, None)
    assert town_entry.stamp == newer


def test_a_fault_of_the_cache_costs_the_map_nothing(reports, client, app, monkeypatch, caplog):
    cache = app.extensions["map_cache"]

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cache, "reports_geojson", broken)
    bbox = f"{HARSEWINKEL[0] - 0.004},{HARSEWINKEL[1] - 0.003},{HARSEWINKEL[0] + 0.004},{HARSEWINKEL[1] + 0.003}"
    response = client.get(f"/api/v1/reports.geojson?bbox={bbox}")
    assert response.status_code == 200 and len(response.get_json()["features"]) > 3
    assert "map cache failed" in caplog.text


# --- changes: only the blocks a change touched are read again (revision 1002) ------------------

def _block_of(point):
    """The zoom-14 block of a point, as geo.mapcache files it."""
    from geo.mapqueries import HALF_WORLD, cell_size, mercator

    size, limit = cell_size(BLOCK_LEVEL), (1 << BLOCK_LEVEL) - 1
    x, y = mercator(*point)
    return (min(max(math.floor((x + HALF_WORLD) / size), 0), limit),
            min(max(math.floor((HALF_WORLD - y) / size), 0), limit))


def _point(report):
    from geoalchemy2.shape import to_shape

    shape = to_shape(report.location)
    return shape.x, shape.y


def _held():
    return lambda cache: {key: entry[1] for key, entry in cache._blocks.items()}


def test_each_change_reads_again_only_the_blocks_it_touched_and_every_answer_stays_right(reports):
    cache = MapCache(recheck_seconds=0)
    held = _held()
    filters = [MapFilter(statuses=PUBLIC_STATUSES), MapFilter(statuses=PUBLIC_STATUSES,
                                                               department_ids=(department("tiefbau").id,))]
    rng = random.Random(17)
    views = [(x, y, x + 0.006, y + 0.004) for x, y in
             ((HARSEWINKEL[0] + rng.uniform(-0.02, 0.012), HARSEWINKEL[1] + rng.uniform(-0.012, 0.008))
              for _ in range(14))]

    def every_view_is_the_database_answer():
        for bbox in views:
            for filter_ in filters:
                assert _memory(cache, bbox, filter_) == _database(bbox, filter_), (bbox, filter_)

    every_view_is_the_database_answer()
    visible = [r for r, _p in reports if not r.hidden and r.status != "unbestaetigt"]
    somewhere_else = (HARSEWINKEL[0] + 0.011, HARSEWINKEL[1] - 0.0075)
    assert _block_of(somewhere_else) != _block_of(HARSEWINKEL)

    def move(report):
        report.location = f"SRID=4326;POINT({somewhere_else[0]} {somewhere_else[1]})"

    changes = {
        "moved": move,
        "fixed": lambda r: setattr(r, "status", "erledigt"),
        "hidden": lambda r: setattr(r, "hidden", True),
        "other department": lambda r: setattr(r, "department_id", department("stadtwerke").id),
        "creation time": lambda r: setattr(r, "created_at", r.created_at - timedelta(days=3)),
        "reference": lambda r: setattr(r, "reference", r.reference + "-B"),
        "deleted": lambda r: db.session.delete(r),
    }
    kept_total = 0
    for name, change in [*changes.items(), ("new", None)]:
        before = held(cache)
        if change is None:
            touched = {_block_of(somewhere_else)}
            make_report(point=somewhere_else)
        else:
            report = visible.pop(rng.randrange(len(visible)))
            touched = {_block_of(_point(report)), _block_of(somewhere_else) if name == "moved" else None}
            change(report)
        db.session.flush()
        every_view_is_the_database_answer()
        after = held(cache)
        for key, cells in before.items():
            if key in after:
                if key[2:] in touched:
                    assert after[key] is not cells, (name, key)  # read again
                else:
                    assert after[key] is cells, (name, key)  # kept as it was
                    kept_total += 1
        assert touched - {None} <= {key[2:] for key in after}, name
    assert kept_total > len(changes)  # every change left most blocks alone


def test_blocks_the_triggers_log_match_the_blocks_the_cache_files_reports_in(db_session):
    from geo.mapqueries import HALF_WORLD, cell_size, lonlat

    rng = random.Random(19)
    size = cell_size(BLOCK_LEVEL)
    points = [(rng.uniform(5.8, 15.1), rng.uniform(47.2, 55.1)) for _ in range(300)]
    # Points on a block's edge, as near as floating point gets, and at the ends of the world.
    for _ in range(100):
        bx, by = rng.randrange(8400, 8900), rng.randrange(5300, 5500)
        points.append(lonlat(bx * size - HALF_WORLD, HALF_WORLD - by * size))
    points += [(-180.0, 85.2), (179.9999999, -89.0), (0.0, 0.0)]
    for lon, lat in points:
        logged = set(db.session.execute(text("SELECT block_x, block_y FROM map_cache_blocks("
                                             "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"),
                                        {"lon": lon, "lat": lat}).all())
        assert _block_of((lon, lat)) in logged, (lon, lat, logged)
        assert len(logged) <= 4


def test_a_change_the_log_cannot_explain_drops_the_town(reports):
    # A category rename (its labels are in every block) and a gap in the log both leave
    # nothing of the town held from before.
    cache = MapCache(recheck_seconds=0)
    held = _held()
    everything = MapFilter(statuses=PUBLIC_STATUSES)
    bbox = (HARSEWINKEL[0] - 0.012, HARSEWINKEL[1] - 0.008, HARSEWINKEL[0] + 0.012, HARSEWINKEL[1] + 0.008)
    _memory(cache, bbox, everything)
    before = held(cache)
    category("schlagloch").name = "Loch in der Straße"
    db.session.flush()
    renamed = _memory(cache, bbox, everything)
    assert renamed == _database(bbox, everything) and "Loch in der Stra\\u00dfe" in renamed[1].decode()
    after = held(cache)
    assert before and not any(after.get(key) is cells for key, cells in before.items())

    far_away = (HARSEWINKEL[0] + 0.011, HARSEWINKEL[1] - 0.0075)
    make_report(point=far_away)
    db.session.flush()
    db.session.execute(text("DELETE FROM map_block_changes WHERE version = (SELECT max(version) FROM map_block_changes)"))
    answer = _memory(cache, bbox, everything)
    assert answer == _database(bbox, everything)
    assert not any(held(cache).get(key) is cells for key, cells in after.items())


def test_a_block_is_carried_only_across_moves_that_did_not_touch_it():
    from geo.mapcache import _Town

    town_entry = _Town(generation=4, moves={2: frozenset({(1, 1)}), 3: frozenset(), 4: frozenset({(2, 2)})})
    assert MapCache._unchanged(town_entry, (0, 0), 1, 4) and MapCache._unchanged(town_entry, (0, 0), 4, 1)
    assert not MapCache._unchanged(town_entry, (1, 1), 1, 4) and MapCache._unchanged(town_entry, (1, 1), 2, 4)
    assert not MapCache._unchanged(town_entry, (2, 2), 4, 3)  # a newer block than the view's map
    assert not MapCache._unchanged(town_entry, (0, 0), 0, 4)  # move 1 is not known


def test_changes_read_against_one_version_are_not_applied_from_another(reports):
    # Two checks began at the same held version; the first to finish moved the map on. What
    # the second found changed since the old version says nothing about the move it now makes.
    cache = MapCache(recheck_seconds=0)
    town_entry, stamp = cache.current(db.session, town().id)
    first, second = (stamp[0] + 1, 1), (stamp[0] + 2, 2)
    cache._apply(town_entry, town().id, 2000, first, 0.0, stamp, frozenset({(1, 1)}))
    assert town_entry.moves[town_entry.generation] == frozenset({(1, 1)})
    cache._apply(town_entry, town().id, 2001, second, 0.0, stamp, frozenset({(2, 2)}))
    assert town_entry.stamp == second and town_entry.moves[town_entry.generation] is None


def test_a_change_elsewhere_between_two_misses_does_not_reset_their_count(committing):
    # A busy town's map moves every few seconds: a block's two misses must count across moves
    # that did not touch it, or new blocks would hardly ever be read.
    from functools import partial

    from sqlalchemy.orm import Session

    for i in range(10):
        make_report(point=(HARSEWINKEL[0] + 0.0002 * i, HARSEWINKEL[1]))
    db.session.commit()
    everything = MapFilter(statuses=PUBLIC_STATUSES)
    bbox = (HARSEWINKEL[0] - 0.002, HARSEWINKEL[1] - 0.001, HARSEWINKEL[0] + 0.003, HARSEWINKEL[1] + 0.001)
    cache = MapCache(recheck_seconds=0, background=partial(Session, bind=db.engines["read"]))
    assert _memory(cache, bbox, everything) is None and cache.wait_for_loader() and cache.features == 0
    elsewhere = GREFFEN
    assert _block_of(elsewhere) not in {_block_of((bbox[0], bbox[1])), _block_of((bbox[2], bbox[3]))}
    make_report(point=elsewhere)
    db.session.commit()
    assert _memory(cache, bbox, everything) is None  # the second miss, in the next generation
    assert cache.wait_for_loader()
    held = _memory(cache, bbox, everything)
    assert held is not None and held == _database(bbox, everything) and cache.features >= 10
