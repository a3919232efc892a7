"""Fixtures for the Open311 tests: API keys and a category with extra questions."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import text

from app.db import db
from app.open311.formats import ITEM_NAMES
from app.open311.keys import create_client
from app.open311.models import ServiceAttribute
from tests.factories import category, town


@pytest.fixture
def api_key(db_session) -> str:
    """A key allowed to do everything, in the rolled-back test transaction."""
    _client, raw = create_client(town(), "Testclient", ["create_request", "post_update"])
    return raw


@pytest.fixture
def read_only_key(db_session) -> str:
    _client, raw = create_client(town(), "Nur Meldungen", ["create_request"])
    return raw


@pytest.fixture
def lamp_attributes(db_session):
    """strassenlaterne asks for the pole number (required) and the kind of fault."""
    lamp = category("strassenlaterne")
    pole = ServiceAttribute(category=lamp, code="mastnummer", datatype="string", required=True, variable=True,
                            description="Mastnummer", description_en="Pole number", order=1, values=[])
    fault = ServiceAttribute(category=lamp, code="fehler", datatype="singlevaluelist", required=False, variable=True,
                             description="Was ist kaputt?", description_en="What is wrong?", order=2,
                             values=[{"key": "aus", "name": "Brennt nicht", "name_en": "Out"},
                                     {"key": "flackert", "name": "Flackert", "name_en": "Flickers"}])
    db.session.add_all([pole, fault])
    db.session.flush()
    return pole, fault


@pytest.fixture
def committed_key(committing):
    """A key that is really committed (for workers and other connections); removed afterwards."""
    with committing.app_context():
        _client, raw = create_client(town(), "Backoffice", ["create_request", "post_update"])
        db.session.commit()
    yield raw
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(text("TRUNCATE open311_update_receipts, open311_submissions, open311_api_clients "
                          "RESTART IDENTITY CASCADE"))


def xml_to_python(element: ET.Element):
    """The XML answer read back into the JSON shape (lists by ITEM_NAMES, leaves as text)."""
    children = list(element)
    if element.tag in ITEM_NAMES:
        return [xml_to_python(child) for child in children]
    if not children:
        return element.text or ""
    return {child.tag: xml_to_python(child) for child in children}


def as_text(value):
    """JSON values as the XML carries them: text, '' for null, true/false."""
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def both_formats(client, path: str, **kwargs):
    """GET (or POST with ``method='post'``) a path in .json and .xml; asserts identical content."""
    method = kwargs.pop("method", "get")
    as_json = getattr(client, method)(f"{path}.json", **kwargs)
    as_xml = getattr(client, method)(f"{path}.xml", **kwargs)
    assert as_json.status_code == as_xml.status_code, (as_json.data, as_xml.data)
    assert as_json.mimetype == "application/json"
    assert as_xml.mimetype == "text/xml"
    root = ET.fromstring(as_xml.data)
    assert as_text(as_json.get_json()) == xml_to_python(root)
    return as_json, root
