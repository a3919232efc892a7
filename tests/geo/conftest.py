"""Fixtures for the PostGIS layer: demo addresses and helpers to compare geometry."""
from __future__ import annotations

import pytest

from app.db import db


@pytest.fixture
def demo_addresses(db_session):
    """The demo's Harsewinkel addresses, loaded inside the test's transaction."""
    from app.areas.addresses import load_demo_addresses
    from tests.factories import town

    count = load_demo_addresses(db.session, town())
    assert count > 300
    return count
