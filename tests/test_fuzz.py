"""Fuzzing every form and the JSON API with random and hostile input.

Properties: never a 500; either success (a redirect, or 200 from the API) or field errors
(a 4xx, or 200 with an error summary); a rejected request leaves the stored data as it was;
nothing typed comes back unescaped.
"""
from __future__ import annotations

import itertools
import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from navigator.engine import validate_answers
from navigator.questionnaire.forms import PREFER_NOT_SUFFIX, token_for
from navigator.services import cases
from navigator.services.letters import DETAIL_FIELDS
from tests.answers import answers as make_answers
from tests.conftest import WORKER_PASSWORD, case_in_session, log_in
from tests.test_security import database_rows

SCRIPT = "<script>alert(7)</script>"
HOSTILE = [
    SCRIPT, '"><img src=x onerror=alert(7)>', "'; DROP TABLE cases; --", "' OR '1'='1",
    "\x00", "a\x00b", "\x1b[31mred", "\u202eevil", "\r\n\r\nSet-Cookie: x=1", "{{7*7}}",
    "%s%s%n", "../../etc/passwd", "李小龙", "مرحبا", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "１２３", "٣", "1e309", "NaN",
    "-Infinity", "0x1F", "1_000", "-0", "9" * 400, "1" * 5000, "$$$", "0001-01-01",
    "9999-12-31", "2024-02-30", "+2024-01-01", "20240101", "1899-12-31", "   ",
]
SETTINGS = settings(max_examples=80, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

any_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.builds(lambda piece, n: piece * n, st.sampled_from(["x", "é", "9", "<b>", "\x07"]),
              st.integers(100, 3000)),
    st.integers(-10**30, 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
)


def assert_escaped(response) -> None:
    page = response.get_data(as_text=True)
    assert SCRIPT not in page and "onerror=alert(7)" not in page.replace("onerror=alert(7)&gt;", "")


def assert_not_500(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[-800:]


def stored_case(app, public_id):
    with Session(app.extensions["db_engine"]) as session:
        return cases.get_case(session, public_id)


# --- the questionnaire ---------------------------------------------------------------------

BASE_ANSWERS = make_answers(coverage="employer", denial="claim", current_therapy="pump")


def question_value(question):
    """Random text, or one of the question's own options (so some submissions succeed)."""
    options = [token_for(o.value) for o in question.spec.options]
    valid = st.sampled_from(options + ["prefer_not"]) if options else st.sampled_from(
        ["3", "45000", "$1,200.50", "2026-01-15", "7.5", "0"])
    return st.one_of(valid, any_text)


@st.composite
def page_submissions(draw, flow):
    page = draw(st.sampled_from([p for p in flow.pages if p.is_shown(BASE_ANSWERS)]))
    data = {}
    for question in page.visible_questions(BASE_ANSWERS):
        if draw(st.integers(0, 9)) > 0:                 # sometimes leave a field out
            data[question.field] = draw(question_value(question))
        if question.widget == "money" and draw(st.booleans()):
            data[question.field + PREFER_NOT_SUFFIX] = draw(st.sampled_from(["y", SCRIPT]))
    return page, data


@pytest.fixture
def questionnaire_case(app, client):
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = cases.create_case(session, BASE_ANSWERS)
    with client.session_transaction() as flask_session:
        flask_session["case_public_id"] = case.public_id
    return case.public_id


def test_question_pages_survive_any_input(app, client, questionnaire_case):
    flow = app.extensions["questionnaire"]

    @SETTINGS
    @given(page_submissions(flow))
    def check(submission):
        page, data = submission
        with Session(app.extensions["db_engine"]) as session:
            cases.save_answers(session, cases.get_case(session, questionnaire_case), BASE_ANSWERS)
        response = client.post(f"/questions/{page.id}", data=data)
        assert_not_500(response)
        stored = stored_case(app, questionnaire_case).answers
        if response.status_code == 302:
            _answers, errors = validate_answers(stored, date.today())
            own = {q.field for q in page.questions}
            assert not [e for e in errors if e.field in own], errors
        else:
            assert response.status_code == 200
            assert 'role="alert"' in response.get_data(as_text=True)
            assert stored == BASE_ANSWERS
            assert_escaped(response)

    check()


# --- the letter details form ----------------------------------------------------------------

@pytest.fixture
def letters_case(app, client):
    return case_in_session(app, client, "Ann Example")


def test_letter_details_form_survives_any_input(app, client, letters_case):
    fields = st.dictionaries(st.sampled_from(sorted(DETAIL_FIELDS)),
                             st.one_of(any_text, st.sampled_from(["1234567890", "1990-04-17",
                                                                  "(555) 010-0199"])),
                             max_size=len(DETAIL_FIELDS))

    @SETTINGS
    @given(fields)
    def check(data):
        with Session(app.extensions["db_engine"]) as session:
            cases.save_details(session, cases.get_case(session, letters_case),
                               {"patient_name": "Ann Example"})
        response = client.post("/letters/details", data=data)
        assert_not_500(response)
        details = stored_case(app, letters_case).details
        if response.status_code == 302:
            assert set(details) <= set(DETAIL_FIELDS)
            assert all(len(v) <= DETAIL_FIELDS[k].max_length for k, v in details.items())
            assert all("\x00" not in v for v in details.values())
        else:
            assert response.status_code == 400
            assert 'role="alert"' in response.get_data(as_text=True)
            assert details == {"patient_name": "Ann Example"}
            assert_escaped(response)

    check()


# --- the caseload forms ----------------------------------------------------------------------

addresses = (f"10.77.{n // 250}.{n % 250 + 1}" for n in itertools.count())


@pytest.fixture
def fuzz_worker(app, worker):
    app.config["LOGIN_RATE_LIMIT"] = "100000 per minute"
    client = app.test_client()
    assert log_in(client, worker.email).status_code == 302
    from navigator.models import User
    from navigator.services import caseload
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = caseload.create_client_case(session, session.get(User, worker.id), "Client One")
    client.public_id = case.public_id
    return client


CASELOAD_FORMS = {
    "new case": ("/caseload/cases", {"client_name": any_text}),
    "claim": ("/caseload/cases/claim", {"client_name": any_text, "link": any_text}),
    "note": ("/caseload/cases/{id}/notes", {"body": any_text}),
    "case details": ("/caseload/cases/{id}", {"client_name": any_text, "status": any_text,
                                              "owner": any_text}),
    "step": ("/caseload/cases/{id}/steps/read_the_notice", {"state": any_text,
                                                            "on_date": any_text}),
    "member": ("/caseload/members", {"name": any_text, "email": any_text, "role": any_text,
                                     "password": any_text}),
    "password": ("/auth/password", {"current_password": any_text, "password": any_text,
                                    "confirm": any_text}),
}


@pytest.mark.parametrize("form", sorted(CASELOAD_FORMS))
def test_caseload_forms_survive_any_input(app, fuzz_worker, form):
    path, fields = CASELOAD_FORMS[form]
    # A client's form says which client it was filled in for.
    client_field = {"for_client": fuzz_worker.public_id} if "{id}" in path else {}
    path = path.format(id=fuzz_worker.public_id)

    # Password checks are argon2 hashes (slow on purpose): fewer examples there.
    @settings(SETTINGS, max_examples=25 if form in ("password", "member") else 50)
    @given(st.fixed_dictionaries({}, optional=fields))
    def check(data):
        before = database_rows(app)
        response = fuzz_worker.post(path, data={**data, **client_field},
                                    environ_base={"REMOTE_ADDR": next(addresses)})
        assert_not_500(response)
        assert response.status_code in (200, 302, 400, 404), response.status_code
        if response.status_code >= 400:
            after = database_rows(app)
            # Reading a case page is audited; nothing else may change.
            after.pop("audit_log"), before.pop("audit_log")
            assert after == before
            assert_escaped(response)

    check()


def test_invitation_form_survives_any_input(app, client, worker):
    from navigator.models import User
    from navigator.services import accounts
    app.config["LOGIN_RATE_LIMIT"] = "100000 per minute"
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        token = accounts.invite_member(session, session.get(User, worker.id),
                                       "new@clinic.example", "New Member", "member").token

    @settings(SETTINGS, max_examples=40)
    @given(st.fixed_dictionaries({}, optional={"password": any_text, "confirm": any_text}))
    def check(data):
        before = database_rows(app)
        response = app.test_client().post(f"/auth/invite/{token}", data=data)
        assert_not_500(response)
        assert response.status_code in (302, 400, 404)
        if response.status_code != 302:
            assert database_rows(app) == before
            assert_escaped(response)

    check()


def test_letter_packet_survives_any_choice(app, client, letters_case):
    @settings(SETTINGS, max_examples=30)
    @given(st.lists(st.one_of(st.sampled_from(["internal_appeal", "medical_necessity"]),
                              any_text), max_size=4))
    def check(chosen):
        response = client.post("/letters/packet", data={"letter": chosen})
        assert_not_500(response)
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert response.mimetype == "application/pdf"
        assert stored_case(app, letters_case).details == {"patient_name": "Ann Example"}

    check()


def test_sign_in_form_survives_any_input(app, client, worker):
    app.config["LOGIN_RATE_LIMIT"] = app.config["LOGIN_ADDRESS_LIMIT"] = "100000 per minute"

    @settings(SETTINGS, max_examples=30)       # each attempt costs an argon2 hash
    @given(st.fixed_dictionaries({}, optional={"email": any_text, "password": any_text}))
    def check(data):
        before = database_rows(app)
        response = client.post("/auth/login", data=data)
        assert_not_500(response)
        assert response.status_code == 400
        assert database_rows(app) == before
        assert_escaped(response)

    check()
    assert log_in(client, worker.email, WORKER_PASSWORD).status_code == 302


# --- the JSON API ------------------------------------------------------------------------------

json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**40, 10**40),
                        st.floats(allow_nan=False), any_text)
json_value = st.recursive(json_scalar, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


@st.composite
def api_bodies(draw):
    """Valid answers with some fields replaced by junk, or junk altogether."""
    base = make_answers(**draw(st.sampled_from([{}, {"coverage": "medicaid", "age": 9},
                                                {"coverage": "medicare_original", "age": 70}])))
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(json_value)
    for field in draw(st.lists(st.sampled_from(sorted(base) + ["denial_date", "unknown"]),
                               max_size=3)):
        base[field] = draw(json_value)
    return base


def test_api_plan_survives_any_json(app, client):
    app.config["API_RATE_LIMIT"] = "100000 per minute"

    @settings(SETTINGS, max_examples=150)
    @given(api_bodies())
    def check(body):
        response = client.post("/api/v1/plan", data=json.dumps(body),
                               content_type="application/json")
        assert_not_500(response)
        data = response.get_json()
        if response.status_code == 200:
            assert data["steps"]
        else:
            assert response.status_code in (400, 422), response.status_code
            assert data["errors"] and all(isinstance(e["field"], str) and e["message"]
                                          for e in data["errors"])

    check()


def test_api_plan_survives_broken_bodies(app, client):
    app.config["API_RATE_LIMIT"] = "100000 per minute"

    @settings(SETTINGS, max_examples=60)
    @given(st.one_of(st.binary(max_size=200), any_text.map(str.encode)),
           st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]))
    def check(raw, content_type):
        response = client.post("/api/v1/plan", data=raw, content_type=content_type)
        assert_not_500(response)
        assert response.status_code in (200, 400, 415, 422)
        assert response.is_json

    check()


# --- addresses: hostile path segments and query strings on every page ------------------------

QUERY_NAMES = ("q", "case", "page", "sort", "dir", "scope", "change", "next")
PATH_HOSTILE = [SCRIPT, "'; DROP TABLE cases; --", "\x00", "a\x00b", "\u202eevil", "李小龙",
                "9" * 400, "-1", "1e309", "../../etc/passwd", "%00", "{{7*7}}", "x" * 3000]


def test_every_page_survives_hostile_path_segments_and_query_strings(app, fuzz_worker):
    from urllib.parse import quote, urlencode
    family = app.test_client()
    family.post("/questions/state", data={"state": "OH"})
    rules = [r for r in app.url_map.iter_rules() if "GET" in (r.methods or ())
             and r.endpoint != "static"]
    for n, hostile in enumerate(PATH_HOSTILE):
        query = urlencode({name: hostile for name in QUERY_NAMES})
        for rule in rules:
            path = rule.rule
            for argument in rule.arguments:
                segment = "0" if f"<int:{argument}>" in path else quote(hostile, safe="")
                path = path.replace(f"<int:{argument}>", segment).replace(
                    f"<path:{argument}>", segment).replace(f"<{argument}>", segment)
            for client in (fuzz_worker, family):
                response = client.get(f"{path}?{query}",
                                      environ_base={"REMOTE_ADDR": f"10.66.{n}.{len(path)}"})
                assert_not_500(response)
                assert_escaped(response)
