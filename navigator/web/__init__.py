"""The web layer: one blueprint per user-facing area, thin routes over navigator.services."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from navigator import clock, i18n, rulebook
from navigator.extensions import LANG_PARAM, current_language
from navigator.textformat import split_lead


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
    app.add_template_filter(page_date, "us_date")
    app.add_template_filter(page_money, "usd")
    app.add_template_filter(page_number, "number")
    app.add_template_filter(split_lead, "split_lead")
    app.context_processor(_page_context)


def page_date(value) -> str:
    """A date as the page's language writes it (November 23, 2026; 23 de noviembre de 2026)."""
    return i18n.format_day(value, current_language())


def page_money(amount) -> str:
    return i18n.format_money(amount, current_language())


def page_number(value) -> str:
    return i18n.format_number(value, current_language())


def language_links() -> list[dict]:
    """A link to this same page in each other language on offer (no JavaScript needed).

    The link is the query alone ("?lang=es"): the browser keeps the path, so a secret in it (a
    resume, invitation or reminder token) is never written into the page, and every wrong token
    still gets the very same 404 page. A page shown after a POST (a form with errors) links to
    its own address, by GET."""
    current = current_language()
    keep = request.args.to_dict() if request.method == "GET" and request.url_rule else {}
    keep.pop(LANG_PARAM, None)
    return [{"code": code, "name": i18n.LANGUAGES[code],
             "href": "?" + urlencode({**keep, LANG_PARAM: code})}
            for code in i18n.available_languages() if code != current]


def _page_context() -> dict:
    book = rulebook.current()
    return {
        "current_locale": current_language(),
        "language_links": language_links,
        "rules_version": book.version,
        "rules_reviewed": book.reviewed,
        "today": clock.today_in(None),     # a page without a case: clock.DEFAULT_ZONE
    }
