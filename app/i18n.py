"""Language choice: German unless the visitor picked English (``?lang=en``, kept in a cookie)."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, g, has_request_context, request
from flask_babel import Babel, refresh

from app.config import PROJECT_ROOT

babel = Babel()
LANG_COOKIE = "lang"


def select_locale() -> str:
    if not has_request_context():
        return g.get("locale", "de")
    choice = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    return choice if choice in ("de", "en") else "de"


def init_app(app: Flask) -> None:
    # Every feature package may keep its own catalog; Flask-Babel merges them.
    dirs = sorted(str(p.parent.parent.parent) for p in Path(PROJECT_ROOT, "app").glob("**/translations/*/LC_MESSAGES/messages.po"))
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join(dirs) or "translations")
    babel.init_app(app, locale_selector=select_locale)

    @app.before_request
    def _pick_locale():
        # Flask-Babel caches the locale on the app context, which outlives a request
        # when one is already pushed (tests, CLI); start each request afresh.
        refresh()
        g.locale = select_locale()

    @app.after_request
    def _remember_locale(response):
        chosen = request.args.get("lang")
        if chosen in ("de", "en") and request.cookies.get(LANG_COOKIE) != chosen:
            response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, samesite="Lax", httponly=True)
        response.headers.setdefault("Content-Language", g.get("locale", "de"))
        return response

    @app.context_processor
    def _locale_context():
        return {"locale": g.get("locale", "de")}
