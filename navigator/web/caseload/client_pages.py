"""A worker's questionnaire, plan and letters pages for one client.

The family's pages (navigator.web.questionnaire, plan, letters) also answer under
/caseload/clients/<client_id>/... (see session_case.case_route). The hooks here, installed by
web/pipeline.py with every other request hook of the app, make that safe:

- the client's id is taken out of the URL before the view runs, and put back into every
  url_for of such a page, so a client's page only links to the same client's pages;
- `guard_client_pages` lets only a signed-in worker who may reach the client in (404 for
  anyone else, existing client or not), refuses a form that was filled in for another client,
  and writes the visit to the audit log.
"""
from __future__ import annotations

from flask import (
    Flask,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException, NotFound

from navigator import db
from navigator.extensions import login_manager
from navigator.models import Case
from navigator.services import audit
from navigator.services import caseload as service
from navigator.web.session_case import CLIENT_ENDPOINTS

CLIENT_FIELD = "for_client"
DOWNLOAD_ENDPOINTS = {"plan.pdf": "case.pdf", "letters.pdf": "case.letters",
                      "letters.packet": "case.letters", "letters.packet_download": "case.letters",
                      "plan.calendar": "case.export"}


def take_client_from_url(_endpoint: str | None, values: dict | None) -> None:
    if values and "client_id" in values:
        g.client_id = values.pop("client_id")


def fill_in_client(endpoint: str, values: dict) -> None:
    client_id = g.get("client_id")
    if client_id and endpoint in CLIENT_ENDPOINTS:
        values.setdefault("client_id", client_id)


def guard_client_pages():
    client_id = g.get("client_id")
    if client_id is None:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    case = service.case_for_user(db.get_session(), current_user._get_current_object(), client_id)
    if case is None:
        raise NotFound()
    g.client_case = case
    if request.method == "POST" and request.form.get(CLIENT_FIELD) != case.public_id:
        return refuse_other_client(case, request.form.get(CLIENT_FIELD))
    audit.record(db.get_session(), current_user._get_current_object(), _action(), case.public_id)
    return None


def _action() -> str:
    if request.endpoint in DOWNLOAD_ENDPOINTS:
        return DOWNLOAD_ENDPOINTS[request.endpoint]
    return "case.update" if request.method == "POST" else "case.view"


def refuse_other_client(case: Case, form_client: str | None):
    """409: the form was filled in on a page for another client (or says for none). Nothing is
    saved; the page names both clients the worker may see, so they can go back to the right one."""
    other = service.case_for_user(db.get_session(), current_user._get_current_object(),
                                  form_client) if form_client else None
    return make_response(render_template("caseload/wrong_client.html", case=case, other=other),
                         409)


def client_field() -> Markup:
    """The hidden field a client's page puts in each of its forms (nothing on a family's)."""
    client_id = g.get("client_id")
    if not client_id:
        return Markup("")
    return Markup('<input type="hidden" name="%s" value="%s">') % (CLIENT_FIELD, escape(client_id))


def _client_context() -> dict:
    return {"client_case": g.get("client_case"), "client_field": client_field}


def send_to_sign_in():
    """Signed out (idle, expired, or never signed in): to the sign-in page, then back to where
    the worker was."""
    return redirect(url_for("auth.login", next=return_address()))


def return_address() -> str | None:
    """The page to come back to after signing in again: this one for a GET; for a POSTed form,
    the same address if it is also a page, else the case it was about. A path on this site."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    try:
        current_app.url_map.bind("localhost").match(request.path, method="GET")
        return request.path
    except HTTPException:
        pass
    public_id = (request.view_args or {}).get("public_id")
    if request.blueprint == "caseload" and public_id:
        return url_for("caseload.case_page", public_id=public_id)
    return None


def init_app(app: Flask) -> None:
    # take_client_from_url, fill_in_client and guard_client_pages are request hooks:
    # web/pipeline.py installs them with the others.
    app.context_processor(_client_context)
    login_manager.unauthorized_handler(send_to_sign_in)
