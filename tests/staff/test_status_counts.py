"""The queue's counts per status and its per-row texts.

Counts: ``report_status_counts`` (revision 0810) is kept by statement triggers on
reports; the queue reads it for the default view and the department and category
filters, and counts from reports for the other filters. Both must give the same
numbers. Row texts: made in the view in one pass, they must read as the template's
own filters and gettext made them.
"""
from __future__ import annotations

import re
import threading

from flask_babel import format_datetime
from sqlalchemy import delete, text, update
from werkzeug.datastructures import MultiDict

from app.db import db
from app.reports.models import Report
from app.staff.queries import parse_filters, status_counts
from tests.factories import category, department, make_report, town
from tests.staff.helpers import PASSWORD, login, make_staff


def _kept() -> dict[tuple, int]:
    rows = db.session.execute(text("SELECT department_id, category_id, status, n FROM report_status_counts "
                                   "WHERE jurisdiction_id = :j AND n <> 0"), {"j": town().id})
    return {(d, c, s): n for d, c, s, n in rows}


def _counted() -> dict[tuple, int]:
    rows = db.session.execute(text("SELECT department_id, category_id, status, count(*) FROM reports "
                                   "WHERE jurisdiction_id = :j GROUP BY 1, 2, 3"), {"j": town().id})
    return {(d, c, s): n for d, c, s, n in rows}


def test_kept_counts_follow_every_kind_of_change(db_session):
    reports = [make_report(category_code=code) for code in
               ("schlagloch", "schlagloch", "wilder-muell", "strassenlaterne", "schlagloch")]
    assert _kept() == _counted() and sum(_kept().values()) >= 5

    reports[0].status = "in_bearbeitung"  # one status change (ORM flush)
    db.session.flush()
    assert _kept() == _counted()
    reports[1].department_id = department("abfall").id  # reassigned
    reports[2].category_id = category("strassenlaterne").id  # recategorised
    db.session.flush()
    assert _kept() == _counted()

    before = _kept()
    db.session.execute(update(Report).where(Report.id.in_([r.id for r in reports])).values(priority=2))
    assert _kept() == before  # a change that moves no report between counts writes nothing

    db.session.execute(update(Report).where(Report.id.in_([r.id for r in reports[2:]])).values(status="erledigt"))
    assert _kept() == _counted()  # bulk update
    db.session.execute(delete(Report).where(Report.id == reports[4].id))
    assert _kept() == _counted()

    # After a bulk load with the triggers off, the rebuild recounts.
    db.session.execute(text("DELETE FROM report_status_counts"))
    db.session.execute(text("SELECT report_status_counts_rebuild(:j)"), {"j": town().id})
    assert _kept() == _counted()

    db.session.execute(text("TRUNCATE reports CASCADE"))
    assert _kept() == {}


def test_kept_and_counted_status_counts_agree_for_every_scope(db_session):
    for code, status in (("schlagloch", "eingegangen"), ("schlagloch", "eingegangen"), ("schlagloch", "erledigt"),
                         ("wilder-muell", "in_pruefung"), ("strassenlaterne", "abgelehnt"),
                         ("strassenlaterne", "eingegangen")):
        make_report(category_code=code).status = status
    db.session.flush()
    dispatcher, tiefbau = make_staff("dispatcher"), make_staff("staff", "tiefbau")
    scopes = [(dispatcher, {}), (dispatcher, {"abteilung": str(department("stadtwerke").id)}),
              (dispatcher, {"kategorie": str(category("schlagloch").id)}),
              (dispatcher, {"abteilung": str(department("abfall").id), "kategorie": str(category("schlagloch").id)}),
              (tiefbau, {}), (tiefbau, {"status": "geschlossen"})]
    for user, args in scopes:
        kept = status_counts(parse_filters(MultiDict(args), user), user)
        # An age filter every report passes: the same reports, counted from the reports table.
        counted = status_counts(parse_filters(MultiDict({**args, "alter_max": "36500"}), user), user)
        assert kept == counted, (user.role, args)
        assert list(kept) == ["unbestaetigt", "eingegangen", "in_pruefung", "in_bearbeitung", "erledigt",
                              "nicht_zustaendig", "abgelehnt", "duplikat"]
    assert status_counts(parse_filters(MultiDict(), tiefbau), tiefbau)["eingegangen"] >= 2


def test_queue_shows_kept_counts_and_counts_under_other_filters(client):
    user = make_staff("dispatcher")
    login(client, user.username, PASSWORD)
    before = status_counts(parse_filters(MultiDict(), user), user)
    for status in ("in_pruefung", "in_pruefung", "abgelehnt"):
        make_report(category_code="wilder-muell").status = status
    db.session.flush()

    def chips(url):
        body = client.get(url).get_data(as_text=True)
        return {code: int(n) for code, n in
                re.findall(r'status-chip status-(\w+)"\s*>[^:]+: <strong>(\d+)</strong>', body)}

    shown = chips("/intern/eingang")
    assert shown["in_pruefung"] == before["in_pruefung"] + 2 and shown["abgelehnt"] == before["abgelehnt"] + 1
    abfall = chips(f"/intern/eingang?abteilung={department('abfall').id}")
    assert abfall["in_pruefung"] >= 2 and abfall == chips(f"/intern/eingang?abteilung={department('abfall').id}"
                                                           "&alter_max=36500")
    assert chips("/intern/eingang?q=Fahrbahn&status=alle")["abgelehnt"] >= 1  # text filter: counted


def test_concurrent_reports_are_all_counted(staff_committing):
    """Two transactions add a report to the same count at once: neither increment is lost."""
    first = make_report(category_code="schlagloch")
    db.session.commit()
    copy = text("""INSERT INTO reports (jurisdiction_id, reference, category_id, department_id, routing_explanation,
                                        location, description, description_published, hidden, priority, status,
                                        status_changed_at, reporter_email_confirmed, locale, created_at, updated_at)
                   SELECT jurisdiction_id, :ref, category_id, department_id, routing_explanation, location, description,
                          description_published, hidden, priority, status, status_changed_at,
                          reporter_email_confirmed, locale, created_at, updated_at
                   FROM reports WHERE id = :id""")
    key = (first.department_id, first.category_id, first.status)
    with db.engine.connect() as a, db.engine.connect() as b:
        a.execute(copy, {"ref": "TEST-CONC-1", "id": first.id})  # holds the count row until it commits
        done = threading.Event()

        def second():
            b.execute(copy, {"ref": "TEST-CONC-2", "id": first.id})  # waits for a's commit
            b.commit()
            done.set()

        thread = threading.Thread(target=second)
        thread.start()
        done.wait(0.5)  # give the second insert time to reach the count row a still holds
        a.commit()
        thread.join(10)
        assert done.is_set()
    db.session.remove()
    assert _kept()[key] == 3 == _counted()[key]


def test_row_texts_read_as_the_template_filters_made_them(client):
    user = make_staff("dispatcher")
    login(client, user.username, PASSWORD)
    report = make_report()
    for lang, label in (("de", f"{report.reference} auswählen"), ("en", f"Select {report.reference}")):
        body = client.get(f"/intern/eingang?lang={lang}").get_data(as_text=True)
        row = re.search(rf'<tr id="row-{report.id}".*?</tr>', body, re.S).group(0)
        with client.application.test_request_context(f"/?lang={lang}"):
            client.application.preprocess_request()
            created = format_datetime(report.created_at, "short")
        assert f'aria-label="{label}"' in row
        assert f'href="/intern/meldungen/{report.id}"' in row
        assert f">{created}</time>" in row
        markers = re.search(r'<script type="application/json" id="queue-markers">(.*?)</script>', body, re.S).group(1)
        assert f'"url": "/intern/meldungen/{report.id}"' in markers
