"""The category icons (issue 17): a vendored subset of Tabler Icons with its licence, drawn inline
from one sprite per page (no extra request, each drawing once); emoji of older databases become
icon names (migration 1701); the town file takes only names of the set."""
from __future__ import annotations

import importlib.util
import re

import pytest
from sqlalchemy import create_engine, text

from app.cli import run_migrations
from app.demo.load import TOWN_FILE
from app.icons import CATEGORY_ICONS, PAGE_ICONS, SVG_DIR
from app.towns.townfile import TownFileError, parse_town_file
from tests.services import ROOT, scratch_database


def _migration_1701():
    path = ROOT / "migrations" / "versions" / "1701_category_icon_names.py"
    spec = importlib.util.spec_from_file_location("migration_1701", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_icon_of_the_set_is_vendored_with_the_licence():
    for name in (*CATEGORY_ICONS, *PAGE_ICONS):
        drawing = (SVG_DIR / f"{name}.svg").read_text()
        assert 'viewBox="0 0 24 24"' in drawing and "<script" not in drawing, name
    licence = (SVG_DIR / "LICENSE").read_text()
    assert licence.startswith("MIT License") and "Paweł Kuna" in licence
    # The migration keeps its own copy of the names (migrations import no app code): the same list.
    assert list(_migration_1701().ICON_NAMES) == list(CATEGORY_ICONS)


def test_intake_page_draws_each_category_icon_from_one_inline_sprite(client, db_session):
    page = client.get("/melden").get_data(as_text=True)
    uses = re.findall(r'<use href="#i-([a-z0-9-]+)">', page)
    symbols = re.findall(r'<symbol id="i-([a-z0-9-]+)"', page)
    assert {"road", "bulb", "trash", "horse-toy", "help-circle", "camera"} <= set(uses)
    assert sorted(symbols) == sorted(set(uses))  # every icon used is drawn, once; no unused drawing
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="icon-sprite"') == 1
    assert "🕳" not in page and "💡" not in page  # no emoji left
    # The icons are decorative: the tile's text names the category.
    tile = re.search(r'<label for="category-strassenlaterne".*?</label>', page, re.S).group(0)
    assert 'aria-hidden="true"' in tile and "Straßenlaterne defekt" in tile


def test_a_page_without_icons_carries_no_sprite(client, db_session):
    assert "icon-sprite" not in client.get("/impressum").get_data(as_text=True)


def test_the_town_file_takes_only_icon_names_of_the_set():
    spec = parse_town_file(TOWN_FILE.read_text(encoding="utf-8"))
    assert {c["code"]: c["icon"] for c in spec["categories"]}["strassenlaterne"] == "bulb"
    edited = TOWN_FILE.read_text(encoding="utf-8").replace('icon = "bulb"', 'icon = "💡"')
    with pytest.raises(TownFileError) as refused:
        parse_town_file(edited)
    [problem] = refused.value.errors
    line = next(n for n, row in enumerate(edited.splitlines(), start=1) if row == 'icon = "💡"')
    assert problem.startswith(f"line {line}: categories[5].icon: an icon name of the set"), problem


def test_migration_1701_turns_emoji_into_icon_names(database_url):
    with scratch_database("mm_icons") as url:
        run_migrations(url, "2010")
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO jurisdictions (id, slug, name, reference_prefix, created_at) "
                                  "VALUES (1, 'harsewinkel.de', 'Stadt Harsewinkel', 'HW', now())"))
                for number, icon in enumerate(["🕳️", "💡", "⚠", "🦄", "bulb", ""], start=1):
                    conn.execute(text("INSERT INTO categories (id, jurisdiction_id, code, name, description, \"group\", "
                                      "icon, publish_immediately, active) VALUES (:id, 1, :code, 'K', '', '', :icon, "
                                      "false, true)"), {"id": number, "code": f"k{number}", "icon": icon})
            run_migrations(url, "1701")
            with engine.connect() as conn:
                icons = conn.execute(text("SELECT icon FROM categories ORDER BY id")).scalars().all()
        finally:
            engine.dispose()
    # Known emoji (with or without the variation selector) become names; an unknown one becomes
    # "none" (the pages draw a neutral pin); a name stays.
    assert icons == ["road", "bulb", "alert-triangle", "", "bulb", ""]
