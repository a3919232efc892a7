"""“Schon gemeldet?” – following the existing report instead of filing a new one."""
from __future__ import annotations

from sqlalchemy import select

from app.followers.models import Follower
from app.outbox.models import OutboxMessage
from tests.factories import HARSEWINKEL, make_report
from tests.intake.conftest import report_count

FOLLOW = "/api/v1/intake/follow"
HEADERS = {"X-Requested-With": "fetch"}


def test_following_instead_of_reporting_queues_the_double_opt_in_mail(client, db_session):
    existing = make_report(point=HARSEWINKEL, category_code="schlagloch")
    db_session.commit()
    before = report_count()
    response = client.post(FOLLOW, headers=HEADERS, data={"reference": existing.reference,
                                                          "email": "Nachbar@Example.org"})
    assert response.status_code == 202
    assert "bestätigen Sie den Link" in response.get_json()["message"]
    [follower] = db_session.scalars(select(Follower).where(Follower.report_id == existing.id)).all()
    assert follower.email == "nachbar@example.org" and follower.confirmed_at is None
    kinds = db_session.scalars(select(OutboxMessage.kind)).all()
    assert "follow_confirm" in kinds
    assert report_count() == before  # no new report


def test_follow_refusals(client, db_session):
    existing = make_report(point=HARSEWINKEL, category_code="schlagloch")
    existing.hidden = True
    db_session.commit()
    hidden = client.post(FOLLOW, headers=HEADERS, data={"reference": existing.reference, "email": "a@example.org"})
    assert hidden.status_code == 404
    unknown = client.post(FOLLOW, headers=HEADERS, data={"reference": "HW-1999-000001", "email": "a@example.org"})
    assert unknown.status_code == 404
    existing.hidden = False
    db_session.commit()
    bad_email = client.post(FOLLOW + "?lang=en", headers=HEADERS, data={"reference": existing.reference,
                                                                        "email": "no-at-sign"})
    assert bad_email.status_code == 400
    assert bad_email.get_json()["errors"][0] == {"code": "invalid", "field": "email",
                                                 "message": "This e-mail address is not valid."}
    # Without the custom header (a cross-site form could not add it) nothing happens.
    cross_site = client.post(FOLLOW, data={"reference": existing.reference, "email": "a@example.org"})
    assert cross_site.status_code == 400
    assert db_session.scalars(select(Follower)).all() == []
