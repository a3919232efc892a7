"""media.storage: a real directory per test; S3 only as far as it can be without a server."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from media import LocalStorage, ProcessedPhoto, S3Storage, Storage, Variant, storage_from_url, store_processed
from media.storage import validate_key

@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "media")


def stray_files(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob(".*") if p.is_file())


# --------------------------------------------------------------------------
# LocalStorage


def test_round_trip(storage: LocalStorage) -> None:
    storage.put("reports/7/abc/display.jpg", b"display bytes", "image/jpeg")
    storage.put("reports/7/abc/thumb.jpg", b"thumb bytes", "image/jpeg")

    assert storage.get("reports/7/abc/display.jpg") == b"display bytes"
    assert storage.exists("reports/7/abc/thumb.jpg")
    assert storage.keys() == ["reports/7/abc/display.jpg", "reports/7/abc/thumb.jpg"]
    assert (storage.root / "reports" / "7" / "abc" / "thumb.jpg").read_bytes() == b"thumb bytes"

    storage.delete("reports/7/abc/display.jpg")
    assert not storage.exists("reports/7/abc/display.jpg")
    assert storage.keys() == ["reports/7/abc/thumb.jpg"]


def test_missing_keys(storage: LocalStorage) -> None:
    with pytest.raises(KeyError):
        storage.get("reports/1/nothing.jpg")
    storage.delete("reports/1/nothing.jpg")  # no error
    assert not storage.exists("reports/1/nothing.jpg")
    assert storage.keys() == []
    storage.put("reports/1/a.jpg", b"a", "image/jpeg")
    with pytest.raises(KeyError):
        storage.get("reports/1")  # a directory is not a stored key
    with pytest.raises(KeyError):
        storage.get("reports/1/a.jpg/deeper")


def test_put_replaces_and_leaves_no_temporary_files(storage: LocalStorage) -> None:
    storage.put("a/photo.jpg", b"old", "image/jpeg")
    storage.put("a/photo.jpg", b"new", "image/jpeg")
    assert storage.get("a/photo.jpg") == b"new"
    assert stray_files(storage.root) == []


def test_files_are_readable_by_a_web_server(storage: LocalStorage) -> None:
    storage.put("a/photo.jpg", b"x", "image/jpeg")
    assert stat.S_IMODE((storage.root / "a" / "photo.jpg").stat().st_mode) == 0o644


def test_a_failed_write_keeps_the_old_file_and_no_temporary_file(
    storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage.put("a/photo.jpg", b"old", "image/jpeg")

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    # Fail at the last step, after the temporary file is fully written.
    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        storage.put("a/photo.jpg", b"new", "image/jpeg")

    assert storage.get("a/photo.jpg") == b"old"
    assert stray_files(storage.root) == []


def test_keys_skip_temporary_files_and_match_string_prefixes(storage: LocalStorage) -> None:
    for key in ("reports/1/a/thumb.jpg", "reports/12/b/thumb.jpg", "reports/2/c/thumb.jpg", "other.jpg"):
        storage.put(key, b"x", "image/jpeg")
    (storage.root / "reports" / "1" / "a" / ".thumb.jpg.x1y2.tmp").write_bytes(b"half")

    assert storage.keys("reports/1") == ["reports/1/a/thumb.jpg", "reports/12/b/thumb.jpg"]
    assert storage.keys("reports/1/") == ["reports/1/a/thumb.jpg"]
    assert storage.keys("reports/9/") == []
    assert storage.keys("oth") == ["other.jpg"]
    assert len(storage.keys()) == 4


BAD_KEYS = [
    "",
    "../etc/passwd",
    "a/../../b",
    "..",
    "/etc/passwd",
    "a\\b.jpg",
    "a//b.jpg",
    "a/",
    "./a.jpg",
    ".hidden",
    "a/\x00b",
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_unsafe_keys_are_refused_by_every_method(storage: LocalStorage, tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError):
        storage.put(key, b"x", "image/jpeg")
    with pytest.raises(ValueError):
        storage.get(key)
    with pytest.raises(ValueError):
        storage.delete(key)
    with pytest.raises(ValueError):
        storage.exists(key)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_ordinary_keys_are_fine() -> None:
    for key in ("a.jpg", "reports/2024/7/3f2a-9c/display.jpg", "a..b.jpg", "ümlaut/ä.jpg"):
        assert validate_key(key) == key


def test_local_storage_satisfies_the_protocol(storage: LocalStorage) -> None:
    assert isinstance(storage, Storage)


# --------------------------------------------------------------------------
# storage_from_url and S3Storage


def test_storage_from_url_for_local_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from_file_url = storage_from_url(f"file://{tmp_path}/photos")
    assert isinstance(from_file_url, LocalStorage) and from_file_url.root == tmp_path / "photos"

    from_path = storage_from_url(str(tmp_path / "other"))
    assert isinstance(from_path, LocalStorage) and from_path.root == tmp_path / "other"

    monkeypatch.chdir(tmp_path)
    relative = storage_from_url("var/media")
    assert isinstance(relative, LocalStorage) and relative.root == tmp_path / "var" / "media"

    encoded = storage_from_url(f"file://{tmp_path}/with%20space")
    assert isinstance(encoded, LocalStorage) and encoded.root == tmp_path / "with space"


@pytest.mark.parametrize(
    "url",
    ["", "file://otherhost/photos", "file://", "ftp://example.org/photos", "s3://bucket/p?endpoint=x", "s3:///prefix"],
)
def test_storage_from_url_refuses_what_it_cannot_mean(url: str) -> None:
    with pytest.raises(ValueError):
        storage_from_url(url)


def test_s3_without_boto3_says_how_to_get_it() -> None:
    # boto3 is installed (the S3 tests need it): hide it from a fresh interpreter.
    probe = (
        "import sys; sys.modules['boto3'] = None\n"
        "from media import S3Storage, storage_from_url\n"
        "for make in (lambda: S3Storage('photos'), lambda: storage_from_url("
        "'s3://photos/maengelmelder?endpoint_url=http://localhost:9000&region=eu-central-1')):\n"
        "    try:\n        make()\n    except ImportError as exc:\n        print(exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("pip install boto3") == 2, result.stdout


def test_s3_url_is_parsed_without_contacting_a_server() -> None:
    # boto3 builds a client without any network access, so this is safe.
    s3 = storage_from_url("s3://photos/maengelmelder/?endpoint_url=http://localhost:9000&region=eu-central-1")
    assert isinstance(s3, S3Storage)
    assert (s3.bucket, s3.prefix) == ("photos", "maengelmelder/")


# --------------------------------------------------------------------------
# store_processed


def make_photo() -> ProcessedPhoto:
    variants = {
        "thumb": Variant("thumb", b"thumb jpeg", "image/jpeg", 320, 240),
        "display": Variant("display", b"display jpeg", "image/jpeg", 1600, 1200),
    }
    return ProcessedPhoto(variants=variants, source_type="jpeg", width=4000, height=3000, gps=None, sha256="0" * 64)


def test_store_processed_puts_every_variant(storage: LocalStorage) -> None:
    keys = store_processed(storage, "reports/7/abc/", make_photo())

    assert keys == {"thumb": "reports/7/abc/thumb.jpg", "display": "reports/7/abc/display.jpg"}
    assert storage.get("reports/7/abc/thumb.jpg") == b"thumb jpeg"
    assert storage.get("reports/7/abc/display.jpg") == b"display jpeg"


def test_store_processed_refuses_an_unsafe_prefix(storage: LocalStorage) -> None:
    with pytest.raises(ValueError):
        store_processed(storage, "../outside", make_photo())
    assert storage.keys() == []


class FailingOnSecondPut(LocalStorage):
    """A real LocalStorage whose disk 'fills up' at the second write."""

    def __init__(self, root: Path, *, delete_fails: bool = False) -> None:
        super().__init__(root)
        self.puts = 0
        self.delete_fails = delete_fails

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.puts += 1
        if self.puts == 2:
            raise OSError(28, "No space left on device")
        super().put(key, data, content_type)

    def delete(self, key: str) -> None:
        if self.delete_fails:
            raise OSError(5, "Input/output error")
        super().delete(key)


def test_store_processed_leaves_nothing_when_a_put_fails(tmp_path: Path) -> None:
    storage = FailingOnSecondPut(tmp_path / "media")

    with pytest.raises(OSError, match="No space left"):
        store_processed(storage, "reports/7/abc", make_photo())

    assert storage.puts == 2
    assert storage.keys() == []
    assert stray_files(tmp_path) == []


def test_store_processed_reraises_the_original_error_when_cleanup_fails_too(tmp_path: Path) -> None:
    storage = FailingOnSecondPut(tmp_path / "media", delete_fails=True)

    with pytest.raises(OSError, match="No space left") as caught:
        store_processed(storage, "reports/7/abc", make_photo())

    assert any("cleanup of reports/7/abc/thumb.jpg failed" in note for note in caught.value.__notes__)
