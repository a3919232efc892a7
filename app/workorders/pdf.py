"""HTML to PDF with WeasyPrint, allowed to read nothing but what the document carries.

Every image of a work order (photos, the map excerpt, the QR code) is handed to the fetcher
in memory (``LocalOnlyFetcher.embed``) and named in the HTML by an ``embedded:`` key, so
rendering needs no request at all. The fetcher refuses every other URL but ``data:``,
including the app's own host: a printed work order must not reveal to any server that it
was made, and citizen text that slipped through as markup must not make the worker fetch.
"""
from __future__ import annotations

import logging

from PIL import ImageFile

# WeasyPrint logs every rendering step (and its own stylesheets at import) at INFO: noise in
# the app's log; its warnings (a refused or broken resource) stay.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
_truncated_before = ImageFile.LOAD_TRUNCATED_IMAGES
from weasyprint import HTML  # noqa: E402 (the flag must be read before this import)
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

# Importing WeasyPrint switches Pillow's process-wide LOAD_TRUNCATED_IMAGES on; then
# media.process_photo could no longer tell a cut-off upload from a whole one (it refuses to
# run). Everything a work order embeds is whole, made by us: switch it back.
ImageFile.LOAD_TRUNCATED_IMAGES = _truncated_before

log = logging.getLogger(__name__)


class ExternalResourceRefused(ValueError):
    """Raised to WeasyPrint for a URL that is not embedded in the document."""


EMBEDDED = "embedded:"


class LocalOnlyFetcher(URLFetcher):
    """WeasyPrint's fetcher for what the document carries: resources handed over with ``embed``
    and ``data:`` URLs (no redirects); it remembers what it refused."""

    def __init__(self):
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)
        self.refused: list[str] = []
        self.served = 0
        self._embedded: dict[str, tuple[str, bytes]] = {}

    def embed(self, mimetype: str, data: bytes) -> str:
        """The URL under which the document's HTML names ``data`` (an image made or read by us).

        Not a ``data:`` URL: the HTML parser walks an attribute character by character, and
        base64 photos and drawings made a 30-report route sheet's HTML 260 kB long (parsing it
        was about a sixth of the rendering time)."""
        url = f"{EMBEDDED}{len(self._embedded) + 1}"
        self._embedded[url] = (mimetype, data)
        return url

    def fetch(self, url, headers=None):
        if url in self._embedded:
            mimetype, data = self._embedded[url]
            self.served += 1
            return URLFetcherResponse(url, data, {"Content-Type": mimetype})
        if not url.startswith("data:"):
            self.refused.append(url)
            log.warning("work order: refused to fetch a resource that is not embedded (%s)", url.split(":", 1)[0])
            raise ExternalResourceRefused(url)
        self.served += 1
        return super().fetch(url, headers)


def render_pdf(html: str, fetcher: LocalOnlyFetcher | None = None) -> bytes:
    """The PDF of ``html``; resources other than ``data:`` URLs are refused (and left out)."""
    fetcher = fetcher or LocalOnlyFetcher()
    # base_url "data:" makes a relative URL resolve to nothing fetchable instead of a file path.
    return HTML(string=html, url_fetcher=fetcher, base_url="about:blank").write_pdf()
