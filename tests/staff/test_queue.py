"""The queue: filters, sort orders, keyset paging, counts, bad input."""
from __future__ import annotations

import re
from datetime import timedelta

from app.db import db, utcnow
from app.jurisdictions.models import Area
from sqlalchemy import select
from tests.factories import GREFFEN, HARSEWINKEL, MARIENFELD, category, department, make_report
from tests.staff.helpers import PASSWORD, login, make_staff


def _refs(body: str) -> list[str]:
    return re.findall(r'class="report-link">([A-Z]+-\d{4}-\d{6})<', body)


def _signed_in(client, role="dispatcher", dept=None):
    user = make_staff(role, dept)
    login(client, user.username, PASSWORD)
    return user


def test_filters(client):
    _signed_in(client)
    pothole = make_report(point=HARSEWINKEL, category_code="schlagloch", description="Loch vor dem Rathaus")
    litter = make_report(point=GREFFEN, category_code="wilder-muell", description="Sperrmüll am Waldrand")
    old = make_report(point=MARIENFELD, category_code="strassenlaterne", description="Laterne dunkel")
    old.created_at = utcnow() - timedelta(days=40)
    done = make_report(point=HARSEWINKEL, category_code="schlagloch", description="Erledigtes Loch")
    done.status = "erledigt"
    db.session.flush()

    default = _refs(client.get("/intern/eingang").get_data(as_text=True))
    assert set(default) == {pothole.reference, litter.reference, old.reference}
    assert default[0] == litter.reference or default[0] == pothole.reference  # newest first
    assert default[-1] == old.reference
    assert _refs(client.get("/intern/eingang?status=erledigt").get_data(as_text=True)) == [done.reference]
    assert set(_refs(client.get("/intern/eingang?status=alle").get_data(as_text=True))) == {
        pothole.reference, litter.reference, old.reference, done.reference}
    by_category = _refs(client.get(f"/intern/eingang?kategorie={category('wilder-muell').id}").get_data(as_text=True))
    assert by_category == [litter.reference]
    by_department = _refs(client.get(f"/intern/eingang?abteilung={department('stadtwerke').id}").get_data(as_text=True))
    assert by_department == [old.reference]
    greffen = db.session.scalar(select(Area).where(Area.code == "ortsteil-greffen"))
    assert _refs(client.get(f"/intern/eingang?gebiet={greffen.id}").get_data(as_text=True)) == [litter.reference]
    assert _refs(client.get("/intern/eingang?alter_min=30").get_data(as_text=True)) == [old.reference]
    assert old.reference not in _refs(client.get("/intern/eingang?alter_max=7").get_data(as_text=True))
    assert _refs(client.get("/intern/eingang?q=sperrm%C3%BCll").get_data(as_text=True)) == [litter.reference]
    assert _refs(client.get(f"/intern/eingang?q={pothole.reference}").get_data(as_text=True)) == [pothole.reference]
    # Street lights are due within 14 days (the default target): the 40-day-old one is overdue.
    assert _refs(client.get("/intern/eingang?ueberfaellig=1").get_data(as_text=True)) == [old.reference]
    oldest = _refs(client.get("/intern/eingang?sort=aelteste").get_data(as_text=True))
    assert oldest[0] == old.reference
    nearest = _refs(client.get(f"/intern/eingang?sort=entfernung&lat={GREFFEN[1]}&lon={GREFFEN[0]}")
                    .get_data(as_text=True))
    assert nearest[0] == litter.reference and nearest[-1] in (old.reference, pothole.reference)
    pothole.priority = 3
    db.session.flush()
    assert _refs(client.get("/intern/eingang?sort=prioritaet").get_data(as_text=True))[0] == pothole.reference


def test_counts_per_status(client):
    _signed_in(client)
    for status in ("eingegangen", "eingegangen", "in_bearbeitung", "erledigt"):
        report = make_report()
        report.status = status
    db.session.flush()
    body = client.get("/intern/eingang").get_data(as_text=True)
    counts = dict(re.findall(r'status-chip status-(\w+)"\s*>[^:]+: <strong>(\d+)</strong>', body))
    assert counts["eingegangen"] == "2" and counts["in_bearbeitung"] == "1" and counts["erledigt"] == "1"


def test_keyset_paging_visits_every_report_once(client):
    _signed_in(client)
    made = {make_report().reference for _ in range(7)}
    seen, url = [], "/intern/eingang?anzahl=3"
    while url:
        body = client.get(url).get_data(as_text=True)
        seen += _refs(body)
        match = re.search(r'rel="next" href="([^"]+)"', body)
        url = match.group(1).replace("&amp;", "&") if match else None
    assert sorted(seen) == sorted(made) and len(seen) == 7


def test_bad_filters_give_400_naming_the_problem(client):
    _signed_in(client)
    response = client.get("/intern/eingang?status=kaputt&kategorie=abc")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Status „kaputt“ gibt es nicht" in body
    assert client.get("/intern/eingang?sort=entfernung").status_code == 400
    assert client.get("/intern/eingang?nach=%%%").status_code == 400
    assert client.get("/intern/eingang?nach=WyJ4Il0").status_code == 400
    english = client.get("/intern/eingang?status=kaputt&lang=en")
    assert english.status_code == 400 and "There is no status “kaputt”" in english.get_data(as_text=True)


def test_department_staff_see_their_department_only(client):
    _signed_in(client, "staff", "abfall")
    mine = make_report(category_code="wilder-muell")
    theirs = make_report(category_code="schlagloch")
    refs = _refs(client.get("/intern/eingang?status=alle").get_data(as_text=True))
    assert mine.reference in refs and theirs.reference not in refs
