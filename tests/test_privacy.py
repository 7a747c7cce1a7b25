"""Privacy: nothing personal in the logs over a whole journey, letter details optional, delete
and the retention purge remove everything, and a family can download all that is held."""
from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from navigator.logfilter import redact
from navigator.services import cases
from tests.test_questionnaire import MEDICARE_JOURNEY, walk
from tests.test_security import database_rows

PATIENT_NAME = "Zebulon Quixotewright"
MEMBER_ID = "ZQX-998877-A"
BIRTH_DATE = "1954-03-09"
INCOME = "$48,213.57"
DENIAL_DATE = "2025-10-17"
DETAILS = {"patient_name": PATIENT_NAME, "member_id": MEMBER_ID, "date_of_birth": BIRTH_DATE,
           "prescriber_name": "Dr Ottoline Vantablack", "claim_number": "CLM-55501-QQ"}


def distinctive_journey():
    journey = dict(MEDICARE_JOURNEY)
    journey["household"] = {"household_size": "2", "annual_income": INCOME}
    journey["denial_details"] = {"denial_date": DENIAL_DATE, "health_at_risk": "true"}
    return list(journey.items())


def public_id_of(client) -> str:
    with client.session_transaction() as flask_session:
        return flask_session["case_public_id"]


def stored(app, public_id):
    with Session(app.extensions["db_engine"]) as session:
        return cases.get_case(session, public_id)


def saved_token(client) -> str:
    page = client.post("/save", follow_redirects=True).get_data(as_text=True)
    return re.search(r'/resume/([A-Za-z0-9_-]+)"', page).group(1)


# --- logs ------------------------------------------------------------------------------------

def test_a_whole_journey_logs_no_names_ids_tokens_or_answers(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger=app.logger.name)
    walk(client, distinctive_journey())
    assert client.post("/letters/details", data=DETAILS).status_code == 302
    letters = client.get("/letters/").get_data(as_text=True)
    letter_id = re.search(r'href="/letters/(\w+)\.pdf"', letters).group(1)
    for path in ("/check", "/plan", "/plan.pdf", "/plan.ics", "/export.json",
                 f"/letters/{letter_id}", f"/letters/{letter_id}.pdf"):
        assert client.get(path).status_code == 200, path
    assert client.post("/letters/packet", data={"letter": [letter_id]}).status_code == 200
    token = saved_token(client)
    assert app.test_client().get(f"/resume/{token}").status_code == 302
    assert app.test_client().get(f"/resume/{token}x").status_code == 404
    # What a server prints for those requests (the test client does not run one).
    logging.getLogger("werkzeug").info('%s - - [%s] "%s" %s -', "127.0.0.1", "now",
                                       f"GET /resume/{token} HTTP/1.1", 302)
    logging.getLogger("gunicorn.access").info("GET /resume/%s 302", token)
    app.logger.info("request for %s", f"http://localhost/resume/{token}")
    assert client.post("/delete").status_code == 302

    secrets = [PATIENT_NAME, "Zebulon", "Quixotewright", MEMBER_ID, BIRTH_DATE, "48213.57",
               "48,213", DENIAL_DATE, "Vantablack", "CLM-55501-QQ", token]
    logged = [record.getMessage() + (record.exc_text or "") for record in caplog.records]
    assert len(logged) >= 3
    for secret in secrets:
        leaks = [line[:200] for line in logged if secret in line]
        assert not leaks, f"{secret!r} is in the log: {leaks}"
    assert "/resume/[redacted]" in caplog.text


def test_sql_parameters_never_reach_the_logs_or_error_messages(app, caplog):
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    with Session(app.extensions["db_engine"]) as session:
        case = cases.create_case(session, {"state": PATIENT_NAME})
        assert PATIENT_NAME not in caplog.text
        with pytest.raises(Exception) as error:
            session.exec(__import__("sqlalchemy").text("SELECT * FROM no_such_table WHERE x = :v"),
                         params={"v": MEMBER_ID})
        assert MEMBER_ID not in str(error.value)
        session.rollback()
        cases.delete_case(session, case)


@pytest.mark.parametrize("line, expected", [
    ("GET /resume/AbC_12-x HTTP/1.1", "GET /resume/[redacted] HTTP/1.1"),
    ('"GET /feeds/Zz9_-q.ics HTTP/1.1" 200', '"GET /feeds/[redacted].ics HTTP/1.1" 200'),
    ("POST /auth/invite/tok3n HTTP/1.1", "POST /auth/invite/[redacted] HTTP/1.1"),
    ("GET /x?token=abc&page=2", "GET /x?token=[redacted]&page=2"),
    ("GET /questions/state HTTP/1.1", "GET /questions/state HTTP/1.1"),
    # Review L6: percent-encoded spellings of a resume path open the case too.
    ("GET /resum%65/AbC_12-x HTTP/1.1", "GET /resume/[redacted] HTTP/1.1"),
    ("GET /resume%2FAbC_12-x HTTP/1.1", "GET /resume/[redacted] HTTP/1.1"),
    ("GET /%72esume/AbC%5F12 HTTP/1.1", "GET /resume/[redacted] HTTP/1.1"),
    ("GET /questions/state?x=%20 HTTP/1.1", "GET /questions/state?x=%20 HTTP/1.1"),
    # Review L11: caseload searches are clients' names.
    ("GET /caseload/?q=Betty+Smith&scope=all HTTP/1.1",
     "GET /caseload/?q=[redacted]&scope=all HTTP/1.1"),
    ("GET /caseload/?q=Betty%20Smith%2Fx HTTP/1.1", "GET /caseload/?q=[redacted] HTTP/1.1"),
])
def test_secret_links_are_redacted(line, expected):
    assert redact(line) == expected


# --- data minimisation, delete, purge ----------------------------------------------------------

def test_letter_details_are_optional(app, client):
    walk(client, MEDICARE_JOURNEY)
    empty = {name: "" for name in DETAILS}
    assert client.post("/letters/details", data=empty).status_code == 302
    assert stored(app, public_id_of(client)).details == {}
    letters = client.get("/letters/").get_data(as_text=True)
    letter_id = re.search(r'href="/letters/(\w+)\.pdf"', letters).group(1)
    preview = client.get(f"/letters/{letter_id}").get_data(as_text=True)
    assert "[Member ID]" in preview or "Member ID" in preview
    assert client.get(f"/letters/{letter_id}.pdf").status_code == 200


def test_delete_removes_the_case_and_its_details_from_the_database(app, client):
    walk(client, distinctive_journey())
    assert client.post("/letters/details", data=DETAILS).status_code == 302
    saved_token(client)
    public_id = public_id_of(client)
    assert stored(app, public_id).details["patient_name"] == PATIENT_NAME
    assert client.post("/delete").status_code == 302
    assert stored(app, public_id) is None
    everything = json.dumps(database_rows(app))
    for value in (PATIENT_NAME, MEMBER_ID, public_id, "48213.57"):
        assert value not in everything
    assert client.get("/export.json").location.endswith("/start")


def test_the_retention_purge_takes_details_with_the_case(app, runner):
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = cases.create_case(session, {"state": "OH"})
        cases.save_details(session, case, DETAILS)
        case.updated_at = datetime.now(UTC) - timedelta(days=31)
        session.add(case)
        session.commit()
    assert PATIENT_NAME in json.dumps(database_rows(app))
    assert runner.invoke(args=["purge"]).exit_code == 0
    everything = json.dumps(database_rows(app))
    assert PATIENT_NAME not in everything and MEMBER_ID not in everything


# --- export ----------------------------------------------------------------------------------

def test_export_holds_everything_kept_about_the_case(app, client):
    walk(client, distinctive_journey())
    assert client.post("/letters/details", data=DETAILS).status_code == 302
    plan_page = client.get("/plan").get_data(as_text=True)
    assert 'href="/export.json"' in plan_page
    assert 'href="/export.json"' in client.get("/save").get_data(as_text=True)
    response = client.get("/export.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    case = stored(app, public_id_of(client))
    assert data["answers"] == case.answers and data["answers"]["annual_income"] == 48213.57
    assert data["letter_details"] == case.details == DETAILS
    assert data["created_at"] == case.created_at.isoformat()
    assert data["updated_at"] == case.updated_at.isoformat()
    assert data["plan"]["steps"] and data["has_resume_link"] is False
    assert "resume_token_hash" not in response.get_data(as_text=True)


def test_export_of_unfinished_answers_has_no_plan_and_no_one_else_gets_it(app, client):
    walk(client, MEDICARE_JOURNEY[:2])
    data = client.get("/export.json").get_json()
    assert data["answers"] == {"state": "OH", "age": 70, "diabetes_type": "type1"}
    assert data["plan"] is None
    assert app.test_client().get("/export.json").location.endswith("/start")


def test_deleted_answers_leave_no_copy_in_the_sqlite_files(app, client):
    """Review L3: after "Delete my answers" the name and member ID are in neither the database
    file nor its write-ahead log (secure_delete, then a checkpoint that empties the WAL)."""
    from pathlib import Path

    url = app.config["DATABASE_URL"]
    if not url.startswith("sqlite:///"):
        pytest.skip("PostgreSQL keeps deleted rows until vacuum: encrypted storage (SECURITY.md)")
    walk(client, distinctive_journey())
    assert client.post("/letters/details", data=DETAILS).status_code == 302
    database = Path(url.removeprefix("sqlite:///"))
    files = [database, Path(f"{database}-wal")]
    assert any(MEMBER_ID.encode() in f.read_bytes() for f in files if f.exists())
    assert client.post("/delete").status_code == 302
    for path in files:
        if path.exists():
            content = path.read_bytes()
            assert PATIENT_NAME.encode() not in content and MEMBER_ID.encode() not in content, path
