"""Absolute links for mails and feeds, built from BASE_URL (workers have no request)."""
from __future__ import annotations

from flask import current_app, has_request_context, url_for


def absolute_url(endpoint: str, **values) -> str:
    if has_request_context():
        base = current_app.config["BASE_URL"].rstrip("/")
        return base + url_for(endpoint, **values)
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)
