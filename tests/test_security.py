"""Security: CSRF on every state-changing form, resume tokens that cannot be guessed or told
apart, the resume rate limit, the request size limit and the session cookie's flags."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from navigator import create_app, db
from navigator.models import User
from navigator.services import caseload, cases
from tests.conftest import WORKER_PASSWORD
from tests.test_questionnaire import MEDICARE_JOURNEY, walk

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def csrf_token(client, path: str) -> str:
    return CSRF_INPUT.search(client.get(path).get_data(as_text=True)).group(1)


_reflected: dict[str, sa.MetaData] = {}


def database_rows(app) -> dict[str, list]:
    """Every row of every table, in a stable order: the whole stored state."""
    engine = app.extensions["db_engine"]
    key = engine.url.render_as_string()
    with engine.connect() as connection:
        if key not in _reflected:         # the schema is fixed for the session: reflect once
            _reflected[key] = sa.MetaData()
            _reflected[key].reflect(bind=connection)
        return {name: sorted(tuple(map(repr, row)) for row in connection.execute(table.select()))
                for name, table in _reflected[key].tables.items()}


# --- CSRF ------------------------------------------------------------------------------------

@pytest.fixture
def csrf_app(db_url):
    app = create_app({"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": True})
    yield app
    db.dispose(app.extensions["db_engine"])


def _signed_in_worker_with_cases(app, make_worker):
    """A worker signed in (through the real form, token and all) with a client case and a
    family case in the session: every POST route then has something it could change."""
    user = make_worker("csrf@clinic.example", role="admin")
    client = app.test_client()
    walk_token = csrf_token(client, "/questions/state")
    assert client.post("/questions/state", data={"state": "OH", "csrf_token": walk_token}
                       ).status_code == 302
    response = client.post("/auth/login", data={
        "email": user.email, "password": WORKER_PASSWORD,
        "csrf_token": csrf_token(client, "/auth/login")})
    assert response.status_code == 302, response.get_data(as_text=True)[-500:]
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = caseload.create_client_case(session, session.get(User, user.id), "Client Csrf")
    return client, {"public_id": case.public_id, "client_id": case.public_id,
                    "user_id": user.id, "page_id": "state",
                    "step_id": "read_the_notice", "token": "not-a-real-token", "target": "plan",
                    "entry_id": 1}


def _post_urls(app, values: dict) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if not (rule.methods or set()) & STATE_CHANGING or rule.rule.startswith("/api/"):
            continue
        missing = set(rule.arguments) - set(values)
        assert not missing, f"{rule.rule}: give this test a value for {sorted(missing)}"
        urls.append(re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule))
    return urls


def test_every_state_changing_form_refuses_a_request_without_a_csrf_token(csrf_app, make_worker):
    client, values = _signed_in_worker_with_cases(csrf_app, make_worker)
    urls = _post_urls(csrf_app, values)
    # The areas that must be covered are: the questionnaire, letters, sign-in, the caseload.
    assert {"/questions/state", "/delete", "/save", "/letters/packet", "/auth/login",
            "/caseload/cases", f"/caseload/cases/{values['public_id']}/delete",
            f"/caseload/clients/{values['client_id']}/questions/state"} <= set(urls)
    before = database_rows(csrf_app)
    for url in urls:
        response = client.post(url, data={"state": "TX", "client_name": "Changed",
                                          "body": "a note", "active": "0", "letter": "x"})
        # The links in reminder messages carry a signed token instead (mail programs POST
        # to the unsubscribe link, RFC 8058): a wrong token is refused as not found.
        expected = 404 if url.startswith("/r/") else 400
        assert response.status_code == expected, (url, response.status_code)
    after = database_rows(csrf_app)
    # Each refusal is recorded in the audit log (review L15); nothing else changed.
    audited_before, audited_after = before.pop("audit_log"), after.pop("audit_log")
    added = [row for row in audited_after if row not in audited_before]
    assert after == before
    refused = [url for url in urls if not url.startswith("/r/")]
    assert sum("'csrf.refused'" in row for row in added) == len(refused)
    assert all("'csrf.refused'" in row or "'access.refused'" in row for row in added)


def test_a_wrong_csrf_token_is_refused_like_a_missing_one(csrf_app):
    client = csrf_app.test_client()
    token = csrf_token(client, "/questions/state")
    assert client.post("/questions/state", data={"state": "OH", "csrf_token": token[:-4] + "AAAA"}
                       ).status_code == 400
    other = csrf_app.test_client()      # a token from someone else's session
    assert other.post("/questions/state", data={"state": "OH", "csrf_token": token}
                      ).status_code == 400
    assert database_rows(csrf_app)["cases"] == []


# --- resume tokens -------------------------------------------------------------------------

WRONG_TOKENS = ["x", "not-a-real-token", "A" * 43, "A" * 101, "é漢字🙂" * 3, "%00abc",
                "' OR 1=1 --", "<script>alert(1)</script>"]


def _saved_token(client) -> str:
    walk(client, MEDICARE_JOURNEY[:3])
    page = client.post("/save", follow_redirects=True).get_data(as_text=True)
    return re.search(r'/resume/([A-Za-z0-9_-]+)"', page).group(1)


def test_wrong_short_long_and_non_ascii_tokens_all_get_the_same_404(app, client):
    token = _saved_token(client)
    near_miss = token[:-1] + ("A" if token[-1] != "A" else "B")
    pages = set()
    for n, wrong in enumerate([*WRONG_TOKENS, near_miss, token + "A", token[:20]]):
        response = app.test_client().get(f"/resume/{wrong}",
                                         environ_base={"REMOTE_ADDR": f"10.9.0.{n}"})
        assert response.status_code == 404, wrong
        pages.add(response.get_data())
    assert len(pages) == 1, "every wrong token must get the very same page"
    assert b"This link does not work" in pages.pop()
    assert app.test_client().get(f"/resume/{token}").status_code == 302


def test_token_lookup_ends_in_a_constant_time_comparison(app, client, monkeypatch):
    token = _saved_token(client)
    compared = []
    real = cases.hmac.compare_digest
    monkeypatch.setattr(cases.hmac, "compare_digest",
                        lambda a, b: compared.append((a, b)) or real(a, b))
    with Session(app.extensions["db_engine"]) as session:
        assert cases.find_by_token(session, token) is not None
        assert cases.find_by_token(session, "wrong") is None
    assert compared == [(cases.hash_token(token), cases.hash_token(token))]


def test_resume_tokens_are_long_random_and_distinct(app, client):
    with Session(app.extensions["db_engine"]) as session:
        case = cases.create_case(session, {"state": "OH"})
        tokens = {cases.issue_resume_token(session, case) for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(t) >= 43 and re.fullmatch(r"[A-Za-z0-9_-]+", t) for t in tokens)


def test_resume_is_rate_limited_per_address(app):
    client = app.test_client()
    codes = [client.get(f"/resume/guess-{n}", environ_base={"REMOTE_ADDR": "10.8.0.1"}).status_code
             for n in range(22)]
    assert codes[:20] == [404] * 20 and codes[20:] == [429, 429]
    other = app.test_client().get("/resume/guess", environ_base={"REMOTE_ADDR": "10.8.0.2"})
    assert other.status_code == 404


# --- request size --------------------------------------------------------------------------

def test_a_too_large_form_gets_a_friendly_413_and_saves_nothing(app, client):
    size = app.config["MAX_CONTENT_LENGTH"] + 1
    response = client.post("/questions/state", data={"state": "O" * size})
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html" and "Traceback" not in page
    assert "too large, so nothing was saved. Go back, shorten it" in page
    assert 'href="/"' in page
    assert database_rows(app)["cases"] == []


def test_a_too_large_api_body_gets_a_json_413(app, client):
    body = '{"state": "' + "O" * app.config["MAX_CONTENT_LENGTH"] + '"}'
    response = client.post("/api/v1/plan", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["status"] == 413


# --- the session cookie --------------------------------------------------------------------

def test_production_session_cookie_is_httponly_samesite_lax_and_secure(db_url, monkeypatch):
    monkeypatch.setenv("NAVIGATOR_ENV", "production")
    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "p" * 40, "RECHECK_ON_START": False,
                      "SERVER_NAME": "localhost"})
    try:
        response = app.test_client().get("/questions/state", base_url="https://localhost")
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("session=")
        attributes = {part.strip().split("=")[0].lower(): part.strip()
                      for part in cookie.split(";")[1:]}
        assert "httponly" in attributes and "secure" in attributes
        assert attributes["samesite"].lower() == "samesite=lax"
    finally:
        db.dispose(app.extensions["db_engine"])


def test_outside_production_the_cookie_is_still_httponly_and_lax(client):
    cookie = client.post("/questions/state", data={"state": "OH"}).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


# --- length limits: a clear message naming the field, and the input kept --------------------

def test_a_too_long_answer_is_refused_by_name_and_kept(app, client):
    walk(client, MEDICARE_JOURNEY[:1])
    typed = "7" * 41
    page = client.post("/questions/about_you", data={"age": typed, "diabetes_type": "type1"}
                       ).get_data(as_text=True)
    assert "Age is too long: type at most 40 characters" in page
    assert f'value="{typed}"' in page and 'maxlength="40"' in page


@pytest.mark.parametrize("field, limit, message", [
    ("patient_name", 100, "Patient&#39;s full name must be at most 100 characters (you gave 101)"),
    ("member_id", 40, "Member ID must be at most 40 characters (you gave 41)"),
    ("denial_reason", 2000, "must be at most 2000 characters (you gave 2001)"),
])
def test_too_long_letter_details_are_refused_by_name_and_kept(app, client, field, limit, message):
    walk(client, MEDICARE_JOURNEY)
    typed = "Q" * (limit + 1)
    response = client.post("/letters/details", data={field: typed, "group_number": "G-1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert typed in page and "G-1" in page


@pytest.mark.parametrize("path, data, message, kept", [
    ("/caseload/cases", {"client_name": "N" * 201}, "Enter at most 200 characters.", "N" * 201),
    ("/caseload/cases", {"client_name": "Ann\x00"},
     "Client&#39;s name must not contain control characters or line breaks.", None),
    ("/caseload/members", {"name": "M" * 201, "email": "m@clinic.example"},
     "Enter at most 200 characters.", "m@clinic.example"),
    ("/caseload/members", {"name": "Bo", "email": "e" * 250 + "@x.org"},
     "Enter an email address of at most 254 characters.", "Bo"),
    ("/caseload/cases/claim", {"client_name": "Ann", "link": "L" * 301},
     "Paste at most 300 characters: the link only.", "Ann"),
    ("/auth/password", {"current_password": "p" * 257, "password": "x" * 12, "confirm": "x" * 12},
     "Enter a password of at most 256 characters.", None),
])
def test_too_long_caseload_fields_are_refused_with_a_message(app, worker_client, path, data,
                                                            message, kept):
    before = database_rows(app)
    response = worker_client.post(path, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert 'role="alert"' in page          # the error summary
    if kept:
        assert kept in page
    after = database_rows(app)
    after.pop("audit_log"), before.pop("audit_log")
    assert after == before


def test_a_too_long_note_is_refused_and_kept(app, worker_client, worker):
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = caseload.create_client_case(session, session.get(User, worker.id), "Client")
    note = "n" * 5001
    response = worker_client.post(f"/caseload/cases/{case.public_id}/notes",
                                  data={"body": note, "for_client": case.public_id})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Write at most 5,000 characters." in page
    assert note in page


def test_a_too_long_sign_in_email_gets_a_message_not_a_lookup(app, client):
    response = client.post("/auth/login", data={"email": "a" * 300, "password": "x"})
    assert response.status_code == 400
    assert "Enter an email address of at most 254 characters." in response.get_data(as_text=True)
