"""Issue 21 points 1, 3 and 5: the town comes from the host; staff sessions are bound to their
town; a pin across the border is sent to the neighbouring town."""
from __future__ import annotations

import re

import pytest

from app.db import db
from app.jurisdictions.hosts import forget_hosts, normalise_host, town_id_for_host
from app.outbox.messages import prepare
from app.outbox.models import OutboxMessage
from tests.factories import town
from tests.staff.helpers import make_staff
from tests.towns.test_town_isolation import Client
from tests.towns.two_towns import A_HOST, B_HOST, B_NAME, B_SLUG, IN_B, JUST_INSIDE_B, add_host, make_town_b


@pytest.fixture
def towns(app, db_session, tmp_path):
    add_host(town(), A_HOST)
    b = make_town_b(tmp_path / "b")
    db.session.commit()  # a savepoint (rolled back after the test)
    return b


def test_each_host_shows_its_own_town(app, towns):
    a_page = Client(app, A_HOST).open("GET", "/").get_data(as_text=True)
    b_page = Client(app, B_HOST).open("GET", "/").get_data(as_text=True)
    assert "Stadt Harsewinkel" in a_page and B_NAME not in a_page
    assert B_NAME in b_page and "Stadt Harsewinkel" not in b_page
    assert "Zzbmarker Beschreibung 0" in Client(app, B_HOST).open(
        "GET", f"/meldungen/{towns.references[0]}").get_data(as_text=True)


def test_a_host_of_no_town_gets_the_default_town_when_it_is_set(app, towns):
    page = Client(app, "irgendwo.example").open("GET", "/")
    assert page.status_code == 200 and "Stadt Harsewinkel" in page.get_data(as_text=True)


def test_without_a_default_town_an_unknown_host_gets_a_german_404(app, towns, monkeypatch):
    monkeypatch.setitem(app.config, "DEFAULT_JURISDICTION", "")
    client = Client(app, "irgendwo.example")
    for path in ("/", "/meldungen", "/intern/anmelden", "/open311/v2/services.json", "/api/v1/reports.geojson"):
        answer = client.open("GET", path)
        assert answer.status_code == 404, path
        shown = str(answer.get_json()) if answer.is_json else answer.get_data(as_text=True)
        assert "Unter dieser Adresse gibt es keinen Mängelmelder" in shown, path
        assert "Harsewinkel" not in answer.get_data(as_text=True) and "zzbmarker" not in answer.get_data(as_text=True)
    assert client.open("GET", "/healthz").status_code == 200  # probes call by address
    assert Client(app, B_HOST).open("GET", "/").status_code == 200


def test_a_retired_town_is_not_served(app, towns, monkeypatch):
    monkeypatch.setitem(app.config, "DEFAULT_JURISDICTION", "")
    from app.db import utcnow

    towns.town.retired_at = utcnow()
    db.session.commit()
    assert Client(app, B_HOST).open("GET", "/").status_code == 404


def test_host_names_are_normalised_and_the_table_is_cached(app, towns, monkeypatch):
    assert normalise_host("B.Maengelmelder.TEST.:8443") == B_HOST
    assert normalise_host("[::1]:8000") == "[::1]"
    monkeypatch.setitem(app.config, "TOWN_HOSTS_CACHE_SECONDS", 3600.0)
    forget_hosts()
    assert town_id_for_host(B_HOST.upper() + ":443") == towns.town.id
    add_host(towns.town, "neu.zzbmarker.test", position=1)
    assert town_id_for_host("neu.zzbmarker.test") == town().id  # cached: still the default town
    forget_hosts()
    assert town_id_for_host("neu.zzbmarker.test") == towns.town.id
    forget_hosts()  # the next test reads the table afresh under its own settings


def test_open311_with_another_towns_jurisdiction_id_is_not_found(app, towns):
    client = Client(app, A_HOST)
    own = client.open("GET", "/open311/v2/services.json").get_json()
    assert {s["service_code"] for s in own} and not any("zzbmarker" in s["service_code"] for s in own)
    other = client.open("GET", "/open311/v2/services.json", query_string={"jurisdiction_id": B_SLUG})
    assert other.status_code == 404
    assert "zzbmarker-loch" not in other.get_data(as_text=True)
    on_b = Client(app, B_HOST).open("GET", "/open311/v2/services.json", query_string={"jurisdiction_id": B_SLUG})
    assert [s["service_code"] for s in on_b.get_json()] == ["zzbmarker-loch"]


def test_a_staff_cookie_from_town_a_is_refused_on_town_b(app, towns):
    user = make_staff("dispatcher")
    db.session.commit()
    client = Client(app, A_HOST)
    client.sign_in(user.username)
    assert client.open("GET", "/intern/eingang").status_code == 200
    cookie = client.client.get_cookie("session", domain=A_HOST)
    assert cookie is not None
    carried = Client(app, B_HOST)
    carried.client.set_cookie("session", cookie.value, domain=B_HOST)
    answer = carried.open("GET", "/intern/eingang")
    assert answer.status_code == 302 and "/intern/anmelden" in answer.headers["Location"]
    # Nor can town A's account sign in on B's host (the same answer as a wrong password).
    refused = carried.open("POST", "/intern/anmelden", data={"csrf_token": carried.csrf(),
                                                             "username": user.username, "password": user.password})
    assert refused.status_code == 401


def test_mail_links_go_to_the_towns_host(app, towns):
    message = db.session.scalar(db.select(OutboxMessage).where(OutboxMessage.jurisdiction_id == towns.town.id,
                                                             OutboxMessage.kind == "confirm_email").limit(1))
    assert message is not None
    from app.towncontext import using_town

    with using_town(message.jurisdiction_id):
        mail, _reason = prepare(message)
    text = mail.get_body(("plain",)).get_content()
    assert f"http://{B_HOST}/bestaetigen/" in text
    assert "maengelmelder.test/bestaetigen" not in text.replace(B_HOST, "")


def test_a_pin_across_the_border_is_sent_to_the_neighbouring_town(app, towns):
    client = Client(app, A_HOST)
    answer = client.open("POST", "/melden", data={
        "csrf_token": client.csrf(), "category": "schlagloch", "description": "Loch direkt hinter der Grenze",
        "lat": str(JUST_INSIDE_B[1]), "lon": str(JUST_INSIDE_B[0]), "idempotency_key": "neighbour-test-1"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert f"Dieser Ort gehört zu {B_NAME}" in page
    link = re.search(r'<a class="neighbour-town-link" href="(http://b\.maengelmelder\.test/melden\?[^"]+)"', page).group(1)
    assert "Loch+direkt+hinter+der+Grenze" in link or "Loch%20direkt%20hinter%20der%20Grenze" in link
    carried = Client(app, B_HOST).open("GET", link.replace("&amp;", "&").split(B_HOST, 1)[1])
    form = carried.get_data(as_text=True)
    assert "Loch direkt hinter der Grenze</textarea>" in form and f'value="{JUST_INSIDE_B[1]:.6f}"' in form


def test_open311_post_to_a_with_a_point_in_b_is_a_400_naming_b(app, towns):
    from app.open311.keys import create_client

    _client, key = create_client(town(), "Test-App", ["create_request"])
    db.session.commit()
    answer = Client(app, A_HOST).open("POST", "/open311/v2/requests.json", headers={"X-Api-Key": key}, data={
        "service_code": "schlagloch", "description": "Loch im Nachbarort", "lat": str(IN_B[1]), "long": str(IN_B[0])})
    assert answer.status_code == 400
    assert B_NAME in answer.get_json()[0]["description"]
