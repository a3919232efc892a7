"""Backups that restore (issue 22, point 3): `flask backup create` on a database with
reports, photos, mails and staff data; `flask backup restore` into a fresh database and
a fresh storage; every table's row count and every photo file's checksum compared."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text

from app.db import db
from media import LocalStorage
from media.transfer import checksums
from tests.conftest import TEST_SECRET
from tests.factories import GREFFEN, jpeg_bytes, make_report
from tests.services import scratch_database


def _counts(url: str) -> dict[str, int]:
    """Rows per table, read straight from the database (not through the code under test)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                       "AND tablename <> 'spatial_ref_sys'")).scalars().all()
            return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}
    finally:
        engine.dispose()


def _restore_app(url: str, media: str):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_URL": url, "MEDIA_STORAGE_URL": media,
                       "SECRET_KEY": TEST_SECRET, "LOG_LEVEL": "WARNING"})


@pytest.fixture
def filled(committing):
    """Committed reports with photos (and the mails and status rows they cause)."""
    from tests.staff.helpers import make_staff

    for number in range(4):
        make_report(description=f"Schaden {number}", email=f"b{number}@example.org",
                    photos=[jpeg_bytes(colour=(number * 50, 10, 10))])
    make_report(point=GREFFEN, category_code="gully", photos=[jpeg_bytes(), jpeg_bytes(colour=(0, 0, 200))])
    make_staff("admin", username="backup-admin")
    db.session.commit()
    yield committing
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM staff_users WHERE username = 'backup-admin'"))


def test_backup_restores_into_fresh_database_and_storage_with_every_row_and_photo(filled, database_url, tmp_path):
    source_storage = filled.extensions["storage"]
    result = filled.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    source_counts = _counts(database_url)
    assert manifest["tables"] == source_counts
    assert source_counts["reports"] == 5 and source_counts["photos"] == 6 and source_counts["outbox_messages"] > 0
    assert manifest["files"] == checksums(source_storage) and len(manifest["files"]) >= 12
    assert (tmp_path / "backup" / "database.dump").read_bytes()[:5] == b"PGDMP"  # custom format

    with scratch_database("mm_restore") as fresh:
        restored_media = tmp_path / "restored-media"
        app = _restore_app(fresh, str(restored_media))
        with app.app_context():
            result = app.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "backup")])
            assert result.exit_code == 0, result.output
            assert "restored and checked" in result.output
            for engine in db.engines.values():
                engine.dispose()
        assert _counts(fresh) == source_counts  # every table, every row
        assert checksums(LocalStorage(restored_media)) == checksums(source_storage)  # every photo, bit for bit
        # The restored service works: a report page of the backup answers from the new database.
        with app.app_context():
            reference = db.session.execute(text("SELECT r.reference FROM reports r JOIN categories c "
                                                "ON c.id = r.category_id WHERE c.code = 'gully'")).scalar_one()
            db.session.remove()
        page = app.test_client().get(f"/meldungen/{reference}")
        assert page.status_code == 200 and reference in page.get_data(as_text=True)
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()

        # A second restore into the now filled targets is refused and changes nothing.
        app = _restore_app(fresh, str(restored_media))
        with app.app_context():
            again = app.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "backup")])
            for engine in db.engines.values():
                engine.dispose()
        assert again.exit_code != 0 and "not empty" in again.output
        assert _counts(fresh) == source_counts


def test_restore_refuses_a_non_empty_storage_and_a_damaged_backup(filled, tmp_path):
    backup = tmp_path / "backup"
    assert filled.test_cli_runner().invoke(args=["backup", "create", str(backup)]).exit_code == 0
    refused = filled.test_cli_runner().invoke(args=["backup", "create", str(backup)])
    assert refused.exit_code != 0 and "not empty" in refused.output
    with scratch_database("mm_restore") as fresh:
        occupied = tmp_path / "occupied"
        LocalStorage(occupied).put("reports/1/x/thumb.jpg", b"old", "image/jpeg")
        app = _restore_app(fresh, str(occupied))
        with app.app_context():
            result = app.test_cli_runner().invoke(args=["backup", "restore", str(backup)])
            assert result.exit_code != 0 and "target storage" in result.output and "not empty" in result.output
            # A photo file rotted in the backup: refused before anything is written.
            photo = next((backup / "photos").rglob("*.jpg"))
            photo.write_bytes(photo.read_bytes()[:-10])
            result = app.test_cli_runner().invoke(args=["backup", "restore", str(backup)])
            assert result.exit_code != 0 and "differ from the manifest" in result.output
            for engine in db.engines.values():
                engine.dispose()
        assert _counts(fresh) == {}
