"""A town as the town file's plain-data form (what `flask town export` writes and apply compares)."""
from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.jurisdictions.models import Area, Category, Department, Jurisdiction, RoutingRule
from app.jurisdictions.texts import CATEGORY_FIELDS, QUESTION_FIELDS, TEXT_LANGUAGES, to_flat
from app.open311.models import ServiceAttribute
from app.towns.townfile import crest_file_name
from geo.areas import AREA_KIND_RANK

# Geometry as the town file holds it: GeoJSON rounded to 7 decimals of a degree (about 1 cm).
GEOJSON_DIGITS = 7
_AREA_GEOJSON = text(f"SELECT id, ST_AsGeoJSON(geom, {GEOJSON_DIGITS}) FROM areas WHERE jurisdiction_id = :jid")


def area_file_name(code: str) -> str:
    return f"areas/{code}.geojson"


def town_spec(session: Session, jurisdiction: Jurisdiction) -> dict:
    """Everything the town file holds about ``jurisdiction``, in a stable order (by creation;
    questions by their order; rules are sorted by the writer). Areas carry ``geometry`` text."""
    jid = jurisdiction.id
    town = {"slug": jurisdiction.slug, "name": jurisdiction.name, "reference_prefix": jurisdiction.reference_prefix,
            "contact_email": jurisdiction.contact_email or "", "public_deadlines": jurisdiction.public_deadlines,
            "hosts": [h.host for h in jurisdiction.hosts],
            "sign_language_video": jurisdiction.sign_language_video or "",
            "languages": list(jurisdiction.languages) if jurisdiction.languages is not None else None,
            "legal": dict(jurisdiction.legal or {}),
            "profile": dict(jurisdiction.profile or {}),
            "crest": crest_file_name(jurisdiction.crest_type) if jurisdiction.crest_type else "",
            "crest_type": jurisdiction.crest_type, "crest_data": jurisdiction.crest if jurisdiction.crest_type else None}
    departments = list(session.scalars(select(Department).where(Department.jurisdiction_id == jid)
                                       .order_by(Department.id)))
    areas = list(session.scalars(select(Area).where(Area.jurisdiction_id == jid).order_by(Area.id)))
    geometry = dict(session.execute(_AREA_GEOJSON, {"jid": jid}).all())
    categories = list(session.scalars(select(Category).where(Category.jurisdiction_id == jid).order_by(Category.id)))
    questions: dict[int, list[ServiceAttribute]] = {}
    for attribute in session.scalars(select(ServiceAttribute).join(Category)
                                     .where(Category.jurisdiction_id == jid)
                                     .order_by(ServiceAttribute.order, ServiceAttribute.code)):
        questions.setdefault(attribute.category_id, []).append(attribute)
    rules = list(session.scalars(select(RoutingRule).where(RoutingRule.jurisdiction_id == jid)))
    codes = {"area": {a.id: a.code for a in areas}, "category": {c.id: c.code for c in categories},
             "department": {d.id: d.code for d in departments}}
    return {
        "town": town,
        "departments": [department_spec(d) for d in departments],
        "areas": [{"code": a.code, "name": a.name, "kind": a.kind, "file": area_file_name(a.code),
                   "rank": None if a.rank == AREA_KIND_RANK.get(a.kind) else a.rank,
                   "geometry": geometry[a.id]} for a in areas],
        "categories": [category_spec(c, questions.get(c.id, [])) for c in categories],
        "rules": [{"area": codes["area"].get(r.area_id), "category": codes["category"].get(r.category_id),
                   "department": codes["department"][r.department_id], "valid_from": r.valid_from,
                   "valid_until": r.valid_until} for r in rules],
    }


def department_spec(department: Department) -> dict:
    return {"code": department.code, "name": department.name,
            "emails": list(department.emails or []),
            "notification": department.notification_mode, "digest_hour": department.digest_hour,
            "webhook_url": department.webhook_url or ""}


def category_spec(category: Category, questions: list[ServiceAttribute]) -> dict:
    return {"code": category.code, "name": category.name, "name_en": category.name_en or "",
            "description": category.description or "", "description_en": category.description_en or "",
            "group": category.group or "", "group_en": category.group_en or "", "icon": category.icon or "",
            "publish_immediately": category.publish_immediately, "active": category.active,
            "target_days": category.target_days, "reminder_days": dict(category.reminder_days or {}),
            "notice": category.notice or "", "stop_notice": category.stop_notice or "",
            **to_flat(category.translations, CATEGORY_FIELDS),
            "questions": [question_spec(q) for q in questions]}


def question_spec(attribute: ServiceAttribute) -> dict:
    return {"code": attribute.code, "label": attribute.description, "label_en": attribute.description_en or "",
            "kind": attribute.datatype, "required": attribute.required, "help": attribute.datatype_description or "",
            "order": attribute.order, **to_flat(attribute.translations, QUESTION_FIELDS),
            "choices": [{"key": str(v.get("key", "")), "name": str(v.get("name", "")),
                         **{f"name_{lang}": str(v.get(f"name_{lang}") or "") for lang in TEXT_LANGUAGES}}
                        for v in (attribute.values or [])]}
