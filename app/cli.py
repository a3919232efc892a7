"""`flask` commands of the whole app: migrations, demo data, a town's legal texts.

Features register their own commands in their ``init_app`` (``flask worker`` and
``flask scheduler``: app/tasks/cli.py).
"""
from __future__ import annotations

import click
from flask import Flask, current_app

from app.config import PROJECT_ROOT


# One key for every deployment of this app: a second `flask db-upgrade` (another node, a
# deploy started twice) waits for the first instead of running the same DDL next to it.
MIGRATION_LOCK = "maengelmelder:db-upgrade"


def run_migrations(url: str, revision: str = "heads", waiting=None) -> None:
    """Upgrade the database at ``url`` with Alembic (used by the CLI and the tests).

    Holds a PostgreSQL advisory lock meanwhile (on a connection of its own, released when
    done or when the process dies); ``waiting()`` is called if another upgrade holds it.
    """
    import time

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, pool, text

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["configure_logging"] = False
    engine = create_engine(url, poolclass=pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as lock:
            key = {"key": MIGRATION_LOCK}
            told = False
            # Asked again every second rather than waited for in one statement: a waiting
            # statement would hold back the other upgrade's CREATE INDEX CONCURRENTLY, which
            # waits for every running transaction (a deadlock PostgreSQL does not see).
            while not lock.execute(text("SELECT pg_try_advisory_lock(hashtext(:key))"), key).scalar():
                if waiting and not told:
                    waiting()
                    told = True
                time.sleep(1.0)
            try:
                command.upgrade(config, revision)
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(hashtext(:key))"), key)
    finally:
        engine.dispose()


def init_app(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade():
        """Apply every pending migration (one at a time across all nodes: an advisory lock)."""
        run_migrations(current_app.config["SQLALCHEMY_DATABASE_URI"],
                       waiting=lambda: click.echo("another db-upgrade is running; waiting for it", err=True))
        click.echo("database is up to date")

    @app.cli.group("media")
    def media_group():
        """Stored photos: move them between a directory and S3."""

    @media_group.command("migrate")
    @click.option("--from", "source_url", default=None, metavar="URL",
                  help="Where the photos are now; default: MEDIA_STORAGE_URL.")
    @click.option("--to", "target_url", required=True, metavar="URL",
                  help="A directory or s3://bucket/prefix?endpoint_url=...&region=...")
    @click.option("--delete-source", is_flag=True,
                  help="Delete each file from the source once every file is in the target.")
    def media_migrate(source_url: str | None, target_url: str, delete_source: bool):
        """Copy every stored photo file to another storage; run it again to resume.

        Files already in the target are skipped (both storages write a file whole or not
        at all). Afterwards every photo the database names is checked in the target.
        Then set MEDIA_STORAGE_URL to the target and restart the services.
        """
        from media import storage_from_url
        from media.transfer import copy_all

        source = storage_from_url(source_url or current_app.config["MEDIA_STORAGE_URL"])
        target = storage_from_url(target_url)
        result = copy_all(source, target)
        missing = [key for key in _photo_keys() if not target.exists(key)]
        click.echo(f"copied {result.copied}, already there {result.skipped}")
        if missing:
            raise click.ClickException(f"{len(missing)} photo file(s) named in the database are in neither "
                                       f"storage, e.g. {missing[0]}; the source was left as it is")
        if delete_source:
            for key in source.keys():
                source.delete(key)
            click.echo("source emptied")

    @app.cli.command("demo-load")
    def demo_load():
        """Load the Harsewinkel demo data (does nothing if it is already there)."""
        from app.demo.load import load_demo

        click.echo(load_demo())

    @app.cli.command("town-legal")
    @click.option("--slug", "--jurisdiction", "slug", default=None,
                  help="Town (Open311 jurisdiction id); default: DEFAULT_JURISDICTION.")
    @click.option("--set", "assignments", multiple=True, metavar="FIELD=VALUE",
                  help="Set a field (repeatable); an empty VALUE removes it.")
    @click.option("--unset", "removals", multiple=True, metavar="FIELD", help="Remove a field (repeatable).")
    @click.option("--from-file", "source", type=click.Path(exists=True, dir_okay=False),
                  help="A JSON object or TOML file of FIELD = VALUE pairs (applied before --set).")
    @click.option("--fields", "list_fields", is_flag=True, help="List the fields and what each is for.")
    def town_legal(slug: str | None, assignments: tuple[str, ...], removals: tuple[str, ...],
                   source: str | None, list_fields: bool):
        """Show or set what the Impressum, privacy and accessibility pages name.

        Address, phone, e-mail, representative, data protection officer, accessibility
        feedback contact and more, per town. All or nothing: one bad value and nothing is saved.
        """
        from app.db import db
        from app.errors import NotFound
        from app.jurisdictions.legal import FIELDS, FIELD_NAMES, LegalSettingsError, unknown_field_message
        from app.jurisdictions.operations import update_legal
        from app.jurisdictions.queries import jurisdiction_by_slug

        if list_fields:
            for field in FIELDS:
                click.echo(f"{field.name:22} {field.help}")
            return
        changes: dict[str, object] = {}
        if source:
            changes.update(_read_legal_file(source))
        for assignment in assignments:
            name, sep, value = assignment.partition("=")
            if not sep:
                raise click.UsageError(f"--set {assignment!r}: write FIELD=VALUE")
            changes[name.strip()] = value
        for name in removals:
            changes[name.strip()] = None
        unknown = [name for name in changes if name not in FIELD_NAMES]
        if unknown:
            raise click.UsageError("; ".join(unknown_field_message(name) for name in unknown)
                                   + " (nothing was saved)")
        try:
            jurisdiction = jurisdiction_by_slug(slug)
        except NotFound:
            raise click.UsageError(f"no town with the slug {slug!r}") from None
        if changes:
            try:
                update_legal(jurisdiction, changes)
            except LegalSettingsError as exc:
                db.session.rollback()
                raise click.ClickException(f"{exc}\nnothing was saved") from None
            db.session.commit()
            click.echo(f"saved {len(changes)} field(s) for {jurisdiction.name}")
        info = jurisdiction.legal_info
        stored = info.to_json()
        click.echo(f"{jurisdiction.name} ({jurisdiction.slug}):")
        for name in FIELD_NAMES:
            click.echo(f"  {name:22} {stored.get(name, '-')}".replace("\n", " / "))
        click.echo(f"  {'(contact_email)':22} {jurisdiction.contact_email or '-'}")
        missing = info.missing_fields()
        if missing:
            click.echo("still to fill in for complete statements: " + ", ".join(missing))


def _photo_keys() -> list[str]:
    """Every storage key the database refers to (report and reporter photos)."""
    from sqlalchemy import select

    from app.db import db
    from app.reports.models import Photo

    keys = [key for variants in db.session.scalars(select(Photo.variants)) for key in variants.values()]
    db.session.rollback()
    return keys


def _read_legal_file(path: str) -> dict[str, object]:
    """FIELD → value from a JSON object or a TOML file (by the name's ending)."""
    import json
    import tomllib

    try:
        if path.lower().endswith(".toml"):
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        else:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise click.UsageError(f"{path}: not readable as {'TOML' if path.lower().endswith('.toml') else 'JSON'}: {exc}")
    if not isinstance(data, dict):
        raise click.UsageError(f"{path}: expected an object of FIELD: VALUE pairs")
    return data
