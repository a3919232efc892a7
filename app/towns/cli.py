"""`flask town create|export|apply` and `flask staff create-admin`: an empty installation becomes
a town with two commands, and a town's set-up can be reviewed and applied as a file."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask

from app.db import db


def export_town_file(slug: str, file: Path) -> list[Path]:
    """Write the town file and its area files (``areas/<code>.geojson`` beside it); returns the paths."""
    from app.jurisdictions.queries import jurisdiction_by_slug
    from app.towns.queries import town_spec
    from app.towns.townfile import render_town_file

    spec = town_spec(db.session, jurisdiction_by_slug(slug))
    written = []
    if spec["town"]["crest_data"]:
        path = file.parent / spec["town"]["crest"]
        path.write_bytes(spec["town"]["crest_data"])
        written.append(path)
    for area in spec["areas"]:
        path = file.parent / area["file"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(area["geometry"] + "\n", encoding="utf-8")
        written.append(path)
    file.write_text(render_town_file(spec), encoding="utf-8")
    return [file, *written]


def apply_town_file(file: Path) -> list[str]:
    """Check the file and make the town match it (flushes). Raises ``TownFileError``."""
    from app.towns.operations import apply_town
    from app.towns.townfile import parse_town_file

    spec = parse_town_file(file.read_text(encoding="utf-8"), base_dir=file.parent)
    return apply_town(db.session, spec)


def init_app(app: Flask) -> None:
    from flask.cli import AppGroup

    town_cli = AppGroup("town", help="A town's set-up: create it, export it as a town file, apply a town file.")
    staff_cli = AppGroup("staff", help="Staff accounts.")

    @town_cli.command("create")
    @click.option("--slug", required=True, help="Open311 jurisdiction id, e.g. harsewinkel.de.")
    @click.option("--name", required=True, help="The name as it reads in a sentence, e.g. 'Stadt Harsewinkel'.")
    @click.option("--prefix", "reference_prefix", required=True, help="Reference prefix, e.g. HW (HW-2026-00042).")
    @click.option("--boundary", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
                  help="GeoJSON of the town boundary (WGS 84, ETRS89/UTM 32N, ... as the file declares).")
    @click.option("--contact-email", default="", help="The town's contact address for the service.")
    def create_command(slug, name, reference_prefix, boundary, contact_email):
        """Create a town with its boundary; everything else follows in the admin pages or a town file."""
        from geo.areaimport import AreaImportError
        from app.towns.operations import create_town
        from app.towns.townfile import TownFileError

        try:
            jurisdiction = create_town(db.session, slug=slug, name=name, reference_prefix=reference_prefix,
                                       contact_email=contact_email, boundary=boundary.read_bytes())
        except (AreaImportError, TownFileError) as exc:
            db.session.rollback()
            click.echo("refused, nothing was created:", err=True)
            for error in exc.errors:
                click.echo(f"  {error}", err=True)
            sys.exit(1)
        db.session.commit()
        click.echo(f"created {jurisdiction.name} ({jurisdiction.slug}); next: flask staff create-admin --town {slug}")

    @town_cli.command("export")
    @click.argument("slug")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    def export_command(slug, file):
        """Write the town file FILE (TOML) and its area geometries as GeoJSON files beside it."""
        paths = export_town_file(slug, file)
        click.echo(f"wrote {paths[0]} and {len(paths) - 1} files beside it (areas, crest)")

    @town_cli.command("apply")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Show what would change and change nothing.")
    def apply_command(file, dry_run):
        """Create or update the town to match FILE; prints each change. A bad file changes nothing."""
        from app.towns.townfile import TownFileError

        try:
            lines = apply_town_file(file)
        except TownFileError as exc:
            db.session.rollback()
            click.echo(f"{file}: refused, nothing was changed:", err=True)
            for error in exc.errors:
                click.echo(f"  {error}", err=True)
            sys.exit(1)
        for line in lines:
            click.echo(line)
        count = sum(1 for line in lines if not line.startswith(" "))
        if dry_run:
            db.session.rollback()
            click.echo(f"dry run: {count} changes, nothing was changed")
        else:
            db.session.commit()
            click.echo(f"{count} changes applied" if count else "no changes")

    @staff_cli.command("create-admin")
    @click.option("--town", "slug", default=None, help="Town (Open311 jurisdiction id); default: DEFAULT_JURISDICTION.")
    @click.option("--username", required=True)
    @click.option("--email", required=True)
    @click.option("--name", "display_name", default="Administration")
    @click.password_option(help="At least 10 characters (asked for when not given).")
    def create_admin_command(slug, username, email, display_name, password):
        """Create the town's first admin account (the admin pages create every further account)."""
        from app.errors import DomainError
        from app.towns.operations import create_admin

        try:
            user = create_admin(db.session, slug=slug, username=username, email=email,
                                display_name=display_name, password=password)
        except DomainError as exc:
            db.session.rollback()
            click.echo(f"refused: {exc}", err=True)
            sys.exit(1)
        db.session.commit()
        click.echo(f"created admin account {user.username}")

    app.cli.add_command(town_cli)
    app.cli.add_command(staff_cli)
