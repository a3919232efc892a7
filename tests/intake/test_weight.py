"""The weight budget of the intake page: a first visit to /melden (no cache) transfers at most
200 KB compressed, fonts included (issue 17). Text is counted gzip-compressed (level 6, as nginx
serves it with `gzip on`), fonts and images as they are (already compressed). Map tiles come
from the town's tile server and depend on the view; they are not part of the app's weight."""
from __future__ import annotations

import gzip
from urllib.parse import urlsplit

import pytest

from tests.intake.test_browser import open_intake

pytestmark = pytest.mark.browser

BUDGET = 200 * 1024
TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/manifest+json")


def transferred(content_type: str, body: bytes) -> int:
    return len(gzip.compress(body, 6)) if content_type.startswith(TEXT_TYPES) else len(body)


def test_first_visit_to_the_intake_page_is_within_200_kb_compressed(live_server, chromium):
    app = live_server.server.app
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                   locale="de-DE", service_workers="block")
    page = context.new_page()
    sizes: dict[str, int] = {}
    own = urlsplit(live_server.url).netloc

    def count(response):
        if urlsplit(response.url).netloc == own and response.status == 200:
            sizes[urlsplit(response.url).path] = transferred(response.headers.get("content-type", ""), response.body())

    page.on("response", count)
    try:
        open_intake(page, live_server, app)
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    total = sum(sizes.values())
    fonts = sum(size for path, size in sizes.items() if path.endswith(".woff2"))
    assert fonts > 0 and "/static/kern/kern.css" in sizes  # the design system and its fonts were loaded
    assert total <= BUDGET, f"{total / 1024:.0f} KB: " + ", ".join(
        f"{path} {size / 1024:.1f}" for path, size in sorted(sizes.items(), key=lambda item: -item[1]))
    print(f"/melden first visit: {total / 1024:.1f} KB compressed, fonts {fonts / 1024:.1f} KB")
