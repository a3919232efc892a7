"""`flask demo-accounts`: the demo's staff accounts."""
from __future__ import annotations

import os
import secrets

import click
from flask import Flask, current_app
from sqlalchemy import select

from app.db import db
from app.jurisdictions.models import Department
from app.jurisdictions.queries import jurisdiction_by_slug
from app.staff.auth import hash_password
from app.staff.models import StaffUser


def ensure_demo_accounts(password: str) -> list[StaffUser]:
    """Create ``admin``, ``dispatcher`` and one staff account per department code (flushes).

    Idempotent: existing accounts are kept, only their password is set to ``password``
    (so that the password printed at start-up is the one that works).
    """
    jurisdiction = jurisdiction_by_slug(None)
    wanted = [("admin", "admin", None, "Administration"), ("dispatcher", "dispatcher", None, "Leitstelle")]
    for department in db.session.scalars(select(Department).where(Department.jurisdiction_id == jurisdiction.id)
                                         .order_by(Department.code)):
        wanted.append((department.code, "staff", department.id, department.name))
    accounts = []
    password_hash = hash_password(password)
    for username, role, department_id, name in wanted:
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        if user is None:
            user = StaffUser(jurisdiction_id=jurisdiction.id, username=username, role=role,
                             department_id=department_id, display_name=name,
                             email=f"{username}@{jurisdiction.slug.split('.')[0]}.example")
            db.session.add(user)
        user.password_hash = password_hash
        user.active = True
        accounts.append(user)
    db.session.flush()
    return accounts


def init_app(app: Flask) -> None:
    @app.cli.command("demo-accounts")
    def demo_accounts():
        """Create the demo's staff accounts; password from DEMO_PASSWORD or generated and printed."""
        password = os.environ.get("DEMO_PASSWORD") or current_app.config.get("DEMO_PASSWORD") or ""
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        accounts = ensure_demo_accounts(password)
        db.session.commit()
        names = ", ".join(a.username for a in accounts)
        source = "generated for this start" if generated else "from DEMO_PASSWORD"
        click.echo(f"  Staff workspace:  {current_app.config['BASE_URL'].rstrip('/')}/intern/anmelden")
        click.echo(f"  Staff accounts:   {names}")
        click.echo(f"  Staff password:   {password}   ({source})")
