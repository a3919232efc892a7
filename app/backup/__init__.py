"""Backups that restore: ``flask backup create DIR`` and ``flask backup restore DIR``.

A backup is a directory: the database as ``pg_dump`` custom format, every stored photo
file, and ``manifest.json`` with each table's row count and every file's sha256, all
taken from one database snapshot. Restore goes only into an empty database and an empty
storage, and checks the result against the manifest.
"""
from __future__ import annotations

import click
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    @app.cli.group("backup")
    def backup_group():
        """Back the database and the photos up, or restore them."""

    @backup_group.command("create")
    @click.argument("directory", type=click.Path(file_okay=False))
    def create(directory: str):
        """Write a backup into DIRECTORY (new or empty)."""
        from app.backup.operations import BackupError, create_backup

        try:
            manifest = create_backup(directory, current_app.config["SQLALCHEMY_DATABASE_URI"],
                                     current_app.extensions["storage"])
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"backup written to {directory}: {sum(manifest['tables'].values())} rows in "
                   f"{len(manifest['tables'])} tables, {len(manifest['files'])} photo files")

    @backup_group.command("restore")
    @click.argument("directory", type=click.Path(exists=True, file_okay=False))
    def restore(directory: str):
        """Restore DIRECTORY into the empty database (DATABASE_URL) and storage (MEDIA_STORAGE_URL)."""
        from app.backup.operations import BackupError, restore_backup

        try:
            manifest = restore_backup(directory, current_app.config["SQLALCHEMY_DATABASE_URI"],
                                      current_app.extensions["storage"])
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"restored and checked: {sum(manifest['tables'].values())} rows in {len(manifest['tables'])} "
                   f"tables, {len(manifest['files'])} photo files (schema {manifest['schema_revision']})")
