"""The case this browser session is on: a family's own, or a client's that a worker opened from
the caseload. The questionnaire, plan and letters pages all find it under one session key."""
from __future__ import annotations

from flask import g, session

from navigator import db
from navigator.models import Case
from navigator.services import cases

CASE_KEY = "case_public_id"


def current_case() -> Case | None:
    """The session's case as the ORM object, for pages that change it."""
    return cases.get_case(db.get_session(), session.get(CASE_KEY))


def case_to_read() -> cases.CaseRecord | None:
    """The session's case for pages that only show it: one plain SELECT per request. Kept
    under its public id, so a case dropped from the session during the request is gone."""
    public_id = session.get(CASE_KEY)
    if not public_id:
        return None
    read = g.get("case_read")
    if read is None or read[0] != public_id:
        with db.reading_connection() as connection:
            read = g.case_read = (public_id, cases.read_case(connection, public_id))
    return read[1]


def case_for_request() -> Case | cases.CaseRecord | None:
    """Whichever of the two this request's view uses, so a check before it loads it once."""
    return case_to_read() if db.request_only_reads() else current_case()
