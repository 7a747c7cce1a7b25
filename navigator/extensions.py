"""Flask extensions, created once and bound to the app in the factory."""
from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_babel import Babel, get_translations
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from navigator import i18n

csrf = CSRFProtect()
babel = Babel()
# No default limit: each sensitive route (API, login, resume links, PDFs) sets its own.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def person_or_address() -> str:
    """A signed-in worker is counted as themselves (a clinic's workers share one address),
    everyone else by address."""
    from flask_login import current_user
    return f"user-{current_user.id}" if current_user.is_authenticated else get_remote_address()


# Every PDF (and Word letter) route shares one budget: rendering holds a worker for a while, so
# one browser must not be able to keep every worker busy (review L4).
pdf_limit = limiter.shared_limit(lambda: current_app.config["PDF_RATE_LIMIT"], scope="pdf",
                                 key_func=person_or_address)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None      # the login page explains itself

SUPPORTED_LOCALES = tuple(i18n.LANGUAGES)
LANG_PARAM = "lang"             # ?lang=es chooses Spanish, on any page
LANG_COOKIE = "lang"            # and this cookie keeps the choice
LANG_COOKIE_DAYS = 365


def current_language() -> str:
    """The request's language: ?lang= (then kept in a cookie), else the kept choice, else the
    browser's Accept-Language, else English. Only languages with a compiled catalogue are
    chosen, so `<html lang>` always names the language the words are in."""
    chosen = g.get("_language")
    if chosen is None:
        offered = i18n.available_languages()
        asked = request.args.get(LANG_PARAM) or request.cookies.get(LANG_COOKIE)
        if asked:
            chosen = i18n.supported(asked)
        else:
            chosen = request.accept_languages.best_match(offered) or i18n.DEFAULT_LANGUAGE
        g._language = chosen
    return chosen


select_locale = current_language     # Flask-Babel's locale selector


def keep_language(response):
    """?lang=xx with a language on offer sets the cookie that keeps it on later pages."""
    asked = request.args.get(LANG_PARAM)
    if asked and i18n.supported(asked) == asked.lower() \
            and request.cookies.get(LANG_COOKIE) != asked.lower():
        response.set_cookie(LANG_COOKIE, asked.lower(), max_age=LANG_COOKIE_DAYS * 24 * 3600,
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
                            httponly=True, samesite="Lax")
    return response


def _translations():
    """The request's catalogue, looked up once: Flask-Babel looks it up on every call, and a
    plan page makes about a hundred (about half of its rendering time)."""
    cached = g.get("_translations")
    if cached is None:
        cached = g._translations = get_translations()
    return cached


def _template_gettext(string: str) -> str:
    return _translations().gettext(string)


def _template_ngettext(singular: str, plural: str, number: int) -> str:
    return _translations().ngettext(singular, plural, number)


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(i18n.TRANSLATIONS_DIR))
    # keep_language is an after-request hook: web/pipeline.py installs it.
    # Jinja's "newstyle" gettext escapes and fills in the %(name)s variables itself.
    app.jinja_env.install_gettext_callables(_template_gettext, _template_ngettext, newstyle=True)
    # In memory for one process; REDIS_URL shares the counts between app processes and hosts
    # (production refuses several workers without it: config.py).
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # A limit that cannot be counted (Redis down) lets the request through rather than failing
    # every page; the failure is logged by Flask-Limiter.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
    login_manager.init_app(app)


@login_manager.user_loader
def _load_user(login_id: str):
    """The signed-in worker, or nobody. When the database is down the request fails with the
    503 page, and that page (whose menu asks who is signed in) is shown as to nobody instead of
    asking the database again and failing with a bare 500 (review L8)."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    from navigator import db
    from navigator.services.accounts import load_by_login_id
    if g.get("database_down"):
        return None
    try:
        return load_by_login_id(db.get_session(), login_id)
    except (OperationalError, InterfaceError):
        g.database_down = True
        db.discard_session()
        raise
