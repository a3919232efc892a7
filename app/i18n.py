"""Language choice: German unless the visitor picked another language (``?lang=tr``, kept in a cookie).

Citizen pages and citizen mails speak German, English, Turkish, Ukrainian and Arabic (the
setting ``LANGUAGES``; each town offers its choice of them, German always: ``jurisdictions.languages``,
the admin page "Stadtprofil", the town file's ``languages``); staff pages stay German and English (their catalogs have no other
language, so a Turkish visitor of a staff page reads German, the source language). Arabic is
written right to left: ``text_direction`` gives ``rtl`` for it, and the base layout puts it on
``<html dir>``.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from babel.dates import get_date_format, get_datetime_format, get_time_format
from flask_babel import Babel, get_locale, get_timezone, get_translations, refresh
from jinja2 import pass_context
from markupsafe import Markup

from app.config import PROJECT_ROOT
from app.jurisdictions.texts import choice_name

babel = Babel()
LANG_COOKIE = "lang"
DEFAULT_LOCALE = "de"
# Every language a citizen page may be shown in, each named in its own language (the switch
# shows these names, so a reader finds theirs without reading the current one).
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English", "tr": "Türkçe", "uk": "Українська", "ar": "العربية"}
RTL_LANGUAGES = frozenset({"ar"})
# Staff pages (everything under /intern) have German and English catalogs only.
STAFF_PATH_PREFIX = "/intern"
STAFF_LANGUAGES = ("de", "en")


def installation_languages() -> tuple[str, ...]:
    """The languages this installation offers (setting ``LANGUAGES``; German always, first)."""
    configured = current_app.config.get("LANGUAGES", tuple(LANGUAGE_NAMES)) if has_app_context() \
        else tuple(LANGUAGE_NAMES)
    if isinstance(configured, str):
        configured = [code.strip() for code in configured.split(",")]
    return (DEFAULT_LOCALE,) + tuple(c for c in configured if c in LANGUAGE_NAMES and c != DEFAULT_LOCALE)


def town_choice(chosen, installation: tuple[str, ...]) -> tuple[str, ...]:
    """The installation's languages a town offers: those it chose (None: all), German always."""
    if chosen is None:
        return installation
    return tuple(code for code in installation if code == DEFAULT_LOCALE or code in chosen)


def offered_languages() -> tuple[str, ...]:
    """The languages the current town offers (a request's, or a mail's town under ``using_town``):
    its choice among the installation's (``jurisdictions.languages``), German always, first."""
    installation = installation_languages()
    lookup = current_app.extensions.get("town_languages") if has_app_context() else None
    if lookup is None or len(installation) == 1:
        return installation
    return town_choice(lookup(), installation)


def supported_locale(code: str | None) -> str:
    """``code`` if the current town offers it, else German: what a report, follow or alert stores,
    and the language its mails are built in (a language the town stopped offering gives German)."""
    if not code or code == DEFAULT_LOCALE or code not in LANGUAGE_NAMES:
        return DEFAULT_LOCALE  # no look-up of the town for the common case
    return code if code in offered_languages() else DEFAULT_LOCALE


def text_direction(locale: str) -> str:
    return "rtl" if locale in RTL_LANGUAGES else "ltr"


def short_datetime_formatter():
    """A function giving what Flask-Babel's ``datetimeformat('short')`` gives in this request's
    language and time zone (``06.12.26, 13:05``), for many dates in a row.

    Babel's ``format_datetime`` looks up the locale's patterns (and Flask-Babel the locale,
    zone and formats) again for every date: for the 50 rows of a staff queue page that was a
    few milliseconds. Here they are looked up once; each date then only applies the two
    patterns, exactly as ``format_datetime(..., "short")`` does."""
    locale, zone = get_locale(), get_timezone()
    date_pattern, time_pattern = get_date_format("short", locale), get_time_format("short", locale)
    frame = get_datetime_format("short", locale).replace("'", "")

    def short(value) -> str:
        local = value.astimezone(zone)
        return frame.replace("{0}", time_pattern.apply(local, locale)).replace("{1}", date_pattern.apply(local, locale))
    return short


def page_gettext(translations):
    """The templates' ``_()`` / ``gettext()`` for one rendering, bound to the catalog of the
    language the page is rendered in (a mail inside ``force_locale`` gets its own).

    It does what Flask-Babel's Jinja callable does (Jinja's "newstyle" gettext: the
    translation is marked safe and always %-formatted with the keywords, which are escaped)
    but without asking Flask-Babel for the domain, locale and catalog again on every call:
    a staff queue page calls it about 80 times. The i18n extension's ``_`` resolves
    ``gettext`` from the template context first, so a context processor installs it."""
    lookup = translations.ugettext

    @pass_context
    def gettext(context, string: str, **variables) -> str:
        text = lookup(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables
    return gettext


def select_locale() -> str:
    if not has_request_context():
        return g.get("locale", DEFAULT_LOCALE)
    if request.endpoint == "static":  # the same file in every language: no look-up of the town
        return DEFAULT_LOCALE
    code = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if request.path.startswith(STAFF_PATH_PREFIX):
        return code if code in _staff_languages() else DEFAULT_LOCALE
    return supported_locale(code)


def _staff_languages() -> tuple[str, ...]:
    """Staff pages: German and English as the installation offers them, whatever the town
    offers its citizens (the staff's working language is not the town's public offer)."""
    return tuple(c for c in installation_languages() if c in STAFF_LANGUAGES)


def choosable_languages() -> tuple[str, ...]:
    """What this request's page may be shown in: the town's languages, on staff pages de/en."""
    return _staff_languages() if request.path.startswith(STAFF_PATH_PREFIX) else offered_languages()


def language_links() -> list[dict]:
    """The switch: per offered language the current page (path and query) in that language."""
    current = g.get("locale", DEFAULT_LOCALE)
    links = []
    for code in choosable_languages():
        # A sign-in's "next" travels along only as a path of this site (never echo an outside address).
        query = [(k, v) for k, v in request.args.items(multi=True)
                 if k != "lang" and not (k == "next" and not (v.startswith("/") and not v.startswith("//")))]
        query.append(("lang", code))
        links.append({"code": code, "name": LANGUAGE_NAMES[code], "dir": text_direction(code),
                      "url": f"{request.path}?{urlencode(query)}", "current": code == current})
    return links


def init_app(app: Flask) -> None:
    # Every feature package may keep its own catalog; Flask-Babel merges them.
    dirs = sorted(str(p.parent.parent.parent) for p in Path(PROJECT_ROOT, "app").glob("**/translations/*/LC_MESSAGES/messages.po"))
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join(dirs) or "translations")
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["text_direction"] = text_direction  # mails: the direction of their own locale

    @app.before_request
    def _pick_locale():
        # Flask-Babel caches the locale on the app context, which outlives a request
        # when one is already pushed (tests, CLI); start each request afresh.
        refresh()
        g.locale = select_locale()

    @app.after_request
    def _remember_locale(response):
        chosen = request.args.get("lang")
        if chosen in LANGUAGE_NAMES and chosen in choosable_languages() and request.cookies.get(LANG_COOKIE) != chosen:
            response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, samesite="Lax", httponly=True)
        response.headers.setdefault("Content-Language", g.get("locale", DEFAULT_LOCALE))
        return response

    @app.context_processor
    def _locale_context():
        locale = g.get("locale", DEFAULT_LOCALE)
        return {"locale": locale, "text_dir": text_direction(locale), "gettext": page_gettext(get_translations()),
                "language_links": language_links if has_request_context() else list,
                "choice_name": choice_name}
