"""JSON API, version 1: the plan engine over HTTP (docs/API.md; /api/v1/openapi.json).

Anyone may ask for one plan (limited per address). Organisations' batch use presents an API key
(`Authorization: Bearer pan_...`): keyed requests are limited per key, and `POST /plans` takes
up to 1,000 answers at once.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, jsonify, request
from flask_limiter.util import get_remote_address

from navigator import clock, db, rulebook
from navigator.engine import evaluate, validate_answers
from navigator.engine.rules_i18n import DEFAULT_LANGUAGE, LANGUAGES
from navigator.extensions import csrf, limiter
from navigator.services.api_keys import find_active_key
from navigator.services.batch import plan_records
from navigator.web.openapi import MAX_BATCH, openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # JSON only: a cross-site HTML form cannot send application/json
# 1,000 answers are about 400 KB of JSON; every other route keeps the app-wide limit.
BATCH_MAX_BYTES = 2 * 1024 * 1024


def _presented_key() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _api_key():
    """The live key record for this request's key, looked up once (None without a valid key)."""
    if "api_key" not in g:
        token = _presented_key()
        g.api_key = find_active_key(db.get_session(), token) if token else None
    return g.api_key


def _rate_key() -> str:
    key = _api_key()
    return f"api-key:{key.id}" if key is not None else get_remote_address()


def _rate_limit() -> str:
    setting = "API_KEY_RATE_LIMIT" if _api_key() is not None else "API_RATE_LIMIT"
    return current_app.config[setting]


limiter.limit(_rate_limit, key_func=_rate_key)(bp)


def _errors(status: int, field: str, message: str):
    return jsonify({"errors": [{"field": field, "message": message}]}), status


@bp.before_request
def _check_key_and_size():
    if _presented_key() is not None and _api_key() is None:
        return _errors(401, "Authorization", "the API key is unknown or was revoked")
    if request.endpoint == "api.plans":
        request.max_content_length = BATCH_MAX_BYTES
    return None


def _json_body():
    if not request.is_json:
        abort(415)
    try:
        return request.get_json(silent=True)
    except RecursionError:      # nested thousands deep, still under the size limit (review L2)
        return None


def _language() -> str | None:
    """The plan's language: ?lang= (en or es), else the Accept-Language header's best match,
    else English. None for a ?lang= the rules are not written in."""
    asked = request.args.get("lang")
    if asked is not None:
        return asked if asked in LANGUAGES else None
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def _language_error():
    return _errors(422, "lang", f"must be one of {', '.join(LANGUAGES)}")


def _in_language(response, lang: str):
    response.headers["Content-Language"] = lang
    response.vary.add("Accept-Language")
    return response


@bp.post("/plan")
def plan():
    """Answers in, plan out: 200 with the plan, 422 with field errors, 415/400 for non-JSON.
    The texts are in the language of ?lang= or Accept-Language (the keys stay English)."""
    lang = _language()
    if lang is None:
        return _language_error()
    body = _json_body()
    if body is None:
        return _errors(400, "body", "is not valid JSON")
    as_of = clock.today_for(body, rulebook.current())
    answers, errors = validate_answers(body, as_of, rulebook.current())
    if errors:
        return jsonify({"errors": [e.as_dict() for e in errors]}), 422
    plan = evaluate(answers, as_of, rulebook.current(), lang=lang)
    return _in_language(jsonify(plan.model_dump(mode="json")), lang)


@bp.post("/plans")
def plans():
    """A JSON array of answers in; one plan document (or that item's errors) each, in order."""
    if _api_key() is None:
        return _errors(401, "Authorization",
                       "send an organisation's API key as 'Authorization: Bearer <key>'")
    lang = _language()
    if lang is None:
        return _language_error()
    body = _json_body()
    if body is None:
        return _errors(400, "body", "is not valid JSON")
    if not isinstance(body, list):
        return _errors(422, "body", "must be a JSON array of answers objects")
    if len(body) > MAX_BATCH:
        return _errors(413, "body", f"holds {len(body)} answers; send at most {MAX_BATCH} "
                                    "per request")
    results = list(plan_records(body, None, rulebook.current(), lang=lang))
    invalid = sum(1 for r in results if "errors" in r)
    return _in_language(jsonify({"format": "navigator.plan/2", "plans": len(results) - invalid,
                                 "invalid": invalid, "results": results}), lang)


@bp.get("/rules")
def rules():
    book = rulebook.current()
    return jsonify({"version": book.version, "reviewed": book.reviewed.isoformat(),
                    "counts": book.counts()})


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(tuple(rulebook.current().pumps)))
