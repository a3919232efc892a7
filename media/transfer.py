"""Copying stored files from one storage to another (directory <-> S3, backups).

Resumable by construction: both backends write a key atomically (a temporary file renamed
into place; one S3 PUT), so a key that exists in the target is complete and is skipped.
An interrupted copy is simply run again.
"""
from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass, field
from typing import Callable

from media.storage import Storage


@dataclass
class Transfer:
    copied: int = 0
    skipped: int = 0
    checksums: dict[str, str] = field(default_factory=dict)  # key -> sha256 of what was copied


def content_type(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def copy_all(source: Storage, target: Storage, prefix: str = "",
             progress: Callable[[str, bool], None] | None = None) -> Transfer:
    """Put every key of ``source`` under ``prefix`` into ``target`` unless it is there already.

    ``progress(key, copied)`` is told about each key. Raises whatever the storages raise;
    what was copied before stays copied, so the next run continues from there.
    """
    result = Transfer()
    existing = set(target.keys(prefix))
    for key in source.keys(prefix):
        if key in existing:
            result.skipped += 1
            if progress:
                progress(key, False)
            continue
        data = source.get(key)
        target.put(key, data, content_type(key))
        result.copied += 1
        result.checksums[key] = sha256(data)
        if progress:
            progress(key, True)
    return result


def checksums(storage: Storage, prefix: str = "") -> dict[str, str]:
    """sha256 of every stored file under ``prefix`` (reads them all)."""
    return {key: sha256(storage.get(key)) for key in storage.keys(prefix)}
