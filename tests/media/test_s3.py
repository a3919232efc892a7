"""Photos on S3 (issue 22, point 2), against moto's standalone S3 API server over HTTP:
the storage contract, intake → serve → redaction → retention with the app storing on S3,
and `flask media migrate` from a directory to S3 and back, resumable."""
from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from sqlalchemy import select

from app.db import db
from app.reports.models import Photo
from media import LocalStorage, S3Storage, Storage, storage_from_url
from media.transfer import checksums, copy_all
from tests.conftest import csrf_token
from tests.factories import jpeg_bytes, make_report
from tests.intake.conftest import form_data, jpeg_with_gps


def _objects(s3_server, storage: S3Storage) -> set[str]:
    """Object keys as the S3 server lists them (not through the code under test)."""
    pages = s3_server.client().get_paginator("list_objects_v2").paginate(Bucket=storage.bucket)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def test_s3_storage_keeps_the_contract(s3_server, s3_storage):
    assert isinstance(s3_storage, Storage) and s3_storage.prefix == "harsewinkel/"
    s3_storage.put("reports/7/abc/display.jpg", b"display bytes", "image/jpeg")
    s3_storage.put("reports/7/abc/thumb.jpg", b"thumb bytes", "image/jpeg")
    s3_storage.put("reports/70/def/thumb.jpg", b"other", "image/jpeg")
    assert s3_storage.get("reports/7/abc/display.jpg") == b"display bytes"
    assert s3_storage.exists("reports/7/abc/thumb.jpg") and not s3_storage.exists("reports/7/abc/nope.jpg")
    assert s3_storage.keys("reports/7/") == ["reports/7/abc/display.jpg", "reports/7/abc/thumb.jpg"]
    assert len(s3_storage.keys()) == 3
    # Stored under the installation's prefix, with the content type set.
    assert _objects(s3_server, s3_storage) == {"harsewinkel/reports/7/abc/display.jpg",
                                               "harsewinkel/reports/7/abc/thumb.jpg",
                                               "harsewinkel/reports/70/def/thumb.jpg"}
    head = s3_server.client().head_object(Bucket=s3_storage.bucket, Key="harsewinkel/reports/7/abc/thumb.jpg")
    assert head["ContentType"] == "image/jpeg"
    with pytest.raises(KeyError):
        s3_storage.get("reports/7/abc/missing.jpg")
    s3_storage.delete("reports/7/abc/display.jpg")
    s3_storage.delete("reports/7/abc/display.jpg")  # a missing key is not an error
    assert s3_storage.keys("reports/7/") == ["reports/7/abc/thumb.jpg"]
    for bad in ("../etc/passwd", "/abs", "a//b", ".hidden/x"):
        with pytest.raises(ValueError):
            s3_storage.put(bad, b"x", "image/jpeg")
    # Another installation's prefix in the same bucket sees none of it.
    neighbour = storage_from_url(s3_server.url(s3_storage.bucket, "guetersloh"))
    assert neighbour.keys() == []


def test_photos_on_s3_stored_served_redacted_and_cleaned(app, client, s3_server, s3_storage, monkeypatch):
    from tests.staff.helpers import login, make_staff

    monkeypatch.setitem(app.extensions, "storage", s3_storage)
    response = client.post("/melden", data=dict(form_data(csrf_token(client)),
                                                photos=(io.BytesIO(jpeg_with_gps()), "schaden.jpg")),
                           content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    photo = db.session.scalars(select(Photo).order_by(Photo.id.desc())).first()
    keys = set(photo.variants.values())
    assert {"harsewinkel/" + key for key in keys} <= _objects(s3_server, s3_storage)
    served = client.get(f"/fotos/{photo.id}/display.jpg")
    assert served.status_code == 200 and served.data == s3_storage.get(photo.variants["display"])
    with Image.open(io.BytesIO(served.data)) as image:
        assert not image.getexif()  # no GPS or camera data made it to S3

    # Redaction: new keys with black pixels, the unredacted objects are gone from the bucket.
    staff = make_staff("staff", "tiefbau")
    login(client, staff.username)
    report = photo.report
    token = csrf_token(client, f"/intern/meldungen/{report.id}")
    redacted = client.post(f"/intern/meldungen/{report.id}/fotos/{photo.id}/schwaerzen",
                           data={"csrf_token": token, "x": "0", "y": "0", "w": "50", "h": "50"})
    assert redacted.status_code == 303
    db.session.refresh(photo)
    new_keys = set(photo.variants.values())
    assert new_keys.isdisjoint(keys)
    objects = _objects(s3_server, s3_storage)
    assert not {"harsewinkel/" + key for key in keys} & objects
    assert {"harsewinkel/" + key for key in new_keys} <= objects
    with Image.open(io.BytesIO(client.get(f"/fotos/{photo.id}/display.jpg").data)) as image:
        assert sum(image.convert("RGB").getpixel((2, 2))) < 30


def test_retention_deletes_photos_from_s3(committing, s3_server, s3_storage, monkeypatch):
    from datetime import timedelta

    from sqlalchemy import update

    from app.db import utcnow
    from app.reports.models import Report

    monkeypatch.setitem(committing.extensions, "storage", s3_storage)
    old = make_report(photos=[jpeg_bytes()])
    young = make_report(photos=[jpeg_bytes(colour=(0, 90, 0))])
    db.session.commit()
    old_keys = list(old.photos[0].variants.values())
    young_keys = list(young.photos[0].variants.values())
    db.session.execute(update(Report).where(Report.id == old.id)
                       .values(status="unbestaetigt", created_at=utcnow() - timedelta(days=8)))
    db.session.execute(update(Report).where(Report.id == young.id)
                       .values(status="unbestaetigt", created_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    result = committing.test_cli_runner().invoke(args=["retention"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["deleted_reports"] == 1
    objects = _objects(s3_server, s3_storage)
    assert not {"harsewinkel/" + k for k in old_keys} & objects
    assert {"harsewinkel/" + k for k in young_keys} <= objects


class _FailsAfter:
    """A target that breaks after ``n`` puts, as a network cut would (the storage is real)."""

    def __init__(self, storage: Storage, n: int):
        self.storage, self.left = storage, n

    def __getattr__(self, name):
        return getattr(self.storage, name)

    def put(self, key, data, content_type):
        if self.left == 0:
            raise ConnectionError("connection to the S3 endpoint lost")
        self.left -= 1
        self.storage.put(key, data, content_type)


def test_an_interrupted_copy_continues_where_it_stopped(tmp_path, s3_storage):
    source = LocalStorage(tmp_path / "media")
    for number in range(6):
        source.put(f"reports/{number}/x/display.jpg", jpeg_bytes(colour=(number * 40, 0, 0)), "image/jpeg")
    with pytest.raises(ConnectionError):
        copy_all(source, _FailsAfter(s3_storage, 4))
    assert len(s3_storage.keys()) == 4
    again = copy_all(source, s3_storage)
    assert (again.copied, again.skipped) == (2, 4)
    assert checksums(s3_storage) == checksums(source)


def test_flask_media_migrate_from_a_directory_to_s3_and_back(committing, s3_server, s3_storage, tmp_path,
                                                           monkeypatch):
    local = LocalStorage(tmp_path / "before")
    monkeypatch.setitem(committing.extensions, "storage", local)
    monkeypatch.setitem(committing.config, "MEDIA_STORAGE_URL", str(local.root))
    for colour in ((200, 0, 0), (0, 200, 0), (0, 0, 200)):
        make_report(photos=[jpeg_bytes(colour=colour)])
    db.session.commit()
    original = checksums(local)
    assert len(original) == 6  # 3 photos × 2 variants
    s3_url = s3_server.url(s3_storage.bucket, "harsewinkel")
    runner = committing.test_cli_runner()

    # A first run was cut off after two files: the second run copies the rest only.
    s3_storage.put(sorted(original)[0], local.get(sorted(original)[0]), "image/jpeg")
    s3_storage.put(sorted(original)[1], local.get(sorted(original)[1]), "image/jpeg")
    result = runner.invoke(args=["media", "migrate", "--to", s3_url])
    assert result.exit_code == 0, result.output
    assert "copied 4, already there 2" in result.output
    assert checksums(s3_storage) == original
    assert checksums(local) == original  # kept until asked

    # And back into an empty directory, emptying the bucket.
    back = tmp_path / "after"
    result = runner.invoke(args=["media", "migrate", "--from", s3_url, "--to", f"file://{back}", "--delete-source"])
    assert result.exit_code == 0, result.output
    assert "copied 6, already there 0" in result.output and "source emptied" in result.output
    assert checksums(LocalStorage(back)) == original
    assert s3_storage.keys() == [] and _objects(s3_server, s3_storage) == set()


def test_flask_media_migrate_refuses_to_empty_a_source_when_a_photo_is_missing(committing, s3_storage, s3_server,
                                                                              tmp_path, monkeypatch):
    local = LocalStorage(tmp_path / "media")
    monkeypatch.setitem(committing.extensions, "storage", local)
    monkeypatch.setitem(committing.config, "MEDIA_STORAGE_URL", str(local.root))
    report = make_report(photos=[jpeg_bytes()])
    db.session.commit()
    lost = report.photos[0].variants["thumb"]
    local.delete(lost)
    result = committing.test_cli_runner().invoke(
        args=["media", "migrate", "--to", s3_server.url(s3_storage.bucket, "harsewinkel"), "--delete-source"])
    assert result.exit_code != 0
    assert "1 photo file(s)" in result.output and lost in result.output
    assert local.keys() != []  # nothing deleted
