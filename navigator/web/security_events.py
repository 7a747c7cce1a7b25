"""Security events written down (review L15): a signed-in worker refused a page, a form without
a valid CSRF token, a request over a rate limit. Each goes to the app log; those by a signed-in
worker also go to their organisation's audit log, where an admin looks. Failed sign-ins are
recorded by the sign-in view itself (auth.py).

Nothing of the request's content is written: the action, the case id when the refused URL
names one, the route, and the address in the app log.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import TooManyRequests

from navigator import db
from navigator.services import audit
from navigator.services.cases import PUBLIC_ID_PATTERN
from navigator.web.session_case import client_id

REFUSED_STATUSES = (403, 404)

# Forms a person may leave open for hours (its security token then expires): endpoint -> a view
# that shows the page again from what was typed, saving nothing, with a plain message. It returns
# None when it cannot (no such page any more), and the usual error page follows.
RESHOW_WHEN_TOKEN_STALE: dict[str, Callable] = {}


def reshow_when_token_stale(endpoint: str):
    def register(view: Callable) -> Callable:
        RESHOW_WHEN_TOKEN_STALE[endpoint] = view
        return view
    return register


def _reshow_typed_form():
    """The page again with what was typed, for a form of ours whose token went stale: the form
    carries a token (so it came from our page), and it is the family's own page (a client's page
    is shown only after its access check, which runs after the CSRF check)."""
    view = RESHOW_WHEN_TOKEN_STALE.get(request.endpoint or "")
    if view is None or not request.form.get("csrf_token") or client_id() is not None:
        return None
    return view()


def _signed_in_user():
    """The signed-in worker, or None (also while the database is down: extensions._load_user)."""
    try:
        user = current_user._get_current_object()
    except SQLAlchemyError:
        return None
    return user if user.is_authenticated else None


def _case_id_in_url() -> str | None:
    if client_id():         # a client's page: its id was taken out of view_args
        return client_id()
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and PUBLIC_ID_PATTERN.fullmatch(value):
            return value
    return None


def _audit(action: str, case_public_id: str | None = None) -> None:
    user = _signed_in_user()
    if user is None:
        return
    try:
        dbs = db.get_session()
        dbs.rollback()          # whatever the failed request left half-done is not committed
        audit.record(dbs, user, action, case_public_id=case_public_id)
    except SQLAlchemyError as exc:
        current_app.logger.error("security event %s not audited (%s)", action,
                                 type(getattr(exc, "orig", None) or exc).__name__)


def record_refused_page(response):
    if response.status_code in REFUSED_STATUSES and request.endpoint != "static" \
            and _signed_in_user() is not None:
        current_app.logger.warning("refused %s %s (%d) for a signed-in worker", request.method,
                                   request.url_rule, response.status_code)
        _audit("access.refused", _case_id_in_url())
    return response


def register(app: Flask, render_error) -> None:
    """`render_error(status)` is the app's error page (errors.py)."""
    # record_refused_page is an after-request hook: web/pipeline.py installs it.

    @app.errorhandler(CSRFError)
    def csrf_refused(_exc: CSRFError):
        app.logger.warning("CSRF token refused on %s %s from %s", request.method,
                           request.url_rule, request.remote_addr)
        _audit("csrf.refused")
        reshown = _reshow_typed_form()
        return reshown if reshown is not None else render_error(400)

    @app.errorhandler(TooManyRequests)
    def rate_limited(exc: TooManyRequests):
        app.logger.warning("rate limit %s reached on %s %s from %s",
                           getattr(exc, "description", ""), request.method, request.url_rule,
                           request.remote_addr)
        _audit("rate.limited")
        return render_error(429)
