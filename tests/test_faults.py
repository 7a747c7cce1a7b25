"""Faults: the database going away mid-questionnaire loses no answer; a PDF that cannot be
rendered gets a message page and leaves the case as it was."""
from __future__ import annotations

import contextlib
import re

import pytest
from sqlmodel import Session

from navigator import db
from navigator.services import cases
from tests.conftest import case_in_session
from tests.test_questionnaire import MEDICARE_JOURNEY, until, walk

UNREACHABLE_URL = "postgresql://postgres@127.0.0.1:1/navigator"


@contextlib.contextmanager
def database_down(app):
    """Point the running app at a database nobody listens on, then back."""
    working = app.extensions["db_engine"]
    broken = db.make_engine(UNREACHABLE_URL)
    app.extensions["db_engine"] = broken
    try:
        yield
    finally:
        app.extensions["db_engine"] = working
        db.dispose(broken)


def stored_case(app, client):
    with client.session_transaction() as flask_session:
        public_id = flask_session.get("case_public_id")
    with Session(app.extensions["db_engine"]) as session:
        return cases.get_case(session, public_id)


def pending_pages(client) -> list:
    """The pages kept in the session, opened with the app's key (they are encrypted there)."""
    from navigator.web import sealed
    with client.session_transaction() as flask_session:
        token = flask_session.get("pending_pages")
    with client.application.app_context():
        return sealed.unseal(token) or []


def test_an_answer_sent_while_the_database_is_down_is_saved_when_it_returns(app, client):
    walk(client, until(MEDICARE_JOURNEY, "household"))
    with database_down(app):
        response = client.post("/questions/household",
                               data={"household_size": "2", "annual_income": "$41,234"})
        assert response.status_code == 503
        assert "We cannot reach our database" in response.get_data(as_text=True)
        assert client.get("/check").status_code == 503       # still down: still kept
    assert len(pending_pages(client)) == 1
    assert "annual_income" not in stored_case(app, client).answers
    response = client.get("/questions/background")
    assert response.status_code == 200
    answers = stored_case(app, client).answers
    assert answers["annual_income"] == 41234 and answers["household_size"] == 2
    assert answers["coverage"] == "medicare_original"            # nothing earlier was lost
    assert pending_pages(client) == []


def test_a_first_visitor_loses_nothing_either(app, client):
    with database_down(app):
        assert client.post("/questions/state", data={"state": "VT"}).status_code == 503
        assert client.post("/questions/about_you",
                           data={"age": "41", "diabetes_type": "type1"}).status_code == 503
    assert client.get("/").status_code == 200
    assert stored_case(app, client).answers == {"state": "VT", "age": 41,
                                                "diabetes_type": "type1"}


def test_a_pending_page_that_no_longer_validates_is_dropped_not_saved(app, client):
    walk(client, MEDICARE_JOURNEY[:1])
    with database_down(app):
        assert client.post("/questions/about_you",
                           data={"age": "two hundred", "diabetes_type": "type1"}).status_code == 503
    assert client.get("/").status_code == 200
    assert stored_case(app, client).answers == {"state": "OH"}
    assert pending_pages(client) == []


def test_with_csrf_on_only_a_checked_submission_is_kept(db_url):
    from navigator import create_app
    app = create_app({"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    page = client.get("/questions/state").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    with database_down(app):
        assert client.post("/questions/state", data={"state": "OH"}).status_code == 400
        assert pending_pages(client) == []
        assert client.post("/questions/state",
                           data={"state": "OH", "csrf_token": token}).status_code == 503
    [kept] = pending_pages(client)
    assert kept["page"] == "state" and [tuple(pair) for pair in kept["form"]] == [("state", "OH")]
    client.get("/")
    assert stored_case(app, client).answers == {"state": "OH"}
    db.dispose(app.extensions["db_engine"])


# --- PDF rendering fails --------------------------------------------------------------------

class RendererBroke(RuntimeError):
    pass


@pytest.fixture
def broken_renderer(monkeypatch):
    from navigator.services import pdf

    def refuse(*_args, **_kwargs):
        raise RendererBroke("cairo exploded while drawing Zebulon's letter")
    monkeypatch.setattr(pdf, "HTML", refuse)


@pytest.fixture
def case_client(app, client):
    client.public_id = case_in_session(app, client, "Zebulon Quill")
    return client


@pytest.mark.parametrize("path", ["/plan.pdf", "/letters/internal_appeal.pdf"])
def test_a_pdf_that_cannot_be_rendered_gets_a_message_and_the_case_is_intact(
        app, case_client, broken_renderer, caplog, path):
    before = stored_case(app, case_client)
    response = case_client.get(path)
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html" and "The PDF could not be made" in page
    assert "Your answers and letter details are kept" in page and "Traceback" not in page
    after = stored_case(app, case_client)
    assert (after.answers, after.details, after.updated_at) == \
        (before.answers, before.details, before.updated_at)
    assert "Zebulon" not in caplog.text and "RendererBroke" in caplog.text
    assert case_client.get("/plan").status_code == 200          # the rest still works


def test_a_packet_that_cannot_be_rendered_gets_the_same_message(app, case_client, broken_renderer):
    response = case_client.post("/letters/packet", data={"letter": ["internal_appeal"]})
    assert response.status_code == 503
    assert "The PDF could not be made" in response.get_data(as_text=True)


def test_connections_the_database_server_closed_are_replaced_before_use(postgresql_url):
    """After a PostgreSQL restart (here: every connection of the app terminated), the next
    request gets a fresh connection instead of a 503, without a ping on every request."""
    import time

    import sqlalchemy as sa

    from navigator import create_app

    db.upgrade(postgresql_url)
    app = create_app({"DATABASE_URL": postgresql_url})
    client = app.test_client()
    walk(client, MEDICARE_JOURNEY)
    assert client.get("/plan").status_code == 200        # the pool now holds a connection
    admin = sa.create_engine(postgresql_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            others = ("FROM pg_stat_activity WHERE datname = current_database() "
                      "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
            assert connection.execute(sa.text(f"SELECT count(*) {others}")).scalar() > 0
            connection.execute(sa.text(f"SELECT pg_terminate_backend(pid) {others}"))
            deadline = time.monotonic() + 5
            while connection.execute(sa.text(f"SELECT count(*) {others}")).scalar():
                assert time.monotonic() < deadline
                time.sleep(0.05)
    finally:
        admin.dispose()
    assert client.get("/plan").status_code == 200
    response = client.post("/questions/household",
                           data={"household_size": "4", "annual_income": "61000"})
    assert response.status_code == 302
    saved = stored_case(app, client)
    assert saved.answers["household_size"] == 4
    with Session(app.extensions["db_engine"]) as session:
        cases.delete_case(session, cases.get_case(session, saved.public_id))
    db.dispose(app.extensions["db_engine"])


def test_a_signed_in_worker_gets_the_503_page_during_an_outage(app, worker_client):
    """Review L8: the 503 page's menu asks who is signed in; that must not fail again."""
    with database_down(app):
        for path in ("/caseload/", "/caseload/due", "/"):
            response = worker_client.get(path)
            assert response.status_code == 503, path
            assert "Content-Security-Policy" in response.headers
    assert worker_client.get("/caseload/").status_code == 200     # still signed in afterwards


def test_pages_kept_in_the_cookie_are_not_readable_there(app, client):
    """Review L12: the cookie is only signed; the kept answers are encrypted inside it."""
    import base64
    import zlib
    household = next(i for i, (page, _) in enumerate(MEDICARE_JOURNEY) if page == "household")
    walk(client, MEDICARE_JOURNEY[:household])
    page, data = MEDICARE_JOURNEY[household]
    assert data["annual_income"] == "$40,000"
    with database_down(app):
        assert client.post(f"/questions/{page}", data=data).status_code == 503
    cookie = client.get_cookie("session").value
    payload = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    text = (zlib.decompress(raw) if cookie.startswith(".") else raw).decode()
    assert "pending_pages" in text
    assert "40,000" not in text and "annual_income" not in text
    [kept] = pending_pages(client)
    assert ["annual_income", "$40,000"] in kept["form"]
