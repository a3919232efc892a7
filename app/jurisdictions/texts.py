"""A town's own texts (category names, help, notices, questions, choices) in the citizens' languages.

German is the source and the fallback: a text missing in a language shows in German. English
names, descriptions and groups live in the ``*_en`` columns of migration 1700; everything else
beyond German lives in a ``translations`` object ``{language: {field: text}}`` (migration 2420).
The town file and the admin form use flat keys, ``name_tr`` or ``notice_en``: ``flat_keys``
and ``from_flat`` translate between the two. No Flask here.
"""
from __future__ import annotations

# Languages a town may give its own texts in, besides German.
TEXT_LANGUAGES = ("en", "tr", "uk", "ar")
CATEGORY_FIELDS = ("name", "description", "group", "notice", "stop_notice")
QUESTION_FIELDS = ("label", "help")
# Fields whose English has its own column (read and written there, not in ``translations``).
ENGLISH_COLUMNS = {"name", "description", "group", "label"}


def translated(translations: dict | None, locale: str, field: str) -> str | None:
    """The stored text of ``field`` in ``locale``, or None."""
    return ((translations or {}).get(locale) or {}).get(field) or None


def flat_keys(fields: tuple[str, ...]) -> list[str]:
    """The town file keys of the texts kept in ``translations`` (``notice_en``, ``name_tr`` ...)."""
    return [f"{field}_{lang}" for field in fields for lang in TEXT_LANGUAGES
            if not (lang == "en" and field in ENGLISH_COLUMNS)]


def from_flat(values: dict, fields: tuple[str, ...]) -> dict:
    """``{"name_tr": "Çukur"}`` → ``{"tr": {"name": "Çukur"}}``; empty texts are left out."""
    result: dict[str, dict[str, str]] = {}
    for key in flat_keys(fields):
        text = (values.get(key) or "").strip()
        if text:
            field, lang = key.rsplit("_", 1)
            result.setdefault(lang, {})[field] = text
    return result


def to_flat(translations: dict | None, fields: tuple[str, ...]) -> dict[str, str]:
    """The inverse of ``from_flat``, every key present (empty where no text)."""
    return {key: translated(translations, key.rsplit("_", 1)[1], key.rsplit("_", 1)[0]) or ""
            for key in flat_keys(fields)}


def choice_name(choice: dict, locale: str) -> str:
    """A question's choice in ``locale`` (stored as ``name_en``, ``name_tr`` ... next to ``name``)."""
    if locale != "de" and choice.get(f"name_{locale}"):
        return str(choice[f"name_{locale}"])
    return str(choice.get("name", choice.get("key")))
