"""Health checks, request metrics and JSON logs with a request id (issue 22, point 6).
Readiness with Redis or PostgreSQL really stopped is checked in tests/test_outages.py."""
from __future__ import annotations

import io
import json
import logging
import re

import pytest


def _sample(text: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus text, 0 if absent."""
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_healthz_and_readyz_answer_with_database_and_redis_up(client):
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_data(as_text=True) == "ok\n"
    assert health.headers["Cache-Control"] == "no-store"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"ready": True, "checks": {"database": "ok", "redis": "ok"}}


TOKEN = {"Authorization": "Bearer metrics-test-token"}


@pytest.fixture
def metrics_token(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "metrics-test-token")


def test_metrics_count_answers_and_time_them_per_endpoint(client, metrics_token):
    before = client.get("/metrics", headers=TOKEN).get_data(as_text=True)
    for _ in range(3):
        assert client.get("/meldungen").status_code == 200
    assert client.get("/meldungen/HW-1999-999999").status_code == 404
    assert client.get("/gibt-es-nicht").status_code == 404
    after = client.get("/metrics", headers=TOKEN)
    assert after.status_code == 200
    text = after.get_data(as_text=True)
    # The queue figures are still there, next to the request metrics.
    assert "mm_outbox_messages" in text and "# TYPE mm_http_request_duration_seconds histogram" in text
    for name, labels, grown in [
        ("mm_http_request_duration_seconds_count", {"method": "GET", "endpoint": "public.report_list"}, 3),
        ("mm_http_request_duration_seconds_bucket", {"endpoint": "public.report_list", "le": "+Inf"}, 3),
        ("mm_http_responses_total", {"endpoint": "public.report_list", "status": "200"}, 3),
        ("mm_http_responses_total", {"endpoint": "public.report", "status": "404"}, 1),
        ("mm_http_responses_total", {"endpoint": "unmatched", "status": "404"}, 1),
    ]:
        assert _sample(text, name, **labels) - _sample(before, name, **labels) == grown, (name, labels)
    assert _sample(text, "mm_http_request_duration_seconds_sum", endpoint="public.report_list") > 0


def test_metrics_count_5xx_answers_as_errors(app, client, monkeypatch, metrics_token):
    from app.public import routes

    def broken(*_args, **_kwargs):
        raise RuntimeError("kaputt")

    monkeypatch.setattr(routes, "render_template", broken)
    before = _sample(client.get("/metrics", headers=TOKEN).get_data(as_text=True), "mm_http_errors_total",
                     endpoint="public.privacy", status="500")
    assert client.get("/datenschutz").status_code == 500
    text = client.get("/metrics", headers=TOKEN).get_data(as_text=True)
    assert _sample(text, "mm_http_errors_total", endpoint="public.privacy", status="500") == before + 1


def test_request_id_is_taken_from_the_proxy_or_made_and_named_in_the_answer(client):
    given = client.get("/healthz", headers={"X-Request-ID": "0123456789abcdef0123456789abcdef"})
    assert given.headers["X-Request-ID"] == "0123456789abcdef0123456789abcdef"
    made = client.get("/healthz", headers={"X-Request-ID": "<script> forged \" log line"})
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    assert client.get("/healthz").headers["X-Request-ID"] != made.headers["X-Request-ID"]


def test_json_logs_carry_the_request_id(database_url, redis_server, tmp_path):
    from app import create_app
    from app.ops.logformat import JsonFormatter, RequestIdFilter

    root = logging.getLogger()
    saved = [(handler, handler.formatter) for handler in root.handlers]
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    root.addHandler(capture)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "DATABASE_URL": database_url,
                          "REDIS_URL": redis_server.url, "RATELIMIT_STORAGE_URI": "redis+" + redis_server.url,
                          "MEDIA_STORAGE_URL": str(tmp_path), "SECRET_KEY": "x" * 32, "LOG_FORMAT": "json"})
        assert isinstance(capture.formatter, JsonFormatter)
        assert any(isinstance(f, RequestIdFilter) for f in capture.filters)

        @app.get("/test-log")
        def _log_something():
            logging.getLogger("app.test").warning("Meldung %s angenommen", "HW-2026-000001")
            return "ok"

        answer = app.test_client().get("/test-log", headers={"X-Request-ID": "req-1234567890"})
        assert answer.headers["X-Request-ID"] == "req-1234567890"
    finally:
        root.removeHandler(capture)
        for handler, formatter in saved:
            handler.setFormatter(formatter)
    [line] = [line for line in stream.getvalue().splitlines() if "app.test" in line]
    entry = json.loads(line)
    assert entry["message"] == "Meldung HW-2026-000001 angenommen"
    assert entry["request_id"] == "req-1234567890" and entry["level"] == "WARNING" and entry["logger"] == "app.test"
    assert entry["time"].endswith("+00:00")
