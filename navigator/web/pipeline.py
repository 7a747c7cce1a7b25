"""The request pipeline: every app-wide hook, registered here and nowhere else, in the order
Flask runs them. A blueprint's own hooks (the API key check in web/api.py, the caseload's
login check in web/caseload/routes.py) stay with their blueprint: they run for its pages only.

For one request Flask runs, in this order:
  1. URL value preprocessors (take the client's id out of /caseload/clients/<id>/... URLs)
  2. the before-request hooks: the extensions' (Flask-WTF's CSRF check, Flask-Limiter's
     counts: extensions.py registers them first), then the list `before` below, top to
     bottom, then the blueprint's own
  3. the view
  4. the after-request hooks (the list `after` below, top to bottom), which see the response
  5. teardown (closing the database session), even when the view raised
Flask-Login loads the user and Flask-Babel picks the locale lazily, when first asked.
"""
from __future__ import annotations

from flask import Flask, current_app

from navigator import db, extensions, observability, rulebook, security
from navigator.services import pdf
from navigator.web import auth, questionnaire, security_events
from navigator.web.caseload import client_pages


def _pdf_setting() -> None:
    """The PDF service is plain Python: each request tells it this app's PDF_PROCESSES (tests
    build apps with different settings in one process, so it cannot be set once)."""
    pdf.use_processes(int(current_app.config.get("PDF_PROCESSES", 0)))


def _reload_rules() -> None:
    rulebook.reload_if_due(current_app._get_current_object())  # type: ignore[attr-defined]


def register_request_hooks(app: Flask) -> None:
    """Install the pipeline on `app` (called once, by create_app, after the blueprints)."""
    metrics = bool(app.config.get("METRICS_ENABLED"))
    reload_rules = bool(app.config.get("RULES_RELOAD_SECONDS"))

    # 1. Client pages are the family's pages under the client's URL: take the id out before
    #    routing to the view, and put it back into every url_for of such a page.
    app.url_value_preprocessor(client_pages.take_client_from_url)
    app.url_defaults(client_pages.fill_in_client)

    before = [
        # Start the request timer first, so the metric covers every hook below.
        observability.start_clock if metrics else None,
        # Pick up edited rule files (at most once per RULES_RELOAD_SECONDS), before any page
        # reads the rules.
        _reload_rules if reload_rules else None,
        # Tell the PDF service this app's process setting before a view renders a PDF.
        _pdf_setting,
        # Save pages submitted while the database was down, before the page asked for reads
        # the answers (a 503 again if it is still down).
        questionnaire.save_pending_answers,
        # Sign out an expired worker session, and send a worker with an admin-set password to
        # choose their own, before any page of theirs runs.
        auth.enforce_session_limits,
        # A client's pages: only a worker who may reach the client gets in (404 otherwise);
        # the visit is audited. After the session limits, so an expired session signs in again.
        client_pages.guard_client_pages,
    ]
    after = [
        # Audit a 403/404 shown to a signed-in worker (security_events.py, review L15).
        security_events.record_refused_page,
        # Count the response and its time for /metrics.
        observability.count_response if metrics else None,
        # So every response (error pages and other hooks' too) gets the security headers and
        # no-store.
        security.add_security_headers,
        # ?lang=xx sets the cookie that keeps the chosen language on later pages.
        extensions.keep_language,
    ]
    for hook in before:
        if hook is not None:
            app.before_request(hook)
    # Flask runs after-request hooks in the reverse order of registration.
    for hook in reversed(after):
        if hook is not None:
            app.after_request(hook)
    # Give the request's database session back to the pool, even after an error.
    app.teardown_appcontext(db.close_session)
