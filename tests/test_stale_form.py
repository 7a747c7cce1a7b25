"""A form left open until its security token expired keeps what was typed: the page comes back
with the typed answers and a plain message, nothing is saved until it is sent again."""
from __future__ import annotations

import re
import time

import pytest
from markupsafe import escape

from navigator.services import cases
from tests.test_questionnaire import MEDICAID_CHILD_JOURNEY, stored_answers

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
GENERIC_ERROR = "could not understand that request"
TOKEN_SECONDS = 1


@pytest.fixture
def stale_app(app):
    """The app with CSRF checks on and tokens that expire after a second."""
    app.config.update(WTF_CSRF_ENABLED=True, WTF_CSRF_TIME_LIMIT=TOKEN_SECONDS)
    return app


def token_of(page: str) -> str:
    return TOKEN.search(page).group(1)


def post_page(client, path: str, data: dict):
    """Open a form, then send it with the token it carried (as a browser does)."""
    token = token_of(client.get(path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def let_token_expire():
    time.sleep(TOKEN_SECONDS + 1.1)     # signed timestamps count whole seconds


def test_a_question_page_sent_after_its_token_expired_comes_back_as_typed(stale_app):
    client = stale_app.test_client()
    assert post_page(client, "/questions/state", {"state": "TX"}).status_code == 302
    page = client.get("/questions/about_you").get_data(as_text=True)
    old_token = token_of(page)
    let_token_expire()
    response = client.post("/questions/about_you", data={
        "age": "9", "diabetes_type": "type1", "csrf_token": old_token})
    shown = response.get_data(as_text=True)
    assert response.status_code == 400
    assert GENERIC_ERROR not in shown
    assert "You were away for a while" in shown and 'role="alert"' in shown
    assert re.search(r'<input[^>]*name="age"[^>]*value="9"', shown)
    radio = re.search(r'<input[^>]*value="type1"[^>]*>', shown).group(0)
    assert "checked" in radio
    assert "There is a problem" not in shown        # nothing the person did wrong
    assert "age" not in stored_answers(stale_app, client)      # nothing saved yet
    # The page carries a fresh token: Continue saves what was typed.
    fresh = token_of(shown)
    assert fresh != old_token
    assert client.post("/questions/about_you", data={
        "age": "9", "diabetes_type": "type1", "csrf_token": fresh}).status_code == 302
    assert stored_answers(stale_app, client)["age"] == 9


def test_the_typed_answers_are_escaped_when_shown_again(stale_app):
    client = stale_app.test_client()
    assert post_page(client, "/questions/state", {"state": "TX"}).status_code == 302
    page = client.get("/letters/details").get_data(as_text=True)  # no plan yet: sent away
    assert "Letter details" not in page
    about = client.get("/questions/about_you").get_data(as_text=True)
    let_token_expire()
    typed = '"><script>alert(1)</script>'
    shown = client.post("/questions/about_you", data={
        "age": typed, "csrf_token": token_of(about)}).get_data(as_text=True)
    assert "<script>alert(1)" not in shown and str(escape(typed)) in shown


def test_the_letter_details_form_keeps_what_was_typed_after_its_token_expired(stale_app):
    client = stale_app.test_client()
    for page_id, data in MEDICAID_CHILD_JOURNEY:
        assert post_page(client, f"/questions/{page_id}", data).status_code == 302, page_id
    form = client.get("/letters/details").get_data(as_text=True)
    let_token_expire()
    typed = {"patient_name": "Maya O'Neil", "insurer_name": "Superior HealthPlan",
             "insurer_address": "PO Box 1\nAustin, TX 78701", "date_of_birth": "03/14/2017"}
    response = client.post("/letters/details", data={**typed, "csrf_token": token_of(form)})
    shown = response.get_data(as_text=True)
    assert response.status_code == 400 and GENERIC_ERROR not in shown
    assert "You were away for a while" in shown
    assert str(escape("Maya O'Neil")) in shown and "Superior HealthPlan" in shown
    assert "PO Box 1\nAustin, TX 78701</textarea>" in shown
    with stale_app.app_context():
        from navigator import db
        with client.session_transaction() as flask_session:
            public_id = flask_session["case_public_id"]
        assert not (cases.get_case(db.get_session(), public_id).details or {})
    response = client.post("/letters/details", data={**typed, "csrf_token": token_of(shown)})
    assert response.status_code == 302


def test_a_form_without_any_token_still_gets_the_refusal(stale_app):
    client = stale_app.test_client()
    assert post_page(client, "/questions/state", {"state": "TX"}).status_code == 302
    shown = client.post("/questions/about_you", data={"age": "9"}).get_data(as_text=True)
    assert GENERIC_ERROR in shown and "You were away" not in shown
