"""The town file: a town's set-up as TOML (configuration as code), read, checked and written.

One plain-data form serves both directions: ``parse_town_file`` turns a file into it (or
raises ``TownFileError`` naming every bad key with its line), ``render_town_file`` turns it
back into TOML. The writer is deterministic (fixed key order, empty values left out), so a
town exported, applied and exported again gives the same bytes. No database, no Flask.

The form (every key of the file; those marked * are required)::

    town        {slug*, name*, reference_prefix*, contact_email, hosts: [host name], crest, public_deadlines,
                 sign_language_video, languages: [code], legal: {field: text}, profile: {key: value}}
                (``hosts``: the names the town is served on, the first one in mail links;
                ``languages``: those of the installation's languages the town offers, German always,
                e.g. ["de", "en", "tr"]; without it they stay as they are;
                without a ``legal`` or ``profile`` table those stay as they are; ``crest``: an SVG
                or PNG file beside the town file, sanitised as the admin page does; without it the
                crest stays; profile keys: app/jurisdictions/profile.py)
    departments [{code*, name*, emails, notification, digest_hour, webhook_url}]
    areas       [{code*, name*, kind*, file*, rank}]   file: GeoJSON (WGS 84) beside the town file;
                (rank: 0 to 100, the higher wins where areas overlap; without it the kind's rank,
                geo/areas.py AREA_KIND_RANK: boundary 0, district 10, ortsteil 20, custom 30)
    categories  [{code*, name*, name_en, description, description_en, group, group_en, icon, publish_immediately, active,
                  target_days, reminder_days, notice, stop_notice, questions: [{code*, label*, label_en, kind, required,
                  help, order, choices: [{key*, name*, name_en, name_tr, name_uk, name_ar}]}],
                  and the texts in other languages: name_tr, description_uk, notice_en, stop_notice_ar ...
                  (app/jurisdictions/texts.py; questions: label_tr, help_en ...)}]
                (icon: a name of the icon set in app/icons, e.g. "bulb"; empty for none)
    rules       [{area, category, department*, valid_from, valid_until}]
"""
from __future__ import annotations

import json
import re
import tomllib
from datetime import date
from pathlib import Path

from app.icons import CATEGORY_ICONS, is_icon
from app.jurisdictions import profile as town_profile
from app.jurisdictions.legal import FIELD_NAMES, LegalSettingsError, merged_legal
from app.jurisdictions.video import valid_sign_language_video
from app.jurisdictions.texts import CATEGORY_FIELDS, QUESTION_FIELDS, TEXT_LANGUAGES, flat_keys
from app.validation import is_email
from geo.areas import AREA_KIND_RANK

AREA_KINDS = tuple(AREA_KIND_RANK)
NOTIFICATION_MODES = ("immediate", "digest")
# Open311 attribute datatypes; a yes/no question is a singlevaluelist with the choices ja/nein.
QUESTION_KINDS = ("string", "text", "number", "datetime", "singlevaluelist", "multivaluelist")
CHOICE_KINDS = ("singlevaluelist", "multivaluelist")
STATUSES_WITH_REMINDERS = ("eingegangen", "in_pruefung", "in_bearbeitung")
_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
_PREFIX_RE = re.compile(r"^[A-Z0-9]{1,8}$")


class TownFileError(ValueError):
    """The file was refused; ``errors`` names every problem as "line N: key: what is wrong"."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


# key, type, required, default (None: no default, the key is simply absent)
_TOWN = (("slug", str, True, None), ("name", str, True, None), ("reference_prefix", str, True, None),
         ("contact_email", str, False, ""), ("hosts", list, False, []), ("crest", str, False, ""),
         ("public_deadlines", bool, False, False), ("sign_language_video", str, False, ""),
         ("languages", list, False, None))
# A host name as the browser sends it (no scheme, port or path): maengelmelder.harsewinkel.de
_HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
_DEPARTMENT = (("code", str, True, None), ("name", str, True, None), ("emails", list, False, []),
               ("notification", str, False, "immediate"), ("digest_hour", int, False, 7),
               ("webhook_url", str, False, ""))
_AREA = (("code", str, True, None), ("name", str, True, None), ("kind", str, True, None),
         ("file", str, True, None), ("rank", int, False, None))
_CATEGORY = (("code", str, True, None), ("name", str, True, None), ("name_en", str, False, ""),
             ("description", str, False, ""), ("description_en", str, False, ""), ("group", str, False, ""),
             ("group_en", str, False, ""), ("icon", str, False, ""),
             ("publish_immediately", bool, False, False), ("active", bool, False, True),
             ("target_days", int, False, 14), ("reminder_days", dict, False, None),
             ("notice", str, False, ""), ("stop_notice", str, False, ""), ("questions", list, False, [])) + tuple(
    (key, str, False, "") for key in flat_keys(CATEGORY_FIELDS))
_QUESTION = (("code", str, True, None), ("label", str, True, None), ("label_en", str, False, ""),
             ("kind", str, False, "string"), ("required", bool, False, False), ("help", str, False, ""),
             ("order", int, False, 0), ("choices", list, False, [])) + tuple(
    (key, str, False, "") for key in flat_keys(QUESTION_FIELDS))
_CHOICE = (("key", str, True, None), ("name", str, True, None)) + tuple(
    (f"name_{lang}", str, False, "") for lang in TEXT_LANGUAGES)
_RULE = (("area", str, False, None), ("category", str, False, None), ("department", str, True, None),
         ("valid_from", date, False, None), ("valid_until", date, False, None))
_TOP = ("town", "departments", "areas", "categories", "rules")
DEFAULT_REMINDER_DAYS = {"eingegangen": 2, "in_pruefung": 5, "in_bearbeitung": 21}


class _Lines:
    """Best-effort line numbers for keys: the n-th ``[[table]]`` header and a ``key =`` after it."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def find(self, header: str, index: int, key: str | None) -> int | None:
        start, seen = None, -1
        for number, line in enumerate(self.lines):
            if line.strip() == header:
                seen += 1
                if seen == index:
                    start = number
                    break
        if start is None:
            return None
        if key is None:
            return start + 1
        for number in range(start + 1, len(self.lines)):
            stripped = self.lines[number].strip()
            if stripped.startswith("[") and not stripped.startswith("[["):
                if not stripped.startswith(header.strip("[]") + "."):
                    break
            if stripped.startswith("[[") and stripped != header and number > start:
                if not stripped.startswith("[[" + header.strip("[]") + "."):
                    break
            if re.match(rf"^{re.escape(key)}\s*=", stripped):
                return number + 1
        return start + 1


class _Checker:
    def __init__(self, text: str):
        self.errors: list[str] = []
        self.where = _Lines(text)

    def error(self, path: str, message: str, line: int | None) -> None:
        self.errors.append(f"line {line}: {path}: {message}" if line else f"{path}: {message}")

    def table(self, raw: object, spec, path: str, header: str, index: int) -> dict:
        """Check one table against ``spec``: types, required keys, no unknown keys; defaults filled."""
        line = self.where.find(header, index, None)
        if not isinstance(raw, dict):
            self.error(path, "must be a table", line)
            return {}
        known = {key for key, *_ in spec}
        result: dict = {}
        for key in raw:
            if key not in known:
                self.error(f"{path}.{key}", "unknown key (allowed: " + ", ".join(sorted(known)) + ")",
                           self.where.find(header, index, key))
        for key, kind, required, default in spec:
            if key not in raw:
                if required:
                    self.error(f"{path}.{key}", "missing", line)
                result[key] = list(default) if isinstance(default, list) else default
                continue
            value = raw[key]
            ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
            if kind is date and ok and type(value) is not date:
                ok = False  # a date with a time is not a validity day
            if not ok:
                names = {str: "a text", int: "a whole number", bool: "true or false", list: "a list",
                         dict: "a table", date: "a date like 2026-01-31"}
                self.error(f"{path}.{key}", f"must be {names[kind]}", self.where.find(header, index, key))
                result[key] = list(default) if isinstance(default, list) else default
                continue
            result[key] = value.strip() if isinstance(value, str) else value
        return result

    def code(self, value: object, path: str, line: int | None) -> None:
        if isinstance(value, str) and not _CODE_RE.match(value):
            self.error(path, f"{value!r} is not a code (lower-case letters, digits, '.', '_', '-')", line)


def check_town_header(town: dict) -> list[str]:
    """Problems of a town's slug, name, prefix and contact address (for `flask town create`)."""
    errors = []
    if not re.match(r"^[a-z0-9][a-z0-9.-]{1,99}$", town.get("slug") or ""):
        errors.append("slug: lower-case letters, digits, '.' and '-', e.g. harsewinkel.de")
    if not town.get("name"):
        errors.append("name: missing")
    if not _PREFIX_RE.match(town.get("reference_prefix") or ""):
        errors.append("reference_prefix: 1 to 8 capital letters or digits")
    if town.get("contact_email") and not is_email(town["contact_email"]):
        errors.append(f"contact_email: {town['contact_email']!r} is not an e-mail address")
    return errors


def language_choice(codes: list) -> tuple[list[str], list[str]]:
    """(the languages in a fixed order, German first and always; what is wrong with ``codes``)."""
    known = ("de",) + TEXT_LANGUAGES
    problems = [f"{code!r} is not a language of this service (allowed: {', '.join(known)})"
                for code in codes if code not in known]
    return [code for code in known if code == "de" or code in codes], problems


def host_problems(hosts: list) -> list[str]:
    """What is wrong with a town's host names (each a bare lower-case DNS name, none twice)."""
    problems = []
    for host in hosts:
        if not isinstance(host, str) or not _HOST_RE.match(host):
            problems.append(f"{host!r} is not a host name like maengelmelder.harsewinkel.de (lower case, no "
                            "scheme, port or path)")
    if len(set(hosts)) != len(hosts):
        problems.append("a host name is listed twice")
    return problems


def parse_town_file(text: str, base_dir: Path | None = None) -> dict:
    """Read and check a town file; returns the plain-data form (with ``geometry`` text per area
    when ``base_dir`` is given). Raises ``TownFileError`` listing every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TownFileError([f"not a TOML file: {exc}"]) from None
    check = _Checker(text)
    for key in raw:
        if key not in _TOP:
            check.error(key, "unknown key (allowed: " + ", ".join(_TOP) + ")", None)
    town = check.table(raw.get("town"), _TOWN + (("legal", dict, False, None), ("profile", dict, False, None)),
                       "town", "[town]", 0)
    if "town" not in raw:
        check.errors.append("town: missing")
    # No [town.legal] table: the file leaves the statement details as they are (`flask town-legal`).
    legal = town.pop("legal", None)
    # No [town.profile] table: the profile stays as the admin page set it.
    profile = town.pop("profile", None)
    town["profile"] = None
    if profile is not None:
        try:
            town["profile"] = town_profile.clean_profile(profile)
        except town_profile.ProfileError as exc:
            for key, problem in exc.problems.items():
                check.error(f"town.profile.{key}", problem, check.where.find("[town.profile]", 0, key))
    town["crest_data"], town["crest_type"] = None, None
    if town.get("crest") and base_dir is not None:
        town["crest_data"], town["crest_type"] = _read_crest(base_dir, town["crest"], check)
    if town.get("reference_prefix") and not _PREFIX_RE.match(town["reference_prefix"]):
        check.error("town.reference_prefix", "1 to 8 capital letters or digits", check.where.find("[town]", 0, "reference_prefix"))
    if town.get("contact_email") and not is_email(town["contact_email"]):
        check.error("town.contact_email", f"{town['contact_email']!r} is not an e-mail address",
                    check.where.find("[town]", 0, "contact_email"))
    for problem in host_problems(town.get("hosts") or []):
        check.error("town.hosts", problem, check.where.find("[town]", 0, "hosts"))
    if town.get("languages") is not None:
        town["languages"], problems = language_choice(town["languages"])
        for problem in problems:
            check.error("town.languages", problem, check.where.find("[town]", 0, "languages"))
    video = town.get("sign_language_video") or ""
    if not valid_sign_language_video(video):
        check.error("town.sign_language_video", "an https:// address or a .mp4/.webm file under app/static",
                    check.where.find("[town]", 0, "sign_language_video"))
    try:
        town["legal"] = None if legal is None else \
            merged_legal({}, {k: (v if isinstance(v, str) else repr(v)) for k, v in legal.items()})
    except LegalSettingsError as exc:
        for problem in getattr(exc, "problems", [exc]):
            check.error(f"town.legal.{problem.field}", str(problem), check.where.find("[town.legal]", 0, problem.field))
        town["legal"] = {}

    def items(name: str, spec) -> list[dict]:
        values = raw.get(name, [])
        if not isinstance(values, list):
            check.error(name, "must be a list of tables ([[" + name + "]])", None)
            return []
        result, seen = [], set()
        for index, value in enumerate(values):
            item = check.table(value, spec, f"{name}[{index + 1}]", f"[[{name}]]", index)
            line = check.where.find(f"[[{name}]]", index, "code")
            if "code" in item:
                check.code(item["code"], f"{name}[{index + 1}].code", line)
                if item["code"] in seen:
                    check.error(f"{name}[{index + 1}].code", f"{item['code']!r} appears twice", line)
                seen.add(item["code"])
            result.append(item)
        return result

    departments = items("departments", _DEPARTMENT)
    for index, item in enumerate(departments, start=1):
        line = check.where.find("[[departments]]", index - 1, "emails")
        emails = item.get("emails") or []
        for address in emails:
            if not isinstance(address, str) or not is_email(address):
                check.error(f"departments[{index}].emails", f"{address!r} is not an e-mail address", line)
        if len(set(emails)) != len(emails):
            check.error(f"departments[{index}].emails", "an address appears twice", line)
        if item.get("notification") not in NOTIFICATION_MODES:
            check.error(f"departments[{index}].notification", "one of " + ", ".join(NOTIFICATION_MODES),
                        check.where.find("[[departments]]", index - 1, "notification"))
        if isinstance(item.get("digest_hour"), int) and not 0 <= item["digest_hour"] <= 23:
            check.error(f"departments[{index}].digest_hour", "an hour from 0 to 23",
                        check.where.find("[[departments]]", index - 1, "digest_hour"))
        if item.get("webhook_url") and not re.match(r"^https?://\S+$", item["webhook_url"]):
            check.error(f"departments[{index}].webhook_url", "a web address starting with https://",
                        check.where.find("[[departments]]", index - 1, "webhook_url"))

    areas = items("areas", _AREA)
    for index, item in enumerate(areas, start=1):
        if item.get("kind") and item["kind"] not in AREA_KINDS:
            check.error(f"areas[{index}].kind", "one of " + ", ".join(AREA_KINDS),
                        check.where.find("[[areas]]", index - 1, "kind"))
        if isinstance(item.get("rank"), int):
            if not 0 <= item["rank"] <= 100:
                check.error(f"areas[{index}].rank", "a whole number from 0 to 100",
                            check.where.find("[[areas]]", index - 1, "rank"))
            elif item["rank"] == AREA_KIND_RANK.get(item.get("kind")):
                item["rank"] = None  # the kind's own rank: the file need not say it (and the export does not)
        if base_dir is not None and isinstance(item.get("file"), str):
            item["geometry"] = _read_geometry(base_dir, item["file"], f"areas[{index}].file",
                                              check.where.find("[[areas]]", index - 1, "file"), check)

    categories = items("categories", _CATEGORY)
    for index, item in enumerate(categories, start=1):
        _check_category(check, item, index)

    rules = []
    raw_rules = raw.get("rules", [])
    if not isinstance(raw_rules, list):
        check.error("rules", "must be a list of tables ([[rules]])", None)
        raw_rules = []
    refs = {"area": {a.get("code") for a in areas}, "category": {c.get("code") for c in categories},
            "department": {d.get("code") for d in departments}}
    seen_rules = set()
    for index, value in enumerate(raw_rules):
        rule = check.table(value, _RULE, f"rules[{index + 1}]", "[[rules]]", index)
        for key, codes in refs.items():
            if rule.get(key) is not None and rule[key] not in codes:
                check.error(f"rules[{index + 1}].{key}", f"{rule[key]!r} is not a {key} code of this file",
                            check.where.find("[[rules]]", index, key))
        if rule.get("valid_from") and rule.get("valid_until") and rule["valid_from"] > rule["valid_until"]:
            check.error(f"rules[{index + 1}].valid_until", "before valid_from",
                        check.where.find("[[rules]]", index, "valid_until"))
        key = rule_key(rule)
        if key in seen_rules:
            check.error(f"rules[{index + 1}]", "the same rule appears twice", check.where.find("[[rules]]", index, None))
        seen_rules.add(key)
        rules.append(rule)
    if check.errors:
        raise TownFileError(check.errors)
    return {"town": town, "departments": departments, "areas": areas, "categories": categories, "rules": rules}


def _check_category(check: _Checker, item: dict, index: int) -> None:
    path = f"categories[{index}]"
    header = "[[categories]]"
    if item.get("icon") and not is_icon(item["icon"]):
        check.error(f"{path}.icon", "an icon name of the set (app/icons), e.g. " + ", ".join(list(CATEGORY_ICONS)[:4]),
                    check.where.find(header, index - 1, "icon"))
    if isinstance(item.get("target_days"), int) and not 1 <= item["target_days"] <= 365:
        check.error(f"{path}.target_days", "a number of days from 1 to 365", check.where.find(header, index - 1, "target_days"))
    reminders = item.get("reminder_days")
    if reminders is None:
        item["reminder_days"] = dict(DEFAULT_REMINDER_DAYS)
    else:
        for status, days in reminders.items():
            if status not in STATUSES_WITH_REMINDERS or not isinstance(days, int) or isinstance(days, bool) \
                    or not 1 <= days <= 365:
                check.error(f"{path}.reminder_days.{status}",
                            "a status of " + ", ".join(STATUSES_WITH_REMINDERS) + " with 1 to 365 days",
                            check.where.find(header, index - 1, "reminder_days"))
    questions, seen = [], set()
    # Questions are [[categories.questions]] tables; their lines are counted over the whole file.
    for number, raw in enumerate(item.get("questions") or [], start=1):
        qpath = f"{path}.questions[{number}]"
        question = check.table(raw, _QUESTION, qpath, "[[categories.questions]]", -1)
        if question.get("code") in seen:
            check.error(f"{qpath}.code", f"{question['code']!r} appears twice", None)
        seen.add(question.get("code"))
        check.code(question.get("code"), f"{qpath}.code", None)
        if question.get("kind") not in QUESTION_KINDS:
            check.error(f"{qpath}.kind", "one of " + ", ".join(QUESTION_KINDS), None)
        choices = []
        for cnumber, choice in enumerate(question.get("choices") or [], start=1):
            choices.append(check.table(choice, _CHOICE, f"{qpath}.choices[{cnumber}]", "", -1))
        question["choices"] = choices
        if question.get("kind") in CHOICE_KINDS and not choices:
            check.error(f"{qpath}.choices", "a choice question needs choices", None)
        if question.get("kind") not in CHOICE_KINDS and choices:
            check.error(f"{qpath}.choices", "only singlevaluelist and multivaluelist questions have choices", None)
        questions.append(question)
    item["questions"] = questions


def _read_crest(base_dir: Path, name: str, check: _Checker) -> tuple[bytes | None, str | None]:
    from media.crest import CrestRejected, clean_crest

    line = check.where.find("[town]", 0, "crest")
    if Path(name).is_absolute() or ".." in Path(name).parts:
        check.error("town.crest", f"{name!r}: give a path relative to the town file, inside its folder", line)
        return None, None
    try:
        return clean_crest((base_dir / name).read_bytes())
    except FileNotFoundError:
        check.error("town.crest", f"{name!r} does not exist", line)
    except CrestRejected as exc:
        check.error("town.crest", f"{name!r} is not a crest we can use ({exc.code}): an SVG or PNG up to 512 KB", line)
    return None, None


def crest_file_name(media_type: str) -> str:
    return "crest.png" if media_type == "image/png" else "crest.svg"


def _read_geometry(base_dir: Path, name: str, path: str, line: int | None, check: _Checker) -> str | None:
    """The GeoJSON geometry of an area file (a geometry, a Feature or a one-feature collection)."""
    file = (base_dir / name)
    if Path(name).is_absolute() or ".." in Path(name).parts:
        check.error(path, f"{name!r}: give a path relative to the town file, inside its folder", line)
        return None
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        check.error(path, f"{name!r} does not exist", line)
        return None
    except (ValueError, UnicodeDecodeError) as exc:
        check.error(path, f"{name!r} is not GeoJSON: {exc}", line)
        return None
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features") or []
        data = features[0] if len(features) == 1 else None
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in ("Polygon", "MultiPolygon"):
        check.error(path, f"{name!r}: expected one Polygon or MultiPolygon (WGS 84)", line)
        return None
    return json.dumps(data)


def rule_key(rule: dict) -> tuple:
    """What makes a rule the same rule: where, what, who, when."""
    return (rule.get("area") or "", rule.get("category") or "", rule["department"] if rule.get("department") else "",
            str(rule.get("valid_from") or ""), str(rule.get("valid_until") or ""))


# ---------------------------------------------------------------------------------- writing

def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (int, date)):
        return str(value) if not isinstance(value, date) else value.isoformat()
    if isinstance(value, str):
        # A JSON string is a valid TOML basic string (same escapes).
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__}")


def _lines(item: dict, spec, skip: tuple[str, ...] = ()) -> list[str]:
    """``key = value`` lines in the spec's order; optional keys at their default are left out."""
    lines = []
    for key, _kind, required, default in spec:
        if key in skip or key not in item:
            continue
        value = item[key]
        if not required and (value == default or value is None or value == "" or value == []):
            continue
        lines.append(f"{key} = {_value(value)}")
    return lines


def render_town_file(spec: dict) -> str:
    """The TOML text of a town's plain-data form (deterministic: same form, same bytes)."""
    out = ["# Mängelmelder town file: apply with `flask town apply FILE --dry-run`, then without.", ""]
    out += ["[town]"] + _lines(spec["town"], _TOWN)
    if spec["town"].get("legal"):
        out += ["", "[town.legal]"] + [f"{k} = {_value(spec['town']['legal'][k])}"
                                       for k in FIELD_NAMES if k in spec["town"]["legal"]]
    if spec["town"].get("profile"):
        out += ["", "[town.profile]"] + [f"{k} = {_value(spec['town']['profile'][k])}"
                                         for k in town_profile.FIELD_NAMES if k in spec["town"]["profile"]]
    for department in spec["departments"]:
        out += ["", "[[departments]]"] + _lines(department, _DEPARTMENT)
    for area in spec["areas"]:
        out += ["", "[[areas]]"] + _lines(area, _AREA)
    for category in spec["categories"]:
        category = dict(category)
        if category.get("reminder_days") == DEFAULT_REMINDER_DAYS:
            category["reminder_days"] = None
        elif category.get("reminder_days"):
            category["reminder_days"] = {k: category["reminder_days"][k] for k in STATUSES_WITH_REMINDERS
                                         if k in category["reminder_days"]}
        out += ["", "[[categories]]"] + _lines(category, _CATEGORY, skip=("questions",))
        for question in category.get("questions") or []:
            question = dict(question)
            question["choices"] = [{k: v for k, v in c.items() if v or not k.startswith("name_")}
                                   for c in question["choices"]]
            out += ["", "[[categories.questions]]"] + _lines(question, _QUESTION)
    for rule in sorted(spec["rules"], key=rule_key):
        out += ["", "[[rules]]"] + _lines(rule, _RULE)
    return "\n".join(out) + "\n"
