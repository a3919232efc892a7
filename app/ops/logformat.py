"""Log set-up: plain text by default, one JSON object per line with LOG_FORMAT=json.

Every record made during a request carries that request's id: the proxy's
``X-Request-ID`` if it sent a sane one (deploy/nginx passes ``$request_id``), else a new
one; the answer names it in ``X-Request-ID`` so a citizen's error report can be found.
"""
from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request

_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` ("-" outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, exception.

    A few fields with json.dumps; a library would add a dependency for this alone.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(config: dict) -> None:
    """Root logging at LOG_LEVEL, as text or (LOG_FORMAT=json) JSON lines on stderr."""
    logging.basicConfig(level=config["LOG_LEVEL"])
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
        if str(config.get("LOG_FORMAT", "text")).lower() == "json":
            handler.setFormatter(JsonFormatter())


def _assign_request_id() -> None:
    sent = request.headers.get("X-Request-ID", "")
    g.request_id = sent if _SANE_ID.match(sent) else uuid.uuid4().hex


def _name_request_id(response):
    if "request_id" in g:
        response.headers["X-Request-ID"] = g.request_id
    return response


def init_app(app: Flask) -> None:
    app.before_request(_assign_request_id)
    app.after_request(_name_request_id)
