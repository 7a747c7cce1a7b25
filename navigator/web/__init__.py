"""The web layer: one blueprint per user-facing area, thin routes over navigator.services."""
from __future__ import annotations

from datetime import date

from flask import Flask
from flask_babel import get_locale

from navigator import rulebook
from navigator.textformat import split_lead, us_date


def register_blueprints(app: Flask) -> None:
    from navigator.web import api, errors, letters, main

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
    app.register_blueprint(caseload.bp)
    app.register_blueprint(caseload.feed_bp)
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
