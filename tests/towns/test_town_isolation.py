"""Issue 21 point 4: nothing of town B appears in any answer on town A's host.

The requests are generated from ``app.url_map``: every route, with B's ids, references, tokens
and codes in its path and B's places, codes and words in its query (once without and once with
``jurisdiction_id`` = B), as each role: anonymous, staff, dispatcher and admin of town A, and the
operator. A route that gains a path argument this test cannot fill fails it (so a new route is
covered or the test is changed on purpose). Every answer is searched for B's marker
(``zzbmarker``) and B's report references after the values the test itself sent are taken out
(an echo of a search word, or of the asked-for path, is no leak); a path naming B's object must not answer 2xx; no answer
may be a 5xx; and B's data is the same afterwards (nothing of B changed through A's host).

``test_the_check_sees_town_b_on_its_own_host`` shows the same check does find B's data on B's
host, so it can fail.
"""
from __future__ import annotations

import html
import json
import random
import re
from urllib.parse import quote, quote_plus, unquote

import pytest
from sqlalchemy import text

from app.db import db
from app.outbox.models import OutboxMessage
from app.staff.models import StaffTeam, StaffUser
from tests.staff.helpers import PASSWORD, make_staff
from tests.towns.two_towns import A_HOST, B_BOX, B_HOST, B_NAME, B_SLUG, IN_B, MARKER, add_host, make_town_b
from tests.factories import town

ROLES = ("anonymous", "staff", "dispatcher", "admin", "operator")
# Path arguments that name no object of a town (formats, tile numbers, file names).
NEUTRAL_ARGS = {"fmt", "z", "x", "y", "variant", "filename", "rest"}
# The neighbour hint (point 5) names town B on purpose when a pin lies in B: its name is allowed there.
NEIGHBOUR_HINT = {"intake_api.check_location", "reports.submit_report", "intake_api.create", "open311.post_request"}
# These end the session they are sent with: sent last by each role.
SIGN_OUT = {"staff_auth.logout", "staff_auth.logout_everywhere"}
# Tables of B compared before and after (rows as text, in id order).
B_TABLES = ("reports", "photos", "categories", "departments", "areas", "staff_users", "text_templates",
            "catalog_entries", "alert_subscriptions", "open311_api_clients", "routing_rules", "staff_teams",
            "citizen_sign_ins", "fixed_questionnaires", "report_votes")


def _tile_of(lon: float, lat: float, z: int = 14) -> tuple[int, int]:
    import math

    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


class Scenario:
    def __init__(self, b, extra_ids):
        self.b = b
        ids = b.ids | extra_ids
        reference = b.references[0]
        tile_x, tile_y = _tile_of(*IN_B)
        self.by_arg = {
            "report_id": ids["report"], "photo_id": ids["photo"], "department_id": ids["department"],
            "category_id": ids["category"], "question_id": ids["question"], "user_id": ids["user"],
            "template_id": ids["template"], "entry_id": ids["entry"], "client_id": ids["client"],
            "rule_id": ids["rule"], "team_id": ids["team"], "message_id": ids["message"], "town_id": b.town.id,
            "area_id": ids["area"], "import_id": ids["address_upload"], "upload_id": ids["report_upload"],
            "reference": reference, "service_request_id": reference, "service_code": "zzbmarker-loch",
            "slug": ids["entry_slug"], "fmt": "json", "z": 14, "x": tile_x, "y": tile_y, "variant": "display",
            "filename": "css/staff.css", "rest": "v2/zzbmarker",
        }
        self.by_endpoint = {
            ("feeds.area_feed", "code"): "zzbmarker-mitte",
            ("feeds.category_feed", "code"): "zzbmarker-loch",
            ("catalog.static", "filename"): "catalog.css",
            ("reports.submitted", "token"): b.tokens["tracking"],
            ("reports.track", "token"): b.tokens["tracking"],
            ("reports.short_track", "token"): b.tokens["tracking"],
            ("reports.tracked_photo", "token"): b.tokens["tracking"],
            ("public.track_additions", "token"): b.tokens["tracking"],
            ("public.add_to_report", "token"): b.tokens["tracking"],
            ("reports.confirm_email", "token"): b.tokens["confirm"],
            ("reports.confirm_email_submit", "token"): b.tokens["confirm"],
            ("followers.confirm", "token"): b.tokens["follow"],
            ("followers.confirm_submit", "token"): b.tokens["follow"],
            ("followers.unsubscribe", "token"): b.tokens["unsubscribe"],
            ("followers.unsubscribe_post", "token"): b.tokens["unsubscribe"],
            ("alerts.confirm", "token"): b.tokens["alert"],
            ("alerts.confirm_submit", "token"): b.tokens["alert"],
            ("alerts.unsubscribe", "token"): b.tokens["alert"],
            ("alerts.unsubscribe_submit", "token"): b.tokens["alert"],
            ("staff_auth.reset_password", "token"): b.tokens["reset"],
            ("open311.token", "token"): b.tokens["tracking"],
            ("feedback.questionnaire", "token"): b.tokens["questionnaire"],
            ("feedback.answer", "token"): b.tokens["questionnaire"],
            ("account.sign_in", "token"): b.tokens["sign_in"],
            ("account.sign_in_submit", "token"): b.tokens["sign_in"],
        }
        self.query = {"bbox": ",".join(map(str, B_BOX)), "lat": str(IN_B[1]), "lon": str(IN_B[0]),
                      "q": "Zzbmarkerstraße", "strasse": "Zzbmarkerstraße", "category": "zzbmarker-loch",
                      "kategorie": "zzbmarker-loch", "ortsteil": "zzbmarker-mitte", "service_code": "zzbmarker-loch",
                      "service_request_id": reference, "department": "zzbmarker-bauhof",
                      "status": "eingegangen", "extensions": "true", "radius": "500"}
        self.markers = [MARKER, "zzbm-"] + [r.lower() for r in b.references]

    def value(self, endpoint: str, arg: str):
        if (endpoint, arg) in self.by_endpoint:
            return self.by_endpoint[(endpoint, arg)]
        assert arg in self.by_arg, f"{endpoint}: no value of town B for the path argument {arg!r}: add one"
        return self.by_arg[arg]

    def leaks(self, body: bytes, sent: list[str]) -> list[str]:
        content = body.decode("utf-8", "replace").lower()
        for value in sorted(sent, key=len, reverse=True):
            for form in {value, quote(value), quote_plus(value), html.escape(value), quote(value, safe=""),
                         json.dumps(value)[1:-1], json.dumps(value.lower())[1:-1]}:
                content = content.replace(form.lower(), " ")
        return [marker for marker in self.markers if marker in content]


def _snapshot(b_id: int) -> dict[str, str]:
    result = {}
    for table in B_TABLES:
        mine = "t.report_id IN (SELECT id FROM reports WHERE jurisdiction_id = :b)" \
            if table in ("photos", "fixed_questionnaires", "report_votes") else "t.jurisdiction_id = :b"
        result[table] = db.session.execute(text(
            f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {table} t WHERE {mine}"),
            {"b": b_id}).scalar_one()
    return result


class Client:
    """A test client on one host, with its own client address (sign-in limits are per address)."""

    def __init__(self, app, host: str):
        self.client = app.test_client()
        self.base = f"http://{host}"
        self.address = f"10.21.{random.randint(0, 255)}.{random.randint(1, 250)}"

    def open(self, method: str, path: str, **kwargs):
        from flask import g

        for key in ("csrf_token", "staff_user"):  # the test's app context outlives requests: never hand them on
            g.pop(key, None)
        return self.client.open(path, method=method, base_url=self.base,
                                environ_base={"REMOTE_ADDR": self.address}, **kwargs)

    def csrf(self) -> str:
        page = self.open("GET", "/intern/anmelden").get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def sign_in(self, username: str) -> None:
        response = self.open("POST", "/intern/anmelden", data={"csrf_token": self.csrf(), "username": username,
                                                               "password": PASSWORD})
        assert response.status_code == 303, (username, response.status_code)


def make_operator(username: str = "betrieb-operator") -> StaffUser:
    from tests.staff.helpers import make_staff as _make  # one shared Argon2 hash

    template = _make("admin")
    user = StaffUser(jurisdiction_id=None, username=username, role="operator", password_hash=template.password_hash,
                     email="betrieb@kreis.example", display_name="Betrieb")
    db.session.add(user)
    db.session.flush()
    return user


@pytest.fixture
def two_towns(app, db_session, tmp_path):
    add_host(town(), A_HOST)
    b = make_town_b(tmp_path / "b")
    team = StaffTeam(jurisdiction_id=b.town.id, department_id=b.ids["department"], name="Zzbmarker Kolonne")
    db.session.add(team)
    from app.areas.models import AdminUpload

    uploads = {kind: AdminUpload(jurisdiction_id=b.town.id, kind=kind, filename=f"zzbmarker-{kind}.csv",
                                 data=b"zzbmarker", state="failed", message="Zzbmarker Zeile 1 abgelehnt")
               for kind in ("addresses", "reports")}
    db.session.add_all(uploads.values())
    db.session.flush()
    message = db.session.scalar(db.select(OutboxMessage).where(OutboxMessage.jurisdiction_id == b.town.id).limit(1))
    # A mail of B that failed, as the admins' queue page lists them.
    message.state, message.attempts, message.failed_at = "failed", 5, message.created_at
    message.last_error = "550 zzbmarker-buerger0@zzbmarker.example: mailbox unknown"
    message_id = message.id
    from app.catalog.models import CatalogEntry

    slug = db.session.scalar(db.select(CatalogEntry.slug).where(CatalogEntry.jurisdiction_id == b.town.id))
    accounts = {"staff": make_staff("staff").username, "dispatcher": make_staff("dispatcher").username,
                "admin": make_staff("admin").username, "operator": make_operator().username}
    db.session.commit()  # a savepoint: a view's rollback after a refused input keeps the towns
    return Scenario(b, {"team": team.id, "message": message_id, "entry_slug": slug,
                        "address_upload": uploads["addresses"].id, "report_upload": uploads["reports"].id}), accounts


def _requests(app, scenario: Scenario):
    """(endpoint, method, path, query, names_b) for every route and method, sign-out last."""
    found = []
    for rule in app.url_map.iter_rules():
        values = {arg: scenario.value(rule.endpoint, arg) for arg in rule.arguments}
        names_b = bool(set(rule.arguments) - NEUTRAL_ARGS)
        with app.test_request_context(base_url=f"http://{A_HOST}"):
            from flask import url_for

            path = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method not in ("GET", "POST"):
                continue
            found.append((rule.endpoint, method, path, names_b))
    return sorted(found, key=lambda r: r[0] in SIGN_OUT)


def _check_host(app, scenario: Scenario, accounts: dict, host: str) -> tuple[list[str], set[str]]:
    """Problems seen on ``host`` and the endpoints whose answers showed B's markers."""
    problems: list[str] = []
    showing: set[str] = set()
    requests = _requests(app, scenario)
    for role in ROLES:
        client = Client(app, host)
        if role != "anonymous":
            client.sign_in(accounts[role])
        token = client.csrf()
        # B's values as parameters (with and without B's jurisdiction_id), and every page as it is
        # first opened, without any: B's values make many pages refuse their input, and a page's
        # own lists (filters, choices) must hold nothing of B either.
        for with_jurisdiction in (None, False, True):
            query = {} if with_jurisdiction is None else \
                dict(scenario.query, **({"jurisdiction_id": B_SLUG} if with_jurisdiction else {}))
            # What the client itself names (in the path or the query) may come back as an echo.
            sent = list(scenario.query.values()) + ([B_SLUG] if with_jurisdiction else [])
            for endpoint, method, path, names_b in requests:
                if endpoint in SIGN_OUT and with_jurisdiction is not True:
                    continue  # once per role is enough (and it ends the session)
                if with_jurisdiction is None and method != "GET":
                    continue  # posts only with B's values: an empty form is refused before any look-up
                if method == "GET":
                    response = client.open("GET", path, query_string=query)
                else:
                    response = client.open("POST", path, query_string={}, data=dict(query, csrf_token=token))
                what = f"{role} {method} {path}" + {None: " (no parameters)", False: "", True: " +jurisdiction_id"}[
                    with_jurisdiction]
                if response.status_code >= 500:
                    problems.append(f"{what}: {response.status_code}")
                # A redirect to the sign-in page carries the asked-for address (with our query) in ``next``.
                location = unquote(unquote(response.headers.get("Location", "")))
                body = b"" if 300 <= response.status_code < 400 else response.get_data()  # a redirect's body repeats it
                # The asked-for path itself may come back (the language menu links to this page): no leak.
                leaks = scenario.leaks(body + location.encode(),
                                       sent + [path] + ([B_NAME] if endpoint in NEIGHBOUR_HINT else []))
                if role == "operator" and endpoint.startswith("operator."):
                    leaks = []  # the operator's own pages list every town (test_operator.py: no personal data)
                if leaks:
                    showing.add(endpoint)
                    problems.append(f"{what}: {response.status_code} shows {leaks}")
                elif names_b and 200 <= response.status_code < 300 and host == A_HOST:
                    problems.append(f"{what}: {response.status_code} for an object of town B")
    return problems, showing


def test_nothing_of_town_b_on_town_a_host(app, two_towns):
    scenario, accounts = two_towns
    before = _snapshot(scenario.b.town.id)
    problems, _showing = _check_host(app, scenario, accounts, A_HOST)
    assert problems == [], "\n".join(problems)
    db.session.expire_all()
    assert _snapshot(scenario.b.town.id) == before, "town B's data changed through town A's host"


def test_the_check_sees_town_b_on_its_own_host(app, two_towns):
    """The same requests on B's host (anonymous) show B's data on its public pages, feeds, map
    and Open311: the check above is able to fail."""
    scenario, _accounts = two_towns
    client = Client(app, B_HOST)
    seen = set()
    for endpoint, method, path, _names_b in _requests(app, scenario):
        if method != "GET":
            continue
        response = client.open("GET", path, query_string=scenario.query)
        if scenario.leaks(response.get_data(), list(scenario.query.values())):
            seen.add(endpoint)
    assert {"public.home", "public.report", "public.report_list", "feeds.town_feed", "mapapi.reports_geojson",
            "open311.get_requests", "open311.get_request", "open311.services", "catalog.overview",
            "reports.track"} <= seen, sorted(seen)
