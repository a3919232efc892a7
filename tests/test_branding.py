"""The town's face on every page (app/branding): names, crest and colours from settings, the
colours as KERN tokens in /stadt.css, refusals of settings that would break the pages."""
from __future__ import annotations

import pytest

from app.branding import town_from_config
from app.config import load_config


def _config(**settings):
    return {**load_config({}), **settings}


def test_name_forms_are_derived_from_the_official_name():
    town = town_from_config(_config(TOWN_NAME="Stadt Harsewinkel"))
    assert (town.name, town.short_name, town.in_sentence) == ("Stadt Harsewinkel", "Harsewinkel", "der Stadt Harsewinkel")
    assert town.in_sentence_for("en") == "Harsewinkel"
    bare = town_from_config(_config(TOWN_NAME="Gütersloh"))
    assert (bare.short_name, bare.in_sentence) == ("Gütersloh", "Gütersloh")
    own = town_from_config(_config(TOWN_NAME="Gemeinde Herzebrock-Clarholz", TOWN_NAME_IN_SENTENCE="der Gemeinde H.-C."))
    assert own.in_sentence == "der Gemeinde H.-C." and own.short_name == "Herzebrock-Clarholz"


@pytest.mark.parametrize("setting, value, message", [
    ("TOWN_COLOR", "#ffcc00", "4.5:1"),        # yellow: white text unreadable
    ("TOWN_COLOR", "blue", "not a colour"),
    ("TOWN_COLOR_DARK", "#888888", "4.5:1"),
    ("TOWN_CREST", "README.md", "not an SVG or PNG"),
    ("TOWN_CREST", "nowhere/crest.svg", "not an SVG or PNG"),
])
def test_settings_that_would_break_the_pages_stop_the_app_naming_the_setting(setting, value, message):
    with pytest.raises(ValueError) as refused:
        town_from_config(_config(**{setting: value}))
    assert setting in str(refused.value) and message in str(refused.value)


def test_every_page_names_the_town_and_links_its_statements(client):
    page = client.get("/").get_data(as_text=True)
    assert '<span class="brand__town">Stadt Harsewinkel</span>' in page
    assert "Ein Angebot der Stadt Harsewinkel" in page
    for path in ("/impressum", "/datenschutz", "/barrierefreiheit"):
        assert f'href="{path}"' in page
    # Leichte Sprache and Gebärdensprache (BITV 2.0 § 4, issue 20) are linked once their pages exist.
    assert 'href="/leichte-sprache"' in page and 'href="/gebaerdensprache"' in page
    assert 'href="/static/kern/kern.css"' in page and 'href="/static/kern/fonts.css"' in page
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "A service of Harsewinkel" in english


def test_town_colours_reach_the_pages_as_kern_tokens_and_the_crest_is_served(client, app):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/stadt.css?v=' in page
    css = client.get("/stadt.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    body = css.get_data(as_text=True)
    assert f"--kern-color-action-default:{app.config['TOWN_COLOR']}" in body
    crest = client.get("/wappen")
    assert crest.status_code == 200 and crest.mimetype == "image/svg+xml" and b"<svg" in crest.data


def test_kern_assets_are_built_and_served_without_a_third_party_host(client):
    css = client.get("/static/kern/kern.css")
    assert css.status_code == 200 and b".kern-btn" in css.data
    assert b"prefers-color-scheme: dark" not in css.data  # light only, see scripts/build_assets.py
    fonts = client.get("/static/kern/fonts.css").get_data(as_text=True)
    assert "http" not in fonts and "FiraSans-Regular.woff2" in fonts
    font = client.get("/static/kern/fonts/FiraSans-Regular.woff2")
    assert font.status_code == 200 and font.data[:4] == b"wOF2" and len(font.data) < 40_000  # subset


def test_mails_name_the_town_as_sender_until_a_town_sets_its_own():
    assert load_config({"TOWN_NAME": "Stadt Harsewinkel"})["MAIL_FROM"] == \
        "Mängelmelder Stadt Harsewinkel <maengelmelder@localhost>"
    own = "Mängelmelder der Stadt Harsewinkel <maengelmelder@harsewinkel.de>"
    assert load_config({"MAIL_FROM": own})["MAIL_FROM"] == own
