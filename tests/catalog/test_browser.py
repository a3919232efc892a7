"""The catalog pages in headless Chromium: axe-core (WCAG 2.1 AA), nothing loaded from other
hosts, and the search used the way a citizen uses it."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.browser import describe_violations, run_axe

PAGES = ["/leistungen", "/leistungen/online", "/leistungen/a-z", "/leistungen/suche",
         "/leistungen/suche?q=Hund+anmelden", "/leistungen/suche?q=xyzxyz", "/leistungen/hundesteuer",
         "/leistungen/maengelmelder", "/leistungen/personalausweis", "/leistungen?lang=en"]


@pytest.mark.browser
def test_catalog_pages_pass_axe_and_load_nothing_from_other_hosts(live_server, committed_catalog, phone):
    requested: list[str] = []
    phone.on("request", lambda request: requested.append(request.url))
    for path in PAGES:
        response = phone.goto(live_server.url + path)
        assert response.status == 200, path
        violations = run_axe(phone)
        assert violations == [], f"{path}: {describe_violations(violations)}"
    own = urlsplit(live_server.url).netloc
    foreign = [url for url in requested if urlsplit(url).netloc not in (own, "")]
    assert foreign == [] and len(requested) >= len(PAGES)


@pytest.mark.browser
def test_a_citizen_searches_in_their_own_words_and_reaches_the_online_service(live_server, committed_catalog, phone):
    phone.goto(live_server.url + "/leistungen")
    phone.get_by_label("Leistung suchen").fill("Perso")
    phone.get_by_role("button", name="Suchen").click()
    phone.wait_for_url("**/leistungen/suche?q=Perso")
    first = phone.locator("ol.service-list li").first
    assert first.locator("a.service-name").inner_text() == "Personalausweis beantragen"
    assert first.locator("mark").first.inner_text() == "Personalausweis"
    # The Mängelmelder is an online service leading to the intake form.
    phone.goto(live_server.url + "/leistungen/maengelmelder")
    phone.get_by_role("link", name=re.compile(r"^Zum Online-Dienst.*Mängelmelder")).click()
    phone.wait_for_url("**/melden")
    assert phone.locator("h1").first.inner_text().strip() != ""
