"""Home page and health check."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, url_for

from navigator import db, rulebook

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    return render_template("main/index.html", start_url=url_for("questionnaire.start"))


@bp.get("/healthz")
def healthz():
    reachable, detail = db.database_status(db.engine())
    book = rulebook.current()
    body = {
        "app": "ok",
        "database": "ok" if reachable else "unavailable",
        "rules_version": book.version,
        "rules_reviewed": book.reviewed.isoformat(),
    }
    if not reachable:
        current_app.logger.warning("health check: database unavailable (%s)", detail)
    return jsonify(body), 200 if reachable else 503
