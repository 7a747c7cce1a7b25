"""Flask extensions, created once and bound to the app in the factory."""
from __future__ import annotations

from flask import Flask, request
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
babel = Babel()

SUPPORTED_LOCALES = ("en", "es")


def select_locale() -> str:
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or "en"


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
