"""Offline geocoding on real PostGIS + pg_trgm: forward search, reverse lookup, CSV import, API."""
from __future__ import annotations

import csv
import io

import pytest
from shapely.geometry import Point
from sqlalchemy import func, select

from app.areas.addresses import DEMO_ADDRESSES
from app.areas.models import StreetAddress
from app.db import db
from app.demo import harsewinkel
from geo.geocoding import (AddressFileError, import_addresses, normalize_street, parse_query, read_address_csv,
                           reverse_geocode, search_addresses)
from tests.factories import town


def _search(query, limit=5):
    return search_addresses(db.session, town().id, query, limit=limit)


@pytest.mark.parametrize("street,expected", [
    ("Münsterstraße", "muensterstr"), ("Münster-Straße", "muensterstr"), ("Muensterstr.", "muensterstr"),
    ("Münsterstrasse", "muensterstr"), ("Warendorfer Str.", "warendorferstr"), ("Kirchplatz", "kirchpl"),
    ("Strandweg", "strandweg"), ("Brockhäger Straße", "brockhaegerstr"),
])
def test_normalize_street(street, expected):
    assert normalize_street(street) == expected


def test_parse_query_splits_number_postcode_and_place():
    parsed = parse_query("Münsterstr. 5 a, 33428 Harsewinkel")
    assert (parsed.street, parsed.house_number, parsed.postcode, parsed.locality) == \
        ("muensterstr", "5a", "33428", "harsewinkel")
    assert parse_query("Kirchplatz").house_number == ""


@pytest.mark.parametrize("query", ["Münsterstr 5", "Münsterstraße 5", "muensterstrasse 5", "Münster-Str. 5",
                                   "Münstrstraße 5", "Münsterstrase 5", "münsterstr 5, Harsewinkel"])
def test_forward_search_tolerates_typos_and_abbreviations(demo_addresses, query):
    results = _search(query)
    assert results, query
    assert (results[0].street, results[0].house_number) == ("Münsterstraße", "5")
    assert results[0].label == "Münsterstraße 5, 33428 Harsewinkel"


def test_forward_search_returns_the_stored_point(demo_addresses):
    stored = db.session.execute(
        select(func.ST_X(StreetAddress.location), func.ST_Y(StreetAddress.location))
        .where(StreetAddress.street == "Warendorfer Straße", StreetAddress.house_number == "4")).one()
    result = _search("Warendorfer Str. 4")[0]
    assert Point(result.lon, result.lat).equals(Point(*stored))


def test_missing_house_number_gives_the_nearest_existing_one(demo_addresses):
    numbers = {a.house_number for a in db.session.scalars(
        select(StreetAddress).where(StreetAddress.street == "Kirchplatz"))}
    assert "999" not in numbers
    result = _search("Kirchplatz 999")[0]
    assert result.street == "Kirchplatz"
    top = max(int("".join(ch for ch in n if ch.isdigit())) for n in numbers)
    assert int("".join(ch for ch in result.house_number if ch.isdigit())) == top


def test_street_without_number_names_the_street_once(demo_addresses):
    results = _search("Clarholzer Straße")
    assert results[0].label == "Clarholzer Straße, 33428 Harsewinkel"
    assert results[0].house_number == ""
    assert len({r.label for r in results}) == len(results)


def test_same_street_in_two_ortsteile_prefers_the_named_place(demo_addresses):
    in_marienfeld = _search("Harsewinkeler Straße 3, Marienfeld")[0]
    in_greffen = _search("Harsewinkeler Straße 3, Greffen")[0]
    assert (in_marienfeld.ortsteil, in_greffen.ortsteil) == ("Marienfeld", "Greffen")


def test_nonsense_finds_nothing(demo_addresses):
    assert _search("Xyzqwv 12") == []
    assert _search("5") == []


def test_other_towns_addresses_are_not_found(demo_addresses):
    assert search_addresses(db.session, town().id + 999, "Münsterstraße 5") == []


def test_reverse_finds_the_nearest_address_within_the_distance(demo_addresses):
    row = db.session.execute(
        select(func.ST_X(StreetAddress.location), func.ST_Y(StreetAddress.location))
        .where(StreetAddress.street == "Münsterstraße", StreetAddress.house_number == "5")).one()
    lon, lat = row
    # 5 m north of the house: Münsterstraße 5 is the nearest address.
    found = reverse_geocode(db.session, town().id, lon, lat + 5 / 111_200)
    assert found is not None and (found.street, found.house_number) == ("Münsterstraße", "5")
    assert 4.0 < found.distance_m < 6.0
    # Far out in the fields: nothing within 75 m.
    assert reverse_geocode(db.session, town().id, 8.33, 51.90) is None


def test_reverse_distance_is_metric_not_degrees(demo_addresses):
    lon, lat = db.session.execute(
        select(func.ST_X(StreetAddress.location), func.ST_Y(StreetAddress.location))
        .where(StreetAddress.street == "Klosterhof", StreetAddress.house_number == "1")).one()
    # 60 m east; at 52° N that is 0.00088° of longitude but only 0.00054° of latitude would be 60 m.
    east = lon + 60 / (111_320 * 0.6157)
    found = reverse_geocode(db.session, town().id, east, lat, max_distance_m=40)
    assert found is None or found.distance_m <= 40
    found = reverse_geocode(db.session, town().id, east, lat, max_distance_m=500)
    assert found is not None and found.distance_m <= 61


def test_demo_addresses_lie_in_their_ortsteil():
    areas = {a["name"]: a["geom"] for a in harsewinkel.areas() if a["kind"] == "ortsteil"}
    rows = list(csv.DictReader(DEMO_ADDRESSES.open(encoding="utf-8")))
    assert 300 <= len(rows) <= 800
    streets = {r["street"] for r in rows}
    assert {"Münsterstraße", "Warendorfer Straße", "Gütersloher Straße", "Brockhäger Straße", "Clarholzer Straße",
            "Marienfelder Straße", "Kirchplatz", "Greffener Straße"} <= streets
    for row in rows:
        assert areas[row["ortsteil"]].contains(Point(float(row["lon"]), float(row["lat"]))), row


def test_csv_in_utm32_is_reprojected_in_postgis(db_session):
    # Münsterstraße 5's neighbourhood written in ETRS89/UTM 32N, as the state publishes "Hauskoordinaten".
    data = "strasse;hausnummer;plz;ortsteil;ostwert;nordwert\nTeststraße;1;33428;Harsewinkel;447800,5;5757600,2\n"
    rows, srid = read_address_csv(data)
    assert srid == 25832
    assert import_addresses(db.session, town().id, rows, srid=srid) == 1
    found = _search("Teststr 1")[0]
    expected = db.session.execute(select(func.ST_AsText(func.ST_Transform(
        func.ST_SetSRID(func.ST_MakePoint(447800.5, 5757600.2), 25832), 4326)))).scalar()
    from shapely import wkt

    assert Point(found.lon, found.lat).equals(wkt.loads(expected))
    assert 8.2 < found.lon < 8.3 and 51.9 < found.lat < 52.0


def test_bad_csv_is_refused_naming_every_line(db_session):
    data = "street,house_number,lat,lon\nA-Weg,1,51.9,8.2\n,2,51.9,8.2\nB-Weg,3,abc,8.2\nC-Weg,4,95,8.2\n"
    with pytest.raises(AddressFileError) as info:
        read_address_csv(data)
    errors = info.value.errors
    assert [e.split(":")[0] for e in errors] == ["Zeile 3", "Zeile 4", "Zeile 5"]
    assert "Straße fehlt" in errors[0] and "Breite" in errors[1]
    with pytest.raises(AddressFileError) as info:
        read_address_csv("name,x\nfoo,1\n")
    assert "Spalte fehlt" in info.value.errors[0]


def test_reimport_updates_instead_of_duplicating(demo_addresses):
    before = db.session.scalar(select(func.count()).select_from(StreetAddress))
    from app.areas.addresses import load_demo_addresses

    load_demo_addresses(db.session, town())
    assert db.session.scalar(select(func.count()).select_from(StreetAddress)) == before


def test_cli_import_is_all_or_nothing(app, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("street,house_number,postcode,ortsteil,lat,lon\nCLI-Weg,1,33428,Harsewinkel,51.96,8.23\n"
                    "CLI-Weg,2,33428,Harsewinkel,51.9601,8.2301\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("street,house_number,postcode,ortsteil,lat,lon\nCLI-Pfad,1,33428,Harsewinkel,51.96,8.23\n"
                   "CLI-Pfad,,33428,Harsewinkel,51.96,8.23\n")
    runner = app.test_cli_runner()
    try:
        result = runner.invoke(args=["addresses", "import", str(bad)])
        assert result.exit_code == 1
        assert "Zeile 3" in result.output and "Hausnummer fehlt" in result.output
        result = runner.invoke(args=["addresses", "import", str(good)])
        assert result.exit_code == 0, result.output
        assert "imported 2 addresses" in result.output
        with app.app_context():
            streets = set(db.session.scalars(select(StreetAddress.street).where(
                StreetAddress.street.in_(["CLI-Weg", "CLI-Pfad"]))))
            assert streets == {"CLI-Weg"}
    finally:
        with app.app_context():
            db.session.execute(StreetAddress.__table__.delete().where(
                StreetAddress.street.in_(["CLI-Weg", "CLI-Pfad"])))
            db.session.commit()
            db.session.remove()


# --- the API ------------------------------------------------------------------------------------

def test_geocode_endpoint(client, demo_addresses):
    response = client.get("/api/v1/geocode?q=Münsterstr 5&limit=3")
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("public")
    assert response.headers.get("ETag")
    results = response.get_json()["results"]
    assert 1 <= len(results) <= 3
    assert results[0]["label"] == "Münsterstraße 5, 33428 Harsewinkel"
    assert set(results[0]) == {"label", "street", "house_number", "postcode", "ortsteil", "lat", "lon"}
    again = client.get("/api/v1/geocode?q=Münsterstr 5&limit=3", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


@pytest.mark.parametrize("url,field", [
    ("/api/v1/geocode", "q"), ("/api/v1/geocode?q=a", "q"), ("/api/v1/geocode?q=Kirchplatz&limit=0", "limit"),
    ("/api/v1/geocode?q=Kirchplatz&limit=x", "limit"), ("/api/v1/reverse?lat=51.9", "lon"),
    ("/api/v1/reverse?lat=abc&lon=8.2", "lat"), ("/api/v1/reverse?lat=91&lon=8.2", "lat"),
    ("/api/v1/reverse?lat=NaN&lon=8.2", "lat"), ("/api/v1/reports/nearby?lat=51.96&lon=8.23&radius=9999", "radius"),
    ("/api/v1/reports/nearby?lat=51.96&lon=8.23&category=gibtsnicht", "category"),
])
def test_bad_parameters_get_a_400_naming_them(client, url, field):
    response = client.get(url)
    assert response.status_code == 400
    error = response.get_json()["errors"][0]
    assert error["field"] == field
    assert field in error["message"] or "Kategorie" in error["message"] or "Zeichen" in error["message"]


def test_errors_are_english_with_lang_en(client):
    response = client.get("/api/v1/reverse?lat=91&lon=8.2&lang=en")
    assert response.status_code == 400
    assert "between" in response.get_json()["errors"][0]["message"]


def test_reverse_endpoint(client, demo_addresses):
    lon, lat = db.session.execute(
        select(func.ST_X(StreetAddress.location), func.ST_Y(StreetAddress.location))
        .where(StreetAddress.street == "Kirchplatz", StreetAddress.house_number == "2")).one()
    body = client.get(f"/api/v1/reverse?lat={lat}&lon={lon}").get_json()
    assert body["result"]["label"] == "Kirchplatz 2, 33428 Harsewinkel"
    assert body["result"]["distance_m"] == 0.0
    assert client.get("/api/v1/reverse?lat=51.90&lon=8.33").get_json() == {"result": None}
