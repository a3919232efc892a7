"""Settings, read from the environment when the app is created (never at import).

Every setting has a default that works for `make demo`; README.md lists them all.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


# name -> (default, converter). Only these are read from the environment.
SETTINGS: dict[str, tuple[object, type | object]] = {
    "DATABASE_URL": ("postgresql+psycopg://postgres@/maengelmelder?host=" + str(PROJECT_ROOT / "var/run"), str),
    "DATABASE_REPLICA_URL": ("", str),
    "REDIS_URL": ("unix://" + str(PROJECT_ROOT / "var/run/redis.sock"), str),
    "SECRET_KEY": ("", str),
    "BASE_URL": ("http://127.0.0.1:5000", str),
    "SMTP_HOST": ("127.0.0.1", str),
    "SMTP_PORT": (8025, int),
    "SMTP_USER": ("", str),
    "SMTP_PASSWORD": ("", str),
    "SMTP_STARTTLS": (False, _bool),
    "SMTP_SSL": (False, _bool),
    "SMTP_TIMEOUT": (10.0, float),
    "MAIL_FROM": ("Mängelmelder <maengelmelder@localhost>", str),
    # The town's face on the pages (app/branding) until the town profile holds it: official
    # name, short name, the name as it reads after "von"/"bei" or as a genitive (derived:
    # "der Stadt X"), crest (SVG or PNG path), colours (white text on both at 4.5:1).
    "TOWN_NAME": ("Stadt Harsewinkel", str),
    "TOWN_SHORT_NAME": ("", str),
    "TOWN_NAME_IN_SENTENCE": ("", str),
    "TOWN_CREST": ("app/static/img/crest-demo.svg", str),
    "TOWN_COLOR": ("#005a9c", str),
    "TOWN_COLOR_DARK": ("#003e6b", str),
    "TOWN_WEBSITE": ("", str),
    "MEDIA_STORAGE_URL": (str(PROJECT_ROOT / "var/media"), str),
    # Behind nginx with photos in a directory: published photos are sent by nginx from
    # this internal location (deploy/nginx: "/_fotos/"); empty: the app sends them.
    "MEDIA_ACCEL_PREFIX": ("", str),
    "MAX_PHOTOS_PER_REPORT": (5, int),
    "MAX_PHOTO_BYTES": (15 * 1024 * 1024, int),
    "DEFAULT_JURISDICTION": ("harsewinkel.de", str),
    # Seconds a worker process keeps the table of town host names before reading it again.
    "TOWN_HOSTS_CACHE_SECONDS": (30.0, float),
    "TILE_URL": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", str),
    "TILE_ATTRIBUTION": ('&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>-Mitwirkende', str),
    # Languages citizen pages and mails offer (German is always offered; staff pages stay de/en).
    "LANGUAGES": ("de,en,tr,uk,ar", str),
    "MAILCATCHER_DIR": ("", str),
    "RATELIMIT_STORAGE_URI": ("", str),
    "LOG_LEVEL": ("INFO", str),
    # "text" or "json" (one object per line with the request id, for a log collector).
    "LOG_FORMAT": ("text", str),
    "PROXY_FIX_X_FOR": (0, int),
    # Abuse limits (Flask-Limiter syntax), per client address or per API key.
    "INTAKE_RATE_LIMIT": ("30/minute;300/day", str),
    "STAFF_LOGIN_RATE_LIMIT": ("20/minute;200/hour", str),
    "OPEN311_READ_LIMIT": ("600/minute", str),
    "OPEN311_ANONYMOUS_WRITE_LIMIT": ("30/minute", str),
    # Intake page: "Schon gemeldet?" radius and the browser's photo downscaling.
    "DUPLICATE_RADIUS_M": (50, int),
    # Days a report may be overdue (past its category's target days) before the dispatchers get it.
    "ESCALATION_GRACE_DAYS": (3.0, float),
    # Days after "erledigt" before the reporter is asked "Ist der Mangel behoben?" (0: with the
    # next scheduler run, which comes every 15 minutes). app/feedback.
    "FIXED_QUESTIONNAIRE_DAYS": (7.0, float),
    # Optional sign-in to Meine Meldungen through the town's identity broker (app/account/oidc.py).
    "CITIZEN_OIDC_ISSUER": ("", str),
    "CITIZEN_OIDC_CLIENT_ID": ("", str),
    "CITIZEN_OIDC_CLIENT_SECRET": ("", str),
    "CITIZEN_OIDC_BUTTON_LABEL": ("", str),
    "BROWSER_PHOTO_LONG_SIDE": (2000, int),
    # The public map's street views from memory (geo/mapcache.py): at most this many reports
    # per worker process (~0.5 KB each, so up to ~0.5 GB per worker if a deployment has a
    # million public reports; 0: off), and how old a town's map version may be before a
    # worker asks again (a change shows on the map after at most this many seconds).
    "MAP_CACHE_MAX_FEATURES": (1_000_000, int),
    "MAP_CACHE_RECHECK_SECONDS": (1.0, float),
    # Staff dashboard figures are recomputed in the background when older than this.
    "DASHBOARD_MAX_AGE": (300, int),
    # Optional staff sign-in through OpenID Connect (app/staff/oidc.py); off while OIDC_ISSUER is empty.
    "OIDC_ISSUER": ("", str),
    "OIDC_CLIENT_ID": ("", str),
    "OIDC_CLIENT_SECRET": ("", str),
    "OIDC_SCOPES": ("openid email profile", str),
    "OIDC_ROLE_CLAIM": ("roles", str),
    "OIDC_ROLE_MAP": ("", str),
    "OIDC_DEPARTMENT_CLAIM": ("department", str),
    "OIDC_BUTTON_LABEL": ("", str),
    # Several towns, one provider: the claim naming the town(s) a person works for (their
    # jurisdiction ids, e.g. "harsewinkel.de"); empty: no claim is asked for.
    "OIDC_TOWN_CLAIM": ("", str),
    # The worker queue and the outbox (app/outbox/delivery.py). A claimed message belongs to
    # its worker for OUTBOX_LEASE_SECONDS; a worker killed while holding it loses it to the
    # next one after the lease ran out, and starts no new message with less than
    # OUTBOX_LEASE_MARGIN_SECONDS of its lease left.
    "OUTBOX_LEASE_SECONDS": (300.0, float),
    "OUTBOX_LEASE_MARGIN_SECONDS": (60.0, float),
    "OUTBOX_BATCH_SIZE": (100, int),
    # SMTP connections one worker process sends a batch over in parallel (waits overlap).
    "OUTBOX_SMTP_CONNECTIONS": (4, int),
    # Tries per message, then it is parked as 'failed'; the delay doubles per try, capped.
    "OUTBOX_MAX_ATTEMPTS": (8, int),
    "OUTBOX_RETRY_BASE_SECONDS": (30.0, float),
    "OUTBOX_RETRY_CAP_SECONDS": (3600.0, float),
    # `flask scheduler`: seconds between relay sweeps.
    "OUTBOX_SWEEP_SECONDS": (15.0, float),
    "WEBHOOK_TIMEOUT": (10.0, float),
    # Data retention (days): reporter data of closed reports, unconfirmed reports, sent outbox rows,
    # alert subscriptions and followers that never confirmed (app/retention/policy.py).
    "RETENTION_CLOSED_DAYS": (90, int),
    "RETENTION_UNCONFIRMED_DAYS": (7, int),
    "RETENTION_OUTBOX_DAYS": (30, int),
    "RETENTION_UNCONFIRMED_SUBSCRIPTION_DAYS": (7, int),
    # /metrics: a bearer token; without one it answers nobody unless METRICS_OPEN explicitly
    # opens it (for a port that only the monitoring network reaches; the demo opens it).
    "METRICS_TOKEN": ("", str),
    "METRICS_OPEN": (False, _bool),
    # Confirmation and sign-in mails to one address, per 24 hours, across every feature that
    # mails an address someone typed in (app/outbox/recipients.py).
    "CONFIRMATION_MAILS_PER_ADDRESS": (3, int),
    # Staff sessions (app/staff/sessions.py): signed out after this long without a request,
    # and after this long in any case.
    "STAFF_SESSION_IDLE_MINUTES": (30, int),
    "STAFF_SESSION_MAX_HOURS": (12, int),
}

# Set only by `make demo`; a production start (https BASE_URL) with any of them is refused.
DEMO_ONLY_SETTINGS = ("MAILCATCHER_DIR", "DEMO_PASSWORD", "OPEN311_DEMO_KEY")
MIN_SECRET_KEY_LENGTH = 32


class UnsafeSettings(RuntimeError):
    """The app is configured for production (https) with demo-only or missing settings."""


# Connection options of the map's read pool (SQLALCHEMY_BINDS["read"] below; bench_geo's raw
# baselines use them too). Read-only. Every execution is planned for its own values
# (plan_cache_mode), never with PostgreSQL's generic plan of a statement psycopg prepared: that
# plan takes every town to hold 1/n of the reports (n towns), so for a district's main town a
# street view ANDed its bounding box with the town's half a million index entries
# (mm_bench_scale50: 18.5 ms instead of 2.4 ms per view; the map cache's block loads alike).
# And serially: a map request's statements take milliseconds while the web workers' requests
# keep the cores busy side by side; planned for its values, a z14 vector tile of the city went
# parallel and took 25.9 ms (median) against 16.6 ms serially (one town; 19.7 ms on the generic
# plan). With one town a street view took 2.5 ms so, 3.6 ms before.
READ_POOL_OPTIONS = ("-c default_transaction_read_only=on -c plan_cache_mode=force_custom_plan "
                     "-c max_parallel_workers_per_gather=0")


def check_production(config: dict, environ) -> None:
    """Refuse a production start (``BASE_URL`` https) with demo-only settings or a generated
    secret key; raise ``UnsafeSettings`` naming every problem at once."""
    if not str(config["BASE_URL"]).startswith("https://"):
        return
    problems = []
    secret = str(config.get("SECRET_KEY") or "")
    if not secret:
        problems.append("SECRET_KEY is not set (a key generated per start breaks sessions and mail links "
                        "across processes and restarts)")
    elif len(secret) < MIN_SECRET_KEY_LENGTH:
        problems.append(f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters")
    for name in DEMO_ONLY_SETTINGS:
        if config.get(name) or environ.get(name):
            problems.append(f"{name} is a demo-only setting")
    if problems:
        raise UnsafeSettings("refusing to start with BASE_URL " + str(config["BASE_URL"]) + ": "
                             + "; ".join(problems) + " (see README, section Sicherheit)")


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config from defaults, the environment, then ``overrides``."""
    config: dict[str, object] = {}
    for name, (default, convert) in SETTINGS.items():
        raw = os.environ.get(name)
        config[name] = convert(raw) if raw not in (None, "") else default
    config.update(overrides or {})
    if config["MAIL_FROM"] == SETTINGS["MAIL_FROM"][0]:
        # Mails name the town as their sender until a town sets its own address.
        config["MAIL_FROM"] = f"Mängelmelder {config['TOWN_NAME']} <maengelmelder@localhost>"
    check_production(config, os.environ)
    if not config["SECRET_KEY"]:
        # A random key per process start is safe but logs everyone out on restart and
        # breaks multi-worker gunicorn sessions: production must set SECRET_KEY.
        config["SECRET_KEY"] = secrets.token_hex(32)
    config.setdefault("SQLALCHEMY_DATABASE_URI", config["DATABASE_URL"])
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    # The map API's reads (app.mapapi.replica): a pool of read-only connections in autocommit,
    # on the replica if there is one. Each map request is one statement, so autocommit gives
    # it a consistent snapshot without a BEGIN/COMMIT round trip each, and psycopg's prepared
    # statements survive between requests (a ROLLBACK would drop them).
    config.setdefault("SQLALCHEMY_BINDS", {"read": {
        "url": config.get("DATABASE_REPLICA_URL") or config["SQLALCHEMY_DATABASE_URI"],
        "isolation_level": "AUTOCOMMIT",  # liveness check: app.mapapi.replica, only after idling
        "connect_args": {"options": READ_POOL_OPTIONS},
    }})
    config.setdefault("MAX_CONTENT_LENGTH", int(config["MAX_PHOTO_BYTES"]) * int(config["MAX_PHOTOS_PER_REPORT"]) + 1024 * 1024)
    if not config["RATELIMIT_STORAGE_URI"]:
        redis_url = str(config["REDIS_URL"])
        config["RATELIMIT_STORAGE_URI"] = "redis+" + redis_url if redis_url.startswith("unix://") else redis_url
    # Redis down must not refuse citizens: each process then counts limits in its own memory
    # (per process, so a client may get up to workers x the limit) and goes back to Redis
    # once it answers again. Short timeouts so a hung Redis does not hold requests.
    config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    if str(config["RATELIMIT_STORAGE_URI"]).startswith(("redis", "rediss")):
        config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 0.5, "socket_timeout": 0.5})
    config.setdefault("BABEL_DEFAULT_LOCALE", "de")
    config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Berlin")
    config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    config.setdefault("SESSION_COOKIE_SECURE", config["BASE_URL"].startswith("https://"))
    return config
