"""Map queries on real PostGIS: bbox GeoJSON with filters, clusters, vector tiles, ETags, replica."""
from __future__ import annotations

import pytest
import sqlalchemy.exc
from shapely.geometry import Point, shape
from sqlalchemy import event, select, text

from app.db import db
from app.reports.models import Report
from app.reports.operations import change_status
from geo import mapqueries
from tests.factories import GREFFEN, HARSEWINKEL, MARIENFELD, department, make_report, town

TOWN_BBOX = "8.10,51.89,8.36,52.03"
CENTRE_BBOX = "8.22,51.955,8.24,51.97"


def _features(client, query):
    response = client.get(f"/api/v1/reports.geojson?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["type"] == "FeatureCollection"
    return {f["properties"]["reference"]: f for f in body["features"]}


def _cells_snapshot():
    return db.session.execute(text(
        "SELECT jurisdiction_id, level, cx, cy, category_id, status, n, round(sum_x::numeric, 3), "
        "round(sum_y::numeric, 3) FROM map_cells WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5, 6")).all()


def test_bbox_geojson_returns_public_reports_in_the_box_only(client):
    here = make_report(point=HARSEWINKEL, email="buerger@example.org", description="Geheime Beschreibung 123")
    make_report(point=GREFFEN)
    hidden = make_report(point=(HARSEWINKEL[0] + 0.001, HARSEWINKEL[1]))
    hidden.hidden = True
    unconfirmed = make_report(point=(HARSEWINKEL[0] - 0.001, HARSEWINKEL[1]))
    unconfirmed.status = "unbestaetigt"
    db.session.flush()
    response = client.get(f"/api/v1/reports.geojson?bbox={CENTRE_BBOX}")
    raw = response.get_data(as_text=True)
    features = _features(client, f"bbox={CENTRE_BBOX}")
    assert set(features) == {here.reference}
    feature = features[here.reference]
    assert shape(feature["geometry"]).equals(Point(HARSEWINKEL))
    props = feature["properties"]
    assert set(props) == {"reference", "url", "category", "category_label", "status", "status_label", "created_at"}
    assert props["url"].endswith(f"/meldungen/{here.reference}")
    assert (props["category"], props["status"], props["status_label"]) == ("schlagloch", "eingegangen", "Eingegangen")
    assert "buerger@example.org" not in raw and "Geheime" not in raw
    assert response.headers["Content-Type"].startswith("application/geo+json")


def test_features_follow_every_change_of_their_report(client):
    """The fixed part of each feature is stored (reports.map_feature, kept by a trigger): after a
    status change, a moved pin, a bulk UPDATE and a write under another session time zone the
    endpoint still says exactly what the report's columns say."""
    report = make_report(point=HARSEWINKEL)
    other = make_report(point=(HARSEWINKEL[0] + 0.002, HARSEWINKEL[1]))
    change_status(report, "in_bearbeitung", public_note="Wir kümmern uns", actor="test")
    moved = (HARSEWINKEL[0] + 0.001, HARSEWINKEL[1] + 0.0005)
    db.session.execute(text("SET LOCAL TIME ZONE 'America/New_York'"))
    db.session.execute(text("UPDATE reports SET location = ST_SetSRID(ST_MakePoint(:x, :y), 4326), "
                            "created_at = timestamptz '2026-03-01 12:34:56.789+01' WHERE id = :id"),
                       {"x": moved[0], "y": moved[1], "id": report.id})
    db.session.execute(text("UPDATE reports SET status = 'erledigt' WHERE id IN (:a, :b)"),
                       {"a": report.id, "b": other.id})
    db.session.execute(text("SET LOCAL TIME ZONE 'UTC'"))
    db.session.expire_all()
    features = _features(client, f"bbox={CENTRE_BBOX}")
    assert set(features) == {report.reference, other.reference}
    feature = features[report.reference]
    assert shape(feature["geometry"]).equals(Point(moved))
    assert (feature["properties"]["status"], feature["properties"]["status_label"]) == ("erledigt", "Erledigt")
    assert feature["properties"]["created_at"] == "2026-03-01T11:34:56.789000+00:00"
    assert features[other.reference]["properties"]["status"] == "erledigt"
    stored = db.session.execute(text("SELECT map_feature IS NOT NULL FROM reports WHERE id = :id"),
                                {"id": report.id}).scalar()
    assert stored


def test_bbox_filters_category_status_department_and_age(client):
    pothole = make_report(point=HARSEWINKEL, category_code="schlagloch")
    light = make_report(point=HARSEWINKEL, category_code="strassenlaterne")
    done = make_report(point=MARIENFELD, category_code="spielplatz")
    change_status(done, "erledigt", public_note="Repariert", actor="test")
    old = make_report(point=GREFFEN, category_code="graffiti")
    db.session.execute(text("UPDATE reports SET created_at = now() - interval '40 days' WHERE id = :id"),
                       {"id": old.id})
    assert set(_features(client, f"bbox={TOWN_BBOX}&category=strassenlaterne")) == {light.reference}
    assert set(_features(client, f"bbox={TOWN_BBOX}&status=closed")) == {done.reference}
    assert set(_features(client, f"bbox={TOWN_BBOX}&status=open")) == {pothole.reference, light.reference,
                                                                        old.reference}
    assert set(_features(client, f"bbox={TOWN_BBOX}&status=erledigt")) == {done.reference}
    assert set(_features(client, f"bbox={TOWN_BBOX}&department=stadtwerke")) == {light.reference}
    assert old.reference not in _features(client, f"bbox={TOWN_BBOX}&max_age_days=30")
    assert len(_features(client, f"bbox={TOWN_BBOX}&limit=2")) == 2
    english = _features(client, f"bbox={TOWN_BBOX}&category=strassenlaterne&lang=en")[light.reference]
    assert (english["properties"]["category_label"], english["properties"]["status_label"]) == \
        ("Street light out", "Received")


def test_recently_fixed_is_by_the_time_it_was_fixed_and_ages_out_under_a_new_etag(client):
    # An old report fixed yesterday is recently fixed; one made last week and fixed 100 days
    # ago is not (a report cannot be fixed before it was made, but imports bring such dates).
    long_known = make_report(point=HARSEWINKEL)
    change_status(long_known, "erledigt", actor="test")
    fixed_long_ago = make_report(point=MARIENFELD)
    change_status(fixed_long_ago, "erledigt", actor="test")
    db.session.execute(text("UPDATE reports SET created_at = now() - interval '400 days' WHERE id = :id"),
                       {"id": long_known.id})
    db.session.execute(text("UPDATE reports SET status_changed_at = now() - interval '100 days' WHERE id = :id"),
                       {"id": fixed_long_ago.id})
    recently = f"bbox={TOWN_BBOX}&status=erledigt&changed_within_days=90"
    assert set(_features(client, recently)) == {long_known.reference}
    for query in (recently, f"zoom=12&{recently}"):  # clusters too (from the reports, not the cells)
        kind = "clusters" if query.startswith("zoom") else "reports"
        shown = client.get(f"/api/v1/{kind}.geojson?{query}")
        assert shown.status_code == 200 and sum(
            f["properties"].get("count", 1) for f in shown.get_json()["features"]) == 1, kind
    # Time passes: the report leaves the window while the map version stays (no map data
    # changed), so the tag of the old answer must no longer match.
    first = client.get(f"/api/v1/reports.geojson?{recently}")
    version = mapqueries.map_version(db.session, town().id)
    db.session.execute(text("UPDATE reports SET status_changed_at = now() - interval '91 days' WHERE id = :id"),
                       {"id": long_known.id})
    assert mapqueries.map_version(db.session, town().id) == version
    again = client.get(f"/api/v1/reports.geojson?{recently}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.get_json()["features"] == []
    unchanged = client.get(f"/api/v1/reports.geojson?{recently}", headers={"If-None-Match": again.headers["ETag"]})
    assert unchanged.status_code == 304


@pytest.mark.parametrize("query,field", [
    ("", "bbox"), ("bbox=1,2,3", "bbox"), ("bbox=8.3,51.9,8.2,52.0", "bbox"), ("bbox=a,b,c,d", "bbox"),
    ("bbox=0,0,50,50", "bbox"), (f"bbox={TOWN_BBOX}&status=weg", "status"),
    (f"bbox={TOWN_BBOX}&department=nix", "department"), (f"bbox={TOWN_BBOX}&max_age_days=-3", "max_age_days"),
    (f"bbox={TOWN_BBOX}&changed_within_days=0", "changed_within_days"),
    (f"bbox={TOWN_BBOX}&limit=100000", "limit"), (f"bbox={TOWN_BBOX}&status=unbestaetigt", "status"),
])
def test_bbox_bad_parameters_are_400(client, query, field):
    response = client.get(f"/api/v1/reports.geojson?{query}")
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == field


def test_etag_answers_304_until_the_map_changes(client):
    make_report(point=HARSEWINKEL)
    first = client.get(f"/api/v1/reports.geojson?bbox={TOWN_BBOX}")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, no-cache"
    again = client.get(f"/api/v1/reports.geojson?bbox={TOWN_BBOX}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other_view = client.get(f"/api/v1/reports.geojson?bbox={CENTRE_BBOX}", headers={"If-None-Match": etag})
    assert other_view.status_code == 200
    make_report(point=GREFFEN)
    changed = client.get(f"/api/v1/reports.geojson?bbox={TOWN_BBOX}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert len(changed.get_json()["features"]) == 2


def test_a_reference_that_is_not_plain_still_makes_valid_json_and_urls(client):
    """References are made by the app and plain; one imported from elsewhere (quotes, umlauts,
    a backslash) must not break the answer: every URL is then JSON-quoted."""
    plain = make_report(point=HARSEWINKEL)
    odd = make_report(point=(HARSEWINKEL[0] + 0.001, HARSEWINKEL[1]))
    odd.reference = 'ALT-"Ä"\\1'
    db.session.flush()
    features = _features(client, f"bbox={TOWN_BBOX}")
    assert set(features) == {plain.reference, odd.reference}
    assert features[odd.reference]["properties"]["url"].endswith('/meldungen/ALT-"Ä"\\1')
    assert features[plain.reference]["properties"]["url"].endswith(f"/meldungen/{plain.reference}")


def test_a_renamed_category_changes_the_etag_and_the_labels(client):
    """Category labels are kept in memory per map version (one statement per map view);
    a category change moves the version (revision 0105), so no stale label is served."""
    from tests.factories import category

    report = make_report(point=HARSEWINKEL)
    first = client.get(f"/api/v1/reports.geojson?bbox={TOWN_BBOX}&lang=de")
    etag = first.headers["ETag"]
    assert first.get_json()["features"][0]["properties"]["category_label"] == "Schlagloch / Straßenschaden"
    english = client.get(f"/api/v1/reports.geojson?bbox={TOWN_BBOX}&lang=en")
    english_label = english.get_json()["features"][0]["properties"]["category_label"]

    pothole = category("schlagloch")
    pothole.name, pothole.name_en = "Schlagloch <b>neu</b>", "Pothole (renamed)"
    db.session.flush()
    changed = client.get(f"/api/v1/reports.geojson?bbox={TOWN_BBOX}&lang=de", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    props = changed.get_json()["features"][0]["properties"]
    assert (props["reference"], props["category_label"]) == (report.reference, "Schlagloch <b>neu</b>")
    english = client.get(f"/api/v1/reports.geojson?bbox={TOWN_BBOX}&lang=en")
    assert english.get_json()["features"][0]["properties"]["category_label"] == "Pothole (renamed)" != english_label


def test_an_empty_view_still_carries_the_map_version(client):
    make_report(point=HARSEWINKEL)
    empty = client.get("/api/v1/reports.geojson?bbox=8.30,52.00,8.31,52.01")
    assert empty.status_code == 200 and empty.get_json() == {"type": "FeatureCollection", "features": []}
    version = mapqueries.map_version(db.session, town().id)
    assert version > 0 and f"-{version}-" in empty.headers["ETag"]
    again = client.get("/api/v1/reports.geojson?bbox=8.30,52.00,8.31,52.01", headers={"If-None-Match": empty.headers["ETag"]})
    assert again.status_code == 304


def test_clusters_count_every_visible_report_once(client):
    reports = [make_report(point=(HARSEWINKEL[0] + i * 0.0003, HARSEWINKEL[1])) for i in range(5)]
    reports += [make_report(point=GREFFEN, category_code="graffiti"), make_report(point=MARIENFELD)]
    change_status(reports[0], "erledigt", public_note="ok", actor="test")
    for zoom in (8, 11, 13, 16, 18, 20):
        body = client.get(f"/api/v1/clusters.geojson?bbox={TOWN_BBOX}&zoom={zoom}").get_json()
        assert sum(f["properties"]["count"] for f in body["features"]) == 7, zoom
        open_only = client.get(f"/api/v1/clusters.geojson?bbox={TOWN_BBOX}&zoom={zoom}&status=open").get_json()
        assert sum(f["properties"]["count"] for f in open_only["features"]) == 6, zoom
    zoomed_out = client.get(f"/api/v1/clusters.geojson?bbox={TOWN_BBOX}&zoom=10").get_json()["features"]
    assert max(f["properties"]["count"] for f in zoomed_out) == 5
    single = [f for f in zoomed_out if f["properties"]["count"] == 1]
    refs = {f["properties"]["reference"] for f in single}
    assert refs == {reports[5].reference, reports[6].reference}
    for feature in single:
        if feature["properties"]["reference"] == reports[5].reference:
            assert shape(feature["geometry"]).equals_exact(Point(GREFFEN), 1e-6)
    graffiti = client.get(f"/api/v1/clusters.geojson?bbox={TOWN_BBOX}&zoom=10&category=graffiti").get_json()
    assert [f["properties"] for f in graffiti["features"]] == [{"count": 1, "reference": reports[5].reference,
                                                                 "status": reports[5].status}]


def test_precomputed_clusters_equal_live_grouping(db_session):
    for i in range(12):
        make_report(point=(8.20 + i * 0.01, 51.95 + (i % 3) * 0.01),
                    category_code=["schlagloch", "graffiti", "gully"][i % 3])
    bbox = (8.10, 51.89, 8.36, 52.03)
    for zoom in (6, 9, 12, 15):
        for filters in (mapqueries.MapFilter(statuses=("eingegangen",)),
                        mapqueries.MapFilter(statuses=("eingegangen",), category_ids=(db.session.scalar(
                            select(Report.category_id).where(Report.status == "eingegangen").limit(1)),))):
            cells = mapqueries.clusters(db.session, town().id, bbox, zoom, filters)
            # The department filter is not precomputed: the same grid grouped live.
            live_filters = mapqueries.MapFilter(statuses=filters.statuses, category_ids=filters.category_ids,
                                                department_ids=tuple(d.id for d in town().departments))
            live = mapqueries.clusters(db.session, town().id, bbox, zoom, live_filters)
            assert [(c["count"], c.get("reference")) for c in cells] == [(c["count"], c.get("reference")) for c in live]
            for a, b in zip(cells, live):
                assert Point(a["lon"], a["lat"]).equals_exact(Point(b["lon"], b["lat"]), 1e-6)


def test_cells_stay_exact_through_updates_deletes_and_bulk_changes(db_session):
    reports = [make_report(point=(8.22 + i * 0.002, 51.96)) for i in range(6)]
    change_status(reports[0], "in_bearbeitung", actor="test")
    reports[1].hidden = True
    reports[2].category_id = reports[3].category_id  # no change
    db.session.flush()
    db.session.execute(text("UPDATE reports SET location = ST_SetSRID(ST_MakePoint(8.17, 51.98), 4326) "
                            "WHERE id = :id"), {"id": reports[4].id})
    db.session.execute(text("DELETE FROM status_changes WHERE report_id = :id"), {"id": reports[5].id})
    db.session.execute(text("DELETE FROM reports WHERE id = :id"), {"id": reports[5].id})
    db.session.execute(text("UPDATE reports SET status = 'in_pruefung' WHERE jurisdiction_id = :j"),
                       {"j": town().id})
    kept = _cells_snapshot()
    db.session.execute(text("SELECT map_cells_rebuild(:j)"), {"j": town().id})
    assert _cells_snapshot() == kept
    assert sum(row.n for row in kept if row.level == 4) == 4


def test_vector_tiles(client):
    report = make_report(point=HARSEWINKEL)
    x14, y14 = _tile(HARSEWINKEL, 14)
    tile = client.get(f"/api/v1/tiles/14/{x14}/{y14}.mvt")
    assert tile.status_code == 200
    assert tile.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert b"reports" in tile.data and report.reference.encode() in tile.data
    x10, y10 = _tile(HARSEWINKEL, 10)
    low = client.get(f"/api/v1/tiles/10/{x10}/{y10}.mvt")
    assert low.status_code == 200 and b"clusters" in low.data and report.reference.encode() not in low.data
    live = client.get(f"/api/v1/tiles/10/{x10}/{y10}.mvt?department=tiefbau")
    assert b"clusters" in live.data
    empty = client.get(f"/api/v1/tiles/14/{x14 + 50}/{y14}.mvt")
    assert empty.status_code == 200 and empty.data == b""
    again = client.get(f"/api/v1/tiles/14/{x14}/{y14}.mvt", headers={"If-None-Match": tile.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/api/v1/tiles/3/9/1.mvt").status_code == 400


def _tile(point, z):
    import math

    lon, lat = point
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_nearby_endpoint_is_metric_and_public(client):
    near = make_report(point=HARSEWINKEL)
    # 30 m east and 80 m north.
    east = make_report(point=(HARSEWINKEL[0] + 30 / (111_320 * 0.6157), HARSEWINKEL[1]), category_code="graffiti")
    make_report(point=(HARSEWINKEL[0], HARSEWINKEL[1] + 80 / 111_200))
    hidden = make_report(point=HARSEWINKEL)
    hidden.hidden = True
    closed = make_report(point=HARSEWINKEL)
    change_status(closed, "erledigt", public_note="ok", actor="test")
    body = client.get(f"/api/v1/reports/nearby?lat={HARSEWINKEL[1]}&lon={HARSEWINKEL[0]}").get_json()
    assert [r["reference"] for r in body["reports"]] == [near.reference, east.reference]
    assert body["reports"][0]["distance_m"] == 0.0 and 29 < body["reports"][1]["distance_m"] < 31
    assert set(body["reports"][0]) == {"reference", "url", "category", "category_label", "status", "status_label",
                                       "distance_m"}
    only = client.get(f"/api/v1/reports/nearby?lat={HARSEWINKEL[1]}&lon={HARSEWINKEL[0]}&category=graffiti&radius=100")
    assert [r["reference"] for r in only.get_json()["reports"]] == [east.reference]
    wide = client.get(f"/api/v1/reports/nearby?lat={HARSEWINKEL[1]}&lon={HARSEWINKEL[0]}&radius=100").get_json()
    assert len(wide["reports"]) == 3


def test_read_queries_go_to_the_replica(committing, database_url, tmp_path):
    """With DATABASE_REPLICA_URL set, map queries run on the "read" bind, here pointed at the
    same database under another application_name, standing in for a streaming replica.
    libpq's protocol trace of that pool's connections shows what they really ran: the map
    query, in autocommit (no BEGIN), on a connection that refuses writes."""
    from app import create_app

    with committing.app_context():
        report = make_report(point=HARSEWINKEL)
        db.session.commit()
        reference = report.reference
    config = {k: committing.config[k] for k in ("TESTING", "SQLALCHEMY_DATABASE_URI", "DATABASE_URL", "REDIS_URL",
                                                 "RATELIMIT_STORAGE_URI", "SECRET_KEY", "BASE_URL",
                                                 "MEDIA_STORAGE_URL")}
    replica_url = database_url + ("&" if "?" in database_url else "?") + "application_name=mm_replica"
    app = create_app({**config, "DATABASE_REPLICA_URL": replica_url})
    trace_file = (tmp_path / "replica.trace").open("w")
    with app.app_context():
        assert db.engines["read"].url.query["application_name"] == "mm_replica"
        event.listen(db.engines["read"], "connect",
                     lambda dbapi_connection, _record: dbapi_connection.pgconn.trace(trace_file.fileno()))
        client = app.test_client()
        features = client.get(f"/api/v1/reports.geojson?bbox={TOWN_BBOX}").get_json()["features"]
        assert [f["properties"]["reference"] for f in features] == [reference]
        with db.engines["read"].connect() as connection:
            assert connection.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "on"
            with pytest.raises(sqlalchemy.exc.InternalError, match="read-only transaction"):
                connection.exec_driver_sql("CREATE TEMP TABLE t (x int)")
        assert app.extensions["map_cache"].wait_for_loader()  # its blocks are read on the replica too
        for engine in db.engines.values():
            engine.dispose()
    trace_file.close()
    trace = (tmp_path / "replica.trace").read_text(errors="replace")
    assert "r.map_feature" in trace and "ST_MakeEnvelope" in trace
    assert "BEGIN" not in trace


def test_map_reads_are_planned_for_their_own_town_every_time(app):
    """psycopg prepares a statement from its 5th execution on a connection; after 5 executions of
    a prepared statement PostgreSQL may switch to its generic plan, which takes every town to
    hold 1/n of the reports: for a district's main town that plan made a street view ~8x slower
    (app/config.py). The read pool plans each execution for its values: after 14 street views on
    one connection (here, without the setting, 4 of them ran on the generic plan) the prepared
    statement has only custom plans."""
    from sqlalchemy.orm import Session

    from app.reports.status import PUBLIC_STATUSES

    with app.app_context():
        jurisdiction_id = town().id
        with Session(bind=db.engines["read"]) as session:
            for step in range(14):
                mapqueries.reports_geojson(session, jurisdiction_id, (8.22, 51.955 + step / 1000, 8.24, 51.97),
                                           mapqueries.MapFilter(statuses=PUBLIC_STATUSES), locale="de",
                                           url_prefix="https://example.org/meldungen/", status_labels={})
            plans = session.execute(text("SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                                         "WHERE statement LIKE '%r.map_feature%'")).all()
            # and serially: a parallel plan made a vector tile slower under the web workers' load
            serial = session.execute(text("SHOW max_parallel_workers_per_gather")).scalar()
    assert len(plans) == 1 and plans[0].custom_plans > 5, plans  # prepared, and past PostgreSQL's first 5
    assert plans[0].generic_plans == 0
    assert serial == "0"


def test_a_lost_read_connection_costs_one_503_and_then_reconnects(committing, database_url, monkeypatch):
    """The map's read pool checks a connection only after it idled (app.mapapi.replica). A
    connection killed while in the pool fails its next request with a 503 naming the problem
    (not a 500), the next request gets a fresh connection; after idling it is checked first."""
    from app import create_app
    from app.mapapi import replica

    config = {k: committing.config[k] for k in ("TESTING", "SQLALCHEMY_DATABASE_URI", "DATABASE_URL", "REDIS_URL",
                                                 "RATELIMIT_STORAGE_URI", "SECRET_KEY", "BASE_URL",
                                                 "MEDIA_STORAGE_URL")}
    name = "mm_read_pool_test"
    app = create_app({**config, "DATABASE_REPLICA_URL": database_url + ("&" if "?" in database_url else "?")
                      + f"application_name={name}"})
    url = f"/api/v1/reports.geojson?bbox={TOWN_BBOX}"

    def kill_pooled_connections():
        with committing.app_context():
            killed = db.session.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                             "WHERE application_name = :name"), {"name": name}).scalar()
            db.session.rollback()
        assert killed == 1

    with app.app_context():
        client = app.test_client()
        assert client.get(url).status_code == 200
        kill_pooled_connections()
        lost = client.get(url)
        assert lost.status_code == 503
        assert lost.headers["Retry-After"] == "1"
        assert "Datenbank war kurz nicht erreichbar" in lost.get_json()["errors"][0]["message"]
        assert client.get(url).status_code == 200
        # Idle long enough (here: any time at all): the dead connection is noticed at checkout.
        monkeypatch.setattr(replica, "IDLE_BEFORE_PING", 0.0)
        kill_pooled_connections()
        assert client.get(url).status_code == 200
        for engine in db.engines.values():
            engine.dispose()
