"""The OpenAPI 3.0 description of the public API: Open311 GeoReport v2 (both formats)
and the app's own JSON endpoints under ``/api/v1/``.

Built from plain data; ``build_document(rules)`` only lists the ``/api/v1/`` paths
whose routes are registered, so the document never promises what is not served.
"""
from __future__ import annotations

from copy import deepcopy

from app.open311.models import ACTIONS, DATATYPES

NULLABLE_STRING = {"type": "string", "nullable": True}
W3C = {"type": "string", "format": "date-time", "example": "2026-11-25T10:15:00+01:00"}

SCHEMAS = {
    "Error": {
        "type": "object", "required": ["code", "description"],
        "properties": {"code": {"type": "integer", "description": "The HTTP status."},
                       "description": {"type": "string"}},
    },
    "Errors": {"type": "array", "items": {"$ref": "#/components/schemas/Error"}, "minItems": 1},
    "Discovery": {
        "type": "object", "required": ["changeset", "contact", "key_service", "endpoints"],
        "properties": {
            "changeset": W3C, "contact": {"type": "string"}, "key_service": {"type": "string"},
            "endpoints": {"type": "array", "items": {
                "type": "object", "required": ["specification", "url", "changeset", "type", "formats"],
                "properties": {"specification": {"type": "string"}, "url": {"type": "string"}, "changeset": W3C,
                               "type": {"type": "string", "enum": ["production", "test"]},
                               "formats": {"type": "array", "items": {"type": "string"}}}}},
        },
    },
    "Service": {
        "type": "object",
        "required": ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
        "properties": {
            "service_code": {"type": "string"}, "service_name": {"type": "string"},
            "description": {"type": "string"},
            "metadata": {"type": "boolean", "description": "true: GET services/{service_code} lists attributes."},
            "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
            "keywords": {"type": "string"}, "group": {"type": "string"},
        },
    },
    "ServiceDefinition": {
        "type": "object", "required": ["service_code", "attributes"],
        "properties": {
            "service_code": {"type": "string"},
            "attributes": {"type": "array", "items": {
                "type": "object",
                "required": ["variable", "code", "datatype", "required", "datatype_description", "order",
                             "description", "values"],
                "properties": {
                    "variable": {"type": "boolean"}, "code": {"type": "string"},
                    "datatype": {"type": "string", "enum": list(DATATYPES)}, "required": {"type": "boolean"},
                    "datatype_description": {"type": "string"}, "order": {"type": "integer"},
                    "description": {"type": "string"},
                    "values": {"type": "array", "items": {
                        "type": "object", "required": ["key", "name"],
                        "properties": {"key": {"type": "string"}, "name": {"type": "string"}}}},
                }}},
        },
    },
    "ServiceRequest": {
        "type": "object",
        "required": ["service_request_id", "status", "service_name", "service_code", "agency_responsible",
                     "requested_datetime", "updated_datetime", "lat", "long"],
        "properties": {
            "service_request_id": {"type": "string", "example": "HW-2026-000123"},
            "status": {"type": "string", "enum": ["open", "closed"]},
            "status_notes": NULLABLE_STRING,
            "service_name": {"type": "string"}, "service_code": {"type": "string"},
            "description": {"type": "string", "nullable": True,
                            "description": "null while staff have not published the text."},
            "agency_responsible": {"type": "string", "description": "The department the report was routed to."},
            "service_notice": NULLABLE_STRING,
            "requested_datetime": W3C, "updated_datetime": W3C,
            "expected_datetime": {**W3C, "nullable": True},
            "address": NULLABLE_STRING, "address_id": NULLABLE_STRING, "zipcode": NULLABLE_STRING,
            "lat": {"type": "number"}, "long": {"type": "number"},
            "media_url": {"type": "string", "nullable": True, "description": "The first published photo."},
            "attributes": {
                "type": "array", "description": "Answers to the category's questions (service definition), as "
                                                "far as public: choices, numbers and dates; typed text stays with staff.",
                "items": {"type": "object", "properties": {
                    "code": {"type": "string"}, "description": {"type": "string"}, "datatype": {"type": "string"},
                    "value": {"description": "A key, a list of keys, a number or a W3C date, as posted."},
                    "name": {"type": "string", "description": "The answer in words."}}}},
            "extended_attributes": {
                "type": "object", "description": "Only with extensions=true.",
                "properties": {
                    "detailed_status": {"type": "string"}, "detailed_status_label": {"type": "string"},
                    "status_history": {"type": "array", "items": {
                        "type": "object", "properties": {
                            "status": {"type": "string", "enum": ["open", "closed"]},
                            "detailed_status": {"type": "string"}, "updated_datetime": W3C,
                            "description": NULLABLE_STRING}}},
                    "media_urls": {"type": "array", "items": {"type": "string"}},
                }},
        },
    },
    "PostedRequest": {
        "type": "object", "required": ["service_request_id", "token"],
        "properties": {"service_request_id": {"type": "string"}, "token": {"type": "string"},
                       "service_notice": NULLABLE_STRING, "account_id": NULLABLE_STRING},
    },
    "Token": {
        "type": "object", "required": ["service_request_id", "token"],
        "properties": {"service_request_id": {"type": "string"}, "token": {"type": "string"}},
    },
    "RequestUpdate": {
        "type": "object",
        "required": ["update_id", "service_request_id", "status", "updated_datetime", "description"],
        "properties": {"update_id": {"type": "string"}, "service_request_id": {"type": "string"},
                       "status": {"type": "string", "example": "IN_PROGRESS"}, "updated_datetime": W3C,
                       "description": {"type": "string"}, "media_url": NULLABLE_STRING},
    },
    "PostedUpdate": {"type": "object", "required": ["update_id"], "properties": {"update_id": {"type": "string"}}},
}


def _array(name: str) -> dict:
    return {"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}}


def _param(name: str, description: str, schema: dict | None = None, where: str = "query", required: bool = False,
           example=None):
    param = {"name": name, "in": where, "required": required, "description": description,
             "schema": schema or {"type": "string"}}
    if example is not None:
        param["example"] = example
    return param


JURISDICTION = _param("jurisdiction_id", "The town (e.g. harsewinkel.de); default: the configured town.",
                      example="harsewinkel.de")
LANG = _param("lang", "Language of names and error texts (German by default; Arabic is written right to left).",
               {"type": "string", "enum": ["de", "en", "tr", "uk", "ar"]})
EXTENSIONS = _param("extensions", "true: add extended_attributes (detailed status, history, all photo URLs).",
                    {"type": "string", "enum": ["true", "false"]})
DATE = {"type": "string", "format": "date-time"}


def _responses(ok_schema: dict, fmt: str, ok_description: str, errors: tuple[int, ...]) -> dict:
    mime = "application/json" if fmt == "json" else "text/xml"
    # XML carries the same content; its schema is given as text (element names as in the spec).
    body = ok_schema if fmt == "json" else {"type": "string"}
    error_body = {"$ref": "#/components/schemas/Errors"} if fmt == "json" else {"type": "string"}
    responses = {"200": {"description": ok_description, "content": {mime: {"schema": body}}}}
    descriptions = {400: "Invalid input (the description names the problem).", 403: "api_key missing or not allowed.",
                    404: "Not found (jurisdiction_id, service_code, service_request_id or token).",
                    405: "Method not allowed.", 413: "Upload too large.", 429: "Rate limit exceeded."}
    for status in errors + (405, 429):
        responses[str(status)] = {"description": descriptions[status], "content": {mime: {"schema": error_body}}}
    return responses


def _open311_paths() -> dict:
    paths: dict = {}
    for fmt in ("json", "xml"):
        tag = ["Open311 GeoReport v2"]
        paths[f"/open311/discovery.{fmt}"] = {"get": {
            "tags": tag, "summary": f"Service discovery ({fmt})", "operationId": f"discovery_{fmt}",
            "parameters": [LANG],
            "responses": _responses({"$ref": "#/components/schemas/Discovery"}, fmt, "Discovery document", ())}}
        paths[f"/open311/v2/services.{fmt}"] = {"get": {
            "tags": tag, "summary": f"Service list ({fmt})", "operationId": f"services_{fmt}",
            "parameters": [JURISDICTION, LANG],
            "responses": _responses(_array("Service"), fmt, "The categories", (400, 404))}}
        paths[f"/open311/v2/services/{{service_code}}.{fmt}"] = {"get": {
            "tags": tag, "summary": f"Service definition with attributes ({fmt})",
            "operationId": f"service_definition_{fmt}",
            "parameters": [_param("service_code", "The category", where="path", required=True, example="strassenlaterne"), JURISDICTION, LANG],
            "responses": _responses({"$ref": "#/components/schemas/ServiceDefinition"}, fmt, "The attributes",
                                    (400, 404))}}
        paths[f"/open311/v2/requests.{fmt}"] = {
            "get": {
                "tags": tag, "summary": f"Service requests ({fmt})", "operationId": f"get_requests_{fmt}",
                "description": "Without a date range the last 90 days; at most 1000 per page. "
                               "service_request_id (comma-separated) overrides every other filter.",
                "parameters": [
                    JURISDICTION, LANG, EXTENSIONS,
                    _param("service_request_id", "Comma-separated ids."),
                    _param("service_code", "Comma-separated service codes.", example="schlagloch,graffiti"),
                    _param("start_date", "W3C date-time; the range may span at most 90 days.", DATE),
                    _param("end_date", "W3C date-time.", DATE),
                    _param("status", "Comma-separated: open, closed or extended statuses (IN_PROGRESS, …)."),
                    _param("updated_after", "W3C date-time (extension).", DATE),
                    _param("updated_before", "W3C date-time (extension).", DATE),
                    _param("bbox", "minlon,minlat,maxlon,maxlat (extension)."),
                    _param("page", "Page number, from 1 (extension).", {"type": "integer", "minimum": 1,
                                                                         "maximum": 100000}),
                    _param("page_size", "Requests per page, 1–1000 (extension).", {"type": "integer", "minimum": 1,
                                                                                     "maximum": 1000}),
                ],
                "responses": _responses(_array("ServiceRequest"), fmt, "The requests", (400, 404))},
            "post": {
                "tags": tag, "summary": f"Create a service request ({fmt})", "operationId": f"post_request_{fmt}",
                "description": "Needs an api_key allowed to create_request. Location: lat+long, address_id or "
                               "address_string. Photos as multipart files named media. Extra questions as "
                               "attribute[CODE] (attribute[CODE][] for multivaluelist). A given e-mail address "
                               "receives a confirmation link (double opt-in) before any status mail.",
                "parameters": [LANG],
                "requestBody": {"required": True, "content": {
                    ct: {"schema": _post_request_schema(ct)} for ct in
                    ("application/x-www-form-urlencoded", "multipart/form-data")}},
                "responses": _responses(_array("PostedRequest"), fmt, "The new request", (400, 403, 404, 413))},
        }
        paths[f"/open311/v2/requests/{{service_request_id}}.{fmt}"] = {"get": {
            "tags": tag, "summary": f"One service request ({fmt})", "operationId": f"get_request_{fmt}",
            "parameters": [_param("service_request_id", "The id", where="path", required=True), JURISDICTION, LANG,
                           EXTENSIONS],
            "responses": _responses(_array("ServiceRequest"), fmt, "The request (a list of one)", (400, 404))}}
        paths[f"/open311/v2/tokens/{{token}}.{fmt}"] = {"get": {
            "tags": tag, "summary": f"Request id for a token ({fmt})", "operationId": f"token_{fmt}",
            "parameters": [_param("token", "The token from POST requests", where="path", required=True),
                           JURISDICTION, LANG],
            "responses": _responses(_array("Token"), fmt, "The id", (400, 404))}}
        paths[f"/open311/v2/servicerequestupdates.{fmt}"] = {
            "get": {
                "tags": ["Open311 servicerequestupdates (mySociety)"], "summary": f"Status updates ({fmt})",
                "operationId": f"get_updates_{fmt}",
                "parameters": [JURISDICTION, LANG, _param("start_date", "W3C date-time (default: 90 days ago).", DATE),
                               _param("end_date", "W3C date-time; at most 90 days after start_date.", DATE)],
                "responses": _responses(_array("RequestUpdate"), fmt, "The updates, oldest first", (400, 404))},
            "post": {
                "tags": ["Open311 servicerequestupdates (mySociety)"],
                "summary": f"Push a status change with a note ({fmt})", "operationId": f"post_update_{fmt}",
                "description": "Needs an api_key allowed to post_update. The reporter is told by mail like after a "
                               "staff change. A retry with the same update_id changes nothing.",
                "parameters": [LANG],
                "requestBody": {"required": True, "content": {
                    "application/x-www-form-urlencoded": {"schema": _post_update_schema()}}},
                "responses": _responses(_array("PostedUpdate"), fmt, "The recorded update", (400, 403, 404))},
        }
    return paths


def _post_request_schema(content_type: str) -> dict:
    properties = {
        "api_key": {"type": "string"}, "jurisdiction_id": {"type": "string"},
        "service_code": {"type": "string"}, "lat": {"type": "number"}, "long": {"type": "number"},
        "address_string": {"type": "string"}, "address_id": {"type": "string"},
        "email": {"type": "string"}, "device_id": {"type": "string"}, "account_id": {"type": "string"},
        "first_name": {"type": "string"}, "last_name": {"type": "string"}, "phone": {"type": "string"},
        "description": {"type": "string"}, "media_url": {"type": "string"},
    }
    if content_type == "multipart/form-data":
        properties["media"] = {"type": "array", "items": {"type": "string", "format": "binary"}}
    return {"type": "object", "required": ["api_key", "service_code"], "properties": properties,
            "example": {"api_key": "…", "service_code": "schlagloch", "lat": 51.962, "long": 8.229,
                        "description": "Tiefes Loch vor der Schule", "email": "name@example.org"},
            "additionalProperties": {"type": "string", "description": "attribute[CODE] answers"}}


def _post_update_schema() -> dict:
    return {"type": "object", "required": ["api_key", "service_request_id", "status"], "properties": {
        "api_key": {"type": "string"}, "jurisdiction_id": {"type": "string"},
        "service_request_id": {"type": "string"}, "update_id": {"type": "string"},
        "status": {"type": "string", "description": "OPEN, INVESTIGATING, IN_PROGRESS, ACTION_SCHEDULED, FIXED, "
                   "CLOSED, DUPLICATE, NOT_COUNCILS_RESPONSIBILITY, NO_FURTHER_ACTION, INTERNAL_REFERRAL"},
        "description": {"type": "string"}, "updated_datetime": {"type": "string"},
        "external_body": {"type": "string"}, "reason": {"type": "string"}, "duplicate_of": {"type": "string"},
    }}


def _json_ok(schema: dict, description: str, errors=(400,)) -> dict:
    responses = {"200": {"description": description, "content": {"application/json": {"schema": schema}}}}
    for status in errors + (429,):
        responses[str(status)] = {"description": "Error", "content": {"application/json": {"schema": {
            "type": "object", "required": ["errors"], "properties": {"errors": {"type": "array"}}}}}}
    return responses


LAT = _param("lat", "Latitude", {"type": "number", "minimum": -90, "maximum": 90}, required=True)
LON = _param("lon", "Longitude", {"type": "number", "minimum": -180, "maximum": 180}, required=True)
FEATURES = {"type": "object", "required": ["type", "features"],
            "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                           "features": {"type": "array", "items": {"type": "object"}}}}
# The app's own JSON endpoints (app/mapapi), keyed by the Flask rule they document.
MAPAPI_PATHS = {
    "/api/v1/geocode": ("/api/v1/geocode", {"get": {
        "tags": ["Karte und Adressen"], "summary": "Address search in the town", "operationId": "geocode",
        "parameters": [_param("q", "Street and house number", required=True),
                       _param("limit", "Results", {"type": "integer", "minimum": 1, "maximum": 20})],
        "responses": _json_ok({"type": "object", "required": ["results"],
                               "properties": {"results": {"type": "array", "items": {"type": "object"}}}},
                              "Matching addresses")}}),
    "/api/v1/reverse": ("/api/v1/reverse", {"get": {
        "tags": ["Karte und Adressen"], "summary": "The nearest address", "operationId": "reverse",
        "parameters": [LAT, LON],
        "responses": _json_ok({"type": "object", "required": ["result"],
                               "properties": {"result": {"type": "object", "nullable": True}}}, "Address or null")}}),
    "/api/v1/reports/nearby": ("/api/v1/reports/nearby", {"get": {
        "tags": ["Karte und Adressen"], "summary": "Open reports nearby", "operationId": "reports_nearby",
        "parameters": [LAT, LON, _param("category", "Category code"),
                       _param("radius", "Metres", {"type": "integer", "minimum": 1, "maximum": 500})],
        "responses": _json_ok({"type": "object", "required": ["reports"],
                               "properties": {"reports": {"type": "array", "items": {"type": "object"}}}},
                              "Nearby reports")}}),
    "/api/v1/reports.geojson": ("/api/v1/reports.geojson", {"get": {
        "tags": ["Karte und Adressen"], "summary": "Reports as GeoJSON", "operationId": "reports_geojson",
        "parameters": [_param("bbox", "minlon,minlat,maxlon,maxlat"), _param("category", "Category code"),
                       _param("status", "open, closed or a status code"),
                       _param("max_age_days", "Created in the last N days", {"type": "integer", "minimum": 1}),
                       _param("changed_within_days", "Status set in the last N days (with status=erledigt: "
                              "recently fixed)", {"type": "integer", "minimum": 1})],
        "responses": _json_ok(FEATURES, "FeatureCollection")}}),
    "/api/v1/clusters.geojson": ("/api/v1/clusters.geojson", {"get": {
        "tags": ["Karte und Adressen"], "summary": "Clustered reports", "operationId": "clusters_geojson",
        "parameters": [_param("bbox", "minlon,minlat,maxlon,maxlat"),
                       _param("zoom", "Zoom", {"type": "integer", "minimum": 0, "maximum": 22}),
                       _param("category", "Category code"), _param("status", "open, closed or a status code")],
        "responses": _json_ok(FEATURES, "FeatureCollection")}}),
}


def build_document(registered_rules: set[str], base_url: str) -> dict:
    """The document; ``registered_rules`` are the app's URL rules (to list only served /api/v1 paths)."""
    paths = _open311_paths()
    for rule, (path, item) in MAPAPI_PATHS.items():
        if rule in registered_rules:
            paths[path] = deepcopy(item)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Mängelmelder API",
            "version": "1.0.0",
            "description": (
                "Open311 GeoReport v2 (open311.org) with the widely used extensions (multipart media, page/page_size, "
                "bbox, updated_after/updated_before, extensions=true) and mySociety's servicerequestupdates, plus "
                "the app's own JSON endpoints for the map and address search. Every Open311 answer exists as .json "
                "and .xml with identical content; errors are a list of {code, description}. Writing needs an "
                f"api_key (rights: {', '.join(ACTIONS)}); keys are issued by the town's administrators."),
        },
        "servers": [{"url": base_url.rstrip("/")}],
        "paths": paths,
        "components": {"schemas": deepcopy(SCHEMAS)},
    }
