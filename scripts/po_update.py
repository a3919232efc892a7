"""Keep an English catalog in step with the German msgids of a feature.

usage: python scripts/po_update.py OUT_DIR SOURCE [SOURCE ...] [--fill T.py]

Extracts msgids from the SOURCE files and directories (Python, Jinja .html/.txt),
merges them into OUT_DIR/translations/en/LC_MESSAGES/messages.po keeping existing
translations, and fills new ones from --fill (a Python file defining a dict T,
German → English; a message with a pgettext context is filled from the key
``(context, msgid)``). German is the source language: an untranslated message
simply shows in German. Flask-Babel merges every package's catalog into one domain,
so German text that means different things in two packages needs a context:
``pgettext("Koordinate", "Breite")`` in Python and in Jinja alike.
"""
from __future__ import annotations

import argparse
import runpy
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
METHODS = [("**.py", "python"), ("**.html", "jinja2"), ("**.txt", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3), "lazy_pgettext": ((1, "c"), 2)}


def _messages(source: Path):
    """(message, context) pairs; context is None outside pgettext."""
    if source.is_dir():
        for _file, _line, message, _c, context in extract_from_dir(source, METHODS, keywords=KEYWORDS):
            yield message, context
    else:
        method = "python" if source.suffix == ".py" else "jinja2"
        for _line, message, _c, context in extract_from_file(method, source, KEYWORDS):
            yield message, context


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("sources", nargs="+")
    parser.add_argument("--fill")
    args = parser.parse_args()
    po_path = ROOT / args.out_dir / "translations/en/LC_MESSAGES/messages.po"
    existing = read_po(po_path.open("rb")) if po_path.exists() else Catalog(locale="en")
    fills = runpy.run_path(args.fill)["T"] if args.fill else {}
    catalog = Catalog(locale="en", project="maengelmelder", fuzzy=False)
    for source in args.sources:
        for message, context in _messages(ROOT / source):
            msgid = message if isinstance(message, str) else message[0]
            if not msgid or catalog.get(msgid, context) is not None:
                continue
            # Only the same context carries a translation over: a context is added because
            # the context-free translation is wrong there.
            old = existing.get(msgid, context)
            fill = fills.get((context, msgid) if context else msgid)
            catalog.add(msgid, fill or (old.string if old else ""), context=context)
    po_path.parent.mkdir(parents=True, exist_ok=True)
    with po_path.open("wb") as out:
        write_po(out, catalog, width=0)
    missing = [m for m in catalog if m.id and not m.string]
    print(f"{po_path.relative_to(ROOT)}: {len(catalog)} messages, {len(missing)} untranslated")
    for message in missing:
        print("  untranslated:", f"[{message.context}] {message.id}" if message.context else message.id)


if __name__ == "__main__":
    main()
