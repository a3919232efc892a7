"""Issue 20 point 2: "Ich auch" on open reports (also from the intake's duplicate hint) and
"Noch nicht behoben" on closed ones: anonymous, one per browser, rate-limited, counted on the
report page and in the staff queue (a sortable column; a filter for "noch nicht behoben")."""
from __future__ import annotations

import re

from flask import g
from sqlalchemy import select, text

from app.db import db
from app.feedback.browser import COOKIE
from app.feedback.models import ReportVote
from app.reports.operations import change_status
from tests.conftest import csrf_token
from tests.factories import GREFFEN, HARSEWINKEL, make_report
from tests.staff.helpers import PASSWORD, client_address, login, make_staff


def _vote(client, report, kind: str, address: str | None = None):
    g.pop("csrf_token", None)
    token = csrf_token(client, f"/meldungen/{report.reference}")
    return client.post(f"/meldungen/{report.reference}/stimme", data={"csrf_token": token, "was": kind},
                       environ_base={"REMOTE_ADDR": address or client_address()})


def _new_browser(client):
    client.delete_cookie(COOKIE)


def _refs(body: str) -> list[str]:
    return re.findall(r'class="report-link">([A-Z]+-\d{4}-\d{6})<', body)


def test_ich_auch_once_per_browser_and_counted_on_the_page_and_in_the_queue(app, client, db_session):
    report = make_report(point=HARSEWINKEL, description="Ampel blinkt nur noch gelb")
    other = make_report(point=GREFFEN, category_code="wilder-muell", description="Sperrmüll")
    db_session.commit()
    first = _vote(client, report, "ich_auch")
    assert first.status_code == 303 and first.headers["Location"].endswith("#unterstuetzen")
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "1 Person unterstützt diese Meldung." in page
    assert "Danke! Ihre Unterstützung ist gezählt." in page and 'value="ich_auch"' not in page

    again = _vote(client, report, "ich_auch")  # same browser (its cookie), another network address
    assert again.status_code == 409
    assert "Sie haben das zu dieser Meldung bereits mitgeteilt." in again.get_data(as_text=True)
    _new_browser(client)
    assert _vote(client, report, "ich_auch").status_code == 303
    db.session.refresh(report)
    assert report.support_count == 2
    assert "2 Personen unterstützen diese Meldung." in client.get(f"/meldungen/{report.reference}").get_data(as_text=True)

    staff = make_staff("dispatcher")
    login(client, staff.username, PASSWORD)
    queue = client.get("/intern/eingang?sort=unterstuetzung").get_data(as_text=True)
    assert _refs(queue)[:2] == [report.reference, other.reference]  # most support first
    row = re.search(rf'<tr id="row-{report.id}".*?</tr>', queue, re.S).group(0)
    assert '<td class="support-count">2</td>' in row
    assert 'aria-sort="descending"' in queue
    newest = _refs(client.get("/intern/eingang").get_data(as_text=True))
    assert newest[:2] == [other.reference, report.reference]


def test_noch_nicht_behoben_puts_a_closed_report_before_the_department_without_reopening(app, client, db_session):
    report = make_report(point=HARSEWINKEL, description="Gully verstopft", category_code="gully")
    change_status(report, "erledigt", actor="bauhof")
    db_session.commit()
    page = client.get(f"/meldungen/{report.reference}").get_data(as_text=True)
    assert "Ist der Mangel noch da?" in page and "Ich auch" not in page
    assert _vote(client, report, "ich_auch").status_code == 409  # only on open reports
    response = _vote(client, report, "nicht_behoben")
    assert response.status_code == 303
    db.session.refresh(report)
    assert report.status == "erledigt" and report.not_fixed_at is not None and report.not_fixed_count == 1
    assert "1 Hinweis „Noch nicht behoben“." in client.get(f"/meldungen/{report.reference}").get_data(as_text=True)
    assert _vote(client, report, "nicht_behoben").status_code == 409

    staff = make_staff("dispatcher")
    login(client, staff.username, PASSWORD)
    default = client.get("/intern/eingang").get_data(as_text=True)
    assert report.reference not in _refs(default)  # closed: not in the open queue ...
    assert "1 abgeschlossene Meldung wurde als „noch nicht behoben“ gemeldet." in default  # ... but pointed out
    flagged = client.get("/intern/eingang?nicht_behoben=1").get_data(as_text=True)
    assert _refs(flagged) == [report.reference] and "noch nicht behoben?" in flagged
    detail = client.get(f"/intern/meldungen/{report.id}").get_data(as_text=True)
    assert "„Noch nicht behoben“: 1" in detail and "noch nicht behoben?" in detail

    change_status(report, "in_bearbeitung", actor=staff.username)  # staff act on it: the mark goes
    db_session.commit()
    assert report.not_fixed_at is None
    assert _refs(client.get("/intern/eingang?nicht_behoben=1&status=alle").get_data(as_text=True)) == []


def test_open_report_refuses_noch_nicht_behoben(app, client, db_session):
    report = make_report(point=HARSEWINKEL)
    db_session.commit()
    refused = _vote(client, report, "nicht_behoben")
    assert refused.status_code == 409
    assert "„Noch nicht behoben“ ist nur bei abgeschlossenen Meldungen möglich." in refused.get_data(as_text=True)


def test_votes_are_rate_limited_per_client(app, client, db_session):
    report = make_report(point=HARSEWINKEL)
    db_session.commit()
    address = client_address()
    statuses = []
    for _ in range(21):
        _new_browser(client)  # a client clearing its cookie each time
        statuses.append(_vote(client, report, "ich_auch", address).status_code)
    assert statuses[:20] == [303] * 20 and statuses[20] == 429
    db.session.refresh(report)
    assert report.support_count == 20


def test_no_ip_address_and_no_cookie_value_is_stored(app, client, db_session):
    report = make_report(point=HARSEWINKEL)
    db_session.commit()
    address = client_address()
    assert _vote(client, report, "ich_auch", address).status_code == 303
    cookie = client.get_cookie(COOKIE).value
    columns = db.session.execute(text("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_name = 'report_votes'")).scalars().all()
    assert sorted(columns) == ["browser_digest", "created_at", "id", "kind", "report_id"]
    [vote] = db.session.scalars(select(ReportVote).where(ReportVote.report_id == report.id)).all()
    assert cookie not in vote.browser_digest and address not in vote.browser_digest


def test_ich_auch_from_the_intakes_duplicate_hint(app, client, db_session):
    report = make_report(point=HARSEWINKEL)
    db_session.commit()
    url = f"/api/v1/reports/{report.reference}/ich-auch"
    assert client.post(url, environ_base={"REMOTE_ADDR": client_address()}).status_code == 400  # no shield header
    headers = {"X-Requested-With": "fetch", "Accept": "application/json"}
    first = client.post(url, headers=headers, environ_base={"REMOTE_ADDR": client_address()})
    assert first.status_code == 201 and first.get_json()["support_count"] == 1
    second = client.post(url, headers=headers, environ_base={"REMOTE_ADDR": client_address()})
    assert second.status_code == 409
    assert second.get_json()["errors"][0]["message"] == "Sie haben das zu dieser Meldung bereits mitgeteilt. Vielen Dank!"
    intake = client.get("/melden").get_data(as_text=True)
    assert "/api/v1/reports/{ref}/ich-auch" in intake  # the page script's supportUrl
