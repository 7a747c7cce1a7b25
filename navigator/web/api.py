"""JSON API, version 1: the plan engine over HTTP."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, jsonify, request

from navigator import rulebook
from navigator.engine import evaluate, validate_answers
from navigator.extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # JSON only: a cross-site HTML form cannot send application/json
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])(bp)


def _json_body():
    if not request.is_json:
        abort(415)
    body = request.get_json(silent=True)
    if body is None:
        return None
    return body


@bp.post("/plan")
def plan():
    """Answers in, plan out: 200 with the plan, 422 with field errors, 415/400 for non-JSON."""
    body = _json_body()
    if body is None:
        return jsonify({"errors": [{"field": "body", "message": "is not valid JSON"}]}), 400
    as_of = date.today()
    answers, errors = validate_answers(body, as_of)
    if errors:
        return jsonify({"errors": [e.as_dict() for e in errors]}), 422
    return jsonify(evaluate(answers, as_of, rulebook.current()).model_dump(mode="json"))


@bp.get("/rules")
def rules():
    book = rulebook.current()
    return jsonify({"version": book.version, "reviewed": book.reviewed.isoformat(),
                    "counts": book.counts()})
