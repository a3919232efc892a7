"""Issue 21 point 4, "mails": the mails of two towns, produced through the real path (outbox ->
relay -> RQ worker -> SMTP server) in one batch, keep to their town. Every mail of town A holds
nothing of town B (the marker ``zzbmarker``, B's references, B's host) and links only to A's host;
every mail of B links only to B's host and does not speak as A (A's name).

Both towns get each kind a citizen or a department receives: the new report's confirmation
request, the department's new-report mail, the status mail, the department's daily digest, an
area alert and the "Ist der Mangel behoben?" questionnaire (besides the opt-in mails of alerts and
follows that setting them up causes).
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, text

from app.alerts.models import AlertSubscription
from app.alerts.operations import AlertInput, subscribe
from app.db import db, utcnow
from app.feedback.operations import record_due_questionnaires
from app.followers.operations import request_follow
from app.jurisdictions.models import Department, Jurisdiction
from app.outbox.models import OutboxMessage
from app.reports.department_mail import record_due_digests
from app.reports.models import Report
from app.reports.operations import ReportInput, change_status, create_report
from app.towncontext import using_town
from tests.factories import GREFFEN, town
from tests.towns.two_towns import A_HOST, B_HOST, IN_B, MARKER, add_host, make_town_b, remove_town_b
from tests.workers.conftest import drain

KINDS = {"confirm_email", "new_report", "status_changed", "department_digest", "area_alert", "fixed_questionnaire"}
_LINK = re.compile(r"""https?://[^\s"'<>)\]]+""")


@pytest.fixture
def two_towns_committed(app, committing, tmp_path):
    remove_town_b()
    add_host(town(), A_HOST)
    b = make_town_b(tmp_path / "b")
    db.session.commit()
    yield b
    remove_town_b()
    db.session.execute(text("UPDATE departments SET notification_mode = 'immediate', digest_hour = 7"))
    db.session.commit()


def _report(jurisdiction: Jurisdiction, point, category: str, description: str, email: str | None) -> Report:
    with using_town(jurisdiction.id):  # as on the town's host: its languages, its limits
        report = create_report(jurisdiction, ReportInput(category_code=category, description=description,
                                                         lon=point[0], lat=point[1], email=email))
    db.session.flush()
    return report


def _mails_of_both_towns(app, b) -> None:
    """Each town's every kind of mail, sent through outbox, relay, worker and SMTP."""
    a_town, b_town = town(), b.town
    places = {a_town.id: (GREFFEN, "schlagloch", "a", "example.org"),
              b_town.id: (IN_B, "zzbmarker-loch", MARKER, "zzbmarker.example")}
    # Area alerts: a confirmed subscription (B's from make_town_b covers its Ortsteil), a report there.
    subscribe(a_town, AlertInput(email="alarm-a@example.org", where="ortsteil", ortsteil="ortsteil-greffen"))
    db.session.flush()
    db.session.execute(text("UPDATE alert_subscriptions SET confirmed_at = now()"))
    for town_row in (a_town, b_town):
        point, category, name, domain = places[town_row.id]
        # Confirmation request and department mail (immediate), then status mails and, once
        # "erledigt" lies a week back, the questionnaire.
        fixed = _report(town_row, point, category, f"{name} Meldung mit Status", f"buerger-{name}@{domain}")
        fixed.reporter_email_confirmed = True
        change_status(fixed, "in_bearbeitung", public_note=f"{name} wird bearbeitet", actor="test")
        change_status(fixed, "erledigt", public_note=f"{name} erledigt", actor="test")
        request_follow(fixed, f"folge-{name}@{domain}")
        _report(town_row, point, category, f"{name} Meldung ohne Adresse", None)  # public at once: alert
    db.session.commit()
    drain(app)  # the departments' new-report mails go out before they switch to the digest
    # The daily digest: every department of both towns collects, the hour has come.
    db.session.execute(text("UPDATE departments SET notification_mode = 'digest', digest_hour = 0"))
    for town_row in (a_town, b_town):
        point, category, name, _domain = places[town_row.id]
        _report(town_row, point, category, f"{name} Meldung für die Sammelmail", None)
    db.session.flush()
    record_due_digests(utcnow() + timedelta(seconds=1))
    record_due_questionnaires(utcnow() + timedelta(days=8))
    db.session.commit()
    drain(app)


def _text(mail) -> str:
    """Headers a reader sees and every text part, decoded."""
    parts = [f"{name}: {mail[name]}" for name in ("Subject", "From", "To", "Reply-To", "List-Unsubscribe") if mail[name]]
    for part in mail.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


def test_each_towns_mails_hold_nothing_of_the_other_and_link_to_their_own_host(app, smtp_server,
                                                                               two_towns_committed):
    b = two_towns_committed
    _mails_of_both_towns(app, b)

    sent = Counter(db.session.execute(select(OutboxMessage.jurisdiction_id, OutboxMessage.kind)
                                      .where(OutboxMessage.state == "sent")).tuples())
    for town_id in (town().id, b.town.id):
        assert KINDS <= {kind for (jid, kind) in sent if jid == town_id}, (town_id, sent)
    left = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.state.in_(("pending", "sending", "failed"))))
    b_references = [r for (r,) in db.session.execute(select(Report.reference).where(
        Report.jurisdiction_id == b.town.id))]
    a_references = [r for (r,) in db.session.execute(select(Report.reference).where(
        Report.jurisdiction_id == town().id))]

    mails = list(smtp_server.messages)
    of_b = [m for m in mails if "zzbmarker.example" in str(m["To"])]
    of_a = [m for m in mails if "zzbmarker.example" not in str(m["To"])]
    assert len(of_a) == sum(n for (jid, _k), n in sent.items() if jid == town().id)
    assert len(of_b) == sum(n for (jid, _k), n in sent.items() if jid == b.town.id)
    problems, own_links = [], Counter()
    for mail in of_a:
        body = _text(mail)
        where = f"A's mail {mail['Subject']!r} to {mail['To']}"
        if MARKER in body.lower() or B_HOST in body or any(ref in body for ref in b_references):
            problems.append(f"{where} shows town B")
        problems += [f"{where} links to {link}" for link in _LINK.findall(body) if urlsplit(link).hostname != A_HOST]
        own_links["a"] += sum(urlsplit(link).hostname == A_HOST for link in _LINK.findall(body))
    for mail in of_b:
        body = _text(mail)
        where = f"B's mail {mail['Subject']!r} to {mail['To']}"
        if "Harsewinkel" in body or A_HOST in body or any(ref in body for ref in a_references):
            problems.append(f"{where} shows town A")
        problems += [f"{where} links to {link}" for link in _LINK.findall(body) if urlsplit(link).hostname != B_HOST]
        own_links["b"] += sum(urlsplit(link).hostname == B_HOST for link in _LINK.findall(body))
    assert problems == [], "\n".join(problems)
    assert own_links["a"] >= 2 * len(of_a) and own_links["b"] >= 2 * len(of_b)  # the check saw links
    assert left == 0  # every mail was built and sent (none failed on the way)
