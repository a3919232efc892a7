"""One intake for the HTML form and the JSON API: the same fields, limits and commit.

``submit`` owns the transaction of a submission (both views call it), because the
idempotency key is settled by the commit itself: a retry that races the first
submission loses at the unique index and answers with the first report.
"""
from __future__ import annotations

from flask import current_app, g
from sqlalchemy.exc import IntegrityError

from app.account.session import current_email
from app.db import db
from app.errors import ValidationFailed
from app.extensions import limiter
from app.jurisdictions.models import Jurisdiction
from app.reports.models import Report
from app.reports.operations import ReportInput, create_report, find_duplicate_submission, parse_coordinate
from app.validation import clean_text

DEFAULT_INTAKE_RATE_LIMIT = "30/minute;300/day"


def intake_rate_limit() -> str:
    """Submissions per client (form and API together), e.g. ``"30/minute;300/day"``."""
    return current_app.config.get("INTAKE_RATE_LIMIT", DEFAULT_INTAKE_RATE_LIMIT)


# One budget for the HTML form and the JSON API, counted in Redis per client address.
intake_limit = limiter.shared_limit(intake_rate_limit, scope="intake")


def answers_from(form, category_code: str) -> dict[str, list[str]]:
    """Answers to the chosen category's questions: ``attribute[CODE]`` (Open311 style, the API)
    or ``answers.CATEGORY.CODE`` (the form, which without JavaScript shows every category's
    questions; only the chosen category's count)."""
    answers: dict[str, list[str]] = {}
    prefix = f"answers.{category_code}."
    for name in form.keys():
        if name.startswith("attribute[") and name.endswith("]"):
            answers.setdefault(name[10:-1][:100], []).extend(form.getlist(name))
        elif category_code and name.startswith(prefix):
            answers.setdefault(name[len(prefix):][:100], []).extend(form.getlist(name))
    return answers


def report_input(form, files, idempotency_key: str | None) -> ReportInput:
    """The submission as typed: the same fields for the HTML form and the JSON API."""
    uploads = []
    for upload in files.getlist("photos"):
        content = upload.read()
        if content or upload.filename:  # a browser sends an empty, nameless part when no file was chosen
            uploads.append(content)
    category_code = clean_text(form.get("category")).strip()[:100]
    return ReportInput(
        category_code=category_code,
        answers=answers_from(form, category_code),
        description=clean_text(form.get("description")),
        lat=parse_coordinate(form.get("lat"), -90, 90),
        lon=parse_coordinate(form.get("lon"), -180, 180),
        address=clean_text(form.get("address")).strip() or None,
        email=clean_text(form.get("email")).strip() or None,
        name=clean_text(form.get("name")).strip() or None,
        locale=g.get("locale", "de"),
        idempotency_key=idempotency_key,
        photos=uploads,
        verified_email=current_email(),
    )


def submit(jurisdiction: Jurisdiction, data: ReportInput) -> tuple[Report, bool]:
    """Create and commit the report, or return the one already made with the same
    idempotency key (``created`` False). Raises ``ValidationFailed`` after rolling back."""
    existing = find_duplicate_submission(jurisdiction, data.idempotency_key)
    if existing is not None:
        return existing, False
    try:
        report = create_report(jurisdiction, data)
        db.session.commit()
    except ValidationFailed:
        db.session.rollback()  # also removes photo files stored before the refusal
        raise
    except IntegrityError:
        # A retry with the same idempotency key raced this one and won.
        db.session.rollback()
        existing = find_duplicate_submission(jurisdiction, data.idempotency_key)
        if existing is None:
            raise
        return existing, False
    return report, True


