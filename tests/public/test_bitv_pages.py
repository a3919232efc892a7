"""BITV 2.0 § 4 (issue 20 point 6): the service explained in Leichte Sprache and in Deutscher
Gebärdensprache, both linked from the start page and the footer. The town sets its DGS video in
the town file ([town] sign_language_video): a file under the static folder plays in a <video>
with captions when a .vtt lies beside it, an https address is linked, nothing set says so; the
content is always there as text. Axe and layout: tests/public/test_layout.py lists both pages."""
from __future__ import annotations

import html
import re

import pytest

from app.towns.cli import apply_town_file, export_town_file
from app.towns.townfile import TownFileError
from tests.factories import town


def _links(page: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', page))


def test_both_pages_are_linked_from_the_start_page_body_and_from_every_footer(client):
    home = client.get("/").get_data(as_text=True)
    main = re.search(r"<main.*?</main>", home, re.S).group(0)
    assert {"/leichte-sprache", "/gebaerdensprache"} <= _links(main)
    footer = re.search(r"<footer.*?</footer>", client.get("/meldungen").get_data(as_text=True), re.S).group(0)
    assert {"/leichte-sprache", "/gebaerdensprache"} <= _links(footer)


def test_the_leichte_sprache_page_explains_the_service_in_short_sentences_with_pictures(client):
    response = client.get("/leichte-sprache?lang=ar")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # Leichte Sprache is German: marked so on a page of another language.
    article = re.search(r'<div class="easy-language" lang="de" dir="ltr">(.*?)</div>\s*{?', page, re.S)
    assert article
    body = re.search(r'<div class="easy-language".*?<h2>Haben Sie Fragen\?</h2>', page, re.S).group(0)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    sentences = [s.strip() for s in re.split(r"(?<=[.?!:])\s+", " ".join(text.split())) if s.strip()]
    assert len(sentences) > 40
    # Short sentences (Netzwerk Leichte Sprache: one statement each); the longest stays short.
    assert max(len(s.split()) for s in sentences) <= 14, max(sentences, key=lambda s: len(s.split()))
    for explained in ("Ein Mangel ist ein Schaden.", "Freiwillig heißt:", "Ein Link ist ein Verweis"):
        assert explained in text
    assert "112" in text and "/melden" in _links(body)
    # Pictures drawn here, next to the text (decorative for screen readers, no other host).
    assert page.count('<svg class="pictogram"') >= 10
    assert 'aria-hidden="true"' in page and "http" not in re.sub(r'xmlns="[^"]+"', "", body.split("</h1>")[1])


def test_without_a_video_the_sign_language_page_says_so_and_gives_the_content_as_text(client):
    assert town().sign_language_video == ""
    page = client.get("/gebaerdensprache").get_data(as_text=True)
    assert "<video" not in page
    assert "stellt die Stadt hier bald bereit" in page
    assert 'id="video-text"' in page and "rufen Sie sofort die 112 an" in page


def test_a_video_file_plays_with_captions_and_the_text_alternative(app, client, db_session, tmp_path, monkeypatch):
    (tmp_path / "video").mkdir()
    (tmp_path / "video" / "dgs.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    (tmp_path / "video" / "dgs.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:02.000\nMängelmelder\n")
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    town().sign_language_video = "video/dgs.mp4"
    db_session.flush()
    page = client.get("/gebaerdensprache").get_data(as_text=True)
    assert '<video controls preload="metadata" aria-describedby="video-text"' in page
    assert '<source src="/static/video/dgs.mp4" type="video/mp4">' in page
    assert '<track kind="captions" src="/static/video/dgs.vtt" srclang="de"' in page
    assert client.get("/static/video/dgs.mp4").status_code == 200
    # Without the captions file the video still plays; a missing video counts as none.
    (tmp_path / "video" / "dgs.vtt").unlink()
    assert "<track" not in client.get("/gebaerdensprache").get_data(as_text=True)
    town().sign_language_video = "video/fehlt.mp4"
    db_session.flush()
    assert "<video" not in client.get("/gebaerdensprache").get_data(as_text=True)


def test_a_video_address_is_linked_never_embedded(client, db_session):
    town().sign_language_video = "https://www.harsewinkel.example/dgs"
    db_session.flush()
    page = client.get("/gebaerdensprache?lang=en").get_data(as_text=True)
    assert '<a class="kern-btn kern-btn--primary button primary" href="https://www.harsewinkel.example/dgs"' in page
    assert "<video" not in page and "<iframe" not in page
    assert "The content of the video as text" in page


def test_the_town_file_sets_the_video_and_refuses_anything_else(app, db_session, tmp_path):
    folder = tmp_path / "town"
    folder.mkdir()
    export_town_file("harsewinkel.de", folder / "town.toml")
    file = folder / "town.toml"
    text = file.read_text(encoding="utf-8")
    assert "sign_language_video" not in text  # empty values are left out
    file.write_text(text.replace('reference_prefix = "HW"', 'reference_prefix = "HW"\n'
                                 'sign_language_video = "video/dgs-harsewinkel.mp4"'), encoding="utf-8")
    assert apply_town_file(file) == ['~ town: sign_language_video "" → "video/dgs-harsewinkel.mp4"']
    assert town().sign_language_video == "video/dgs-harsewinkel.mp4"
    again = tmp_path / "again"
    again.mkdir()
    export_town_file("harsewinkel.de", again / "town.toml")
    assert 'sign_language_video = "video/dgs-harsewinkel.mp4"' in (again / "town.toml").read_text(encoding="utf-8")
    for bad in ("http://video.example/dgs.mp4", "../geheim.mp4", "video/dgs.exe"):
        file.write_text(text.replace('reference_prefix = "HW"', f'reference_prefix = "HW"\nsign_language_video = "{bad}"'),
                        encoding="utf-8")
        with pytest.raises(TownFileError) as refused:
            apply_town_file(file)
        assert any(e.startswith("line 7: town.sign_language_video: an https:// address") for e in refused.value.errors), \
            refused.value.errors
    assert town().sign_language_video == "video/dgs-harsewinkel.mp4"


def test_the_admin_sets_the_video_on_the_admin_page_audited_and_checked(client, db_session):
    from sqlalchemy import select

    from app.staff.models import AuditEntry
    from tests.conftest import csrf_token
    from tests.staff.helpers import PASSWORD, login, make_staff

    login(client, make_staff("admin").username, PASSWORD)
    token = csrf_token(client, "/intern/admin/")
    refused = client.post("/intern/admin/gebaerdensprache-video", data={"csrf_token": token, "video": "http://x.example/v"})
    assert refused.status_code == 400 and "https-Adresse" in refused.get_data(as_text=True)
    saved = client.post("/intern/admin/gebaerdensprache-video",
                        data={"csrf_token": token, "video": "https://www.harsewinkel.example/dgs"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith("#gebaerdensprache")
    assert town().sign_language_video == "https://www.harsewinkel.example/dgs"
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "town_update"))
    assert entry.changes == {"sign_language_video": ["", "https://www.harsewinkel.example/dgs"]}
    assert 'value="https://www.harsewinkel.example/dgs"' in client.get("/intern/admin/").get_data(as_text=True)
    assert 'href="https://www.harsewinkel.example/dgs"' in client.get("/gebaerdensprache").get_data(as_text=True)
