"""Making a town match its town file, and creating one from a boundary (they flush; the caller
commits, or rolls back for a dry run). Every change is audited with its before and after."""
from __future__ import annotations

import json
from datetime import date

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from app.jurisdictions.models import Area, Category, Department, Jurisdiction, JurisdictionHost, RoutingRule
from app.jurisdictions.texts import CATEGORY_FIELDS, QUESTION_FIELDS, flat_keys, from_flat
from app.open311.models import ReportAttributeValue, ServiceAttribute
from app.staff.audit import record
from app.towns.queries import GEOJSON_DIGITS, category_spec, department_spec, question_spec, town_spec
from app.towns.townfile import TownFileError, rule_key
from geo.areas import rank_in_effect

ACTOR = "town-file"
# The stored form of a file's geometry: made valid, rounded to the file's 7 decimals through text
# (as geo.areaimport does), made valid again (rounding can fold a thin sliver), multi.
_PREPARE = text(
    "SELECT ST_AsEWKB(g), ST_AsGeoJSON(g, :digits) FROM (SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid("
    "ST_GeomFromText(ST_AsText(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326)), 3), "
    ":digits), 4326)), 3)) AS g) AS s")
_INSERT_AREA = text(
    "INSERT INTO areas (jurisdiction_id, code, name, kind, rank, geom, area_m2) "
    "SELECT :jid, :code, :name, :kind, :rank, g, ST_Area(g::geography) "
    "FROM (SELECT ST_GeomFromEWKB(:ewkb) AS g) AS s RETURNING id")
_UPDATE_GEOMETRY = text(
    "UPDATE areas SET geom = g, area_m2 = ST_Area(g::geography) "
    "FROM (SELECT ST_GeomFromEWKB(:ewkb) AS g) AS s WHERE id = :id")


def _json(value: object) -> object:
    """Audit values as JSON (dates as text)."""
    return value.isoformat() if isinstance(value, date) else value


def _diff(before: dict, after: dict, keys) -> dict:
    return {k: [_json(before.get(k)), _json(after.get(k))] for k in keys if before.get(k) != after.get(k)}


class _Changes:
    """Collects what changed: one console line and one audit entry per change."""

    def __init__(self, jurisdiction_id: int | None):
        self.jurisdiction_id = jurisdiction_id
        self.lines: list[str] = []

    def add(self, action: str, target: str, line: str, changes: dict) -> None:
        self.lines.append(line)
        record(f"town_file.{action}", jurisdiction_id=self.jurisdiction_id, target=target, changes=changes,
               actor=ACTOR)


def _crest_label(town: dict) -> str | None:
    """A crest in the audit log and the output: its type and a short fingerprint, not its bytes."""
    import hashlib

    data = town.get("crest_data")
    return f"{town['crest_type']} sha256:{hashlib.sha256(data).hexdigest()[:12]}" if data else None


def _describe(diff: dict) -> str:
    def short(v):
        text_ = json.dumps(v, ensure_ascii=False, default=str)
        return text_ if len(text_) <= 60 else text_[:57] + "..."
    return "; ".join(f"{k} {short(old)} → {short(new)}" for k, (old, new) in diff.items())


def check_ceilings(profile: dict) -> None:
    """Refuse a profile whose limits lie above the installation's (the file's own checks know
    no settings); raises TownFileError naming each such key."""
    from flask import current_app

    from app.jurisdictions.limits import ceilings
    from app.jurisdictions.profile import ProfileError, clean_profile

    try:
        clean_profile(profile, ceilings(current_app.config))
    except ProfileError as exc:
        raise TownFileError([f"town.profile.{key}: {problem}" for key, problem in exc.problems.items()]) from None


def apply_town(session: Session, spec: dict) -> list[str]:
    """Create or update the town so that it matches ``spec`` (a checked town file); returns one
    line per change (empty: nothing to do). Flushes; the caller commits or rolls back.

    Departments and areas missing from the file are kept (reports and accounts point at them)
    and named in the output; categories missing from it are retired; rules are exactly the
    file's; a question missing from it is removed unless citizens have answered it.
    """
    wanted = spec["town"]
    if wanted["profile"]:
        check_ceilings(wanted["profile"])
    jurisdiction = session.scalar(select(Jurisdiction).where(Jurisdiction.slug == wanted["slug"]))
    changes = _Changes(jurisdiction.id if jurisdiction else None)
    if jurisdiction is None:
        jurisdiction = Jurisdiction(slug=wanted["slug"], name=wanted["name"],
                                    reference_prefix=wanted["reference_prefix"],
                                    contact_email=wanted["contact_email"] or None, legal=wanted["legal"] or {},
                                    public_deadlines=wanted["public_deadlines"],
                                    profile=wanted["profile"] or {}, crest=wanted["crest_data"],
                                    crest_type=wanted["crest_type"],
                                    sign_language_video=wanted["sign_language_video"],
                                    languages=wanted.get("languages"))
        session.add(jurisdiction)
        session.flush()
        changes.jurisdiction_id = jurisdiction.id
        changes.add("create_town", wanted["slug"], f"+ town {wanted['slug']} ({wanted['name']})",
                    {k: [None, _crest_label(wanted) if k == "crest" else v] for k, v in wanted.items()
                     if v and k not in ("crest_data", "crest_type")})
        current = town_spec(session, jurisdiction) | {"town": wanted}
    else:
        current = town_spec(session, jurisdiction)
        keys = ("name", "reference_prefix", "contact_email", "public_deadlines", "sign_language_video", "hosts") \
            + (("legal",) if wanted["legal"] is not None else ()) \
            + (("profile",) if wanted["profile"] is not None else ()) \
            + (("languages",) if wanted.get("languages") is not None else ())
        diff = _diff(current["town"], wanted, keys)
        if wanted["crest_data"] is not None and wanted["crest_data"] != current["town"]["crest_data"]:
            diff["crest"] = [_crest_label(current["town"]), _crest_label(wanted)]
        if diff:
            jurisdiction.name = wanted["name"]
            jurisdiction.reference_prefix = wanted["reference_prefix"]
            jurisdiction.contact_email = wanted["contact_email"] or None
            jurisdiction.public_deadlines = wanted["public_deadlines"]
            jurisdiction.sign_language_video = wanted["sign_language_video"]
            if wanted["legal"] is not None:
                jurisdiction.legal = dict(wanted["legal"])
            if wanted["profile"] is not None:
                jurisdiction.profile = dict(wanted["profile"])
            if wanted.get("languages") is not None:
                jurisdiction.languages = list(wanted["languages"])
            if "crest" in diff:
                jurisdiction.crest, jurisdiction.crest_type = wanted["crest_data"], wanted["crest_type"]
            if diff.keys() & {"name", "contact_email", "profile", "crest", "languages"}:
                jurisdiction.profile_version = (jurisdiction.profile_version or 1) + 1
            changes.add("update_town", wanted["slug"], f"~ town: {_describe(diff)}", diff)
    set_hosts(session, jurisdiction, wanted.get("hosts") or [])
    departments = _apply_departments(session, jurisdiction, spec, current, changes)
    areas = _apply_areas(session, jurisdiction, spec, current, changes)
    categories = _apply_categories(session, jurisdiction, spec, current, changes)
    _apply_rules(session, jurisdiction, spec, current, changes, departments, areas, categories)
    session.flush()
    return changes.lines


def _apply_departments(session, jurisdiction, spec, current, changes) -> dict[str, int]:
    existing = {d.code: d for d in session.scalars(select(Department)
                                                   .where(Department.jurisdiction_id == jurisdiction.id))}
    keys = ("name", "emails", "notification", "digest_hour", "webhook_url")
    for wanted in spec["departments"]:
        department = existing.get(wanted["code"])
        if department is None:
            department = Department(jurisdiction_id=jurisdiction.id, code=wanted["code"])
            session.add(department)
            before = {}
            line = f"+ department {wanted['code']} ({wanted['name']})"
        else:
            before = department_spec(department)
            line = None
        diff = _diff(before, wanted, keys)
        if not diff:
            continue
        department.name = wanted["name"]
        department.emails = list(wanted["emails"])
        department.notification_mode = wanted["notification"]
        department.digest_hour = wanted["digest_hour"]
        department.webhook_url = wanted["webhook_url"] or None
        changes.add("create_department" if line else "update_department", wanted["code"],
                    line or f"~ department {wanted['code']}: {_describe(diff)}", diff)
        existing[wanted["code"]] = department
    named = {d["code"] for d in spec["departments"]}
    for code in sorted(set(existing) - named):
        changes.lines.append(f"  department {code} is not in the file: kept (reports and accounts point at it)")
    session.flush()
    return {code: d.id for code, d in existing.items()}


def _apply_areas(session, jurisdiction, spec, current, changes) -> dict[str, int]:
    stored = {a["code"]: a for a in current["areas"]}
    ids = dict(session.execute(select(Area.code, Area.id).where(Area.jurisdiction_id == jurisdiction.id)).all())
    for wanted in spec["areas"]:
        before = stored.get(wanted["code"])
        # Cheap first: the file as the export wrote it equals the stored form; else let PostGIS
        # prepare it as it would be stored, and compare that at the file's precision.
        same_shape = before is not None and json.loads(wanted["geometry"]) == json.loads(before["geometry"])
        ewkb = None
        if not same_shape:
            ewkb, rounded = session.execute(_PREPARE, {"g": wanted["geometry"], "digits": GEOJSON_DIGITS}).one()
            same_shape = before is not None and json.loads(rounded) == json.loads(before["geometry"])
        # A file without a rank means the kind's rank (the export leaves that out); the audit
        # shows the ranks in effect, not the file's absence of one.
        rank = rank_in_effect(wanted["kind"], wanted.get("rank"))
        if before is None:
            ids[wanted["code"]] = session.execute(_INSERT_AREA, {
                "jid": jurisdiction.id, "code": wanted["code"], "name": wanted["name"], "kind": wanted["kind"],
                "rank": rank, "ewkb": ewkb}).scalar_one()
            shown_rank = f", rank {rank}" if wanted.get("rank") is not None else ""  # the parser drops the kind's own
            changes.add("create_area", wanted["code"],
                        f"+ area {wanted['code']} ({wanted['name']}, {wanted['kind']}{shown_rank})",
                        {"name": [None, wanted["name"]], "kind": [None, wanted["kind"]], "rank": [None, rank],
                         "file": [None, wanted["file"]]})
            continue
        diff = _diff(before, wanted, ("name", "kind"))
        stored_rank = rank_in_effect(before["kind"], before.get("rank"))
        if stored_rank != rank:
            diff["rank"] = [stored_rank, rank]
        if not same_shape:
            diff["geometry"] = ["(before)", wanted["file"]]
            session.execute(_UPDATE_GEOMETRY, {"ewkb": ewkb, "id": ids[wanted["code"]]})
        if diff:
            area = session.get(Area, ids[wanted["code"]])
            area.name, area.kind, area.rank = wanted["name"], wanted["kind"], rank
            changes.add("update_area", wanted["code"], f"~ area {wanted['code']}: {_describe(diff)}", diff)
    named = {a["code"] for a in spec["areas"]}
    for code in sorted(set(stored) - named):
        changes.lines.append(f"  area {code} is not in the file: kept")
    session.flush()
    return ids


_CATEGORY_KEYS = ("name", "name_en", "description", "description_en", "group", "group_en", "icon",
                  "publish_immediately", "active", "target_days", "reminder_days", "notice", "stop_notice",
                  *flat_keys(CATEGORY_FIELDS))
_QUESTION_KEYS = ("label", "label_en", "kind", "required", "help", "order", "choices", *flat_keys(QUESTION_FIELDS))


def _apply_categories(session, jurisdiction, spec, current, changes) -> dict[str, int]:
    existing = {c.code: c for c in session.scalars(select(Category).where(Category.jurisdiction_id == jurisdiction.id))}
    questions = {c["code"]: c["questions"] for c in current["categories"]}
    for wanted in spec["categories"]:
        category = existing.get(wanted["code"])
        before = category_spec(category, []) if category is not None else {}
        diff = _diff(before, wanted, _CATEGORY_KEYS)
        if diff:
            if category is None:
                category = Category(jurisdiction_id=jurisdiction.id, code=wanted["code"])
                session.add(category)
                existing[wanted["code"]] = category
            category.name, category.name_en = wanted["name"], wanted["name_en"] or None
            category.description, category.group, category.icon = wanted["description"], wanted["group"], wanted["icon"]
            category.description_en, category.group_en = wanted["description_en"] or None, wanted["group_en"] or None
            category.publish_immediately, category.active = wanted["publish_immediately"], wanted["active"]
            category.target_days, category.reminder_days = wanted["target_days"], dict(wanted["reminder_days"])
            category.notice, category.stop_notice = wanted["notice"], wanted["stop_notice"]
            category.translations = from_flat(wanted, CATEGORY_FIELDS)
            line = f"~ category {wanted['code']}: {_describe(diff)}" if before else \
                f"+ category {wanted['code']} ({wanted['name']})"
            changes.add("update_category" if before else "create_category", wanted["code"], line, diff)
            session.flush()
        if wanted["questions"] != questions.get(wanted["code"], []):
            _apply_questions(session, category, wanted["questions"], changes)
    named = {c["code"] for c in spec["categories"]}
    for code in sorted(set(existing) - named):
        if existing[code].active:
            existing[code].active = False
            changes.add("retire_category", code, f"- category {code}: not in the file, retired",
                        {"active": [True, False]})
    session.flush()
    return {code: c.id for code, c in existing.items()}


def _apply_questions(session, category: Category, wanted: list[dict], changes) -> None:
    existing = {a.code: a for a in session.scalars(select(ServiceAttribute)
                                                   .where(ServiceAttribute.category_id == category.id))}
    for question in wanted:
        attribute = existing.get(question["code"])
        before = question_spec(attribute) if attribute is not None else {}
        diff = _diff(before, question, _QUESTION_KEYS)
        if not diff:
            continue
        if attribute is None:
            attribute = ServiceAttribute(category_id=category.id, code=question["code"])
            session.add(attribute)
        attribute.description, attribute.description_en = question["label"], question["label_en"] or None
        attribute.datatype, attribute.required = question["kind"], question["required"]
        attribute.datatype_description, attribute.order = question["help"], question["order"]
        attribute.values = [{k: v for k, v in c.items() if v or not k.startswith("name_")} for c in question["choices"]]
        attribute.translations = from_flat(question, QUESTION_FIELDS)
        target = f"{category.code}.{question['code']}"
        changes.add("update_question" if before else "create_question", target,
                    f"{'~' if before else '+'} question {target}: {_describe(diff)}", diff)
    named = {q["code"] for q in wanted}
    for code in sorted(set(existing) - named):
        answered = session.scalar(select(func.count()).select_from(ReportAttributeValue)
                                  .where(ReportAttributeValue.attribute_id == existing[code].id))
        if answered:
            changes.lines.append(f"  question {category.code}.{code} is not in the file: kept, "
                                 f"{answered} reports answered it")
            continue
        session.delete(existing[code])
        changes.add("delete_question", f"{category.code}.{code}", f"- question {category.code}.{code}",
                    {"question": [question_spec(existing[code]), None]})
    session.flush()


def _apply_rules(session, jurisdiction, spec, current, changes, departments, areas, categories) -> None:
    names = ({v: k for k, v in departments.items()}, {v: k for k, v in areas.items()},
             {v: k for k, v in categories.items()})
    stored = {}
    for rule in session.scalars(select(RoutingRule).where(RoutingRule.jurisdiction_id == jurisdiction.id)):
        stored[rule_key(_rule_spec(rule, names))] = rule
    wanted = {rule_key(r): r for r in spec["rules"]}
    for key in sorted(set(stored) - set(wanted)):
        session.execute(delete(RoutingRule).where(RoutingRule.id == stored[key].id))
        changes.add("delete_rule", _rule_label(key), f"- rule {_rule_label(key)}", {"rule": [list(key), None]})
    for key in sorted(set(wanted) - set(stored)):
        rule = wanted[key]
        session.add(RoutingRule(jurisdiction_id=jurisdiction.id, area_id=areas.get(rule["area"]),
                                category_id=categories.get(rule["category"]),
                                department_id=departments[rule["department"]],
                                valid_from=rule["valid_from"], valid_until=rule["valid_until"]))
        changes.add("create_rule", _rule_label(key), f"+ rule {_rule_label(key)}", {"rule": [None, list(key)]})
    session.flush()


def _rule_spec(rule: RoutingRule, names: tuple[dict, dict, dict]) -> dict:
    return {"department": names[0].get(rule.department_id), "area": names[1].get(rule.area_id),
            "category": names[2].get(rule.category_id), "valid_from": rule.valid_from,
            "valid_until": rule.valid_until}


def _rule_label(key: tuple) -> str:
    area, category, department, valid_from, valid_until = key
    when = f" {valid_from or '…'}–{valid_until or '…'}" if valid_from or valid_until else ""
    return f"{area or 'whole town'} × {category or 'every category'} → {department}{when}"


def set_hosts(session: Session, jurisdiction: Jurisdiction, hosts: list[str]) -> None:
    """The town is served on exactly ``hosts`` (the first in mail links); raises TownFileError
    naming a host another town has (flushes)."""
    from app.jurisdictions.hosts import forget_hosts

    taken = session.execute(select(JurisdictionHost.host, Jurisdiction.slug).join(Jurisdiction).where(
        JurisdictionHost.host.in_(hosts), JurisdictionHost.jurisdiction_id != jurisdiction.id)).all()
    if taken:
        raise TownFileError([f"town.hosts: {host!r} belongs to the town {slug!r}" for host, slug in taken])
    if [h.host for h in jurisdiction.hosts] == list(hosts):
        return
    jurisdiction.hosts.clear()
    session.flush()
    jurisdiction.hosts.extend(JurisdictionHost(host=host, position=n) for n, host in enumerate(hosts))
    session.flush()
    forget_hosts()


def create_town(session: Session, *, slug: str, name: str, reference_prefix: str, contact_email: str,
                boundary: bytes) -> Jurisdiction:
    """A new town with its boundary (a GeoJSON FeatureCollection in any CRS the area import
    reads). Raises ``TownFileError`` for a bad or taken slug/prefix/address, ``AreaImportError``
    for a bad boundary; flushes."""
    from app.towns.townfile import check_town_header
    from geo.areaimport import import_areas

    town = {"slug": slug.strip(), "name": name.strip(), "reference_prefix": reference_prefix.strip(),
            "contact_email": contact_email.strip()}
    errors = check_town_header(town)
    if session.scalar(select(Jurisdiction.id).where(Jurisdiction.slug == town["slug"])) is not None:
        errors.append(f"slug: a town {town['slug']!r} exists already (change it with `flask town apply`)")
    if errors:
        raise TownFileError(errors)
    jurisdiction = Jurisdiction(slug=town["slug"], name=town["name"], reference_prefix=town["reference_prefix"],
                                contact_email=town["contact_email"] or None)
    session.add(jurisdiction)
    session.flush()
    result = import_areas(session, jurisdiction.id, boundary, default_kind="boundary")
    record("town.create", jurisdiction_id=jurisdiction.id, target=jurisdiction.slug, actor="cli",
           changes={**{k: [None, v] for k, v in town.items() if v}, "areas": [None, result.created]})
    return jurisdiction


def create_admin(session: Session, *, slug: str | None, username: str, email: str, display_name: str,
                 password: str, role: str = "admin"):
    """The town's first admin account, or (``role`` "operator") the operator's, who belongs to no
    town (flushes). Raises ``DomainError`` naming what is wrong."""
    from app.errors import DomainError
    from app.jurisdictions.queries import jurisdiction_by_slug
    from app.staff.auth import set_password
    from app.staff.models import StaffUser
    from app.validation import normalize_email

    jurisdiction = jurisdiction_by_slug(slug) if role != "operator" else None
    username = username.strip()
    if not username:
        raise DomainError("Der Benutzername fehlt.", "username")
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise DomainError(f"Den Benutzernamen {username!r} gibt es schon.", "username")
    user = StaffUser(jurisdiction_id=jurisdiction.id if jurisdiction else None, username=username, role=role,
                     display_name=display_name.strip(), email=normalize_email(email), active=True)
    set_password(user, password)
    session.add(user)
    session.flush()
    record("staff.create_admin", jurisdiction_id=jurisdiction.id if jurisdiction else jurisdiction_by_slug(None).id,
           target=username, actor="cli", changes={"username": [None, username], "role": [None, role]})
    return user
