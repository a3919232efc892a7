"""Test helpers for staff accounts (used by every feature's tests).

``make_staff(role, department_code=None)`` creates an account through the model
(flushes; commit yourself in ``committing`` tests); its password is ``PASSWORD``
and is also available as ``user.password``. ``login(client, username, password)``
signs a Flask test client in through the real form (CSRF included).
``app_with(app, **settings)`` is another app on the same database and services with
some settings changed (e.g. the OpenID Connect ones).
"""
from __future__ import annotations

import itertools
import random
import re
import uuid

from sqlalchemy import select

from app.db import db
from app.jurisdictions.models import Department, Jurisdiction
from app.staff.auth import hash_password
from app.staff.models import StaffUser

PASSWORD = "richtig-geheim-2026"
_HASH = None
_counter = itertools.count(1)


def make_staff(role: str, department_code: str | None = None, *, username: str | None = None,
               email: str | None = None, jurisdiction_slug: str = "harsewinkel.de") -> StaffUser:
    """A new active account; department staff default to ``tiefbau``."""
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)  # one Argon2 hash for all test accounts (it is slow on purpose)
    jurisdiction = db.session.scalar(select(Jurisdiction).where(Jurisdiction.slug == jurisdiction_slug))
    if role == "staff" and department_code is None:
        department_code = "tiefbau"
    department = None
    if department_code:
        department = db.session.scalar(select(Department).where(Department.jurisdiction_id == jurisdiction.id,
                                                                Department.code == department_code))
        assert department is not None, f"no department {department_code!r}"
    name = username or f"{role}-{department_code or 'all'}-{uuid.uuid4().hex[:8]}"
    user = StaffUser(jurisdiction_id=jurisdiction.id, username=name, role=role,
                     department_id=department.id if department else None, password_hash=_HASH,
                     email=email, display_name=name)
    db.session.add(user)
    db.session.flush()
    user.password = PASSWORD
    return user


def client_address() -> str:
    # A distinct client address per sign-in, so the per-address sign-in limit (tested
    # on its own in tests/staff/test_auth.py) does not trip over the many sign-ins of a test run.
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{next(_counter) % 250 + 1}"


def login(client, username: str, password: str = PASSWORD, *, expect_success: bool = True):
    """Sign ``client`` in through /intern/anmelden; returns the response of the form post."""
    from flask import g, has_app_context

    if has_app_context():
        # With an app context pushed by the test, ``g`` outlives requests and would hand
        # another client's cached CSRF token to this one.
        g.pop("csrf_token", None)
    page = client.get("/intern/anmelden").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the sign-in page"
    response = client.post("/intern/anmelden", data={"csrf_token": match.group(1), "username": username,
                                                     "password": password},
                           environ_base={"REMOTE_ADDR": client_address()})
    if expect_success:
        assert response.status_code == 303, f"sign-in of {username!r} failed: {response.status_code}"
    return response


_SHARED_SETTINGS = ("TESTING", "SQLALCHEMY_DATABASE_URI", "DATABASE_URL", "REDIS_URL", "RATELIMIT_STORAGE_URI",
                    "SMTP_HOST", "SMTP_PORT", "SMTP_TIMEOUT", "MEDIA_STORAGE_URL", "SECRET_KEY", "BASE_URL",
                    "MAIL_FROM", "LOG_LEVEL",
                    # a host name a test adds is seen at once, as by the session's app
                    "TOWN_HOSTS_CACHE_SECONDS")


def app_with(app, **settings):
    """A second app on the session's database and services, with ``settings`` changed."""
    from app import create_app

    return create_app({**{name: app.config[name] for name in _SHARED_SETTINGS}, **settings})
