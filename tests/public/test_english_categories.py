"""English pages say everything about categories in English: names, help texts and group names
(issue 17). The German texts of every category that has its own English wording must not appear
in the visible text of an English page."""
from __future__ import annotations

import html
import re

from sqlalchemy import select

from app.db import db
from app.jurisdictions.models import Category
from tests.factories import HARSEWINKEL, make_report, town

PAGES = ["/", "/melden", "/meldungen", "/karte", "/transparenz", "/benachrichtigungen"]


def _visible_text(response) -> str:
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def _german_texts() -> set[str]:
    texts = set()
    for c in db.session.scalars(select(Category).where(Category.jurisdiction_id == town().id, Category.active)):
        for german, english in ((c.name, c.name_en), (c.description, c.description_en), (c.group, c.group_en)):
            if german and german != english:
                texts.add(german)
    return texts


def test_english_pages_contain_no_german_category_texts(client, db_session):
    report = make_report(point=HARSEWINKEL, category_code="gully")  # published at once
    german = _german_texts()
    assert {"Gully / Straßenablauf verstopft", "Straßen und Wege", "Alles, was in keine andere Kategorie passt."} <= german
    # The check can fail: the German intake page shows every one of these texts.
    german_page = _visible_text(client.get("/melden?lang=de"))
    assert [text for text in german if text not in german_page] == []
    for path in PAGES + [f"/meldungen/{report.reference}"]:
        page = _visible_text(client.get(path + ("&" if "?" in path else "?") + "lang=en"))
        found = sorted(text for text in german if text in page)
        assert found == [], f"{path}: German category texts on the English page: {found}"
    english = _visible_text(client.get("/melden?lang=en"))
    assert "Blocked drain" in english and "Roads and paths" in english and "Anything that fits no other category." in english
