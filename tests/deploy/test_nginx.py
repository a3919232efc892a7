"""The shipped nginx site (deploy/nginx) in front of a real gunicorn (deploy/gunicorn.conf.py),
with a certificate made here; everything on loopback (issue 22, point 1)."""
from __future__ import annotations

import gzip
import http.client
import io
import json
import os
import socket
import ssl
import tempfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from app.db import db
from app.reports.models import Photo, Report
from tests.factories import HARSEWINKEL, make_report
from tests.services import ROOT, GunicornServer, NginxServer

STREET_BBOX = "8.224,51.959,8.234,51.965"  # a few streets around the town centre
HSTS = "max-age=31536000"


@pytest.fixture(scope="module")
def stack(app, database_url, redis_server, smtp_server):  # app: the town is loaded
    media = Path(tempfile.mkdtemp(prefix="mm-nginx-media-"))
    metrics_dir = Path(tempfile.mkdtemp(prefix="mm-nginx-metrics-"))  # as the unit's RuntimeDirectory
    web = GunicornServer(
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), METRICS_TOKEN="nginx-metrics-token",
        DATABASE_URL=database_url, REDIS_URL=redis_server.url, RATELIMIT_STORAGE_URI="redis+" + redis_server.url,
        MEDIA_STORAGE_URL=str(media), SECRET_KEY="nginx-test-" + "k" * 40, BASE_URL="https://127.0.0.1",
        SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port,
        PROXY_FIX_X_FOR=1, MEDIA_ACCEL_PREFIX="/_fotos/", INTAKE_RATE_LIMIT="3/minute")
    web.start()
    proxy = NginxServer(web.port, ROOT / "app/static", media)
    proxy.metrics_dir = metrics_dir
    try:
        proxy.start()
        yield proxy
    finally:
        proxy.stop()
        web.stop()
        import shutil

        shutil.rmtree(media, ignore_errors=True)
        shutil.rmtree(metrics_dir, ignore_errors=True)


class Answer:
    def __init__(self, response: http.client.HTTPResponse, alpn: str | None):
        self.status, self.headers, self.raw, self.alpn = response.status, response.headers, response.read(), alpn

    @property
    def body(self) -> bytes:
        return gzip.decompress(self.raw) if self.headers.get("Content-Encoding") == "gzip" else self.raw


def call(stack: NginxServer, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
         client: str = "127.0.0.1", tls: bool = True) -> Answer:
    """One request from loopback address ``client`` (each 127.x address is a different client to nginx)."""
    if tls:
        context = ssl.create_default_context(cafile=str(stack.prefix / "cert.pem"))
        context.set_alpn_protocols(["h2", "http/1.1"])
        probe = context.wrap_socket(socket.create_connection(("127.0.0.1", stack.https_port),
                                                                          source_address=(client, 0)),
                                    server_hostname="127.0.0.1")
        alpn = probe.selected_alpn_protocol()
        probe.close()
        context.set_alpn_protocols(["http/1.1"])  # http.client speaks HTTP/1.1
        connection = http.client.HTTPSConnection("127.0.0.1", stack.https_port, context=context, timeout=120,
                                                 source_address=(client, 0))
    else:
        alpn = None
        connection = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=30, source_address=(client, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        return Answer(connection.getresponse(), alpn)
    finally:
        connection.close()


def multipart(fields: dict[str, str], photo: bytes | None = None) -> tuple[bytes, str]:
    boundary = "mm-test-boundary-7f3a"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    if photo is not None:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="foto.jpg"\r\n'
                     "Content-Type: image/jpeg\r\n\r\n".encode() + photo + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def intake(stack, number: int, client: str, photo: bytes | None = None, headers: dict | None = None) -> Answer:
    body, content_type = multipart({"category": "gully", "description": f"Gully verstopft ({number})",
                                    "lat": str(HARSEWINKEL[1]), "lon": str(HARSEWINKEL[0])}, photo)
    return call(stack, "POST", "/api/v1/intake/reports", body=body, client=client,
                headers={"Content-Type": content_type, "Idempotency-Key": f"nginx-test-{number:06d}",
                         **(headers or {})})


def test_street_view_and_pages_come_compressed_over_http2_with_hsts(stack, committing):
    for number in range(25):
        report = make_report(point=(HARSEWINKEL[0] + number * 0.0001, HARSEWINKEL[1]), category_code="gully",
                    description=f"Gully {number}")
    db.session.commit()
    street = call(stack, "GET", f"/api/v1/reports.geojson?bbox={STREET_BBOX}", headers={"Accept-Encoding": "gzip"})
    assert street.status == 200 and street.alpn == "h2"
    assert street.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in street.headers["Vary"]
    assert len(json.loads(street.body)["features"]) == 25
    assert len(street.raw) < len(street.body) / 3
    assert street.headers["Strict-Transport-Security"] == HSTS
    page = call(stack, "GET", "/meldungen", headers={"Accept-Encoding": "gzip"})
    assert page.status == 200 and page.headers["Content-Encoding"] == "gzip"
    assert report.reference in page.body.decode()
    # The app's own headers pass through; the proxy adds HSTS to errors as well.
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers.get_all("Strict-Transport-Security") == [HSTS]  # one, not the app's and nginx's
    missing = call(stack, "GET", "/gibt-es-nicht")
    assert missing.status == 404 and missing.headers["Strict-Transport-Security"] == HSTS
    # The request id nginx made reaches the app and comes back.
    assert len(page.headers["X-Request-ID"]) == 32
    plain = call(stack, "GET", "/meldungen?seite=2", tls=False)
    assert plain.status == 301 and plain.headers["Location"] == "https://127.0.0.1/meldungen?seite=2"


def test_static_files_are_served_by_nginx_with_cache_headers(stack):
    css = call(stack, "GET", "/static/css/map.css", headers={"Accept-Encoding": "gzip"})
    assert css.status == 200
    assert css.body == (ROOT / "app/static/css/map.css").read_bytes()
    assert css.headers["Cache-Control"] == "public, max-age=3600"
    assert css.headers["ETag"] and css.headers["Last-Modified"]  # revalidation after the hour
    assert css.headers["Content-Encoding"] == "gzip"
    assert css.headers["Strict-Transport-Security"] == HSTS and css.headers["X-Content-Type-Options"] == "nosniff"
    again = call(stack, "GET", "/static/css/map.css", headers={"If-None-Match": css.headers["ETag"]})
    assert again.status == 304


def test_rate_limits_count_each_client_by_its_forwarded_address(stack, committing):
    answers = [intake(stack, n, client="127.0.0.2").status for n in range(4)]
    assert answers == [201, 201, 201, 429]
    # A client cannot pose as another by sending its own X-Forwarded-For: nginx appends the
    # real address and the app (PROXY_FIX_X_FOR=1) trusts only that last one.
    assert intake(stack, 10, client="127.0.0.2", headers={"X-Forwarded-For": "198.51.100.7"}).status == 429
    # Another client has its own budget.
    assert intake(stack, 20, client="127.0.0.3").status == 201
    assert db.session.scalar(select(db.func.count()).select_from(Report)) == 4


def _photo_of_15_mb() -> bytes:
    image = Image.frombytes("RGB", (4000, 3000), os.urandom(4000 * 3000 * 3))  # noise hardly compresses
    out = io.BytesIO()
    image.save(out, "JPEG", quality=96)
    return out.getvalue()


def test_a_15_mb_photo_is_taken_and_the_published_photo_is_sent_by_nginx(stack, committing):
    photo = _photo_of_15_mb()
    assert 15_000_000 <= len(photo) <= 15 * 1024 * 1024
    answer = intake(stack, 30, client="127.0.0.4", photo=photo)
    assert answer.status == 201, answer.body[:500]
    db.session.expire_all()
    [stored] = db.session.scalars(select(Photo)).all()
    assert (stored.width, stored.height) == (4000, 3000)
    # The public address carries the stored file's version, so it may be cached for good.
    from app.reports.photos import photo_version

    served = call(stack, "GET", f"/fotos/{stored.id}/display.jpg?v={photo_version(stored.variants['display'])}")
    assert served.status == 200 and served.headers["Content-Type"] == "image/jpeg"
    assert served.body == (stack.media_root / stored.variants["display"]).read_bytes()
    # Sent by nginx from the disk (X-Accel-Redirect): file headers, the app's caching rule.
    assert served.headers["Last-Modified"] and served.headers["Accept-Ranges"] == "bytes"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "X-Accel-Redirect" not in served.headers
    assert served.headers["Strict-Transport-Security"] == HSTS
    # The internal location cannot be asked for directly.
    assert call(stack, "GET", "/_fotos/" + stored.variants["display"]).status == 404


def test_a_body_over_the_limit_is_refused_before_it_is_sent(stack):
    connection = http.client.HTTPSConnection(
        "127.0.0.1", stack.https_port, timeout=30,
        context=ssl.create_default_context(cafile=str(stack.prefix / "cert.pem")))
    connection.putrequest("POST", "/api/v1/intake/reports")
    connection.putheader("Content-Length", str(100 * 1024 * 1024))
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    connection.close()


def _access_log_once_it_holds(stack, *lines: str, seconds: float = 10.0) -> str:
    """nginx writes a request's log line in its log phase, after the answer has gone out, so
    the client can read the file before the line is there (CI saw exactly that once)."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        log = (stack.prefix / "access.log").read_text(encoding="utf-8", errors="replace")
        if all(line in log for line in lines) or time.monotonic() > deadline:
            assert all(line in log for line in lines), log
            return log
        time.sleep(0.05)


def test_the_access_log_names_neither_tokens_nor_clients(stack):
    token = "Zq8xK2mN4pR7tV9wY1bC3dF5gH"
    call(stack, "GET", f"/verfolgen/{token}", client="127.0.0.9")
    call(stack, "GET", "/open311/v2/requests.json?api_key=geheimer-schluessel-123")
    log = _access_log_once_it_holds(stack, "GET /verfolgen/* ", "/open311/v2/requests.json")
    assert token not in log and "geheimer-schluessel" not in log and "127.0.0.9" not in log


def test_two_web_processes_share_the_load_and_metrics_count_both(stack):
    """gunicorn runs two processes; requests on separate connections reach both, and /metrics
    (multiprocess mode, as the systemd unit sets it) adds up what each counted."""
    def served() -> float:
        text = call(stack, "GET", "/metrics", headers={"Authorization": "Bearer nginx-metrics-token"}).body.decode()
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("mm_http_responses_total{") and 'endpoint="public.privacy"' in line)

    from concurrent.futures import ThreadPoolExecutor

    before = served()
    # At the same time, so nginx opens several upstream connections (it keeps one alive otherwise).
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda _: call(stack, "GET", "/datenschutz").status, range(64)))
    assert statuses == [200] * 64
    assert served() - before == 64
    pids = {path.stem.rsplit("_", 1)[1] for path in stack.metrics_dir.glob("counter_*.db")}
    assert len(pids) == 2, pids  # each process kept its own counts
