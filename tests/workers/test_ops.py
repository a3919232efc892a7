"""/metrics for monitoring, the admin queue page, and the citizen pages in a real browser."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db import db
from app.followers.operations import request_follow
from app.followers.tokens import follow_token, unsubscribe_token
from app.outbox.models import OutboxMessage
from tests.browser import describe_violations, run_axe
from tests.workers.conftest import confirmed_reports


def test_metrics_in_prometheus_format(committing, settings):
    settings(METRICS_TOKEN="s3cr3t-token")
    confirmed_reports(2)
    db.session.execute(OutboxMessage.__table__.update().where(OutboxMessage.id == 1).values(state="pending"))
    db.session.commit()
    client = committing.test_client()
    response = client.get("/metrics", headers={"Authorization": "Bearer s3cr3t-token"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert 'mm_outbox_messages{state="pending"} 1' in text
    assert 'mm_outbox_messages{state="sent"} 3' in text
    assert "mm_redis_up 1" in text and 'mm_rq_jobs{queue="mail",registry="queued"}' in text
    age = float(next(line.split()[1] for line in text.splitlines()
                     if line.startswith("mm_outbox_oldest_undelivered_age_seconds")))
    assert age >= 0


def test_metrics_need_the_token_unless_explicitly_opened(committing, settings):
    client = committing.test_client()
    # Loopback is no proof of anything: behind a reverse proxy on the same host every client is.
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 403
    settings(METRICS_OPEN=True)
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 200
    settings(METRICS_OPEN=False)
    settings(METRICS_TOKEN="s3cr3t-token")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer falsch"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cr3t-token"},
                    environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert ok.status_code == 200 and "mm_outbox_messages" in ok.get_data(as_text=True)


def test_metrics_and_queue_page_work_while_redis_is_down(committing, redis_server, settings):
    from tests.staff.helpers import login, make_staff

    settings(METRICS_OPEN=True)
    admin = make_staff("admin")
    db.session.commit()
    client = committing.test_client()
    login(client, admin.username)
    redis_server.stop()
    try:
        metrics = client.get("/metrics")
        page = client.get("/intern/admin/warteschlange")
    finally:
        redis_server.start()
    assert metrics.status_code == 200 and "mm_redis_up 0" in metrics.get_data(as_text=True)
    assert page.status_code == 200 and "Redis ist nicht erreichbar" in page.get_data(as_text=True)


def test_queue_page_is_for_admins_only(committing):
    from tests.staff.helpers import login, make_staff

    staff = make_staff("staff")
    db.session.commit()
    client = committing.test_client()
    login(client, staff.username)
    assert client.get("/intern/admin/warteschlange").status_code == 403
    assert client.post("/intern/admin/warteschlange/1/erneut").status_code in (400, 403)


@pytest.mark.browser
def test_unsubscribe_and_follow_pages_pass_axe(live_server, phone):
    [report] = confirmed_reports(1)
    follower = request_follow(report, "leserin@example.org", "de")
    db.session.commit()
    paths = [f"/abmelden/{unsubscribe_token(report.id, report.reporter_email)}",
             f"/folgen/bestaetigen/{follow_token(follower)}"]
    for path in paths:
        phone.goto(live_server.url + path)
        violations = run_axe(phone)
        assert violations == [], f"{path}: {describe_violations(violations)}"
    phone.goto(live_server.url + paths[0])
    phone.get_by_role("button", name="Abmelden").click()
    assert "keine E-Mails mehr" in phone.content()
    violations = run_axe(phone)
    assert violations == [], describe_violations(violations)
    assert db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.kind == "follow_confirm")) is not None


def test_every_message_kind_is_named_in_words_for_the_queue_page(app):
    """The admin's queue page names a message's kind ("Erinnerung an die Abteilung"); a kind a
    feature registers without a name here would show its code."""
    from app.ops.routes import KIND_NAMES
    from app.outbox.messages import _registry

    kinds = set(_registry(app).messages)
    assert len(kinds) >= 15
    assert kinds - set(KIND_NAMES) == set()
