"""Retention of what the first retention rules did not cover (workers/retention.py):
the reporter's later remarks, Open311 device/account ids, area alert subscriptions and
followers that never confirmed, followers of reports closed long ago. Real database,
real storage; each rule: rows older than the limit go, younger ones stay.
(Anonymising reporters and deleting unconfirmed reports: tests/workers/test_scheduled.py.)
"""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from app.alerts import operations as alerts
from app.alerts.models import AlertSubscription
from app.db import db, utcnow
from app.followers.models import Follower, MailUnsubscribe
from app.followers.operations import request_follow
from app.followers.tokens import email_digest
from app.open311.models import Open311Submission
from app.outbox.models import OutboxMessage
from app.public.models import ReporterComment, ReporterPhoto
from app.public.operations import add_reporter_comment, add_reporter_photos
from app.reports.models import Photo, Report
from tests.factories import jpeg_bytes, make_report, town
from app.retention.policy import apply_retention


def _commit_report(**kwargs) -> Report:
    report = make_report(**kwargs)
    db.session.commit()
    return report


def _age(report: Report, *, status: str | None = None, closed_days_ago: int | None = None,
         made_days_ago: int | None = None) -> None:
    values: dict = {}
    if status:
        values["status"] = status
    if closed_days_ago is not None:
        values["status_changed_at"] = utcnow() - timedelta(days=closed_days_ago)
    if made_days_ago is not None:
        values["created_at"] = utcnow() - timedelta(days=made_days_ago)
    db.session.execute(update(Report).where(Report.id == report.id).values(**values))
    db.session.commit()


def _run(app) -> dict:
    result = app.test_cli_runner().invoke(args=["retention"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return json.loads(result.output)


def test_reporter_remarks_are_deleted_with_the_reporters_data_later_photos_stay(committing, media_dir):
    app = committing
    storage = app.extensions["storage"]
    old_closed = _commit_report(email="alt@example.org", description="Längst erledigt")
    recent_closed = _commit_report(email="neu@example.org", description="Gerade erledigt")
    old_open = _commit_report(email="offen@example.org", description="Noch offen")
    for report in (old_closed, recent_closed, old_open):
        add_reporter_comment(report, f"Nachtrag zu {report.description}: ich wohne gegenüber")
    add_reporter_photos(old_closed, [jpeg_bytes(colour=(0, 0, 200))])
    db.session.commit()
    later = db.session.scalar(select(ReporterPhoto).where(ReporterPhoto.report_id == old_closed.id))
    later_keys = list(db.session.get(Photo, later.photo_id).variants.values())
    _age(old_closed, status="erledigt", closed_days_ago=91)
    _age(recent_closed, status="erledigt", closed_days_ago=89)
    _age(old_open, made_days_ago=400)  # open reports keep their remarks however old

    summary = _run(app)
    assert summary["deleted_reporter_comments"] == 1 and summary["anonymised_reports"] == 1

    def remarks(report):
        return db.session.scalars(select(ReporterComment.body).where(ReporterComment.report_id == report.id)).all()

    assert remarks(old_closed) == []
    assert remarks(recent_closed) == ["Nachtrag zu Gerade erledigt: ich wohne gegenüber"]
    assert remarks(old_open) == ["Nachtrag zu Noch offen: ich wohne gegenüber"]
    # The later photo stays, like the intake photos: marked, stored, unpublished.
    assert db.session.get(ReporterPhoto, later.photo_id) is not None
    assert all(storage.exists(key) for key in later_keys)
    assert db.session.get(Report, old_closed.id).tracking_token is None

    again = _run(app)
    assert again["deleted_reporter_comments"] == 0 and again["anonymised_reports"] == 0


def test_open311_device_and_account_ids_go_with_the_reporters_data(committing):
    app = committing
    old_closed = _commit_report(email="app@example.org")
    recent_closed = _commit_report(email="app2@example.org")
    for report, token in ((old_closed, "tok-alt"), (recent_closed, "tok-neu")):
        report.reporter_phone = "+49 5247 12345"
        db.session.add(Open311Submission(report_id=report.id, token=token, device_id=f"geraet-{token}",
                                         account_id=f"konto-{token}"))
    db.session.commit()
    _age(old_closed, status="abgelehnt", closed_days_ago=120)
    _age(recent_closed, status="abgelehnt", closed_days_ago=10)

    summary = _run(app)
    assert summary["anonymised_open311_submissions"] == 1

    old = db.session.get(Open311Submission, old_closed.id)
    assert (old.device_id, old.account_id) == (None, None)
    assert old.token == "tok-alt"  # random; still maps the client's request to the reference
    assert db.session.get(Report, old_closed.id).reporter_phone is None
    recent = db.session.get(Open311Submission, recent_closed.id)
    assert (recent.device_id, recent.account_id) == ("geraet-tok-neu", "konto-tok-neu")
    assert db.session.get(Report, recent_closed.id).reporter_phone == "+49 5247 12345"
    assert _run(app)["anonymised_open311_submissions"] == 0


def _subscribe(email: str):
    subscription = alerts.subscribe(town(), alerts.AlertInput(email=email, where="ortsteil",
                                                              ortsteil="ortsteil-greffen"))
    db.session.commit()
    return subscription


def _made(subscription, days_ago: int) -> None:
    db.session.execute(update(AlertSubscription).where(AlertSubscription.id == subscription.id)
                       .values(created_at=utcnow() - timedelta(days=days_ago)))
    db.session.commit()


def test_unconfirmed_alert_subscriptions_expire_confirmed_ones_stay(committing):
    app = committing
    old_unconfirmed = _subscribe("vergessen@example.org")
    young_unconfirmed = _subscribe("gleich@example.org")
    old_confirmed = _subscribe("treu@example.org")
    alerts.confirm(old_confirmed.token)
    db.session.commit()
    old_token = old_unconfirmed.token
    _made(old_unconfirmed, 8)
    _made(young_unconfirmed, 6)
    _made(old_confirmed, 400)

    summary = _run(app)
    assert summary["deleted_alert_subscriptions"] == 1
    remaining = set(db.session.scalars(select(AlertSubscription.email)))
    assert remaining == {"gleich@example.org", "treu@example.org"}
    # The opt-in link of the deleted one answers like any unknown link.
    response = app.test_client().get(f"/benachrichtigungen/bestaetigen/{old_token}")
    assert response.status_code == 404
    assert _run(app)["deleted_alert_subscriptions"] == 0


def test_unsubscribed_alert_subscriptions_that_still_hold_a_place_are_erased(committing):
    """Unsubscribing erases the place at once (tests/public/test_alerts.py); a row unsubscribed
    another way (here: as a process of the previous release did it, e-mail only) is caught here."""
    app = committing
    old_style = alerts.subscribe(town(), alerts.AlertInput(email="alt@example.org", where="umkreis",
                                                           address="51,962; 8,229", radius_m="250"))
    db.session.commit()
    active = _subscribe("aktiv@example.org")
    for subscription in (old_style, active):
        alerts.confirm(subscription.token)
    db.session.commit()
    db.session.execute(update(AlertSubscription).where(AlertSubscription.id == old_style.id)
                       .values(unsubscribed_at=utcnow(), email=""))
    db.session.commit()

    assert _run(app)["erased_alert_subscriptions"] == 1
    erased = db.session.get(AlertSubscription, old_style.id)
    assert (erased.email, erased.address, erased.center, erased.radius_m, erased.area_id, erased.category_ids) == \
        ("", None, None, None, None, [])
    assert erased.token == old_style.token  # the row stays, so the link in old mails still answers
    kept = db.session.get(AlertSubscription, active.id)
    assert kept.email == "aktiv@example.org" and kept.area_id is not None and kept.unsubscribed_at is None
    assert _run(app)["erased_alert_subscriptions"] == 0


def test_followers_that_never_confirmed_expire_and_those_of_long_closed_reports_go(committing):
    app = committing
    open_report = _commit_report()
    closed_report = _commit_report()
    request_follow(open_report, "vergessen@example.org")
    request_follow(open_report, "gleich@example.org")
    request_follow(open_report, "treu@example.org")
    request_follow(open_report, "abgemeldet@example.org")
    request_follow(open_report, "nochmal@example.org")
    request_follow(closed_report, "nachbar@example.org")
    db.session.flush()
    followers = {f.email: f for f in db.session.scalars(select(Follower))}
    now = utcnow()
    followers["treu@example.org"].confirmed_at = now - timedelta(days=30)
    followers["nachbar@example.org"].confirmed_at = now - timedelta(days=200)
    # Unsubscribed before confirming: the unsubscribe entry must keep working.
    followers["abgemeldet@example.org"].unsubscribed_at = now - timedelta(days=20)
    db.session.add(MailUnsubscribe(report_id=open_report.id, email_digest=email_digest("abgemeldet@example.org")[:32]))
    db.session.add(MailUnsubscribe(report_id=closed_report.id, email_digest=email_digest("weg@example.org")[:32]))
    db.session.commit()
    ages = {"vergessen@example.org": 8, "gleich@example.org": 6, "treu@example.org": 30,
            "abgemeldet@example.org": 30, "nochmal@example.org": 10, "nachbar@example.org": 200}
    for email, days in ages.items():
        db.session.execute(update(Follower).where(Follower.email == email)
                           .values(created_at=now - timedelta(days=days)))
    db.session.execute(update(OutboxMessage).values(state="sent"))
    db.session.commit()
    # Asking again restarts the clock.
    request_follow(db.session.get(Report, open_report.id), "nochmal@example.org")
    db.session.commit()
    _age(closed_report, status="erledigt", closed_days_ago=91)

    summary = _run(app)
    assert summary["deleted_followers"] == 2
    # The unsubscribed one stays as a row (its links still answer), its address erased.
    assert set(db.session.scalars(select(Follower.email))) == {
        "gleich@example.org", "treu@example.org", None, "nochmal@example.org"}
    assert summary["erased_followers"] == 1
    assert db.session.scalars(select(MailUnsubscribe.report_id)).all() == [open_report.id]
    assert _run(app)["deleted_followers"] == 0


def test_unconfirmed_report_goes_with_its_later_additions_and_their_files(committing, media_dir):
    app = committing
    storage = app.extensions["storage"]
    old = _commit_report(photos=[jpeg_bytes()])
    young = _commit_report(photos=[jpeg_bytes(colour=(0, 80, 0))])
    for report in (old, young):
        add_reporter_comment(report, "Noch ein Foto von der anderen Seite")
        add_reporter_photos(report, [jpeg_bytes(colour=(90, 0, 90))])
    db.session.commit()

    def keys(report):
        return [k for p in db.session.scalars(select(Photo).where(Photo.report_id == report.id))
                for k in p.variants.values()]

    old_keys, young_keys = keys(old), keys(young)
    assert len(old_keys) == 4 and all(storage.exists(k) for k in old_keys + young_keys)  # 2 photos × 2 variants
    _age(old, status="unbestaetigt", made_days_ago=8)
    _age(young, status="unbestaetigt", made_days_ago=1)
    old_id = old.id

    summary = _run(app)
    assert summary["deleted_reports"] == 1 and summary["deleted_files"] >= len(old_keys)
    assert db.session.get(Report, old_id) is None
    assert db.session.scalars(select(ReporterComment).where(ReporterComment.report_id == old_id)).all() == []
    assert db.session.scalars(select(ReporterPhoto).where(ReporterPhoto.report_id == old_id)).all() == []
    assert not any(storage.exists(k) for k in old_keys)
    assert not any((media_dir / k).exists() for k in old_keys)
    assert all(storage.exists(k) for k in young_keys)
    assert len(db.session.scalars(select(ReporterComment).where(ReporterComment.report_id == young.id)).all()) == 1


def test_limits_are_settings(committing, settings):
    app = committing
    report = _commit_report(email="kurz@example.org")
    add_reporter_comment(report, "Nachtrag")
    request_follow(report, "kurz-folger@example.org")
    db.session.commit()
    _age(report, status="erledigt", closed_days_ago=3)
    db.session.execute(update(Follower).values(created_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    assert _run(app)["deleted_reporter_comments"] == 0
    settings(RETENTION_CLOSED_DAYS=2, RETENTION_UNCONFIRMED_SUBSCRIPTION_DAYS=1)
    result = apply_retention(app.config)
    assert result.deleted_reporter_comments == 1 and result.anonymised_reports == 1 and result.deleted_followers == 1


def test_unsubscribed_followers_that_still_hold_their_address_are_erased(committing):
    """Unfollowing erases the address at once (tests/public/test_optin.py); a row unsubscribed
    another way (as a process of the release before revision 1101 did it) is caught here."""
    app = committing
    report = _commit_report()
    old_style = request_follow(report, "alt@example.org")
    staying = request_follow(report, "bleibt@example.org")
    db.session.commit()
    db.session.execute(update(Follower).where(Follower.id == old_style.id).values(unsubscribed_at=utcnow()))
    db.session.commit()
    assert _run(app)["erased_followers"] == 1
    assert db.session.get(Follower, old_style.id).email is None
    assert db.session.get(Follower, staying.id).email == "bleibt@example.org"
    assert _run(app)["erased_followers"] == 0


def test_a_towns_profile_sets_its_own_periods(committing):
    """The town profile's retention periods win over the settings (app/jurisdictions/profile.py)."""
    from app.jurisdictions.models import Jurisdiction

    app = committing
    closed = _commit_report(email="profil@example.org")
    _age(closed, status="erledigt", closed_days_ago=10)
    unconfirmed = _commit_report(email="unbestaetigt@example.org")
    _age(unconfirmed, status="unbestaetigt", made_days_ago=3)
    closed_id, unconfirmed_id = closed.id, unconfirmed.id
    result = apply_retention(app.config)  # settings: 90 and 7 days
    assert result.anonymised_reports == 0 and result.deleted_reports == 0
    row = db.session.get(Jurisdiction, town().id)
    saved = dict(row.profile)
    row.profile = dict(saved, retention_closed_days=7, retention_unconfirmed_days=2)
    db.session.commit()
    try:
        result = apply_retention(app.config)
        assert result.anonymised_reports == 1 and result.deleted_reports == 1
        db.session.expire_all()
        assert db.session.get(Report, closed_id).reporter_email is None
        assert db.session.get(Report, unconfirmed_id) is None
    finally:
        row = db.session.get(Jurisdiction, town().id)
        row.profile = saved
        db.session.commit()
