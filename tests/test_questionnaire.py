"""The questionnaire: data checks, pages, branching, validation, back/change, save/resume,
delete, purge and CSRF."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from navigator import create_app, db
from navigator.models import Case
from navigator.questionnaire import QuestionnaireInvalid, load_questionnaire
from navigator.services import cases

QUESTIONS = Path(__file__).resolve().parent.parent / "rules" / "questions.yaml"

MEDICARE_JOURNEY = [
    ("state", {"state": "OH"}),
    ("about_you", {"age": "70", "diabetes_type": "type1"}),
    ("coverage", {"coverage": "medicare_original"}),
    ("coverage_details", {"medigap": "false", "also_medicaid": "false"}),
    ("medicare_help", {"other_coverage": "none", "extra_help": "unknown"}),
    ("household", {"household_size": "2", "annual_income": "$40,000"}),
    ("background", {"immigration_status": "citizen", "tribal_member": "false"}),
    ("therapy", {"current_therapy": "injections"}),
    ("pump", {"pump_wanted": "tslim_x2", "uses_cgm": "true"}),
    ("cgm", {"cgm_in_use": "dexcom_g7"}),
    ("health", {"injections_per_day": "4", "a1c_percent": "", "severe_lows_past_year": ""}),
    ("urgency", {"supplies_days_left": ""}),
    ("denial", {"denial": "claim"}),
    ("denial_details", {"denial_date": "2026-11-02", "health_at_risk": "prefer_not"}),
]

MEDICAID_CHILD_JOURNEY = [
    ("state", {"state": "TX"}),
    ("about_you", {"age": "8", "diabetes_type": "type1"}),
    ("coverage", {"coverage": "medicaid"}),
    ("household", {"household_size": "4", "annual_income_prefer_not": "y"}),
    ("background", {"immigration_status_prefer_not": "y", "tribal_member": "prefer_not"}),
    ("therapy", {"current_therapy": "injections"}),
    ("pump", {"pump_wanted": "omnipod_5", "uses_cgm": "true"}),
    ("cgm", {}),
    ("health", {"injections_per_day": "", "a1c_percent": "9.1", "severe_lows_past_year": "1"}),
    ("urgency", {"supplies_days_left": ""}),
    ("denial", {"denial": "none"}),
]


def until(journey, page_id):
    """The pages of a journey before page_id (robust to pages added in between)."""
    return journey[:[page for page, _ in journey].index(page_id)]


def walk(client, journey):
    visited = []
    for page_id, data in journey:
        response = client.post(f"/questions/{page_id}", data=data)
        assert response.status_code == 302, (page_id, response.data.decode()[-1500:])
        visited.append(response.location)
    return visited


def stored_answers(app, client):
    with client.session_transaction() as session:
        public_id = session["case_public_id"]
    from sqlmodel import Session
    with Session(app.extensions["db_engine"]) as db_session:
        return cases.get_case(db_session, public_id).answers


# --- the data file -------------------------------------------------------------------------

def write_questions(tmp_path, mutate):
    data = yaml.safe_load(QUESTIONS.read_text())
    mutate(data)
    path = tmp_path / "questions.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_shipped_questions_load_and_cover_the_contract():
    flow = load_questionnaire(QUESTIONS)
    asked = {q.field for page in flow.pages for q in page.questions}
    assert {"state", "age", "coverage", "employer_plan_funding", "denial_date"} <= asked
    assert [t.title for t in flow.topics][2] == "Insurance"


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d["pages"][0].update(colour="red"), "page state: colour: unknown key"),
    (lambda d: d["pages"][1]["questions"][0].update(field="agee"),
     "page about_you: question agee: field: 'agee' is not an answer field"),
    (lambda d: d["pages"][2]["questions"][0]["options"].append({"value": "medicar", "label": "x"}),
     "page coverage: question coverage: options[11].value: 'medicar' is not allowed"),
    (lambda d: d["pages"][3]["questions"][0].update(show_if={"field": "coverage", "equals": "medicar"}),
     "page coverage_details: question employer_plan_funding: show_if.equals"),
    (lambda d: d["pages"][2]["questions"][0].update(show_if={"field": "denial", "equals": "none"}),
     "show_if may name only fields asked on earlier pages"),
    (lambda d: d["pages"].pop(0), "answer field 'state' is required by the engine"),
])
def test_a_bad_questions_file_is_an_error_naming_file_question_and_field(tmp_path, mutate, expected):
    path = write_questions(tmp_path, mutate)
    with pytest.raises(QuestionnaireInvalid) as error:
        load_questionnaire(path)
    assert "questions.yaml" in str(error.value)
    assert expected in str(error.value)


def test_adding_a_question_is_a_data_change(tmp_path):
    def add_cgm_question(data):
        for page in data["pages"]:   # move it: ask it on the denial page instead
            page["questions"] = [q for q in page["questions"] if q["field"] != "diabetes_education"]
        data["pages"][-2]["questions"].append({
            "field": "diabetes_education", "question": "Have they had diabetes education?",
            "error": "Select yes or no", "optional": True,
            "options": [{"value": True, "label": "Yes"}, {"value": False, "label": "No"}]})
    flow = load_questionnaire(write_questions(tmp_path, add_cgm_question))
    assert "diabetes_education" in [q.field for q in flow.page("denial").questions]


# --- pages and branching -------------------------------------------------------------------

def test_home_start_button_leads_to_the_first_question(client):
    home = client.get("/")
    assert b'href="/start"' in home.data
    first = client.get("/start")
    assert first.location.endswith("/questions/state")
    page = client.get(first.location).data.decode()
    assert "Step 1 of 6: Where you live" in page
    assert "<h1" in page and "Which state do you live in?" in page
    assert 'class="back-link" href="/"' in page


def test_the_step_indicator_names_the_topic(client):
    walk(client, MEDICARE_JOURNEY[:2])
    page = client.get("/questions/coverage").data.decode()
    assert "Step 3 of 6: Insurance" in page


def test_medicare_user_never_sees_employer_funding(app, client):
    visited = walk(client, MEDICARE_JOURNEY)
    page = client.get("/questions/coverage_details").data.decode()
    assert "How is the job-based plan funded?" not in page
    assert "Medigap" in page
    assert visited[-1].endswith("/check")
    assert "employer_plan_funding" not in stored_answers(app, client)


def test_medicaid_child_skips_the_coverage_details_and_denial_date(app, client):
    visited = walk(client, MEDICAID_CHILD_JOURNEY)
    assert not any("coverage_details" in url or "denial_details" in url for url in visited)
    assert client.get("/questions/coverage_details").location.endswith("/questions/household")
    answers = stored_answers(app, client)
    assert answers["annual_income"] is None
    assert "denial_date" not in answers


def test_denial_date_is_asked_only_after_a_denial(client):
    walk(client, MEDICAID_CHILD_JOURNEY[:-1])
    response = client.post("/questions/denial", data={"denial": "prior_authorization"})
    assert response.location.endswith("/questions/denial_details")
    page = client.get(response.location).data.decode()
    # A text box that takes MM/DD/YYYY (a date picker blanks what it cannot read).
    assert 'name="denial_date"' in page and 'type="date"' not in page
    assert 'inputmode="numeric"' in page and "for example 11/02/2026" in page
    assert "Use the date printed on the notice" in page


@pytest.mark.parametrize("typed, message", [
    ("02/30/2026", "February 30, 2026 is not a real date"),
    ("10/15/26", "needs a 4-digit year"),
])
def test_a_mistyped_denial_date_says_what_is_wrong_and_keeps_it(client, typed, message):
    walk(client, MEDICAID_CHILD_JOURNEY[:-1])
    client.post("/questions/denial", data={"denial": "prior_authorization"})
    response = client.post("/questions/denial_details", data={"denial_date": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page      # the page again, not saved
    assert f'value="{typed}"' in page


def test_a_us_denial_date_is_saved_and_shown_back_the_same_way(client):
    walk(client, MEDICAID_CHILD_JOURNEY[:-1])
    client.post("/questions/denial", data={"denial": "prior_authorization"})
    response = client.post("/questions/denial_details", data={"denial_date": "11/02/2026",
                                                              "health_at_risk": "false"})
    assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    page = client.get("/questions/denial_details").get_data(as_text=True)
    assert 'value="11/02/2026"' in page


def test_employer_plan_asks_funding_with_help_text(client):
    walk(client, MEDICARE_JOURNEY[:2])
    client.post("/questions/coverage", data={"coverage": "employer"})
    page = client.get("/questions/coverage_details").data.decode()
    assert "How is the job-based plan funded?" in page
    assert "<details" in page and "Summary Plan Description" in page


def test_you_cannot_skip_ahead_of_an_unanswered_page(client):
    walk(client, MEDICARE_JOURNEY[:1])
    assert client.get("/questions/denial").location.endswith("/questions/about_you")


def test_unknown_page_is_404(client):
    assert client.get("/questions/nope").status_code == 404


# --- validation ----------------------------------------------------------------------------

def test_errors_are_summarised_and_named_and_input_is_kept(client):
    walk(client, MEDICARE_JOURNEY[:1])
    response = client.post("/questions/about_you", data={"age": "two hundred", "diabetes_type": ""})
    page = response.data.decode()
    assert response.status_code == 200
    assert re.search(r"<title>Error: ", page)
    assert 'role="alert"' in page and 'tabindex="-1"' in page and "autofocus" in page
    assert '<a href="#age">Age must be a whole number from 0 to 120</a>' in page
    assert '<a href="#diabetes_type-0">Select the type of diabetes</a>' in page
    assert 'value="two hundred"' in page


@pytest.mark.parametrize("data, message", [
    ({"household_size": "0", "annual_income": "1000"},
     "Household size must be a whole number from 1 to 20"),
    ({"household_size": "2", "annual_income": ""},
     "Enter the yearly income in dollars, or tick &#34;I prefer not to say&#34;"),
    ({"household_size": "2", "annual_income": "-5"},
     "Household income must be a number from 0 to 100000000"),
])
def test_household_validation_messages(client, data, message):
    walk(client, until(MEDICARE_JOURNEY, "household"))
    page = client.post("/questions/household", data=data).data.decode()
    assert message in page


@pytest.mark.parametrize("value, message", [
    ("2099-01-01", "Denial date must be today or in the past"),
    ("1980-01-01", "Denial date must be in 1990 or later"),
    ("02/30/2026", "Denial date February 30, 2026 is not a real date"),
    ("11/2/26", "Denial date needs a 4-digit year"),
    ("", "Enter the date printed on the denial notice"),
])
def test_denial_date_validation(client, value, message):
    walk(client, until(MEDICARE_JOURNEY, "denial_details"))
    page = client.post("/questions/denial_details",
                       data={"denial_date": value, "health_at_risk": "false"}).data.decode()
    assert message in page


def test_a_forged_option_is_refused(client):
    page = client.post("/questions/state", data={"state": "ZZ"}).data.decode()
    assert "Select the state where you live" in page


# --- back, change, check your answers ------------------------------------------------------

def test_back_link_goes_to_the_previous_shown_page_and_keeps_answers(client):
    walk(client, MEDICAID_CHILD_JOURNEY[:3])
    page = client.get("/questions/household").data.decode()
    assert 'class="back-link" href="/questions/coverage"' in page
    coverage = client.get("/questions/coverage").data.decode()
    assert re.search(r'value="medicaid"[^>]*checked|checked[^>]*value="medicaid"', coverage)


def test_check_your_answers_lists_answers_with_change_links(client):
    walk(client, MEDICARE_JOURNEY)
    page = client.get("/check").data.decode()
    assert "Check your answers" in page
    assert "Original Medicare (Part A and Part B)" in page
    assert "$40,000" in page and "November 2, 2026" in page and "Not sure" in page
    assert 'href="/questions/coverage?change=1"' in page


def test_changing_an_answer_returns_to_the_summary_and_drops_what_no_longer_applies(app, client):
    walk(client, MEDICARE_JOURNEY)
    response = client.post("/questions/denial?change=1", data={"denial": "none"})
    assert response.location.endswith("/check")
    answers = stored_answers(app, client)
    assert answers["denial"] == "none"
    assert "denial_date" not in answers and "health_at_risk" not in answers


def test_a_change_that_opens_a_question_asks_it_before_the_summary(app, client):
    walk(client, MEDICARE_JOURNEY)
    response = client.post("/questions/coverage?change=1", data={"coverage": "employer"})
    assert response.location.endswith("/questions/coverage_details?change=1")
    page = client.get(response.location).data.decode()
    assert 'class="back-link" href="/check"' in page
    response = client.post(response.location, data={"employer_plan_funding": "self_funded",
                                                    "also_medicaid": "false"})
    assert response.location.endswith("/check")
    answers = stored_answers(app, client)
    assert answers["employer_plan_funding"] == "self_funded" and "medigap" not in answers


def test_check_before_any_answer_goes_to_the_start(client):
    assert client.get("/check").location.endswith("/start")


# --- save, resume, delete, purge -----------------------------------------------------------

def test_resume_link_is_shown_once_and_restores_the_case_on_another_device(app, client):
    walk(client, until(MEDICARE_JOURNEY, "therapy"))
    assert client.get("/save").status_code == 200
    made = client.post("/save")
    assert made.status_code == 302 and made.location.endswith("/save/link")
    saved = client.get(made.location)
    assert saved.headers["Cache-Control"] == "no-store"
    link = re.search(r'value="(http://localhost/resume/[^"]+)"', saved.data.decode()).group(1)
    token = link.rsplit("/", 1)[1]
    other_device = app.test_client()
    response = other_device.get(f"/resume/{token}")
    assert response.status_code == 302
    assert token not in response.location
    assert response.location.endswith("/questions/therapy")
    assert stored_answers(app, other_device)["state"] == "OH"
    from sqlmodel import Session, select
    with Session(app.extensions["db_engine"]) as db_session:
        stored = db_session.exec(select(Case)).one()
    assert stored.resume_token_hash == cases.hash_token(token) and token not in str(stored.answers)


def test_reloading_the_private_link_page_shows_the_same_link_and_keeps_it_working(app, client):
    walk(client, until(MEDICARE_JOURNEY, "therapy"))
    made = client.post("/save")
    first = client.get(made.location).get_data(as_text=True)
    again = client.get(made.location).get_data(as_text=True)
    link = re.search(r'value="(http://localhost/resume/[^"]+)"', first).group(1)
    assert link in again
    assert app.test_client().get(link.replace("http://localhost", "")).status_code == 302


def test_the_private_link_page_without_a_link_goes_to_the_save_page(client):
    walk(client, until(MEDICARE_JOURNEY, "therapy"))
    assert client.get("/save/link").location.endswith("/save")


def test_a_wrong_resume_link_says_so(client):
    response = client.get("/resume/not-a-real-token")
    assert response.status_code == 404
    assert b"This link does not work" in response.data


def test_one_person_never_sees_anothers_case(app, client):
    walk(client, MEDICARE_JOURNEY)
    stranger = app.test_client()
    assert stranger.get("/check").location.endswith("/start")
    assert stranger.get("/plan").location.endswith("/start")
    assert b"Original Medicare" not in stranger.get("/questions/coverage").data.split(b"checked")[0][-200:]


def test_delete_my_answers_asks_first_then_deletes_for_real(app, client):
    walk(client, MEDICARE_JOURNEY)
    confirm = client.get("/delete")
    assert b"Are you sure" in confirm.data
    response = client.post("/delete")
    assert response.location.endswith("/deleted")
    from sqlmodel import Session, select
    with Session(app.extensions["db_engine"]) as db_session:
        assert db_session.exec(select(Case)).all() == []
    assert client.get("/check").location.endswith("/start")


def test_purge_removes_only_old_cases(app, runner):
    from sqlmodel import Session
    with Session(app.extensions["db_engine"]) as db_session:
        old = cases.create_case(db_session, {"state": "OH"})
        old.updated_at = datetime.now(UTC) - timedelta(days=31)
        db_session.add(old)
        db_session.commit()
        old_id = old.public_id
        fresh = cases.create_case(db_session, {"state": "TX"})
        fresh_id = fresh.public_id
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "removed 1 case(s) not updated for 30 days" in result.output
    with Session(app.extensions["db_engine"]) as db_session:
        assert cases.get_case(db_session, fresh_id) is not None
        assert cases.get_case(db_session, old_id) is None


# --- CSRF ----------------------------------------------------------------------------------

def test_post_without_csrf_token_is_refused_when_csrf_is_on(db_url):
    app = create_app({"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    assert client.post("/questions/state", data={"state": "OH"}).status_code == 400
    page = client.get("/questions/state").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/questions/state", data={"state": "OH", "csrf_token": token})
    assert response.status_code == 302
    assert client.post("/delete").status_code == 400
    db.dispose(app.extensions["db_engine"])


# --- Medicare costs, other coverage and disability (issue 13 item 7) -------------------------

def test_medicare_page_asks_the_optional_medicare_questions_and_feeds_the_plan(app, client):
    walk(client, until(MEDICARE_JOURNEY, "medicare_help"))
    page = client.get("/questions/medicare_help").data.decode()
    for words in ("Medicare Savings Program", "Extra Help", "Which Medicare drug coverage",
                  "Besides Medicare and Medicaid"):
        assert words in page
    response = client.post("/questions/medicare_help", data={
        "medicare_savings_program": "qmb", "other_coverage": "", "extra_help": "",
        "part_d_plan": "none"})
    assert response.location.endswith("/questions/household")   # 70: no disability page
    assert "how much do they (and a spouse they live with) have in savings" in client.get(
        "/questions/household").data.decode()
    answers = stored_answers(app, client)
    assert answers["medicare_savings_program"] == "qmb" and answers["part_d_plan"] == "none"
    assert answers["other_coverage"] is None and answers["extra_help"] is None
    rest = MEDICARE_JOURNEY[len(until(MEDICARE_JOURNEY, "household")):]
    assert walk(client, rest)[-1].endswith("/check")
    plan = client.get("/plan").data.decode()
    assert "With QMB, no Medicare supplier may bill you" in plan


def test_medicare_page_refuses_a_forged_option_and_keeps_the_other_answers(client):
    walk(client, until(MEDICARE_JOURNEY, "medicare_help"))
    page = client.post("/questions/medicare_help", data={
        "medicare_savings_program": "qmb9", "part_d_plan": "standalone"}).data.decode()
    assert "Select the program, or leave it blank" in page
    kept = re.search(r'<input[^>]*value="standalone"[^>]*>', page).group(0)
    assert "checked" in kept


def test_employer_user_skips_the_medicare_page_and_adults_under_65_see_the_disability_question(
        app, client):
    walk(client, until(MEDICARE_JOURNEY, "coverage"))
    client.post("/questions/about_you", data={"age": "45", "diabetes_type": "type1"})
    client.post("/questions/coverage", data={"coverage": "employer"})
    response = client.post("/questions/coverage_details", data={
        "employer_plan_funding": "self_funded", "also_medicaid": "false"})
    assert response.location.endswith("/questions/disability")
    assert "Do they get Social Security disability benefits (SSDI) or SSI?" in client.get(
        response.location).data.decode()
    response = client.post("/questions/disability", data={"disability_benefit": "ssdi"})
    assert response.location.endswith("/questions/household")
    assert "in savings" not in client.get("/questions/household").data.decode()
    assert stored_answers(app, client)["disability_benefit"] == "ssdi"
    assert client.get("/questions/medicare_help").location.endswith("/questions/disability")


def test_a_child_is_not_asked_about_disability_benefits(client):
    visited = walk(client, MEDICAID_CHILD_JOURNEY)
    assert not any("/disability" in url or "medicare_help" in url for url in visited)


def test_the_private_link_can_be_emailed_once_to_the_person(app, client):
    from aiosmtpd.controller import Controller

    from tests.test_reminders import Inbox, _free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{controller.port}"
        walk(client, until(MEDICARE_JOURNEY, "therapy"))
        page_url = client.post("/save").location
        link = re.search(r'value="(http://localhost/resume/[^"]+)"',
                         client.get(page_url).get_data(as_text=True)).group(1)
        bad = client.post(page_url, data={"email": "not an address"})
        assert bad.status_code == 400 and "like name@example.com" in bad.get_data(as_text=True)
        sent = client.post(page_url, data={"email": "parent@example.org"})
        assert "We sent the link to parent@example.org" in sent.get_data(as_text=True)
    finally:
        controller.stop()
    (message,) = inbox.messages
    assert message["To"] == "parent@example.org" and link in message.get_content()


def test_the_link_kept_for_a_reload_is_sealed_in_the_cookie(app, client):
    walk(client, until(MEDICARE_JOURNEY, "therapy"))
    client.post("/save")
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session")).value
    data = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert "/resume/" not in json.dumps(data)


def test_medicare_household_page_takes_optional_savings_as_money(app, client):
    walk(client, until(MEDICARE_JOURNEY, "household"))
    response = client.post("/questions/household", data={
        "household_size": "1", "annual_income": "$22,000", "savings": "$20,500"})
    assert response.status_code == 302
    assert stored_answers(app, client)["savings"] == 20500
    page = client.post("/questions/household", data={
        "household_size": "1", "annual_income": "22000", "savings": "lots"}).data.decode()
    assert "Savings and other countable resources must be a number from 0 to 100000000" in page
    client.post("/questions/household", data={"household_size": "1", "annual_income": "22000",
                                              "savings": ""})
    assert stored_answers(app, client)["savings"] is None
