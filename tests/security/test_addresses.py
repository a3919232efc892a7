"""Point 2: an address field is one mailbox, checked by email-validator everywhere, and a mail's
recipients are structured addresses, so one field can never become two recipients or a header."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from app.alerts.models import AlertSubscription
from app.catalog.operations import save_contact
from app.db import db
from app.errors import DomainError
from app.followers.models import Follower
from app.open311.keys import create_client
from app.outbox.messages import recipient_address
from app.reports.models import Report
from app.validation import clean_text, normalize_email
from tests.conftest import csrf_token
from tests.factories import HARSEWINKEL, department, make_report, town
from tests.staff.helpers import client_address

TWO_RECIPIENTS = "postmaster,someone@example.org"
REFUSED = [TWO_RECIPIENTS, "a@example.org, b@example.org", "Anna <a@example.org>", "a@example.org\r\nBcc: b@example.org",
           '"a,b"@example.org', "a@[127.0.0.1]", "a@localhost", "ä@example.org"]


@pytest.mark.parametrize("raw", REFUSED)
def test_validation_refuses_anything_but_one_plain_mailbox(raw):
    with pytest.raises(DomainError) as refused:
        normalize_email(raw)
    assert refused.value.field == "email" and "ungültig" in str(refused.value.message)


def test_validation_normalizes_the_domain_and_keeps_international_domains():
    assert normalize_email("  Anna.B@Example.ORG ") == "Anna.B@example.org"
    assert normalize_email("a@bürger.example") == "a@bürger.example"


def _intake_api(client, email):
    return client.post("/api/v1/intake/reports", headers={"Idempotency-Key": uuid.uuid4().hex},
                       data={"category": "schlagloch", "description": "Tiefes Loch", "lat": str(HARSEWINKEL[1]),
                             "lon": str(HARSEWINKEL[0]), "email": email})


def test_intake_api_refuses_an_address_that_would_reach_two_recipients(client, db_session):
    before = db_session.scalar(select(func.count()).select_from(Report))
    response = _intake_api(client, TWO_RECIPIENTS)
    assert response.status_code == 400, response.data
    assert response.get_json()["errors"][0]["field"] == "email"
    assert db_session.scalar(select(func.count()).select_from(Report)) == before


def test_intake_form_follow_alerts_open311_and_staff_accounts_refuse_it_too(client, db_session):
    token = csrf_token(client)
    form = client.post("/melden", data={"csrf_token": token, "category": "gully", "description": "Verstopft",
                                        "lat": str(HARSEWINKEL[1]), "lon": str(HARSEWINKEL[0]), "email": TWO_RECIPIENTS})
    assert form.status_code == 400 and "E-Mail-Adresse ist ungültig" in form.get_data(as_text=True)

    existing = make_report(point=HARSEWINKEL, category_code="gully")
    db_session.commit()
    follow = client.post("/api/v1/intake/follow", headers={"X-Requested-With": "fetch"},
                         data={"reference": existing.reference, "email": TWO_RECIPIENTS})
    assert follow.status_code == 400
    assert db_session.scalar(select(func.count()).select_from(Follower)) == 0

    alerts = client.post("/benachrichtigungen", environ_base={"REMOTE_ADDR": client_address()}, data={
        "csrf_token": csrf_token(client, "/benachrichtigungen"), "email": TWO_RECIPIENTS, "where": "ortsteil",
        "ortsteil": "ortsteil-greffen", "events": ["neu"]})
    assert alerts.status_code == 400
    assert db_session.scalar(select(func.count()).select_from(AlertSubscription)) == 0

    _client, key = create_client(town(), "Test", ["create_request"])
    open311 = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "schlagloch", "lat": str(HARSEWINKEL[1]), "long": str(HARSEWINKEL[0]),
        "description": "Loch", "email": TWO_RECIPIENTS})
    assert open311.status_code == 400, open311.data

    with pytest.raises(DomainError):
        save_contact(department("tiefbau"), email=TWO_RECIPIENTS)


def test_a_stored_bad_address_never_becomes_two_recipients_or_a_header():
    assert recipient_address("anna@example.org").addr_spec == "anna@example.org"
    for bad in (TWO_RECIPIENTS, "a@example.org\r\nBcc: evil@example.org", "a@example.org, b@example.org"):
        with pytest.raises(ValueError) as refused:
            recipient_address(bad)
        assert "example.org" not in str(refused.value)  # the address stays out of logs


def test_clean_text_removes_what_xml_cannot_carry():
    dirty = "A\x00B\x08C\x0bD\x1fE\x7fF\ufffeG\uffffH\ud800I\udfffJ\ufdd0K\U0001fffeL\U0010ffffM\tN\nO\r"
    assert clean_text(dirty) == "ABCDEFGHIJKLM\tN\nO\r"
    assert clean_text("Straße 5 – 😀 ok") == "Straße 5 – 😀 ok"
