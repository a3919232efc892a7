"""Errors raised by the media package."""

from __future__ import annotations


class PhotoRejected(Exception):
    """An uploaded photo was refused; the messages say why in plain words.

    ``code`` is stable and meant for programs (logs, metrics, API answers);
    ``message`` (German) and ``message_en`` are meant for the citizen who
    uploaded the file, so they name the problem and, where possible, the fix.
    """

    code: str
    message: str
    message_en: str

    def __init__(self, code: str, message_de: str, message_en: str) -> None:
        # str(exc) is what ends up in logs and tracebacks: keep the code in it.
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message = message_de
        self.message_en = message_en

    def message_for(self, locale: str) -> str:
        """Return the message in the language of ``locale`` ("de", "en_GB", "en-US", ...).

        German is the service's language, so every locale that is not English
        gets the German sentence.
        """
        language = locale.replace("-", "_").split("_", 1)[0].strip().lower()
        return self.message_en if language == "en" else self.message

    def __reduce__(self) -> tuple[type[PhotoRejected], tuple[str, str, str]]:
        # Exceptions pickle their ``args`` by default, which here is the single
        # log string; rebuild from the three fields instead so a rejection can
        # cross a process boundary (job queue results) intact.
        return (type(self), (self.code, self.message, self.message_en))
