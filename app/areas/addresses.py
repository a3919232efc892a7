"""Importing the address table that the offline geocoder searches."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.jurisdictions.models import Jurisdiction
from geo.geocoding import import_addresses, read_address_csv

DEMO_ADDRESSES = Path(__file__).resolve().parent.parent / "demo" / "data" / "harsewinkel_addresses.csv"


def import_address_file(session, jurisdiction: Jurisdiction, path: Path, srid: int | None = None,
                        progress: Callable[[int], None] | None = None) -> int:
    """Import a CSV of addresses into ``jurisdiction`` (flushes, never commits).

    Raises ``geo.geocoding.AddressFileError`` listing every bad line; then nothing
    was written. ``srid`` overrides the CRS guessed from the columns.
    """
    rows, guessed = read_address_csv(Path(path).read_text(encoding="utf-8-sig"))
    return import_addresses(session, jurisdiction.id, rows, srid=srid or guessed, source=Path(path).name,
                            progress=progress)


def load_demo_addresses(session, jurisdiction: Jurisdiction) -> int:
    """The demo's few hundred Harsewinkel addresses (approximate points along real streets)."""
    return import_address_file(session, jurisdiction, DEMO_ADDRESSES)
