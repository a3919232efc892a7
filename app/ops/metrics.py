"""Request latency and error counts for /metrics, with the Prometheus client library.

The metrics live at module level in one registry of their own: several apps in one
process (tests) share them instead of registering twice. Under gunicorn each worker
process counts for itself; with PROMETHEUS_MULTIPROC_DIR set (deploy/systemd sets it,
deploy/gunicorn.conf.py cleans up after a dead worker) the library keeps the counts in
files there and /metrics adds all processes up.
"""
from __future__ import annotations

import os
import time
from functools import cache
from types import SimpleNamespace

from flask import Flask, g, request


@cache
def _metrics() -> SimpleNamespace:
    """The registry and its metrics, made once per process on first use: prometheus_client
    reads the environment when imported, and nothing may do so at import time."""
    from prometheus_client import CollectorRegistry, Counter, Histogram

    registry = CollectorRegistry(auto_describe=True)
    # Labels are the endpoint name (bounded), never the path (a reference per report).
    return SimpleNamespace(
        registry=registry,
        seconds=Histogram(
            "mm_http_request_duration_seconds", "Time from the request's start to its answer, by endpoint.",
            ["method", "endpoint"], registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)),
        responses=Counter("mm_http_responses", "Answers by endpoint and status code.",
                          ["method", "endpoint", "status"], registry=registry),
        errors=Counter("mm_http_errors", "Answers with a 5xx status (503 included: database or Redis away).",
                       ["endpoint", "status"], registry=registry),
    )


def _endpoint() -> str:
    return request.endpoint or "unmatched"


def _started() -> None:
    g.metrics_started = time.perf_counter()


def _answered(response):
    started = g.pop("metrics_started", None)
    if started is None:
        return response
    endpoint = _endpoint()
    metrics = _metrics()
    metrics.seconds.labels(request.method, endpoint).observe(time.perf_counter() - started)
    metrics.responses.labels(request.method, endpoint, str(response.status_code)).inc()
    if response.status_code >= 500:
        metrics.errors.labels(endpoint, str(response.status_code)).inc()
    return response


def exposition() -> bytes:
    """The request metrics in Prometheus text format (all gunicorn workers in multiprocess mode)."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(_metrics().registry)


def init_app(app: Flask) -> None:
    _metrics()
    app.before_request(_started)
    app.after_request(_answered)
