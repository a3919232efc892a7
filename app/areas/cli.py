"""`flask addresses ...`, `flask areas ...` and `flask routing ...` commands."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask

from app.db import db


def _jurisdiction(slug: str | None):
    from app.jurisdictions.queries import jurisdiction_by_slug

    return jurisdiction_by_slug(slug)


def init_app(app: Flask) -> None:
    """Define and register the command groups (defined here, not at import: click's
    decorators look up translations, which reads the locale environment)."""
    from flask.cli import AppGroup

    addresses_cli = AppGroup("addresses", help="The address table of the offline geocoder.")

    @addresses_cli.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--jurisdiction", "slug", default=None, help="Town (Open311 jurisdiction id); default: DEFAULT_JURISDICTION.")
    @click.option("--srid", type=int, default=None,
                  help="CRS of the coordinates (default: 4326 for lat/lon columns, 25832 for Ostwert/Nordwert).")
    def import_addresses_command(file: Path, slug: str | None, srid: int | None):
        """Import a CSV of addresses (street, house_number, postcode, ortsteil, lat/lon or east/north).

        All or nothing: a file with a bad line is refused with every problem listed.
        """
        from app.areas.addresses import import_address_file
        from geo.geocoding import AddressFileError

        jurisdiction = _jurisdiction(slug)
        try:
            count = import_address_file(db.session, jurisdiction, file, srid=srid,
                                        progress=lambda done: click.echo(f"  {done} addresses ...", err=True))
        except AddressFileError as exc:
            db.session.rollback()
            click.echo(f"{file}: refused, nothing was imported:", err=True)
            for error in exc.errors[:50]:
                click.echo(f"  {error}", err=True)
            if len(exc.errors) > 50:
                click.echo(f"  ... and {len(exc.errors) - 50} more", err=True)
            sys.exit(1)
        db.session.commit()
        click.echo(f"imported {count} addresses into {jurisdiction.name}")

    areas_cli = AppGroup("areas", help="Areas of a town (boundary, Ortsteile, service areas).")
    routing_cli = AppGroup("routing", help="Routing rules: validation and re-routing of open reports.")

    @areas_cli.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--jurisdiction", "slug", default=None, help="Town (Open311 jurisdiction id); default: DEFAULT_JURISDICTION.")
    @click.option("--srid", type=int, default=None,
                  help="CRS of the file (4326, 25832, ...); default: the file's crs member, else guessed.")
    @click.option("--kind", default="ortsteil", show_default=True,
                  type=click.Choice(["boundary", "district", "ortsteil", "custom"]),
                  help="Kind of the areas unless a feature has a 'kind' property.")
    @click.option("--replace", is_flag=True, help="Replace areas whose code exists (keeps their rules).")
    @click.option("--code-property", default="code", show_default=True)
    @click.option("--name-property", default="name", show_default=True)
    def import_areas_command(file: Path, slug, srid, kind, replace, code_property, name_property):
        """Import areas from GeoJSON, GeoPackage (.gpkg) or a zipped Shapefile (.zip), in the CRS the
        file declares, all or nothing."""
        from geo.areafiles import area_collection
        from geo.areaimport import AreaImportError, import_areas

        jurisdiction = _jurisdiction(slug)
        try:
            result = import_areas(db.session, jurisdiction.id, area_collection(file.read_bytes(), file.name), srid=srid, default_kind=kind,
                                  replace=replace, code_property=code_property, name_property=name_property,
                                  progress=lambda done, total: click.echo(f"  checked {done}/{total} features", err=True))
        except AreaImportError as exc:
            db.session.rollback()
            click.echo(f"{file}: refused, nothing was imported:", err=True)
            for error in exc.errors[:100]:
                click.echo(f"  {error}", err=True)
            sys.exit(1)
        db.session.commit()
        for note in result.repairs:
            click.echo(f"  repaired: {note}")
        click.echo(f"imported {result.count} areas into {jurisdiction.name} from EPSG:{result.srid} "
                   f"({len(result.created)} new, {len(result.replaced)} replaced)")
        click.echo("run `flask routing validate` and `flask routing reroute` to check rules and open reports")

    @routing_cli.command("validate")
    @click.option("--jurisdiction", "slug", default=None, help="Town (Open311 jurisdiction id); default: DEFAULT_JURISDICTION.")
    @click.option("--min-area", default=1.0, show_default=True, help="Ignore slivers below this many m².")
    def validate_command(slug, min_area):
        """Report overlapping or missing coverage, invalid areas and conflicting rules (exit 1 on errors)."""
        from geo.validation import validate_routing

        jurisdiction = _jurisdiction(slug)
        findings = validate_routing(db.session, jurisdiction.id, min_area_m2=min_area)
        for finding in findings:
            click.echo(finding.line())
        errors = sum(f.severity == "error" for f in findings)
        click.echo(f"{jurisdiction.name}: {errors} errors, {len(findings) - errors} warnings")
        db.session.rollback()
        sys.exit(1 if errors else 0)

    @routing_cli.command("reroute")
    @click.option("--jurisdiction", "slug", default=None, help="Town (Open311 jurisdiction id); default: DEFAULT_JURISDICTION.")
    @click.option("--apply", "apply_", is_flag=True, help="Apply (default: preview only).")
    @click.option("--date", "on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Rules in force on this day.")
    @click.option("--reason", default="", help="Why (stored with the run and sent to the departments).")
    def reroute_command(slug, apply_, on, reason):
        """Preview (or apply) moving open reports to the departments the current rules give them."""
        from app.areas.rerouting import apply_rerouting, preview_rerouting

        jurisdiction = _jurisdiction(slug)
        day = on.date() if on else None
        preview = preview_rerouting(jurisdiction, on=day, sample=0)
        plan = preview.plan
        click.echo(f"{plan.considered} open reports: {plan.moved} would move, {plan.relabelled} keep their department "
                   f"with a new rule or area, {plan.outside} lie outside every area, {plan.no_rule} have no rule")
        for source, target, count in preview.flows_named():
            click.echo(f"  {count:6d}  {source.code} -> {target.code}")
        if not apply_:
            db.session.rollback()
            click.echo("preview only; run again with --apply to move them")
            return
        run = apply_rerouting(jurisdiction, actor="cli", expected_fingerprint=plan.fingerprint, on=day, reason=reason)
        db.session.commit()
        click.echo(f"applied: run {run.id}, {run.moved} reports moved, "
                   f"{len(preview.plan.gaining_department_ids)} departments notified")

    app.cli.add_command(addresses_cli)
    app.cli.add_command(areas_cli)
    app.cli.add_command(routing_cli)
