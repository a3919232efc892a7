"""Point 1: third parties cannot be mail-bombed. Confirmation and sign-in mails are capped per
recipient address across every feature (counted in Redis under an HMAC of the address), a pending
confirmation is re-offered instead of re-sent, the person typing sees the same answer either way,
and with Redis unreachable nothing fails (the cap is skipped with a log line naming no address)."""
from __future__ import annotations

import hashlib
import logging
import uuid

from flask import g
from sqlalchemy import func, select, update

from app.followers.operations import request_follow
from app.outbox.models import OutboxMessage
from app.outbox.recipients import cap_key
from tests.conftest import csrf_token
from tests.factories import GREFFEN, HARSEWINKEL, make_report
from tests.staff.helpers import client_address

VICTIM = "Opfer@Example.org"
FOLLOW = "/api/v1/intake/follow"
CONFIRMATION_KINDS = ("follow_confirm", "alert_confirm", "confirm_email", "alert_active", "staff_password_reset")


def _confirmations(session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMessage)
                          .where(OutboxMessage.kind.in_(CONFIRMATION_KINDS)))


def _follow(client, report, email=VICTIM):
    return client.post(FOLLOW, headers={"X-Requested-With": "fetch"}, data={"reference": report.reference,
                                                                             "email": email},
                       environ_base={"REMOTE_ADDR": client_address()})


def test_at_most_three_mails_a_day_to_one_address_across_features(app, client, db_session, redis_server):
    redis_server.client().delete(cap_key(VICTIM))
    reports = [make_report(point=HARSEWINKEL, category_code="gully") for _ in range(4)]
    db_session.commit()
    answers = set()
    # An intake with the victim's address, an area alert, then follows of four reports, each
    # from another client address and with the address spelt differently.
    intake = client.post("/api/v1/intake/reports", headers={"Idempotency-Key": uuid.uuid4().hex}, data={
        "category": "schlagloch", "description": "Loch", "lat": str(HARSEWINKEL[1]), "lon": str(HARSEWINKEL[0]),
        "email": "opfer@example.org"})
    assert intake.status_code == 201
    g.pop("csrf_token", None)
    alert = client.post("/benachrichtigungen", environ_base={"REMOTE_ADDR": client_address()}, data={
        "csrf_token": csrf_token(client, "/benachrichtigungen"), "email": "OPFER@example.org", "where": "ortsteil",
        "ortsteil": "ortsteil-greffen", "events": ["neu"]})
    assert alert.status_code == 303
    for report in reports:
        response = _follow(client, report)
        answers.add((response.status_code, response.get_json()["message"]))
    assert _confirmations(db_session) == 3
    # The person typing cannot tell whether a mail went out.
    assert len(answers) == 1 and answers.pop()[0] == 202


def test_a_pending_confirmation_is_offered_again_not_sent_again(app, client, db_session, redis_server):
    redis_server.client().delete(cap_key("nachbar@example.org"))
    report = make_report(point=GREFFEN, category_code="gully")
    db_session.commit()
    first = _follow(client, report, "nachbar@example.org")
    # The first mail went out; asking again within the hour sends nothing new ...
    db_session.execute(update(OutboxMessage).values(state="sent"))
    second = _follow(client, report, "nachbar@example.org")
    assert (first.status_code, first.get_json()) == (second.status_code, second.get_json())
    assert _confirmations(db_session) == 1


def test_redis_keeps_no_address_only_a_keyed_hash(app, client, db_session, redis_server):
    redis_server.client().flushdb()
    report = make_report(point=GREFFEN, category_code="gully")
    db_session.commit()
    _follow(client, report, "geheim@example.org")
    keys = [k.decode() for k in redis_server.client().keys("mm:mailcap:*")]
    assert keys == [cap_key("geheim@example.org")]
    assert "geheim" not in keys[0] and hashlib.sha256(b"geheim@example.org").hexdigest() not in keys[0]
    assert cap_key("Geheim@Example.ORG") == keys[0]  # one count per mailbox, however it is spelt


def test_with_redis_down_the_mail_is_allowed_and_the_log_names_no_address(app, db_session, redis_server, caplog):
    report = make_report(point=GREFFEN, category_code="gully")
    db_session.flush()
    caplog.set_level(logging.INFO)
    redis_server.stop()
    try:
        request_follow(report, "unterwegs@example.org")
    finally:
        redis_server.start()
    assert _confirmations(db_session) == 1
    messages = [r.getMessage() for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert messages and all("unterwegs" not in m for m in messages)
