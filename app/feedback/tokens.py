"""The link in the "Ist es erledigt?" mail: signed, names only the questionnaire."""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

# The question is about a fresh "erledigt"; an answer months later says little.
MAX_AGE_DAYS = 60


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="fixed-questionnaire")


def questionnaire_token(questionnaire_id: int) -> str:
    return _serializer().dumps({"q": int(questionnaire_id)})


def read_questionnaire_token(token: str) -> int | None:
    try:
        return int(_serializer().loads(token, max_age=MAX_AGE_DAYS * 24 * 3600)["q"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
