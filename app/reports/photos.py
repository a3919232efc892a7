"""Report photos: process through ``media`` and keep the variants in storage."""
from __future__ import annotations

import hashlib
import uuid

from flask import current_app, url_for
from flask_babel import get_locale

from app.db import db, on_rollback
from app.errors import DomainError, ValidationFailed
from app.reports.models import Photo, Report
from media import PhotoLimits, PhotoRejected, ProcessedPhoto, process_photo, store_processed


def photo_version(key: str) -> str:
    """A short tag of a stored variant's key. Redaction stores new keys, so a photo's public
    address changes with its pixels: a browser or proxy that cached the old picture is never
    pointed at it again (the old address redirects to the new one)."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def public_photo_url(photo_id: int, variants: dict, variant: str, external: bool = False) -> str:
    """The public address of a published photo's variant, versioned by its stored key."""
    return url_for("reports.photo", photo_id=photo_id, variant=variant, v=photo_version(variants[variant]),
                   _external=external)


def storage():
    return current_app.extensions["storage"]


def photo_limits(max_bytes: int | None = None) -> PhotoLimits:
    """The installation's limits (MAX_PHOTO_BYTES), or a town's lower ``max_bytes``."""
    return PhotoLimits(max_bytes=max_bytes or current_app.config["MAX_PHOTO_BYTES"])


def process_uploads(uploads: list[bytes], max_bytes: int | None = None) -> list[ProcessedPhoto]:
    """Decode and clean every upload; refuse the whole submission on the first bad one.

    ``max_bytes``: a citizen's town's photo size (app/jurisdictions/limits.py); staff and
    imports are held to the installation's."""
    processed = []
    limits = photo_limits(max_bytes)
    for index, data in enumerate(uploads, start=1):
        try:
            processed.append(process_photo(data, limits))
        except PhotoRejected as exc:
            locale = str(get_locale() or "de")
            prefix = f"Foto {index}: " if locale == "de" else f"Photo {index}: "
            raise ValidationFailed([DomainError(prefix + exc.message_for(locale), "photos", code=exc.code)])
    return processed


def attach_photos(report: Report, processed: list[ProcessedPhoto], published: bool) -> list[Photo]:
    """Store the variants and add Photo rows (flushes). Files go away again on rollback."""
    store = storage()
    photos = []
    for position, item in enumerate(processed, start=len(report.photos)):
        prefix = f"reports/{report.id}/{uuid.uuid4().hex}"
        keys = store_processed(store, prefix, item)
        on_rollback(lambda keys=keys: [store.delete(k) for k in keys.values()])
        photo = Photo(report=report, position=position, variants=keys, width=item.width, height=item.height,
                      sha256=item.sha256, source_type=item.source_type, published=published)
        db.session.add(photo)
        photos.append(photo)
    db.session.flush()
    return photos
