"""What may name a town's video in German Sign Language (``Jurisdiction.sign_language_video``):
a .mp4/.webm file under the static folder, or an https address of the town's own video page.
One rule for the town file and the admin page. No Flask here."""
from __future__ import annotations

import re

_VIDEO_FILE_RE = re.compile(r"^(?!.*\.\.)[A-Za-z0-9_][A-Za-z0-9_./-]{0,400}\.(mp4|webm)$")
_URL_RE = re.compile(r"^https://[^\s<>\"']{4,490}$")


def valid_sign_language_video(value: str) -> bool:
    """Empty (no video yet), an https URL, or a relative .mp4/.webm path without ``..``."""
    return not value or bool(_URL_RE.match(value) or _VIDEO_FILE_RE.match(value))
