"""`flask reports import`: reports from the town's earlier system."""
from __future__ import annotations

import sys
from pathlib import Path

import click


def reports_cli():
    """The `flask reports` command group (made at registration: click reads the locale then)."""
    from flask.cli import AppGroup

    group = AppGroup("reports", help="Reports: import from an earlier system.")

    @group.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check and count everything, change nothing.")
    @click.option("--photos", type=click.Path(exists=True, file_okay=False, path_type=Path),
                  help="Folder with one sub-folder of photos per reference.")
    @click.option("--town", "slug", default=None, help="Town (Open311 jurisdiction id); default: DEFAULT_JURISDICTION.")
    def import_command(file: Path, dry_run: bool, photos: Path | None, slug: str | None):
        """Import a CSV (reference,service_code,lat,long,status,requested_datetime,updated_datetime,
        description,address[,department]) or an Open311 requests.json (by the .json ending).

        Old references stay; reports are routed by today's rules; no mail is sent; a second run
        changes nothing. The last line is `imported=N unchanged=M rejected=K`."""
        from app.db import db
        from app.jurisdictions.queries import jurisdiction_by_slug
        from app.reports.importing import import_reports

        jurisdiction = jurisdiction_by_slug(slug)
        kind = "open311" if file.suffix.lower() == ".json" else "csv"
        try:
            result = import_reports(db.session, jurisdiction, file.read_text(encoding="utf-8-sig"), kind, photos)
        except (ValueError, UnicodeDecodeError) as exc:
            db.session.rollback()
            click.echo(f"{file}: refused, nothing was imported: {exc}", err=True)
            sys.exit(1)
        for line, reason in result.rejected:
            click.echo(f"line {line}: {reason}")
        if dry_run:
            db.session.rollback()
            click.echo("dry run: nothing was changed")
        else:
            db.session.commit()
        click.echo(result.summary())

    return group
