"""The town's video in German Sign Language: where it is and whether captions come with it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SignLanguageVideo:
    """``url`` (another site: a link) or ``file`` (under the static folder: a <video>), never both."""

    url: str | None = None
    file: str | None = None
    captions: str | None = None  # the WebVTT file beside ``file``, if there is one
    mime: str = "video/mp4"


def sign_language_video(setting: str, static_folder: str | None) -> SignLanguageVideo | None:
    """The video the town set (``Jurisdiction.sign_language_video``), or None while it has none.

    A file that is missing under the static folder counts as none: the page then says so
    instead of showing a player that cannot play."""
    setting = (setting or "").strip()
    if not setting:
        return None
    if setting.startswith("https://"):
        return SignLanguageVideo(url=setting)
    if static_folder is None or ".." in Path(setting).parts or not (Path(static_folder) / setting).is_file():
        return None
    captions = str(Path(setting).with_suffix(".vtt"))
    return SignLanguageVideo(file=setting, captions=captions if (Path(static_folder) / captions).is_file() else None,
                             mime="video/webm" if setting.endswith(".webm") else "video/mp4")
