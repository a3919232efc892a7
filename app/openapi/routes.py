"""``/openapi.json``: the API description, built from the routes that are registered."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from app.extensions import limiter
from app.openapi.document import build_document

bp = Blueprint("openapi", __name__)


@bp.get("/openapi.json")
@limiter.exempt
def openapi_json():
    rules = {rule.rule for rule in current_app.url_map.iter_rules()}
    response = jsonify(build_document(rules, current_app.config["BASE_URL"]))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
