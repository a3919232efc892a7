"""Keep the citizen languages' catalogs (tr, uk, ar) in step with the German msgids.

usage: python scripts/po_citizen.py [--fill T.py] [--report]

Citizen pages and mails speak German, English, Turkish, Ukrainian and Arabic; staff pages stay
German and English. A message is a citizen message when at least one file it is extracted from
is citizen-facing, i.e. not matched by ``STAFF_SOURCES`` (the staff area, the admin pages, the
mails to departments, command-line tools). Each citizen message goes into the catalog of the
citizen package whose English catalog holds it (``CITIZEN_PACKAGES``, in this order), else into
the core catalog ``app/translations``:
``app/<package>/translations/<lang>/LC_MESSAGES/messages.po``.

Existing translations are kept; new ones come from ``--fill``, a Python file defining a dict
``T = {"Deutsch": {"tr": "...", "uk": "...", "ar": "..."}}`` (a pgettext message: the key
``(context, msgid)``; a plural message: a list per language, one form per plural form of
that language: Turkish 2, Ukrainian 3, Arabic 6). ``--report`` lists what is untranslated.
"""
from __future__ import annotations

import argparse
import fnmatch
import importlib.util
import runpy
from collections import defaultdict
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CITIZEN_LANGUAGES = ("tr", "uk", "ar")
# Packages whose catalogs get the citizen languages (staff, areas: German and English only).
CITIZEN_PACKAGES = ("app", "app/public", "app/reports", "app/followers", "app/mapapi", "app/catalog", "app/open311",
                    "app/account", "app/feedback")
# Sources only staff (or a department, or an operator at the console) ever read.
STAFF_SOURCES = (
    "app/admin/*", "app/staff/*", "app/areas/*", "app/ops/*", "app/operator/*", "app/icons/*", "app/demo/*", "app/towns/*", "app/*/cli.py",
    "app/cli.py", "app/catalog/admin.py", "app/catalog/exchange.py", "app/catalog/operations.py",
    "app/open311/admin.py", "app/open311/forms.py", "app/open311/keys.py", "app/outbox/operations.py",
    "app/reports/department_mail.py", "app/workorders/*",
    "app/reports/importing.py", "app/reports/templates/mail/*", "app/feedback/templates/mail/questionnaire_not_fixed.*",
    "templates/staff/*", "templates/admin/*", "templates/catalog/admin/*", "templates/areas/*",
    "templates/open311/*", "templates/ops/*", "templates/demo/*", "templates/mail/staff_*",
    "templates/mail/new_report.*", "templates/mail/reporter_comment.*", "templates/mail/reports_rerouted.*",
)


def _po_update():
    spec = importlib.util.spec_from_file_location("po_update", ROOT / "scripts/po_update.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def is_staff_source(path: str) -> bool:
    return any(fnmatch.fnmatch(path, pattern) for pattern in STAFF_SOURCES)


def extracted() -> dict[tuple[str | None, str], dict]:
    """(context, msgid) → {"files": set, "plural": msgid_plural or None}, from app/ and templates/."""
    po_update = _po_update()
    found: dict[tuple[str | None, str], dict] = {}
    for root in ("app", "templates"):
        for filename, _line, message, _comments, context in po_update.extract_from_dir(
                ROOT / root, po_update.METHODS, keywords=po_update.KEYWORDS):
            msgid = message if isinstance(message, str) else message[0]
            if not msgid:
                continue
            entry = found.setdefault((context, msgid), {"files": set(), "plural": None})
            entry["files"].add(f"{root}/{filename}")
            if not isinstance(message, str):
                entry["plural"] = message[1]
    return found


def citizen_messages() -> dict[tuple[str | None, str], dict]:
    """The messages a citizen may read, with the files they come from."""
    return {key: entry for key, entry in extracted().items()
            if any(not is_staff_source(path) for path in entry["files"])}


def english_homes() -> dict[tuple[str | None, str], str]:
    """(context, msgid) → the citizen package whose English catalog holds it."""
    homes: dict[tuple[str | None, str], str] = {}
    for package in CITIZEN_PACKAGES:
        path = ROOT / package / "translations/en/LC_MESSAGES/messages.po"
        if path.exists():
            for message in read_po(path.open("rb")):
                if message.id:
                    msgid = message.id if isinstance(message.id, str) else message.id[0]
                    homes.setdefault((message.context, msgid), package)
    return homes


def catalog_path(package: str, lang: str) -> Path:
    return ROOT / package / "translations" / lang / "LC_MESSAGES/messages.po"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fill")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    fills = runpy.run_path(args.fill)["T"] if args.fill else {}
    homes = english_homes()
    by_package: dict[str, list] = defaultdict(list)
    for (context, msgid), entry in sorted(citizen_messages().items(), key=lambda item: (item[0][1], item[0][0] or "")):
        by_package[homes.get((context, msgid), "app")].append((context, msgid, entry["plural"]))
    missing_total = 0
    for package in CITIZEN_PACKAGES:
        for lang in CITIZEN_LANGUAGES:
            path = catalog_path(package, lang)
            existing = read_po(path.open("rb")) if path.exists() else Catalog(locale=lang)
            catalog = Catalog(locale=lang, project="maengelmelder", fuzzy=False)
            for context, msgid, plural in by_package.get(package, []):
                old = existing.get(msgid, context)
                fill = (fills.get((context, msgid)) if context else fills.get(msgid)) or {}
                string = fill.get(lang) or (old.string if old else None)
                if plural:
                    forms = list(string) if isinstance(string, (list, tuple)) else []
                    string = tuple(forms) if len(forms) == catalog.num_plurals and all(forms) else \
                        tuple("" for _ in range(catalog.num_plurals))
                    catalog.add((msgid, plural), string, context=context)
                else:
                    catalog.add(msgid, string if isinstance(string, str) else "", context=context)
            if not len(catalog) and not path.exists():
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as out:
                write_po(out, catalog, width=0)
            missing = [m for m in catalog if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])]
            missing_total += len(missing)
            print(f"{path.relative_to(ROOT)}: {len(catalog)} messages, {len(missing)} untranslated")
            if args.report:
                for message in missing:
                    print("  untranslated:", message.id)
    print(f"{missing_total} untranslated in all")


if __name__ == "__main__":
    main()
