"""Public catalog pages and the JSON search: online-services category, A–Z, detail with the
responsible department, escaping, errors in the visitor's language."""
from __future__ import annotations

import re

import pytest

from app.catalog.demo import ENTRIES
from app.catalog.operations import EntryInput, entry_by_slug, retire_entry, save_entry
from app.catalog.queries import online_entries
from tests.factories import town

ONLINE = [e for e in ENTRIES if e["online"]]
OFFLINE = [e for e in ENTRIES if not e["online"]]


def section(page: str, start_id: str, end_id: str | None) -> str:
    start = page.index(f'id="{start_id}"')
    return page[start:page.index(f'id="{end_id}"')] if end_id else page[start:]


def test_the_demo_catalog_has_about_thirty_services_most_of_them_online():
    assert 28 <= len(ENTRIES) <= 35 and len(ONLINE) >= 25
    assert any(e["online_url"] == "/melden" for e in ONLINE)  # the Mängelmelder is one of them


def test_overview_shows_every_online_service_at_a_glance(client, demo_catalog):
    page = client.get("/leistungen").get_data(as_text=True)
    online = section(page, "online-heading", "topics-heading")
    linked = set(re.findall(r'href="/leistungen/([a-z0-9-]+)"', online))
    assert linked == {e["slug"] for e in ONLINE}
    for e in ONLINE:
        assert f'href="{e["online_url"]}"' in online
    assert f">{len(ONLINE)}<" in online  # the count badge
    # Every current entry appears under its topic; the offline ones only there.
    topics = section(page, "topics-heading", None)
    assert set(re.findall(r'href="/leistungen/([a-z0-9-]+)"', topics)) == {e["slug"] for e in ENTRIES}
    assert "<h3>Ausweise und Dokumente</h3>" in topics


def test_the_maengelmelder_is_an_online_service_leading_to_the_intake(client, demo_catalog):
    page = client.get("/leistungen/online").get_data(as_text=True)
    assert 'href="/melden"' in page and "Mängel im Stadtgebiet melden" in page
    detail = client.get("/leistungen/maengelmelder").get_data(as_text=True)
    assert 'class="button primary" href="/melden"' in detail
    assert client.get("/melden").status_code == 200


def test_online_page_lists_only_online_services(client, demo_catalog):
    page = client.get("/leistungen/online").get_data(as_text=True)
    slugs = set(re.findall(r'href="/leistungen/([a-z0-9-]+)"', page)) - {"online", "a-z"}
    assert slugs == {e["slug"] for e in ONLINE}
    assert [e.slug for e in online_entries(demo_catalog)] and all(e["slug"] not in slugs for e in OFFLINE)


def test_a_to_z_lists_every_entry_once_in_german_order(client, demo_catalog):
    page = client.get("/leistungen/a-z").get_data(as_text=True)
    found = re.findall(r'class="service-name" href="/leistungen/([a-z0-9-]+)"', page)
    assert sorted(found) == sorted(e["slug"] for e in ENTRIES)
    letters = re.findall(r'<h2 id="buchstabe-([A-Z#])">', page)
    assert letters == sorted(letters) and "A" in letters
    # "Mängel…" sorts with M (umlaut folded), before "Meldebescheinigung"; A–Z order holds overall.
    assert found.index("maengelmelder") < found.index("meldebescheinigung") < found.index("ogs-anmeldung")


def test_detail_page_shows_the_responsible_department_with_its_contact_data(client, demo_catalog):
    page = client.get("/leistungen/hundesteuer").get_data(as_text=True)
    assert "<h1>Hundesteuer: Hund anmelden oder abmelden</h1>" in page
    assert "Steuern und Abgaben" in page
    assert "05247 000-210" in page and 'href="mailto:steuern@harsewinkel.example"' in page
    assert "Münsterstraße 14" in page and "Öffnungszeiten" in page
    assert "99028001001000" in page and "Servicekonto.NRW" in page
    assert "niedrig (Benutzername und Passwort)" in page


def test_unknown_and_retired_entries_are_404(client, demo_catalog):
    assert client.get("/leistungen/gibt-es-nicht").status_code == 404
    retire_entry(entry_by_slug(demo_catalog, "reisepass"))
    assert client.get("/leistungen/reisepass").status_code == 404
    assert "/leistungen/reisepass" not in client.get("/leistungen").get_data(as_text=True)


def test_entry_text_is_never_rendered_as_markup(client, db_session):
    save_entry(town(), EntryInput(name="Hundesteuer <b>fett</b>", topic="<i>Thema</i>", department_code="tiefbau",
                                  short_description='<script>alert(1)</script>', long_description="<img src=x>",
                                  online=True, online_url='https://portal.example/"onmouseover="alert(1)',
                                  required_documents=["<u>Ausweis</u>"]))
    for path in ["/leistungen", "/leistungen/a-z", "/leistungen/online", "/leistungen/hundesteuer-b-fett-b",
                 "/leistungen/suche?q=Hundesteuer"]:
        page = client.get(path).get_data(as_text=True)
        assert "<b>fett" not in page and "<script>alert" not in page and "<img src=x>" not in page, path
        assert "<i>Thema" not in page and "<u>Ausweis" not in page and '"onmouseover' not in page, path
    search = client.get("/leistungen/suche?q=Hundesteuer").get_data(as_text=True)
    assert "<mark>Hundesteuer</mark> &lt;b&gt;fett&lt;/b&gt;" in search


def test_search_page_shows_ranked_highlighted_results(client, demo_catalog):
    page = client.get("/leistungen/suche?q=Persnalausweis").get_data(as_text=True)
    assert "Auch gesucht nach:" in page and "personalausweis" in page
    first = re.search(r'class="service-name" href="/leistungen/([a-z0-9-]+)">(.*?)</a>', page)
    assert first.group(1) == "personalausweis" and "<mark>Personalausweis</mark>" in first.group(2)
    empty = client.get("/leistungen/suche").get_data(as_text=True)
    assert 'role="search"' in empty and "Treffer" not in empty


def test_search_pages_through_results(client, db_session):
    for number in range(22):
        save_entry(town(), EntryInput(name=f"Testleistung {number}", topic="Test", department_code="tiefbau"))
    first = client.get("/leistungen/suche?q=Testleistung").get_data(as_text=True)
    second = client.get("/leistungen/suche?q=Testleistung&seite=2").get_data(as_text=True)
    assert "22 Treffer" in first and "Seite 1 von 2" in first and "seite=2" in first
    assert "Seite 2 von 2" in second and second.count('class="service-name"') == 2


@pytest.mark.parametrize("path, status, german, english", [
    ("/leistungen/suche?q=" + "x" * 201, 400, "Der Suchbegriff ist zu lang", "The search term is too long"),
    ("/leistungen/suche?q=a&seite=0", 400, "muss eine ganze Zahl", "must be a whole number"),
    ("/leistungen/suche?q=a&seite=zwei", 400, "muss eine ganze Zahl", "must be a whole number"),
    ("/leistungen/nicht-da", 404, "Diese Leistung gibt es nicht", "This service does not exist"),
])
def test_bad_input_is_a_4xx_naming_the_problem_in_the_visitors_language(client, demo_catalog, path, status,
                                                                        german, english):
    response = client.get(path)
    assert response.status_code == status and german in response.get_data(as_text=True)
    sep = "&" if "?" in path else "?"
    response = client.get(path + sep + "lang=en")
    assert response.status_code == status and english in response.get_data(as_text=True)


def test_pages_are_english_on_request(client, demo_catalog):
    page = client.get("/leistungen?lang=en").get_data(as_text=True)
    assert "Online services" in page and "By topic" in page and 'lang="en"' in page


def test_json_search(client, demo_catalog):
    response = client.get("/api/v1/catalog/search?q=Hund%20anmelden&limit=3")
    assert response.status_code == 200 and response.headers["Cache-Control"].startswith("public")
    data = response.get_json()
    assert data["total"] >= 3 and len(data["results"]) == 3 and data["expanded_with"] == ["hundesteuer"]
    first = data["results"][0]
    assert first["slug"] == "hundesteuer" and first["online"] is True
    assert first["url"] == "http://maengelmelder.test/leistungen/hundesteuer"
    assert first["name_html"].startswith("<mark>Hundesteuer</mark>")
    assert data["results"][0]["rank"] >= data["results"][1]["rank"] >= data["results"][2]["rank"]
    melder = client.get("/api/v1/catalog/search?q=Schlagloch").get_json()["results"][0]
    assert melder["online_url"] == "http://maengelmelder.test/melden"


@pytest.mark.parametrize("query, field", [("", "q"), ("q=" + "y" * 300, "q"), ("q=Hund&limit=0", "limit"),
                                          ("q=Hund&limit=abc", "limit"), ("q=Hund&offset=-1", "offset")])
def test_json_search_refuses_bad_parameters_with_json_errors(client, demo_catalog, query, field):
    response = client.get("/api/v1/catalog/search?" + query)
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert errors[0]["field"] == field and errors[0]["message"]
    english = client.get("/api/v1/catalog/search?" + query + "&lang=en").get_json()["errors"][0]["message"]
    assert english != errors[0]["message"]


def test_the_demo_load_command_is_idempotent(app, db_session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["catalog-demo-load"])
    assert first.exit_code == 0 and f"{len(ENTRIES)} entries loaded ({len(ONLINE)} online)" in first.output
    second = runner.invoke(args=["catalog-demo-load"])
    assert second.exit_code == 0 and "already present" in second.output
    assert len(online_entries(town())) == len(ONLINE)
