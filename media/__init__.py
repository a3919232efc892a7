"""Photos for defect reports: validate, decode safely, orient, strip metadata,
derive sizes, and keep the results in a small storage interface.

Knows images and storage only: nothing here imports Flask or the database.
"""

from media.errors import PhotoRejected
from media.processing import (
    PhotoLimits,
    ProcessedPhoto,
    Variant,
    process_photo,
    read_gps,
)
from media.storage import (
    LocalStorage,
    S3Storage,
    Storage,
    storage_from_url,
    store_processed,
)

__all__ = [
    "LocalStorage",
    "PhotoLimits",
    "PhotoRejected",
    "ProcessedPhoto",
    "S3Storage",
    "Storage",
    "Variant",
    "process_photo",
    "read_gps",
    "storage_from_url",
    "store_processed",
]
