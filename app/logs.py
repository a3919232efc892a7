"""Log lines without secrets and without client addresses.

Links in mails carry secrets in their path (tracking, confirmation, unsubscribe and password
reset tokens) and the sign-in with OpenID Connect returns ``code`` and ``state`` in the query.
Every log line the app writes and every access-log line gunicorn writes (``AccessLogger``) has
them replaced by ``[…]``; the access log writes ``-`` for the client address, as the privacy
statement says (templates/public/privacy.html). Which path segments are secret is read from the
app's own URL rules (each ``<token>``), so a new route with a token is covered without a list here.
"""
from __future__ import annotations

import logging
import re

from flask import Flask

REDACTED = "[…]"
# Query parameters that carry secrets (OIDC's code and state; an API key sent where it is refused).
_SECRET_QUERY = re.compile(r"(?i)((?:^|[?&;])(?:api_key|token|code|state|session_state)=)[^&;\s\"']*")
# Safety net where no app (and so no rule list) is loaded: a long path segment mixing upper case,
# lower case and digits, as random tokens and signed links do (slugs and references do not).
_TOKEN_LIKE = re.compile(r"(?<=/)(?=[A-Za-z0-9_.\-]*[A-Z])(?=[A-Za-z0-9_.\-]*[a-z])(?=[A-Za-z0-9_.\-]*[0-9])"
                         r"[A-Za-z0-9_.\-]{20,}")
_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_token_prefixes: set[str] = set()
_pattern: re.Pattern | None = None
# Header and environ atoms of gunicorn that hold client addresses.
_ADDRESS_ATOMS = re.compile(r"forwarded|remote_addr|real-ip|client-ip|true-client", re.I)


def _prefix_regex(rule: str) -> str | None:
    """The part of ``rule`` before its ``<token>``, as a regex (other converters: one segment)."""
    head, found, _tail = rule.partition("<token>")
    if not found:
        return None
    parts, last = [], 0
    for match in _CONVERTER.finditer(head):
        parts += [re.escape(head[last:match.start()]), r"[^/?#\s]+"]
        last = match.end()
    parts.append(re.escape(head[last:]))
    return "".join(parts)


def register_rules(app: Flask) -> None:
    """Learn the token-bearing URL rules of ``app`` (every process that serves it)."""
    global _pattern
    for rule in app.url_map.iter_rules():
        prefix = _prefix_regex(rule.rule) if "token" in rule.arguments else None
        if prefix:
            _token_prefixes.add(prefix)
    if _token_prefixes:
        _pattern = re.compile("(" + "|".join(sorted(_token_prefixes, key=len, reverse=True)) + r")[^/?#\s\"'.]+")


def redact(text: str) -> str:
    """``text`` with secret URL parts replaced by ``[…]``."""
    if not text:
        return text
    if _pattern is not None:
        text = _pattern.sub(lambda m: m.group(1) + REDACTED, text)
    text = _TOKEN_LIKE.sub(REDACTED, text)
    return _SECRET_QUERY.sub(lambda m: m.group(1) + REDACTED, text)


class RedactingFilter(logging.Filter):
    """Applied to each handler of the root logger: every propagated record passes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def init_app(app: Flask) -> None:
    """After every blueprint is registered: learn the token rules, filter the log handlers."""
    register_rules(app)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # gunicorn is a dependency; this keeps the module importable without it
    _GunicornLogger = object  # type: ignore[assignment,misc]


class AccessLogger(_GunicornLogger):  # type: ignore[misc,valid-type]
    """gunicorn's logger (``--logger-class app.logs.AccessLogger``) with secrets redacted from
    every atom of the access log and no client address in it."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if key == "h" or _ADDRESS_ATOMS.search(key):
                atoms[key] = "-"
            elif isinstance(value, str):
                atoms[key] = redact(value)
        return atoms
