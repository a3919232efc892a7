"""Staff sign-in through OpenID Connect against a real provider on a local HTTP port.

The provider double below is a small werkzeug app serving discovery, /auth (approves
the configured test person and redirects back with a code), /token (checks the client
secret, the redirect URI and the PKCE verifier, and returns an RS256-signed ID token
made with a real RSA key) and /certs (the JWKS). Our side does the real work: state,
nonce, PKCE, signature against the JWKS, issuer, audience and expiry.
"""
from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import secrets
import threading
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import func, select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app.db import db
from app.staff.models import AuditEntry, StaffUser
from app.staff.oidc import parse_role_map, settings_from
from tests.factories import department
from tests.staff.helpers import PASSWORD, app_with, login, make_staff

CLIENT_ID = "maengelmelder"
CLIENT_SECRET = "geheimnis-des-clients"
ROLE_MAP = "mm-admin=admin,mm-leitstelle=dispatcher,mm-sachbearbeitung=staff"
_addresses = itertools.count(1)


class Provider:
    """A minimal OpenID provider speaking the authorization code flow with PKCE over HTTP."""

    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "key-1", "use": "sig", "alg": "RS256"})
        # Same key id, different key: a token signed with it must fail the signature check.
        self.forged_key = RSAKey.generate_key(2048, parameters={"kid": "key-1", "use": "sig", "alg": "RS256"})
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}/realms/stadt"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.codes: dict[str, dict] = {}
        self.authorize_requests: list[dict] = []
        self.token_requests: list[dict] = []
        self.reset()

    def reset(self) -> None:
        self.person = {"sub": "sub-" + secrets.token_hex(6), "preferred_username": "erika.muster",
                       "name": "Erika Muster", "email": "erika.muster@harsewinkel.example",
                       "roles": ["mm-sachbearbeitung", "offline_access"], "department": "tiefbau"}
        self.tamper: dict = {}          # claims of the next ID tokens replaced by these
        self.sign_with_forged_key = False
        self.authorize_requests.clear()
        self.token_requests.clear()

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()

    # --- the protocol -------------------------------------------------------------

    def wsgi(self, environ, start_response):
        request = Request(environ)
        base = urlsplit(self.issuer).path
        routes = {base + "/.well-known/openid-configuration": self.discovery,
                  base + "/protocol/openid-connect/auth": self.authorize,
                  base + "/protocol/openid-connect/token": self.token,
                  base + "/protocol/openid-connect/certs": self.jwks}
        handler = routes.get(request.path)
        response = handler(request) if handler else Response("not found", 404)
        return response(environ, start_response)

    @staticmethod
    def _json(data, status=200) -> Response:
        return Response(json.dumps(data), status, content_type="application/json")

    def discovery(self, request) -> Response:
        endpoint = self.issuer + "/protocol/openid-connect"
        return self._json({
            "issuer": self.issuer, "authorization_endpoint": endpoint + "/auth",
            "token_endpoint": endpoint + "/token", "jwks_uri": endpoint + "/certs",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"]})

    def jwks(self, request) -> Response:
        return self._json({"keys": [self.key.as_dict(private=False)]})

    def authorize(self, request) -> Response:
        args = request.args.to_dict()
        self.authorize_requests.append(args)
        required = ("client_id", "redirect_uri", "state", "nonce", "code_challenge")
        if (args.get("response_type") != "code" or args.get("client_id") != CLIENT_ID
                or "openid" not in args.get("scope", "").split() or args.get("code_challenge_method") != "S256"
                or not all(args.get(name) for name in required)):
            return Response("invalid authorization request", 400)
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"nonce": args["nonce"], "challenge": args["code_challenge"],
                            "redirect_uri": args["redirect_uri"], "person": dict(self.person)}
        # The test person is signed in at the provider already: approve and send the browser back.
        return Response(status=302, headers={
            "Location": args["redirect_uri"] + "?" + urlencode({"code": code, "state": args["state"]})})

    def token(self, request) -> Response:
        form = request.form.to_dict()
        self.token_requests.append(form)
        auth = request.authorization
        if auth is None or auth.username != CLIENT_ID or auth.password != CLIENT_SECRET:
            return self._json({"error": "invalid_client"}, 401)
        grant = self.codes.pop(form.get("code", ""), None)  # a code works once
        if form.get("grant_type") != "authorization_code" or grant is None \
                or form.get("redirect_uri") != grant["redirect_uri"]:
            return self._json({"error": "invalid_grant"}, 400)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if challenge != grant["challenge"]:
            return self._json({"error": "invalid_grant", "error_description": "PKCE verification failed"}, 400)
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "azp": CLIENT_ID, "iat": now, "exp": now + 300,
                  "auth_time": now, "nonce": grant["nonce"], **grant["person"]}
        claims.update(self.tamper)
        key = self.forged_key if self.sign_with_forged_key else self.key
        id_token = jwt.encode({"alg": "RS256", "kid": "key-1", "typ": "JWT"}, claims, key)
        return self._json({"access_token": secrets.token_urlsafe(32), "token_type": "Bearer", "expires_in": 300,
                           "id_token": id_token})


@pytest.fixture(scope="module")
def provider():
    server = Provider()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def oidc_app(app, provider):
    """The app on the session's database, configured (settings only) for the provider."""
    return app_with(app, OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET=CLIENT_SECRET,
                    OIDC_ROLE_CLAIM="roles", OIDC_ROLE_MAP=ROLE_MAP, OIDC_DEPARTMENT_CLAIM="department")


@pytest.fixture
def oidc_client(oidc_app, db_session, provider):
    provider.reset()
    client = oidc_app.test_client()
    # Its own client address, so the per-address limit of the sign-in routes never trips here.
    n = next(_addresses)
    client.environ_base["REMOTE_ADDR"] = f"10.99.{n // 250 % 250}.{n % 250 + 1}"
    return client


def _to_provider(client, provider, path="/intern/anmelden/dienstkonto"):
    """Press the button; returns the provider's authorization URL we are sent to."""
    response = client.get(path)
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(provider.issuer + "/protocol/openid-connect/auth?")
    return location


def _back_from_provider(location: str) -> str:
    """The browser at the provider: it approves and redirects back; returns our callback path."""
    answer = requests.get(location, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}" == "http://maengelmelder.test"  # BASE_URL, not the Host header
    assert back.path == "/intern/anmelden/dienstkonto/zurueck"
    return back.path + "?" + back.query


def _sign_in(client, provider, path="/intern/anmelden/dienstkonto"):
    return client.get(_back_from_provider(_to_provider(client, provider, path)))


def _signed_in(client) -> bool:
    response = client.get("/intern/eingang")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def _csrf(client) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/intern/eingang").get_data(as_text=True))
    assert match
    return match.group(1)


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _accounts_named(username: str) -> int:
    return db.session.scalar(select(func.count()).select_from(StaffUser)
                             .where(func.lower(StaffUser.username) == username))


# --- the sign-in page -------------------------------------------------------------

def test_without_issuer_the_sign_in_page_is_unchanged(client):
    page = client.get("/intern/anmelden").get_data(as_text=True)
    assert "Mit Dienstkonto anmelden" not in page and "dienstkonto" not in page
    assert client.get("/intern/anmelden/dienstkonto").status_code == 404
    assert client.get("/intern/anmelden/dienstkonto/zurueck?code=x&state=y").status_code == 404


def test_with_issuer_the_sign_in_page_offers_the_button_in_both_languages(oidc_client):
    page = oidc_client.get("/intern/anmelden").get_data(as_text=True)
    assert "Mit Dienstkonto anmelden" in page and 'href="/intern/anmelden/dienstkonto"' in page
    assert 'id="password"' in page  # the password form stays
    english = oidc_client.get("/intern/anmelden?lang=en").get_data(as_text=True)
    assert "Sign in with your work account" in english


# --- the flow -----------------------------------------------------------------------

def test_first_sign_in_creates_the_account_with_mapped_role_and_department(oidc_client, provider):
    location = _to_provider(oidc_client, provider, "/intern/anmelden/dienstkonto?next=/intern/uebersicht")
    sent = parse_qs(urlsplit(location).query)
    assert sent["code_challenge_method"] == ["S256"] and sent["state"][0] and sent["nonce"][0]
    assert sent["scope"][0].split() == ["openid", "email", "profile"]
    response = oidc_client.get(_back_from_provider(location))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/intern/uebersicht")  # ``next`` survives the round trip
    assert len(provider.token_requests) == 1 and provider.token_requests[0]["code_verifier"]

    user = db.session.scalar(select(StaffUser).where(StaffUser.oidc_subject == provider.person["sub"]))
    assert user is not None and user.active
    assert (user.username, user.role, user.department_id) == ("erika.muster", "staff", department("tiefbau").id)
    assert user.password_hash is None and user.display_name == "Erika Muster"
    assert user.email == "erika.muster@harsewinkel.example"
    assert _signed_in(oidc_client)
    assert "erika.muster" in oidc_client.get("/intern/eingang").get_data(as_text=True)
    assert [e.changes for e in _audit("user_create")] == [{"role": "staff", "department": "tiefbau",
                                                           "source": "oidc"}]
    assert [e.staff_user_id for e in _audit("login_oidc")] == [user.id]

    # The second sign-in finds the same account by its subject.
    oidc_client.post("/intern/abmelden", data={"csrf_token": _csrf(oidc_client)})
    assert not _signed_in(oidc_client)
    assert _sign_in(oidc_client, provider).status_code == 303
    assert _accounts_named("erika.muster") == 1 and len(_audit("login_oidc")) == 2


def test_role_and_department_follow_the_claims_of_an_account_an_admin_linked(oidc_client, provider):
    existing = make_staff("dispatcher", username="erika.muster")
    existing.oidc_subject = provider.person["sub"]  # linked by an admin (see the next test)
    db.session.flush()
    provider.person.update(roles=["mm-admin"], department=[])
    assert _sign_in(oidc_client, provider).status_code == 303
    db.session.refresh(existing)
    assert existing.oidc_subject == provider.person["sub"]
    assert (existing.role, existing.department_id) == ("admin", None)
    assert oidc_client.get("/intern/admin/").status_code == 200
    assert _accounts_named("erika.muster") == 1

    # Next day the directory moves her to the Stadtwerke as department staff.
    provider.person.update(roles=["mm-sachbearbeitung"], department="stadtwerke",
                           preferred_username="erika.m")  # a new username at the provider changes nothing here
    assert _sign_in(oidc_client, provider).status_code == 303
    db.session.refresh(existing)
    assert (existing.username, existing.role, existing.department_id) == (
        "erika.muster", "staff", department("stadtwerke").id)
    assert oidc_client.get("/intern/admin/").status_code == 403
    assert [e.changes for e in _audit("user_update")] == [
        {"role": ["dispatcher", "admin"], "source": "oidc"},
        {"role": ["admin", "staff"], "department_id": [None, department("stadtwerke").id], "source": "oidc"}]
    # The password keeps working beside it.
    password_client = oidc_client.application.test_client()
    login(password_client, "erika.muster", PASSWORD)
    assert _signed_in(password_client)


def test_an_existing_password_account_is_linked_only_by_an_admin(oidc_client, provider):
    """Issue 16 point 6: whoever can set ``preferred_username`` at the provider must not become
    the account of that name here (``admin``): linking is by ``sub`` only, or an admin's act."""
    victim = make_staff("admin", username="admin-konto")
    provider.person.update(preferred_username="Admin-Konto", roles=["mm-sachbearbeitung"], department="tiefbau")
    response = _sign_in(oidc_client, provider)
    assert response.status_code == 403 and "erst verknüpfen" in response.get_data(as_text=True)
    assert not _signed_in(oidc_client)
    db.session.refresh(victim)
    assert victim.oidc_subject is None and victim.role == "admin"
    [refused] = _audit("login_oidc_refused")
    assert refused.changes == {"reason": "link_required", "subject": provider.person["sub"]}
    assert _accounts_named("admin-konto") == 1

    # An admin links the account on the accounts page; from then on the sign-in finds it by sub.
    admin_client = oidc_client.application.test_client()
    admin = make_staff("admin")
    login(admin_client, admin.username)
    page = admin_client.get("/intern/admin/").get_data(as_text=True)
    assert f'id="sub-{victim.id}"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    linked = admin_client.post(f"/intern/admin/konten/{victim.id}", data={
        "csrf_token": token, "role": "admin", "active": "1", "oidc_subject": provider.person["sub"]})
    assert linked.status_code == 303
    db.session.refresh(victim)
    assert victim.oidc_subject == provider.person["sub"]
    assert _audit("user_update")[-1].changes == {"oidc_subject": [None, provider.person["sub"]]}
    assert _sign_in(oidc_client, provider).status_code == 303 and _signed_in(oidc_client)


def test_several_role_values_give_the_strongest_role(oidc_client, provider):
    provider.person.update(roles=["mm-sachbearbeitung", "mm-leitstelle"], department="nirgendwo")
    assert _sign_in(oidc_client, provider).status_code == 303
    user = db.session.scalar(select(StaffUser).where(StaffUser.oidc_subject == provider.person["sub"]))
    assert (user.role, user.department_id) == ("dispatcher", None)  # an unknown department code is no department


def test_unmapped_role_is_refused_with_403_naming_the_reason_and_creates_no_account(oidc_client, provider):
    provider.person.update(roles=["bibliothek"], preferred_username="max.fremd")
    response = _sign_in(oidc_client, provider)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "keine Rolle für den Mängelmelder" in page and "„roles“" in page
    assert _accounts_named("max.fremd") == 0
    assert not _signed_in(oidc_client)
    refused = _audit("login_oidc_refused")
    assert [(e.changes, e.staff_user_id) for e in refused] == [({"reason": "no_role"}, None)]

    oidc_client.get("/intern/anmelden?lang=en")  # the language cookie
    english = _sign_in(oidc_client, provider)
    assert english.status_code == 403
    assert "has no role in the Mängelmelder" in english.get_data(as_text=True)
    assert _accounts_named("max.fremd") == 0


def test_department_staff_without_a_department_of_the_town_are_refused(oidc_client, provider):
    provider.person.update(department="bibliothek")
    response = _sign_in(oidc_client, provider)
    assert response.status_code == 403
    assert "keine Abteilung dieser Stadt" in response.get_data(as_text=True)
    assert _accounts_named("erika.muster") == 0 and not _signed_in(oidc_client)


def test_a_deactivated_account_stays_refused(oidc_client, provider):
    user = make_staff("staff", "tiefbau", username="erika.muster")
    user.oidc_subject = provider.person["sub"]
    user.active = False
    db.session.flush()
    response = _sign_in(oidc_client, provider)
    assert response.status_code == 403
    assert "ist gesperrt" in response.get_data(as_text=True)
    assert not _signed_in(oidc_client)
    db.session.refresh(user)
    assert not user.active and user.last_login_at is None


@pytest.mark.parametrize("problem, expected", [
    ("forged_signature", "Signatur"),
    ("wrong_audience", "Empfänger (aud)"),
    ("wrong_nonce", "Einmalwert (nonce)"),
    ("expired", "abgelaufen"),
    ("wrong_issuer", "Aussteller (iss)"),
])
def test_an_id_token_failing_a_check_is_refused(oidc_client, provider, problem, expected):
    now = int(time.time())
    if problem == "forged_signature":
        provider.sign_with_forged_key = True
    else:
        provider.tamper = {"wrong_audience": {"aud": "eine-andere-anwendung"},  # azp still ours
                           "wrong_nonce": {"nonce": "nicht-der-unsere"},
                           "expired": {"iat": now - 7200, "exp": now - 3600},
                           "wrong_issuer": {"iss": "https://falscher-aussteller.example/realms/stadt"}}[problem]
    # Signed in with a password before: a failed return from the provider leaves nobody signed in.
    make_staff("dispatcher", username="vorher.angemeldet")
    login(oidc_client, "vorher.angemeldet", PASSWORD)
    response = _sign_in(oidc_client, provider)
    assert len(provider.token_requests) == 1  # the token was fetched: our verification refused it
    assert 400 <= response.status_code < 500
    assert expected in response.get_data(as_text=True)
    assert not _signed_in(oidc_client)
    assert _accounts_named("erika.muster") == 0
    assert _audit("login_oidc") == []


def test_a_state_that_was_not_issued_here_is_refused_before_the_code_is_used(oidc_client, provider):
    callback = _back_from_provider(_to_provider(oidc_client, provider))
    forged = callback.replace("state=", "state=x")
    response = oidc_client.get(forged)
    assert response.status_code == 400
    assert "state" in response.get_data(as_text=True)
    assert provider.token_requests == []  # refused before the code went anywhere
    assert not _signed_in(oidc_client)

    # Another browser (an attacker's link carrying a valid code) has no state at all.
    stranger = oidc_client.application.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "10.98.0.1"
    assert stranger.get(_back_from_provider(_to_provider(oidc_client, provider))).status_code == 400
    assert provider.token_requests == [] and _accounts_named("erika.muster") == 0


def test_a_callback_cannot_be_replayed(oidc_client, provider):
    callback = _back_from_provider(_to_provider(oidc_client, provider))
    assert oidc_client.get(callback).status_code == 303
    oidc_client.post("/intern/abmelden", data={"csrf_token": _csrf(oidc_client)})
    again = oidc_client.get(callback)
    assert again.status_code == 400 and not _signed_in(oidc_client)


def test_the_provider_refusing_is_shown_as_such(oidc_client, provider):
    location = _to_provider(oidc_client, provider)
    state = parse_qs(urlsplit(location).query)["state"][0]
    response = oidc_client.get("/intern/anmelden/dienstkonto/zurueck?" + urlencode(
        {"error": "access_denied", "error_description": "<b>nein</b>", "state": state}))
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "access_denied" in page and "<b>nein</b>" not in page
    assert not _signed_in(oidc_client)


def test_oidc_accounts_get_no_password_reset_mail(oidc_client, provider):
    assert _sign_in(oidc_client, provider).status_code == 303
    from app.outbox.models import OutboxMessage
    from app.staff.auth import request_password_reset

    before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    request_password_reset("erika.muster")
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == before


def test_an_unreachable_provider_gives_a_clear_page_and_a_custom_label(app, db_session):
    with make_server("127.0.0.1", 0, lambda e, s: None) as probe:
        closed_port = probe.server_port  # free again once closed: nothing listens there
    down = app_with(app, OIDC_ISSUER=f"http://127.0.0.1:{closed_port}/realms/stadt", OIDC_CLIENT_ID=CLIENT_ID,
                    OIDC_ROLE_MAP=ROLE_MAP, OIDC_BUTTON_LABEL="Mit Stadt-Konto anmelden")
    client = down.test_client()
    assert "Mit Stadt-Konto anmelden" in client.get("/intern/anmelden").get_data(as_text=True)
    response = client.get("/intern/anmelden/dienstkonto")
    assert response.status_code == 502
    assert "nicht erreichbar" in response.get_data(as_text=True)


# --- settings ---------------------------------------------------------------------

def test_settings_are_checked_at_start():
    assert settings_from({"OIDC_ISSUER": ""}) is None
    good = {"OIDC_ISSUER": "https://sso.example/realms/stadt/", "OIDC_CLIENT_ID": "mm", "OIDC_ROLE_MAP": ROLE_MAP,
            "OIDC_SCOPES": "email profile"}
    s = settings_from(good)
    assert s.issuer == "https://sso.example/realms/stadt" and s.scopes == "openid email profile"
    assert s.role_map == {"mm-admin": "admin", "mm-leitstelle": "dispatcher", "mm-sachbearbeitung": "staff"}
    assert parse_role_map("/gruppen/mm=admin") == {"/gruppen/mm": "admin"}
    for bad in ({"OIDC_CLIENT_ID": ""}, {"OIDC_ROLE_MAP": "mm-admin=superuser"}, {"OIDC_ROLE_MAP": "mm-admin"},
                {"OIDC_ROLE_MAP": ""}, {"OIDC_ISSUER": "http://sso.example/realms/stadt"}):
        with pytest.raises(ValueError):
            settings_from({**good, **bad})
    from app import create_app

    with pytest.raises(ValueError, match="OIDC_ROLE_MAP"):
        create_app({"OIDC_ISSUER": "https://sso.example", "OIDC_CLIENT_ID": "mm", "OIDC_ROLE_MAP": "x=root"})


def test_with_a_town_claim_only_the_towns_named_for_the_person_let_them_in(app, provider, db_session):
    """Several towns on one provider (issue 21): OIDC_TOWN_CLAIM names the towns a person works
    for; a sign-in on a town's host that the claim does not name is refused."""
    town_app = app_with(app, OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET=CLIENT_SECRET,
                        OIDC_ROLE_CLAIM="roles", OIDC_ROLE_MAP=ROLE_MAP, OIDC_DEPARTMENT_CLAIM="department",
                        OIDC_TOWN_CLAIM="towns")
    provider.reset()
    client = town_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.98.0.1"
    provider.person["towns"] = ["andere-stadt.de"]
    refused = _sign_in(client, provider)
    assert refused.status_code == 403 and "nicht freigeschaltet" in refused.get_data(as_text=True)
    assert not _signed_in(client) and _accounts_named("erika.muster") == 0
    provider.person["towns"] = ["andere-stadt.de", "harsewinkel.de"]
    assert _sign_in(client, provider).status_code == 303 and _signed_in(client)
