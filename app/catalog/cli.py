"""`flask catalog-*` commands: import/export a town's catalog, load the demo catalog."""
from __future__ import annotations

import sys

import click
from flask import Flask

from app.db import db


def _jurisdiction(slug: str | None):
    from app.jurisdictions.queries import jurisdiction_by_slug

    return jurisdiction_by_slug(slug)


def init_app(app: Flask) -> None:
    @app.cli.command("catalog-import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--format", "fmt", type=click.Choice(["json", "csv"]), help="Default: from the file name.")
    @click.option("--jurisdiction", help="Town slug (default: DEFAULT_JURISDICTION).")
    def catalog_import(path: str, fmt: str | None, jurisdiction: str | None):
        """Import catalog entries from a JSON or CSV file (all or nothing)."""
        from app.catalog.exchange import ImportRefused, import_catalog
        from app.errors import DomainError

        fmt = fmt or path.rsplit(".", 1)[-1].lower()
        with open(path, "rb") as handle:
            data = handle.read()
        try:
            result = import_catalog(_jurisdiction(jurisdiction), data, fmt)
        except (ImportRefused, DomainError) as exc:
            db.session.rollback()
            for error in getattr(exc, "errors", [exc]):
                click.echo(f"{path}: {error.message}", err=True)
            click.echo("nothing was imported", err=True)
            sys.exit(1)
        db.session.commit()
        click.echo(f"imported {result.created} new and {result.updated} updated entries")

    @app.cli.command("catalog-export")
    @click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json")
    @click.option("--output", "-o", type=click.Path(dir_okay=False), help="Default: standard output.")
    @click.option("--jurisdiction", help="Town slug (default: DEFAULT_JURISDICTION).")
    def catalog_export(fmt: str, output: str | None, jurisdiction: str | None):
        """Write the town's catalog (retired entries included) as JSON or CSV."""
        from app.catalog.exchange import export_csv, export_json

        town = _jurisdiction(jurisdiction)
        body = export_json(town) if fmt == "json" else export_csv(town)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                handle.write(body)
        else:
            click.echo(body, nl=False)

    @app.cli.command("catalog-demo-load")
    def catalog_demo_load():
        """Load the Harsewinkel demo catalog (does nothing if the town has entries)."""
        from app.catalog.demo import ENTRIES, load_catalog_demo

        count = load_catalog_demo(db.session, _jurisdiction(None))
        db.session.commit()
        online = sum(1 for e in ENTRIES if e["online"])
        click.echo(f"service catalog: {count} entries loaded ({online} online), see /leistungen" if count
                   else "service catalog already present, see /leistungen")

    @app.cli.command("catalog-rebuild-terms")
    def catalog_rebuild_terms():
        """Rebuild the search vocabulary used for typo correction."""
        from app.catalog.operations import rebuild_terms

        count = rebuild_terms()
        db.session.commit()
        click.echo(f"search vocabulary: {count} words")
