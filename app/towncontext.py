"""Which town the current work is for (issue 21): a request's town comes from its host
(``app/jurisdictions/hosts.py`` sets ``g.jurisdiction_id``); a worker building a mail names it
with ``using_town`` (the outbox row's town). Infrastructure: the outbox, absolute links and the
branding read it, none of them imports a feature.

Features register how a town id becomes its link host (``app.extensions["town_link_host"]``),
so ``app.urls`` builds links on the town's own host name without importing the town model.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import g, has_app_context

_town: ContextVar[int | None] = ContextVar("town_id", default=None)


def current_town_id() -> int | None:
    """The town named by ``using_town``, else the request's, else None (the default town)."""
    named = _town.get()
    if named is not None:
        return named
    if has_app_context():
        return g.get("jurisdiction_id")
    return None


@contextmanager
def using_town(jurisdiction_id: int | None) -> Iterator[None]:
    """Links, branding and sender inside the block are ``jurisdiction_id``'s (None: unchanged)."""
    token = _town.set(jurisdiction_id) if jurisdiction_id is not None else None
    try:
        yield
    finally:
        if token is not None:
            _town.reset(token)
