"""One intake for the HTML form and the JSON API: the same fields, limits and commit.

``submit`` owns the transaction of a submission (both views call it), because the
idempotency key is settled by the commit itself: a retry that races the first
submission loses at the unique index and answers with the first report.
"""
from __future__ import annotations

from flask import current_app, g
from flask_babel import gettext
from flask_limiter.util import get_remote_address
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.account.session import current_email
from app.db import db
from app.errors import ValidationFailed, forget_failed_transaction
from app.extensions import limiter
from app.jurisdictions.limits import town_limits
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import current_jurisdiction, this_town_id
from app.reports.models import Report
from app.reports.operations import ReportInput, create_report, find_duplicate_submission, parse_coordinate
from app.validation import clean_text

DEFAULT_INTAKE_RATE_LIMIT = "30/minute;300/day"


def intake_rate_limit() -> str:
    """Submissions per client (form and API together), e.g. ``"30/minute;300/day"``."""
    return current_app.config.get("INTAKE_RATE_LIMIT", DEFAULT_INTAKE_RATE_LIMIT)


def _town_reports_per_day() -> int | None:
    try:
        return town_limits(current_jurisdiction().profile, current_app.config).reports_per_day
    except SQLAlchemyError:
        # Database away: no town budget here, the view's own look-up answers the 503 (an error
        # raised inside Flask-Limiter would be taken for Redis down and count in memory after).
        forget_failed_transaction()
        return None


def _town_limit_refusal() -> str:
    from app.branding import current_town

    n, town = _town_reports_per_day(), current_town()
    in_sentence = town.in_sentence_for(g.get("locale", "de"))
    if n == 1:
        return gettext("Der Mängelmelder %(town)s nimmt über eine Internetverbindung höchstens eine Meldung am Tag "
                       "an. Bitte melden Sie weitere Mängel morgen.", town=in_sentence)
    return gettext("Der Mängelmelder %(town)s nimmt über eine Internetverbindung höchstens %(n)s Meldungen am Tag "
                   "an. Bitte melden Sie weitere Mängel morgen.", town=in_sentence, n=n)


# One budget for the HTML form and the JSON API, counted in Redis per client address; and the
# town's own daily budget, if its profile sets one (per town and address: app/jurisdictions/limits.py).
# The town's counts reports made (a refused form costs a citizen nothing of a small budget).
intake_limit = limiter.shared_limit(intake_rate_limit, scope="intake")
town_intake_limit = limiter.shared_limit(
    lambda: f"{_town_reports_per_day() or 1}/day", scope="intake-town",
    key_func=lambda: f"{this_town_id()}:{get_remote_address()}",
    exempt_when=lambda: _town_reports_per_day() is None, error_message=_town_limit_refusal,
    deduct_when=lambda response: response.status_code in (201, 303))


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


