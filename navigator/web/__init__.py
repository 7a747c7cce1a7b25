"""The web layer: one blueprint per user-facing area, thin routes over navigator.services."""
from __future__ import annotations

from datetime import date

from flask import Flask
from flask_babel import get_locale
from werkzeug.routing import IntegerConverter

from navigator import rulebook
from navigator.textformat import split_lead, us_date


class DatabaseIntegerConverter(IntegerConverter):
    """`<int:...>` ids only up to the largest value an integer column holds: a larger one is
    "not found" (404), not an OverflowError (SQLite) or DataError (PostgreSQL) 500 (review L2)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register_blueprints(app: Flask) -> None:
    from navigator.web import api, errors, letters, main

    app.url_map.converters["int"] = DatabaseIntegerConverter    # before any route is added

    app.register_blueprint(main.bp)
    app.register_blueprint(api.bp)
    from navigator.web import plan, questionnaire

    app.register_blueprint(questionnaire.bp)
    app.register_blueprint(plan.bp)
    app.register_blueprint(letters.bp)
    from navigator.web import pumps

    app.register_blueprint(pumps.bp)
    from navigator.web import auth, caseload, followup

    app.register_blueprint(auth.bp)
    caseload.init_app(app)
    app.register_blueprint(followup.bp)
    errors.register(app)
    app.add_template_filter(us_date, "us_date")
    app.add_template_filter(split_lead, "split_lead")
    app.context_processor(_page_context)


def _page_context() -> dict:
    book = rulebook.current()
    return {
        "current_locale": str(get_locale() or "en"),
        "rules_version": book.version,
        "rules_reviewed": book.reviewed,
        "today": date.today(),
    }
