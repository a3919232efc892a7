"""`flask open311 ...`: manage API keys and service attributes."""
from __future__ import annotations

import json
import os

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.db import db
from app.errors import DomainError
from app.jurisdictions.queries import jurisdiction_by_slug
from app.open311.keys import create_client, ensure_demo_client, revoke_client
from app.open311.models import ACTIONS, DATATYPES, ApiClient, ServiceAttribute

group = AppGroup("open311", help="Open311: API keys and service attributes.")


def _fail(exc: DomainError):
    db.session.rollback()
    raise click.ClickException(str(exc.message))


@group.command("create-key")
@click.option("--name", required=True, help="Who uses the key (an app, a back-office system).")
@click.option("--jurisdiction", default=None, help="jurisdiction_id (default: DEFAULT_JURISDICTION).")
@click.option("--action", "actions", multiple=True, type=click.Choice(ACTIONS), default=("create_request",),
              show_default=True,
              help="What the key may do (repeat the option for several); post_update, setting the status of any "
                   "report of the town, only when asked for, as on the admin page.")
@click.option("--rate-limit", default=None, help='e.g. "60/minute;1000/day" (default).')
def create_key(name: str, jurisdiction: str | None, actions: tuple[str, ...], rate_limit: str | None):
    """Create a key; it is printed once and stored only as a hash."""
    try:
        client, raw = create_client(jurisdiction_by_slug(jurisdiction), name, list(actions), rate_limit=rate_limit)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"client {client.id} ({client.name}): {raw}")


@group.command("list-keys")
def list_keys():
    """Every client with its key prefix, rights and state (never the key)."""
    for client in db.session.scalars(select(ApiClient).order_by(ApiClient.id)):
        state = "revoked " + client.revoked_at.isoformat() if client.revoked_at else "active"
        click.echo(f"{client.id}\t{client.key_prefix}…\t{client.jurisdiction.slug}\t{client.name}\t"
                   f"{','.join(client.allowed_actions)}\t{client.rate_limit}\t{state}")


@group.command("revoke-key")
@click.argument("client_id", type=int)
def revoke_key(client_id: int):
    """Revoke a client's key at once."""
    client = db.session.get(ApiClient, client_id)
    if client is None:
        raise click.ClickException(f"no client {client_id}")
    revoke_client(client)
    db.session.commit()
    click.echo(f"client {client.id} ({client.name}) revoked")


@group.command("demo")
@click.option("--jurisdiction", default=None)
def demo(jurisdiction: str | None):
    """For `make demo`: an API key (OPEN311_DEMO_KEY if set, else a new random one) and
    an extra question for street lights; prints the key."""
    chosen = os.environ.get("OPEN311_DEMO_KEY") or None
    town = jurisdiction_by_slug(jurisdiction)
    try:
        client, raw = ensure_demo_client(town, chosen)
    except DomainError as exc:
        _fail(exc)
    _ensure_demo_attribute(town)
    db.session.commit()
    click.echo(f"  Open311 API key (demo):      {raw}   ({client.name}; /open311/v2/, /openapi.json)")


def _ensure_demo_attribute(town) -> None:
    from app.jurisdictions.models import Category

    lamp = db.session.scalar(select(Category).where(Category.jurisdiction_id == town.id,
                                                    Category.code == "strassenlaterne"))
    if lamp is None or db.session.scalar(select(ServiceAttribute.id).where(ServiceAttribute.category_id == lamp.id)):
        return
    db.session.add(ServiceAttribute(
        category=lamp, code="mastnummer", datatype="string", required=False, variable=True, order=1,
        description="Mastnummer (steht auf dem Schild am Mast)", description_en="Pole number (on the pole's plate)",
        datatype_description="", values=[]))


@group.command("add-attribute")
@click.argument("service_code")
@click.argument("code")
@click.option("--description", required=True, help="The question, in German.")
@click.option("--description-en", default=None)
@click.option("--datatype", type=click.Choice(DATATYPES), default="string", show_default=True)
@click.option("--required/--optional", default=False)
@click.option("--values", "values_json", default="[]", help='For lists: [{"key": "1", "name": "…"}]')
@click.option("--order", default=0, type=int)
@click.option("--jurisdiction", default=None)
def add_attribute(service_code, code, description, description_en, datatype, required, values_json, order,
                  jurisdiction):
    """Add (or replace) an extra question of a category."""
    from app.jurisdictions.models import Category

    town = jurisdiction_by_slug(jurisdiction)
    category = db.session.scalar(select(Category).where(Category.jurisdiction_id == town.id,
                                                        Category.code == service_code))
    if category is None:
        raise click.ClickException(f"no category {service_code!r}")
    values = json.loads(values_json)
    attribute = db.session.scalar(select(ServiceAttribute).where(ServiceAttribute.category_id == category.id,
                                                                 ServiceAttribute.code == code))
    if attribute is None:
        attribute = ServiceAttribute(category=category, code=code)
        db.session.add(attribute)
    attribute.description, attribute.description_en = description, description_en
    attribute.datatype, attribute.required, attribute.values, attribute.order = datatype, required, values, order
    attribute.variable, attribute.datatype_description = True, ""
    db.session.commit()
    click.echo(f"attribute {code} of {service_code} saved")


def init_app(app: Flask) -> None:
    app.cli.add_command(group)
