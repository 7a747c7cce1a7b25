"""The case a questionnaire, plan or letters page is about.

Each of those pages has two addresses: the family's own (`/plan`), whose case is kept in the
browser session, and a worker's for one client (`/caseload/clients/<client_id>/plan`), whose case
is in the URL. A worker's client is never kept in the session, so two tabs on two clients each
stay on their own client. `case_route` registers both addresses; on a client's page every
`url_for` of such a page gets the client filled in (navigator.web.caseload.client_pages checks
the worker may open the client before the view runs).
"""
from __future__ import annotations

from flask import Blueprint, g, session

from navigator import db
from navigator.models import Case
from navigator.services import cases

CASE_KEY = "case_public_id"
CLIENT_PREFIX = "/caseload/clients/<client_id>"
# Endpoints that also have a client address: url_for fills in the client on a client's page.
CLIENT_ENDPOINTS: set[str] = set()


def case_route(bp: Blueprint, rule: str, **options):
    """Route a page of the case at `rule` (the family's) and under CLIENT_PREFIX (a client's)."""
    def decorator(view):
        endpoint = options.pop("endpoint", view.__name__)
        bp.add_url_rule(rule, endpoint, view, **options)
        bp.add_url_rule(CLIENT_PREFIX + rule, endpoint, view, **options)
        CLIENT_ENDPOINTS.add(f"{bp.name}.{endpoint}")
        return view
    return decorator


def client_id() -> str | None:
    """The client in this request's URL, if the page is a worker's page for a client."""
    return g.get("client_id")


def _public_id() -> str | None:
    return client_id() or session.get(CASE_KEY)


def _not_the_family_s(case: Case | cases.CaseRecord | None) -> bool:
    """An organisation's case never sits in a browser session: it is opened by its URL."""
    return case is not None and client_id() is None and case.organisation_id is not None


def current_case() -> Case | None:
    """The page's case as the ORM object, for pages that change it."""
    case = cases.get_case(db.get_session(), _public_id())
    if _not_the_family_s(case):
        session.pop(CASE_KEY, None)
        return None
    return case


def case_to_read() -> cases.CaseRecord | None:
    """The page's case for pages that only show it: one plain SELECT per request. Kept under
    its public id, so a case dropped from the session during the request is gone."""
    public_id = _public_id()
    if not public_id:
        return None
    read = g.get("case_read")
    if read is None or read[0] != public_id:
        with db.reading_connection() as connection:
            read = g.case_read = (public_id, cases.read_case(connection, public_id))
    if _not_the_family_s(read[1]):
        session.pop(CASE_KEY, None)
        return None
    return read[1]


def case_for_request() -> Case | cases.CaseRecord | None:
    """Whichever of the two this request's view uses, so a check before it loads it once."""
    return case_to_read() if db.request_only_reads() else current_case()
