"""Creating and restoring backups (see the package docstring). No Flask here: the URLs
and the storage come from the caller."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from media import LocalStorage, Storage
from media.transfer import checksums, copy_all, sha256

FORMAT = 1
DUMP = "database.dump"
PHOTOS = "photos"
MANIFEST = "manifest.json"
# PostGIS's own table, filled by CREATE EXTENSION, not by us.
_NOT_OURS = ("spatial_ref_sys",)


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why."""


def _libpq_url(url: str) -> str:
    """The SQLAlchemy URL as pg_dump/pg_restore take it (no driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_tool(name: str) -> str:
    found = shutil.which(name) or str(Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")) / name)
    if not Path(found).exists():
        raise BackupError(f"{name} not found (Debian: apt-get install postgresql-client-15)")
    return found


def _tables(connection) -> list[str]:
    return list(connection.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> ALL(:skip) ORDER BY 1"),
        {"skip": list(_NOT_OURS)}).scalars())


def _row_counts(connection) -> dict[str, int]:
    return {table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            for table in _tables(connection)}


def _file_sha256(path: Path) -> str:
    return sha256(path.read_bytes())


def create_backup(directory: str | Path, database_url: str, storage: Storage) -> dict:
    """Dump the database and copy every stored file into ``directory``; returns the manifest.

    The row counts and the dump come from one snapshot (pg_dump --snapshot), so they agree
    even while the service keeps taking reports. Raises BackupError.
    """
    target = Path(directory)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; a backup goes into a new or empty directory")
    target.mkdir(parents=True, exist_ok=True)
    engine = create_engine(database_url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as connection:
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            tables = _row_counts(connection)
            revision = connection.execute(text("SELECT string_agg(version_num, ',') FROM alembic_version")).scalar()
            photo_keys = sorted({key for (variants,) in connection.execute(text("SELECT variants FROM photos"))
                                 for key in variants.values()})
            dump = subprocess.run([_pg_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}",
                                   "--file", str(target / DUMP), "--dbname", _libpq_url(database_url)],
                                  capture_output=True, text=True)
            connection.rollback()
    finally:
        engine.dispose()
    if dump.returncode:
        raise BackupError(f"pg_dump failed: {dump.stderr.strip()}")
    photos = LocalStorage(target / PHOTOS)
    copy_all(storage, photos)
    files = checksums(photos)
    missing = [key for key in photo_keys if key not in files]
    if missing:
        raise BackupError(f"{len(missing)} photo file(s) the database names are not in the storage, "
                          f"e.g. {missing[0]}")
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "schema_revision": revision,
        "database": {"file": DUMP, "sha256": _file_sha256(target / DUMP)},
        "tables": tables,
        "files": files,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return manifest


def _read_manifest(source: Path) -> dict:
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source / MANIFEST} is missing or unreadable ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def _check_backup(source: Path, manifest: dict) -> None:
    """The files of the backup are those the manifest describes (nothing rotted or missing)."""
    if _file_sha256(source / manifest["database"]["file"]) != manifest["database"]["sha256"]:
        raise BackupError("the database dump does not match its checksum in the manifest")
    stored = checksums(LocalStorage(source / PHOTOS))
    if stored != manifest["files"]:
        differing = sorted(set(stored.items()) ^ set(manifest["files"].items()))
        raise BackupError(f"{len(differing)} photo file(s) differ from the manifest, e.g. {differing[0][0]}")


def restore_backup(directory: str | Path, database_url: str, storage: Storage) -> dict:
    """Restore ``directory`` into an empty database and storage, then compare with the manifest.

    Raises BackupError for a damaged backup, a target that is not empty, a failed
    pg_restore, or a result that differs from the manifest.
    """
    source = Path(directory)
    manifest = _read_manifest(source)
    _check_backup(source, manifest)
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            present = _tables(connection)
        if present:
            raise BackupError(f"the target database is not empty ({len(present)} tables, e.g. {present[0]}); "
                              "restore goes into a new, empty database only")
        if storage.keys():
            raise BackupError(f"the target storage {storage!r} is not empty; restore goes into an empty one only")
        restore = subprocess.run([_pg_tool("pg_restore"), "--exit-on-error", "--no-owner", "--no-privileges",
                                  "--dbname", _libpq_url(database_url), str(source / manifest["database"]["file"])],
                                 capture_output=True, text=True)
        if restore.returncode:
            raise BackupError(f"pg_restore failed: {restore.stderr.strip()}")
        copy_all(LocalStorage(source / PHOTOS), storage)
        with engine.connect() as connection:
            counts = _row_counts(connection)
    finally:
        engine.dispose()
    if counts != manifest["tables"]:
        differing = {t: (manifest["tables"].get(t), counts.get(t)) for t in set(counts) | set(manifest["tables"])
                     if counts.get(t) != manifest["tables"].get(t)}
        raise BackupError(f"restored row counts differ from the manifest (expected, found): {differing}")
    if checksums(storage) != manifest["files"]:
        raise BackupError("restored photo files differ from the manifest")
    return manifest
