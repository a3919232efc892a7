"""A category's extra questions (Open311 service attributes) and a report's answers to them:
checked the same way for the web form, the intake API and Open311, stored with the report."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.db import db
from app.errors import DomainError, ValidationFailed
from app.jurisdictions.models import Category
from app.jurisdictions.texts import choice_name
from app.open311.models import ReportAttributeValue, ServiceAttribute
from app.validation import check_length, clean_text

MAX_ATTRIBUTE_TEXT = 2000


def _parse_attribute(attribute: ServiceAttribute, raw: list[str], locale: str):
    """The stored value of one answer, or a DomainError naming the attribute."""
    name = f"attribute[{attribute.code}]"
    keys = {str(v.get("key")) for v in attribute.values or []}
    if attribute.datatype == "multivaluelist":
        chosen = [v for v in raw if v != ""]
        if any(v not in keys for v in chosen):
            raise DomainError(_l("%(name)s: unbekannter Wert. Erlaubt sind: %(keys)s.", name=name,
                                 keys=", ".join(sorted(keys))), name)
        return chosen
    value = raw[-1].strip() if raw else ""
    if attribute.datatype == "singlevaluelist":
        if value not in keys:
            raise DomainError(_l("%(name)s: unbekannter Wert. Erlaubt sind: %(keys)s.", name=name,
                                 keys=", ".join(sorted(keys))), name)
        return value
    if attribute.datatype == "number":
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise DomainError(_l("%(name)s muss eine Zahl sein.", name=name), name)
        return number
    if attribute.datatype == "datetime":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise DomainError(_l("%(name)s muss ein Datum im W3C-Format sein, z. B. 2026-05-04T10:00:00+02:00.",
                                 name=name), name)
        return value
    value = clean_text(value)
    check_length(value, MAX_ATTRIBUTE_TEXT, name, name)
    return value


def category_attributes(category: Category) -> list[ServiceAttribute]:
    return list(db.session.scalars(select(ServiceAttribute).where(ServiceAttribute.category_id == category.id)
                                   .order_by(ServiceAttribute.order, ServiceAttribute.id)))


def parse_attributes(category: Category | None, answers: dict[str, list[str]],
                     locale: str) -> list[tuple[ServiceAttribute, object]]:
    """Check the answers against the category's attributes; raises ``ValidationFailed`` with every problem."""
    if category is None:
        return []
    errors: list[DomainError] = []
    parsed = []
    for attribute in category_attributes(category):
        if not attribute.variable:
            continue
        raw = answers.get(attribute.code)
        if not raw or all(v.strip() == "" for v in raw):
            if attribute.required:
                errors.append(DomainError(_l("attribute[%(code)s] fehlt: %(question)s", code=attribute.code,
                                             question=attribute.label(locale)), f"attribute[{attribute.code}]"))
            continue
        try:
            parsed.append((attribute, _parse_attribute(attribute, raw, locale)))
        except DomainError as exc:
            errors.append(exc)
    if errors:
        raise ValidationFailed(errors)
    return parsed




def category_extras(categories: list[Category]) -> dict[str, list[ServiceAttribute]]:
    """The categories that have a notice, a stop notice or questions: code -> their questions."""
    ids = [c.id for c in categories]
    questions: dict[int, list[ServiceAttribute]] = {}
    for attribute in db.session.scalars(select(ServiceAttribute).where(ServiceAttribute.category_id.in_(ids),
                                                                        ServiceAttribute.variable)
                                        .order_by(ServiceAttribute.order, ServiceAttribute.id)):
        questions.setdefault(attribute.category_id, []).append(attribute)
    return {c.code: questions.get(c.id, []) for c in categories if c.id in questions or c.notice or c.stop_notice}


def store_answers(report, answers: list[tuple[ServiceAttribute, object]]) -> None:
    """Add the checked answers to a flushed report (flushes); each with its German text, which
    the staff queue's text search reads (choices by their names, not their keys)."""
    for attribute, value in answers:
        db.session.add(ReportAttributeValue(report_id=report.id, attribute_id=attribute.id, value=value,
                                            answer_text=answer_text(attribute, value, "de")))
    db.session.flush()


def answer_text(attribute: ServiceAttribute, value, locale: str) -> str:
    """One answer as a person reads it: choice keys as their names, whole numbers without ".0"."""
    names = {str(v.get("key")): choice_name(v, locale) for v in attribute.values or []}
    if isinstance(value, list):
        return ", ".join(str(names.get(str(v), v)) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(names.get(str(value), value))


# Answers anyone may read (Open311, the public): choices, numbers and dates. Typed text may
# hold what a person wrote about themselves or others, so it stays with staff.
PUBLIC_DATATYPES = ("singlevaluelist", "multivaluelist", "number", "datetime")


@dataclass(frozen=True)
class Answer:
    code: str
    datatype: str
    question: str
    value: object  # as stored: a key, a list of keys, a number or a text
    text: str      # as a person reads it

    @property
    def public(self) -> bool:
        return self.datatype in PUBLIC_DATATYPES


def answers_for_reports(report_ids: list[int], locale: str) -> dict[int, list[Answer]]:
    """The answers of several reports in one query: report id -> answers in the questions' order."""
    if not report_ids:
        return {}
    rows = db.session.execute(select(ReportAttributeValue.report_id, ServiceAttribute, ReportAttributeValue.value)
                              .join(ReportAttributeValue, ReportAttributeValue.attribute_id == ServiceAttribute.id)
                              .where(ReportAttributeValue.report_id.in_(report_ids))
                              .order_by(ReportAttributeValue.report_id, ServiceAttribute.order,
                                        ServiceAttribute.id)).all()
    result: dict[int, list[Answer]] = {}
    for report_id, attribute, value in rows:
        result.setdefault(report_id, []).append(Answer(attribute.code, attribute.datatype, attribute.label(locale),
                                                       value, answer_text(attribute, value, locale)))
    return result


def answers_in_words(answers: list[Answer]) -> str:
    """"Frage: Antwort; Frage: Antwort" for one cell of a table (CSV export)."""
    return "; ".join(f"{a.question}: {a.text}" for a in answers)


def report_answers(report_id: int, locale: str) -> list[tuple[str, str]]:
    """(question, answer as text) of a report, in the questions' order; choice keys as their names."""
    return [(a.question, a.text) for a in answers_for_reports([report_id], locale).get(report_id, [])]
