"""The request pipeline is registered in one place (navigator/web/pipeline.py), in order."""
from __future__ import annotations

import re
from pathlib import Path

from navigator import create_app, db, extensions, observability, security
from navigator.web import auth, questionnaire, security_events
from navigator.web.caseload import client_pages

PACKAGE = Path(__file__).resolve().parent.parent / "navigator"
APP_WIDE = re.compile(r"\b(before_app_request|after_app_request|teardown_app_request|"
                      r"app\.before_request|app\.after_request|app\.teardown_\w+|"
                      r"url_value_preprocessor|url_defaults)\b")


def test_app_wide_hooks_are_registered_only_by_the_pipeline_module():
    found = sorted(str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                   if APP_WIDE.search(path.read_text(encoding="utf-8"))
                   and path.name != "pipeline.py")
    assert found == []


def test_hooks_run_in_the_documented_order(db_url):
    app = create_app({"DATABASE_URL": db_url, "METRICS_ENABLED": True,
                      "RULES_RELOAD_SECONDS": 30})
    before = [getattr(f, "__name__", "") for f in app.before_request_funcs[None]]
    # The extensions' checks (CSRF, rate limits: extensions.py) first, then the pipeline's.
    assert before == ["csrf_protect", "_check_request_limit", "start_clock", "_reload_rules",
                      "_pdf_setting", "save_pending_answers", "enforce_session_limits",
                      "guard_client_pages"]
    assert app.before_request_funcs[None][2] is observability.start_clock
    assert questionnaire.save_pending_answers in app.before_request_funcs[None]
    assert auth.enforce_session_limits in app.before_request_funcs[None]
    assert client_pages.guard_client_pages in app.before_request_funcs[None]
    # Flask runs after-request hooks last registered first.
    ran = [f for f in reversed(app.after_request_funcs[None])
           if getattr(f, "__module__", "").startswith("navigator")]     # not Flask-Login's own
    assert ran == [security_events.record_refused_page, observability.count_response,
                   security.add_security_headers, extensions.keep_language]
    assert db.close_session in app.teardown_appcontext_funcs


def test_optional_hooks_are_left_out_when_their_setting_is_off(db_url):
    app = create_app({"DATABASE_URL": db_url, "METRICS_ENABLED": False,
                      "RULES_RELOAD_SECONDS": 0})
    names = {getattr(f, "__name__", "") for f in app.before_request_funcs[None]}
    assert "start_clock" not in names and "_reload_rules" not in names
    assert observability.count_response not in app.after_request_funcs[None]
    # Every response still gets the security headers.
    response = app.test_client().get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
