"""Offline geocoding on the ``addresses`` table: no external service sees what citizens type.

Forward search tolerates typos and abbreviations through normalised street names
and pg_trgm ("Münsterstr 5", "muensterstrasse 5" and "Münstrstraße 5" all find
"Münsterstraße 5"); reverse lookup returns the nearest address within a metric
distance. Import reads CSV rows (WGS 84 or a projected CRS such as ETRS89/UTM 32N,
as the state's open "Hauskoordinaten" data is published) all-or-nothing.
"""
from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

# Trigram similarity a street must reach to be a candidate (pg_trgm's default is 0.3;
# a little lower finds "Münstrstrase" for "Münsterstraße").
SIMILARITY_THRESHOLD = 0.25
WORD_SIMILARITY_THRESHOLD = 0.6


@dataclass(frozen=True)
class Address:
    street: str
    house_number: str
    postcode: str
    ortsteil: str
    lon: float
    lat: float
    label: str
    distance_m: float | None = None
    id: int | None = None  # row id in ``addresses`` (Open311's ``address_id``)

    def as_dict(self) -> dict:
        return {"label": self.label, "street": self.street, "house_number": self.house_number,
                "postcode": self.postcode, "ortsteil": self.ortsteil, "lat": round(self.lat, 7),
                "lon": round(self.lon, 7)}


class AddressFileError(Exception):
    """The address file was refused; ``errors`` lists every problem by line."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors[:5]) + (f" (und {len(errors) - 5} weitere)" if len(errors) > 5 else ""))
        self.errors = errors


# --- normalisation (used for both the stored search form and the query) ----------------

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_STREET_SUFFIX = re.compile(r"str(?:a(?:ss|s)e|\.)?(?=\W|\d|$)")
_PLATZ_SUFFIX = re.compile(r"pl(?:atz|\.)?(?=\W|\d|$)")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _fold(value: str) -> str:
    value = value.strip().lower().translate(_UMLAUTS)
    # Other accents (é, ł, ...) reduced to their base letter.
    return "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))


def normalize_street(street: str) -> str:
    """'Münster-Straße' -> 'muensterstr', 'Kirchplatz' -> 'kirchpl', 'Warendorfer Str.' -> 'warendorferstr'."""
    value = _fold(street)
    value = _STREET_SUFFIX.sub("str", value)
    value = _PLATZ_SUFFIX.sub("pl", value)
    return _NOT_ALNUM.sub("", value)


def normalize_house_number(number: str) -> str:
    """'5 a' -> '5a', '12-14' -> '12-14'."""
    return re.sub(r"\s+", "", _fold(number))


def house_number_int(number: str) -> int | None:
    match = re.match(r"\d+", number.strip())
    return int(match.group()) if match else None


def label_for(street: str, house_number: str, postcode: str, ortsteil: str) -> str:
    place = f"{postcode} {ortsteil}".strip()
    head = f"{street} {house_number}".strip()
    return f"{head}, {place}" if place else head


# --- forward search ----------------------------------------------------------------------

_HOUSE_NUMBER = re.compile(r"^(\d{1,4})\s*([a-zA-Z]?)(?:\s*[-/]\s*\d{1,4}\s*[a-zA-Z]?)?$")
_POSTCODE = re.compile(r"\b(\d{5})\b")


@dataclass(frozen=True)
class ParsedQuery:
    street: str  # normalised
    house_number: str  # normalised, "" if none
    postcode: str
    locality: str  # normalised words after the first comma (Ortsteil or town), "" if none


def parse_query(query: str) -> ParsedQuery:
    """Split 'Münsterstr. 5a, 33428 Harsewinkel' into street, number, postcode and place."""
    query = re.sub(r"\s+", " ", query or "").strip()
    postcode = ""
    match = _POSTCODE.search(query)
    if match:
        postcode = match.group(1)
        query = (query[:match.start()] + query[match.end():]).strip(" ,")
    head, _, rest = query.partition(",")
    head = head.strip()
    number = ""
    tokens = head.split(" ")
    # The number is the last one or two tokens ("5", "5a", "5 a", "12-14").
    for take in (2, 1):
        if len(tokens) > take:
            candidate = " ".join(tokens[-take:])
            if _HOUSE_NUMBER.match(candidate):
                number = candidate
                head = " ".join(tokens[:-take])
                break
    return ParsedQuery(street=normalize_street(head), house_number=normalize_house_number(number),
                       postcode=postcode, locality=normalize_street(rest))


_SEARCH_SQL = text(
    """
    WITH streets AS (
        SELECT street_norm,
               greatest(similarity(street_norm, :s), word_similarity(:s, street_norm)) AS score
        FROM addresses
        WHERE jurisdiction_id = :jid AND (street_norm % :s OR :s <% street_norm)
        GROUP BY street_norm
        ORDER BY score DESC, street_norm
        LIMIT 10
    ),
    middles AS (
        SELECT a.street_norm, a.postcode, a.ortsteil,
               percentile_disc(0.5) WITHIN GROUP (ORDER BY coalesce(a.house_number_int, 0)) AS middle
        FROM addresses a JOIN streets s ON s.street_norm = a.street_norm
        WHERE a.jurisdiction_id = :jid
        GROUP BY a.street_norm, a.postcode, a.ortsteil
    ),
    ranked AS (
        SELECT a.id, a.street, a.house_number, a.postcode, a.ortsteil, ST_X(a.location) AS lon,
               ST_Y(a.location) AS lat, s.score,
               (CAST(:locality AS text) <> '' AND position(CAST(:locality AS text) IN regexp_replace(
                   replace(replace(replace(replace(lower(a.ortsteil), 'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'ß', 'ss'),
                   '[^a-z0-9]', '', 'g')) > 0) AS in_place,
               row_number() OVER (
                   PARTITION BY a.street_norm, a.postcode, a.ortsteil
                   ORDER BY (a.house_number_norm = :hn) DESC,
                            abs(coalesce(a.house_number_int, 0) - (CASE WHEN CAST(:hn AS text) = '' THEN m.middle ELSE :hn_int END)),
                            a.house_number_int, a.house_number_norm
               ) AS rn
        FROM addresses a
        JOIN streets s ON s.street_norm = a.street_norm
        JOIN middles m ON m.street_norm = a.street_norm AND m.postcode = a.postcode AND m.ortsteil = a.ortsteil
        WHERE a.jurisdiction_id = :jid AND (CAST(:pc AS text) = '' OR a.postcode = :pc)
    )
    SELECT * FROM ranked
    WHERE rn <= :per_street
    ORDER BY (rn = 1) DESC, score DESC, in_place DESC, rn, street, house_number
    LIMIT :limit
    """
)


def search_addresses(session: Session, jurisdiction_id: int, query: str, limit: int = 5) -> list[Address]:
    """Addresses of the town matching ``query``, best first (at most ``limit``).

    With a house number, the exact number (or the nearest existing one) of the
    best-matching streets comes first; without one, each street is represented by
    the address in its middle and the label names the street only.
    """
    parsed = parse_query(query)
    if len(parsed.street) < 2:
        return []
    session.execute(text("SELECT set_config('pg_trgm.similarity_threshold', :t, true), "
                         "set_config('pg_trgm.word_similarity_threshold', :w, true)"),
                    {"t": str(SIMILARITY_THRESHOLD), "w": str(WORD_SIMILARITY_THRESHOLD)})
    has_number = bool(parsed.house_number)
    wanted_int = house_number_int(parsed.house_number) if has_number else None
    limit = max(1, min(int(limit), 50))
    rows = session.execute(_SEARCH_SQL, {
        "jid": jurisdiction_id, "s": parsed.street, "hn": parsed.house_number,
        "hn_int": wanted_int if wanted_int is not None else 0, "pc": parsed.postcode,
        "locality": parsed.locality, "limit": limit, "per_street": limit if has_number else 1,
    }).mappings().all()
    return [Address(street=r["street"], house_number=r["house_number"] if has_number else "",
                    postcode=r["postcode"], ortsteil=r["ortsteil"], lon=r["lon"], lat=r["lat"],
                    label=label_for(r["street"], r["house_number"] if has_number else "", r["postcode"],
                                    r["ortsteil"]), id=r["id"] if has_number else None)
            for r in rows]


# --- reverse lookup ----------------------------------------------------------------------

def degrees_for_metres(metres: float, lat: float) -> float:
    """A radius in degrees that covers ``metres`` in every direction at latitude ``lat``.

    Used as an index-friendly prefilter (``ST_DWithin`` on geometry) before the
    exact metric test on geography; generous by about 1 %.
    """
    return metres / (110_000.0 * max(math.cos(math.radians(lat)), 0.01))


_REVERSE_SQL = text(
    """
    WITH pt AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g)
    SELECT a.id, a.street, a.house_number, a.postcode, a.ortsteil, ST_X(a.location) AS lon,
           ST_Y(a.location) AS lat, ST_Distance(a.location::geography, pt.g::geography) AS distance_m
    FROM addresses a, pt
    WHERE a.jurisdiction_id = :jid
      AND ST_DWithin(a.location, pt.g, :deg)
      AND ST_DWithin(a.location::geography, pt.g::geography, :metres)
    ORDER BY distance_m, a.id
    LIMIT 1
    """
)


def reverse_geocode(session: Session, jurisdiction_id: int, lon: float, lat: float,
                    max_distance_m: float = 75) -> Address | None:
    """The nearest address to (lon, lat) within ``max_distance_m`` metres, or None."""
    row = session.execute(_REVERSE_SQL, {"jid": jurisdiction_id, "lon": lon, "lat": lat,
                                         "metres": max_distance_m,
                                         "deg": degrees_for_metres(max_distance_m, lat)}).mappings().first()
    if row is None:
        return None
    return Address(street=row["street"], house_number=row["house_number"], postcode=row["postcode"],
                   ortsteil=row["ortsteil"], lon=row["lon"], lat=row["lat"],
                   label=label_for(row["street"], row["house_number"], row["postcode"], row["ortsteil"]),
                   distance_m=float(row["distance_m"]), id=row["id"])


def address_by_id(session: Session, jurisdiction_id: int, address_id: int) -> Address | None:
    """The address with row id ``address_id`` in the town, or None."""
    row = session.execute(text(
        "SELECT id, street, house_number, postcode, ortsteil, ST_X(location) AS lon, ST_Y(location) AS lat "
        "FROM addresses WHERE id = :id AND jurisdiction_id = :jid"), {"id": address_id, "jid": jurisdiction_id}
    ).mappings().first()
    if row is None:
        return None
    return Address(street=row["street"], house_number=row["house_number"], postcode=row["postcode"],
                   ortsteil=row["ortsteil"], lon=row["lon"], lat=row["lat"],
                   label=label_for(row["street"], row["house_number"], row["postcode"], row["ortsteil"]), id=row["id"])


# --- import --------------------------------------------------------------------------------

# Accepted column names (lower case) per field; the first of each group found is used.
COLUMNS = {
    "street": ("street", "strasse", "straße", "str", "strassenname", "stn"),
    "house_number": ("house_number", "hausnummer", "hnr", "hsn", "housenumber"),
    "suffix": ("hausnummerzusatz", "zusatz", "adz", "house_number_suffix"),
    "postcode": ("postcode", "plz", "postleitzahl", "psn"),
    # HK-DE: POT is the postal Ortsteil's name, OTT only its key.
    "ortsteil": ("ortsteil", "district", "pot", "ott", "ort", "gemeindeteil"),
    "lat": ("lat", "latitude", "breite"),
    "lon": ("lon", "lng", "longitude", "laenge", "länge"),
    "east": ("east", "easting", "ostwert", "rechtswert", "ost", "x"),
    "north": ("north", "northing", "nordwert", "hochwert", "nord", "y"),
}
# "Hauskoordinaten Deutschland" (HK-DE, as Geobasis NRW publishes them): 18 fields separated by
# ";" without a header line, east/north in ETRS89/UTM 32N with a decimal comma.
HK_DE_FIELDS = ("NBA", "OI", "QUA", "LAN", "RBZ", "KRS", "GMD", "OTT", "SSS", "HNR", "ADZ", "EAST", "NORTH", "STN",
                "PLZ", "ONM", "ZON", "POT")


def _hk_de_header(data: str) -> str:
    """``data`` with the HK-DE header line added when it is such a file without one."""
    first = data.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r").split(";")
    if len(first) == len(HK_DE_FIELDS) and len(first[0].strip()) <= 1 and \
            re.fullmatch(r"\d+([.,]\d+)?", first[11].strip() or "x"):
        return ";".join(HK_DE_FIELDS) + "\n" + data.lstrip("\ufeff")
    return data


def _column(header: dict[str, str], field: str) -> str | None:
    for name in COLUMNS[field]:
        if name in header:
            return header[name]
    return None


def read_address_csv(data: str) -> tuple[list[dict], int]:
    """Parse CSV text (',' or ';' separated, header row) into rows and the CRS they use.

    Returns ``(rows, srid)``: 4326 when the file has lat/lon columns, 25832 when it
    has easting/northing (ETRS89/UTM 32N). Raises ``AddressFileError`` listing every
    bad line; nothing is returned half-parsed.
    """
    data = _hk_de_header(data)
    sample = data[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(data), delimiter=delimiter)
    if not reader.fieldnames:
        raise AddressFileError(["Die Datei ist leer oder hat keine Kopfzeile."])
    header = {name.strip().lower().lstrip("\ufeff"): name for name in reader.fieldnames}
    cols = {field: _column(header, field) for field in COLUMNS}
    missing = [f for f in ("street", "house_number") if cols[f] is None]
    projected = cols["lat"] is None and cols["east"] is not None and cols["north"] is not None
    if not projected and (cols["lat"] is None or cols["lon"] is None):
        missing.append("lat/lon (oder Ostwert/Nordwert)")
    if missing:
        raise AddressFileError([f"Spalte fehlt: {', '.join(missing)} (gefunden: {', '.join(reader.fieldnames)})"])
    xcol, ycol = (cols["east"], cols["north"]) if projected else (cols["lon"], cols["lat"])
    rows, errors = [], []
    for line_no, raw in enumerate(reader, start=2):
        def value(field: str) -> str:
            col = cols[field]
            return (raw.get(col) or "").strip() if col else ""

        street, number = value("street"), value("house_number") + value("suffix")
        problems = []
        if not street:
            problems.append("Straße fehlt")
        if not number:
            problems.append("Hausnummer fehlt")
        coords = []
        for col, name in ((xcol, "Länge/Ostwert"), (ycol, "Breite/Nordwert")):
            try:
                number_value = float((raw.get(col) or "").strip().replace(",", "."))
                if not math.isfinite(number_value):
                    raise ValueError
                coords.append(number_value)
            except ValueError:
                problems.append(f"{name} fehlt oder ist keine Zahl")
        if not projected and len(coords) == 2 and not (-180 <= coords[0] <= 180 and -90 <= coords[1] <= 90):
            problems.append("Koordinaten außerhalb von ±180°/±90°")
        if len(street) > 200 or len(number) > 20:
            problems.append("Straße oder Hausnummer zu lang")
        if problems:
            errors.append(f"Zeile {line_no}: " + ", ".join(problems))
            continue
        rows.append({"street": street, "house_number": number, "postcode": value("postcode")[:10],
                     "ortsteil": value("ortsteil")[:100], "x": coords[0], "y": coords[1]})
    if errors:
        raise AddressFileError(errors)
    if not rows:
        raise AddressFileError(["Die Datei enthält keine Adressen."])
    return rows, (25832 if projected else 4326)


_UPSERT_SQL = text(
    """
    INSERT INTO addresses (jurisdiction_id, street, house_number, postcode, ortsteil, street_norm,
                           house_number_norm, house_number_int, location, source)
    SELECT :jid, r.street, r.house_number, r.postcode, r.ortsteil, r.street_norm, r.house_number_norm,
           r.house_number_int, ST_Transform(ST_SetSRID(ST_MakePoint(r.x, r.y), :srid), 4326), :source
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(street text, house_number text, postcode text, ortsteil text,
         street_norm text, house_number_norm text, house_number_int int, x float8, y float8)
    ON CONFLICT ON CONSTRAINT uq_addresses_jurisdiction_id DO UPDATE
       SET street = excluded.street, house_number = excluded.house_number, ortsteil = excluded.ortsteil,
           house_number_int = excluded.house_number_int, location = excluded.location, source = excluded.source
    """
)


def import_addresses(session: Session, jurisdiction_id: int, rows: Iterable[dict], srid: int = 4326,
                     source: str = "", batch_size: int = 2000,
                     progress: Callable[[int], None] | None = None) -> int:
    """Insert or update addresses (flushes nothing else, never commits); returns the row count.

    Each row has street, house_number, postcode, ortsteil and x/y in ``srid``; points
    are reprojected to WGS 84 in PostGIS. The same street + number + postcode again
    updates the existing row, so re-importing a newer file is safe.
    """
    import json

    done = 0
    batch: list[dict] = []

    def flush_batch() -> None:
        nonlocal done
        if batch:
            session.execute(_UPSERT_SQL, {"jid": jurisdiction_id, "srid": srid, "source": source[:100],
                                          "rows": json.dumps(batch)})
            done += len(batch)
            batch.clear()
            if progress:
                progress(done)

    seen: dict[tuple, dict] = {}
    for row in rows:
        key = (normalize_street(row["street"]), normalize_house_number(row["house_number"]), row.get("postcode", ""))
        seen[key] = {**row, "street_norm": key[0], "house_number_norm": key[1], "postcode": key[2],
                     "ortsteil": row.get("ortsteil", ""), "house_number_int": house_number_int(row["house_number"])}
    # Duplicates within one file keep the last line, as a second import would.
    for row in seen.values():
        batch.append(row)
        if len(batch) >= batch_size:
            flush_batch()
    flush_batch()
    return done
