"""Issue 20 point 3 (optional part): sign-in to Meine Meldungen through the town's identity broker
over OpenID Connect, against the real provider double of the staff OIDC tests (PKCE, state,
nonce, RS256 ID token checked against the JWKS)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app.account.oidc import settings_from
from app.jurisdictions.models import Jurisdiction
from tests.factories import make_report, town
from tests.towns.two_towns import A_HOST, B_HOST, add_host
from tests.staff.helpers import app_with
from tests.staff.test_oidc import CLIENT_ID, CLIENT_SECRET, provider  # noqa: F401 (the provider fixture)

EMAIL = "erika.muster@harsewinkel.example"


@pytest.fixture(scope="module")
def broker_app(app, provider):  # noqa: F811
    return app_with(app, CITIZEN_OIDC_ISSUER=provider.issuer, CITIZEN_OIDC_CLIENT_ID=CLIENT_ID,
                    CITIZEN_OIDC_CLIENT_SECRET=CLIENT_SECRET, CITIZEN_OIDC_BUTTON_LABEL="Mit BundID anmelden")


def _through_the_broker(client, provider):  # noqa: F811
    start = client.get("/meine-meldungen/servicekonto")
    assert start.status_code == 302 and start.headers["Location"].startswith(provider.issuer)
    answer = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/meine-meldungen/servicekonto/zurueck"
    return client.get(back.path + "?" + back.query)


def test_a_verified_address_from_the_broker_opens_meine_meldungen(broker_app, db_session, provider):  # noqa: F811
    provider.reset()
    provider.person["email_verified"] = True
    report = make_report(email=EMAIL, description="Laterne aus")
    db_session.commit()
    client = broker_app.test_client()
    assert "Mit BundID anmelden" in client.get("/meine-meldungen").get_data(as_text=True)
    response = _through_the_broker(client, provider)
    assert response.status_code == 303
    page = client.get("/meine-meldungen").get_data(as_text=True)
    assert f"Angemeldet als {EMAIL}" in page and report.reference in page
    assert provider.authorize_requests[-1]["code_challenge_method"] == "S256"


def test_an_unverified_address_or_a_forged_token_is_refused(broker_app, db_session, provider):  # noqa: F811
    provider.reset()  # the test person's email_verified is missing
    client = broker_app.test_client()
    refused = _through_the_broker(client, provider)
    assert refused.status_code == 403
    assert "keine bestätigte E-Mail-Adresse" in refused.get_data(as_text=True)
    provider.person["email_verified"] = True
    provider.sign_with_forged_key = True
    forged = _through_the_broker(client, provider)
    assert forged.status_code == 401 and "Signatur" in forged.get_data(as_text=True)
    assert "Angemeldet als" not in client.get("/meine-meldungen").get_data(as_text=True)


def test_without_issuer_there_is_no_button_and_the_route_is_404(client):
    assert "servicekonto" not in client.get("/meine-meldungen").get_data(as_text=True)
    assert client.get("/meine-meldungen/servicekonto").status_code == 404


def test_a_setting_that_cannot_work_is_named():
    with pytest.raises(ValueError, match="CITIZEN_OIDC_CLIENT_ID"):
        settings_from({"CITIZEN_OIDC_ISSUER": "https://sso.example.de/realms/buerger"})
    with pytest.raises(ValueError, match="https"):
        settings_from({"CITIZEN_OIDC_ISSUER": "http://sso.example.de/realms/buerger", "CITIZEN_OIDC_CLIENT_ID": "x"})


def test_each_towns_host_sends_its_own_callback_address(broker_app, db_session, provider):  # noqa: F811
    """Several towns (issue 21): the broker is asked to send the browser back to the host the
    sign-in started on (its cookie lives there), as registered per town; never to BASE_URL's."""
    add_host(town(), A_HOST)
    other = Jurisdiction(slug="zweite-stadt.test", name="Zweite Stadt", reference_prefix="ZWST")
    db_session.add(other)
    db_session.flush()
    add_host(other, B_HOST)
    client = broker_app.test_client()
    for host in (A_HOST, B_HOST):
        start = client.get("/meine-meldungen/servicekonto", base_url=f"http://{host}")
        assert start.status_code == 302
        callback = parse_qs(urlsplit(start.headers["Location"]).query)["redirect_uri"][0]
        assert callback == f"http://{host}/meine-meldungen/servicekonto/zurueck"
