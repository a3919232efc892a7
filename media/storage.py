"""Where photo variants are kept: a local directory, or an S3-compatible bucket.

Keys are relative, slash-separated names such as ``"reports/42/ab12/thumb.jpg"``.
Both backends accept exactly the same keys, so data can move between them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import parse_qs, unquote, urlsplit

if TYPE_CHECKING:
    from media.processing import ProcessedPhoto

log = logging.getLogger(__name__)


@runtime_checkable
class Storage(Protocol):
    """A flat key -> bytes store."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key``, replacing what was there.

        Raises ValueError for an invalid key."""

    def get(self, key: str) -> bytes:
        """Return the bytes stored under ``key``. Raises KeyError if missing."""

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""

    def exists(self, key: str) -> bool:
        """Tell whether ``key`` is stored."""

    def keys(self, prefix: str = "") -> list[str]:
        """Return all stored keys starting with ``prefix``, sorted."""


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative key, else raise ValueError.

    Segments may not be empty or start with a dot: that rules out ``..`` and
    ``.`` (path traversal) as well as hidden files, which LocalStorage uses for
    its temporary files.
    """
    if not isinstance(key, str) or not key:
        raise ValueError("storage key must be a non-empty string")
    if "\\" in key or "\x00" in key:
        raise ValueError(f"storage key may not contain backslashes or NUL: {key!r}")
    if key.startswith("/"):
        raise ValueError(f"storage key must be relative: {key!r}")
    for segment in key.split("/"):
        if not segment or segment.startswith("."):
            raise ValueError(f"storage key has an empty or dot segment: {key!r}")
    return key


class LocalStorage:
    """Files under a root directory; the key is the relative path.

    Writes are atomic (temporary file in the target directory, then
    ``os.replace``), so a reader never sees half a photo and a crash leaves at
    most a hidden ``.*.tmp`` file behind. The content type is not stored: the
    key's extension carries it.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).absolute()

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Write ``data`` to ``root/key`` atomically, creating directories.

        Raises ValueError for an invalid key, OSError if the disk does."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                # Without fsync a power cut after os.replace can leave an
                # empty file under the final name on ext4/xfs.
                os.fsync(tmp.fileno())
            # mkstemp creates 0600; photos are public and a web server running
            # as another user may serve this directory directly.
            os.chmod(tmp_name, 0o644)
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        # Make the rename itself durable: the caller is about to commit a
        # database row that points at this key.
        directory_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory_fd)
        finally:
            os.close(directory_fd)

    def get(self, key: str) -> bytes:
        """Return the file's bytes. Raises KeyError if missing, ValueError for an invalid key."""
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        """Remove the file if present. Raises ValueError for an invalid key."""
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            self._path(key).unlink()
        # Empty directories are left in place: removing them would race with
        # a concurrent put() that has just created one.

    def exists(self, key: str) -> bool:
        """Raises ValueError for an invalid key."""
        return self._path(key).is_file()

    def keys(self, prefix: str = "") -> list[str]:
        """All keys starting with ``prefix`` (a plain string prefix), sorted.

        Raises ValueError if the directory part of ``prefix`` is not a valid key."""
        # Walk only the directory the prefix pins down, not the whole tree.
        directory, _, _ = prefix.rpartition("/")
        start = self._path(directory) if directory else self.root
        found = []
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = [name for name in dirnames if not name.startswith(".")]
            relative = Path(dirpath).relative_to(self.root).as_posix()
            for name in filenames:
                if name.startswith("."):
                    continue  # temporary files of a put() in progress
                key = name if relative == "." else f"{relative}/{name}"
                if key.startswith(prefix):
                    found.append(key)
        return sorted(found)


class S3Storage:
    """Objects in an S3-compatible bucket (AWS, MinIO, Ceph, Hetzner, ...).

    Credentials left as None come from boto3's default chain
    (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, config files, instance
    roles). ``prefix`` is prepended to every key, so one bucket can hold
    several installations.
    """

    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        prefix: str = "",
    ) -> None:
        """Raises ImportError if boto3 is not installed, ValueError for a bad prefix."""
        try:
            # Imported here so that installations storing photos on local
            # disk do not need boto3 at all.
            import boto3
            from botocore.exceptions import ClientError
        except ImportError as exc:
            raise ImportError(
                "S3Storage needs boto3, which is not installed: pip install boto3"
            ) from exc
        if not bucket:
            raise ValueError("S3Storage needs a bucket name")
        prefix = prefix.strip("/")
        self.bucket = bucket
        self.prefix = f"{validate_key(prefix)}/" if prefix else ""
        self._client_error = ClientError
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
        )

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def _object_key(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def _is_not_found(self, exc: Exception) -> bool:
        error = getattr(exc, "response", {}).get("Error", {})
        return str(error.get("Code")) in ("404", "NoSuchKey", "NotFound")

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Raises ValueError for an invalid key, botocore errors from the service."""
        self._client.put_object(
            Bucket=self.bucket, Key=self._object_key(key), Body=data, ContentType=content_type
        )

    def get(self, key: str) -> bytes:
        """Raises KeyError if missing, botocore errors for anything else."""
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._object_key(key))
        except self._client_error as exc:
            if self._is_not_found(exc):
                raise KeyError(key) from None
            raise
        body = response["Body"]
        try:
            return body.read()
        finally:
            body.close()

    def delete(self, key: str) -> None:
        """S3 answers a delete of a missing key with success, as the Protocol wants."""
        self._client.delete_object(Bucket=self.bucket, Key=self._object_key(key))

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self.bucket, Key=self._object_key(key))
        except self._client_error as exc:
            if self._is_not_found(exc):
                return False
            raise
        return True

    def keys(self, prefix: str = "") -> list[str]:
        paginator = self._client.get_paginator("list_objects_v2")
        found = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            found.extend(item["Key"][len(self.prefix) :] for item in page.get("Contents", []))
        return sorted(found)


_S3_OPTIONS = frozenset({"endpoint_url", "region"})


def storage_from_url(url: str) -> Storage:
    """Build a storage from configuration.

    ``file:///abs/path`` or a plain path gives a :class:`LocalStorage`;
    ``s3://bucket/prefix?endpoint_url=https://...&region=eu-central-1`` an
    :class:`S3Storage` with credentials from boto3's default chain.

    Raises ValueError for an unknown scheme or option, ImportError for s3://
    without boto3.
    """
    parts = urlsplit(url)
    if parts.scheme == "s3":
        options = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
        unknown = set(options) - _S3_OPTIONS
        if unknown:
            raise ValueError(f"unknown option(s) in storage URL: {', '.join(sorted(unknown))}")
        if not parts.netloc:
            raise ValueError(f"storage URL has no bucket: {url!r}")
        return S3Storage(
            bucket=parts.netloc,
            endpoint_url=options.get("endpoint_url", [None])[-1] or None,
            region=options.get("region", [None])[-1] or None,
            prefix=unquote(parts.path),
        )
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"file storage URL must be local (file:///path): {url!r}")
        if not parts.path:
            raise ValueError(f"file storage URL has no path: {url!r}")
        return LocalStorage(unquote(parts.path))
    # A Windows drive letter ("C:\...") parses as a one-letter scheme.
    if parts.scheme and len(parts.scheme) > 1:
        raise ValueError(f"unsupported storage URL scheme {parts.scheme!r} (use file:// or s3://)")
    if not url:
        raise ValueError("storage URL is empty")
    return LocalStorage(url)


def store_processed(storage: Storage, key_prefix: str, photo: ProcessedPhoto) -> dict[str, str]:
    """Put every variant of ``photo`` under ``{key_prefix}/{name}.jpg``.

    Returns ``{variant name: key}``. All or nothing: if a put fails, the
    variants already written (and the one that failed) are deleted and the
    error is re-raised, so no photo is ever half stored. Use a fresh prefix
    per photo; a failure would otherwise also delete earlier files under it.

    Raises ValueError for an invalid prefix, and whatever ``storage.put``
    raised.
    """
    key_prefix = validate_key(key_prefix.rstrip("/"))
    stored: dict[str, str] = {}
    attempted: list[str] = []
    try:
        for name, variant in photo.variants.items():
            key = f"{key_prefix}/{name}.jpg"
            attempted.append(key)
            storage.put(key, variant.data, variant.content_type)
            stored[name] = key
    except BaseException as exc:
        for key in attempted:
            try:
                storage.delete(key)
            except Exception as cleanup_error:  # noqa: BLE001 - keep the original error
                log.error("could not remove %s after a failed store", key, exc_info=True)
                exc.add_note(f"cleanup of {key} failed too: {cleanup_error!r}")
        raise
    return stored
