"""A worker's pages for one client (the client in the URL, whose case it is on every page, forms
refused when they were for another client), resume links that ask before switching, no-store on
every private response, and the worker comforts of issue 14: sign-in link, due window, one-click
"mark done", audit log with names and local time, forgiving search, back to the same page after
an idle sign-out."""
import re
import time
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import Session, select

from navigator.models import AuditEntry, Case, User
from navigator.services import caseload
from navigator.services import cases as case_store
from navigator.textformat import local_time
from tests.answers import answers
from tests.conftest import log_in

TODAY = date.today()


def _db(app):
    return Session(app.extensions["db_engine"], expire_on_commit=False)


def _client_case(app, worker, name, data=None) -> str:
    with _db(app) as session:
        case = caseload.create_client_case(session, session.get(User, worker.id), name)
        if data is not None:
            case_store.save_answers(session, case, data)
        return case.public_id


def _answers_of(app, public_id) -> dict:
    with _db(app) as session:
        return dict(case_store.get_case(session, public_id).answers)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _finish(worker_client, public_id) -> None:
    """Answer the pages tests.answers leaves open (optional ones, the denial's details),
    through the client's own pages, until the answers can be checked."""
    extra = {"denial_details": {"denial_date": "2026-11-02", "health_at_risk": "false"}}
    for _page in range(20):
        check = worker_client.get(f"/caseload/clients/{public_id}/check")
        if check.status_code == 200:
            return
        page = check.location.rsplit("/questions/", 1)[1].split("?")[0]
        response = worker_client.post(f"/caseload/clients/{public_id}/questions/{page}",
                                      data={**extra.get(page, {}), "for_client": public_id})
        assert response.status_code == 302, (page, _text(response)[-800:])
    pytest.fail("the questionnaire did not finish")


# --- 1. the client in the URL ----------------------------------------------------------------

def test_each_client_page_says_whose_case_it_is_and_links_to_the_same_client(app, worker,
                                                                            worker_client):
    ben = _client_case(app, worker, "Ben Carter", answers(denial="claim"))
    _finish(worker_client, ben)
    pages = {"questions/about_you": "Answering for Ben Carter", "check": "Answering for Ben Carter",
             "plan": "Plan for Ben Carter", "letters/": "Letters for Ben Carter",
             "letters/details": "Letters for Ben Carter"}
    for page, heading in pages.items():
        response = worker_client.get(f"/caseload/clients/{ben}/{page}")
        html = _text(response)
        assert response.status_code == 200 and heading in html, page
        assert "Back to the case of Ben Carter" in html
        # Every link to a questionnaire, plan or letters page stays on this client.
        for path in re.findall(r'href="(/(?:questions|check|plan|letters)[^"]*)"', html):
            pytest.fail(f"{page} links to the family page {path}")
        assert "<title>Ben Carter – " in html


def test_family_only_controls_never_show_for_a_client(app, worker, worker_client):
    ben = _client_case(app, worker, "Ben Carter", answers())
    _finish(worker_client, ben)
    for page in ("questions/about_you", "check", "plan"):
        html = _text(worker_client.get(f"/caseload/clients/{ben}/{page}"))
        for family_only in ("Delete my answers", "private link", "Save and come back later",
                            "Download everything we hold about you", 'href="/delete"',
                            'href="/save"'):
            assert family_only not in html, (page, family_only)
    case_page = _text(worker_client.get(f"/caseload/cases/{ben}"))
    assert f'href="/caseload/cases/{ben}/delete"' in case_page


def test_a_form_for_another_client_is_refused_and_nothing_is_saved(app, worker, worker_client):
    ben = _client_case(app, worker, "Ben Carter", {"state": "TX"})
    alicia = _client_case(app, worker, "Alicia Gomez", answers(age=11))
    form = {"age": "16", "diabetes_type": "type1"}
    wrong = worker_client.post(f"/caseload/clients/{ben}/questions/about_you",
                               data={**form, "for_client": alicia})
    assert wrong.status_code == 409
    assert "Not saved" in _text(wrong) and "Alicia Gomez" in _text(wrong)
    missing = worker_client.post(f"/caseload/clients/{ben}/questions/about_you", data=form)
    assert missing.status_code == 409 and "does not say which client" in _text(missing)
    assert "age" not in _answers_of(app, ben) and _answers_of(app, alicia)["age"] == 11
    # The same form for the right client is saved to that client only.
    right = worker_client.post(f"/caseload/clients/{ben}/questions/about_you",
                               data={**form, "for_client": ben})
    assert right.status_code == 302 and f"/caseload/clients/{ben}/questions/" in right.location
    assert _answers_of(app, ben)["age"] == 16 and _answers_of(app, alicia)["age"] == 11


def test_a_case_page_form_for_another_client_is_refused(app, worker, worker_client):
    ben = _client_case(app, worker, "Ben Carter", answers())
    alicia = _client_case(app, worker, "Alicia Gomez", answers())
    response = worker_client.post(f"/caseload/cases/{ben}/notes",
                                  data={"body": "for Alicia", "for_client": alicia})
    assert response.status_code == 409
    with _db(app) as session:
        for public_id in (ben, alicia):
            assert caseload.notes(session, case_store.get_case(session, public_id)) == []


def test_letter_details_and_the_packet_are_the_client_s(app, worker, worker_client):
    ben = _client_case(app, worker, "Ben Carter", answers(denial="claim"))
    saved = worker_client.post(f"/caseload/clients/{ben}/letters/details",
                               data={"patient_name": "Benjamin Carter", "for_client": ben})
    assert saved.status_code == 302 and saved.location.endswith(f"/caseload/clients/{ben}/letters/")
    with _db(app) as session:
        assert case_store.get_case(session, ben).details["patient_name"] == "Benjamin Carter"
    with worker_client.session_transaction() as flask_session:
        assert "case_public_id" not in flask_session
    index = _text(worker_client.get(f"/caseload/clients/{ben}/letters/"))
    letter = re.search(r'name="letter" value="([^"]+)"', index).group(1)
    packet = worker_client.post(f"/caseload/clients/{ben}/letters/packet",
                                data={"letter": letter, "for_client": ben})
    assert packet.status_code == 200 and packet.data.startswith(b"%PDF")


def test_letters_before_the_answers_are_finished_go_back_to_the_client(app, worker, worker_client):
    una = _client_case(app, worker, "Una Unfinished", {"state": "OH"})
    response = worker_client.get(f"/caseload/clients/{una}/letters/")
    assert response.status_code == 302 and response.location.endswith(f"/caseload/cases/{una}")


def test_the_case_page_resumes_the_questionnaire_at_the_first_gap(app, worker, worker_client):
    partial = _client_case(app, worker, "Pat Partial", {"state": "OH"})
    html = _text(worker_client.get(f"/caseload/cases/{partial}"))
    assert f'href="/caseload/clients/{partial}/questions/about_you"' in html
    assert "Carry on with the questionnaire" in html


def test_deleting_a_client_is_the_worker_s_own_action_with_a_confirmation(app, worker,
                                                                         worker_client):
    ben = _client_case(app, worker, "Ben Carter", answers())
    confirm = worker_client.get(f"/caseload/cases/{ben}/delete")
    assert confirm.status_code == 200 and "Delete the case of Ben Carter?" in _text(confirm)
    # The family's delete page does not reach a client: there is no client address for it.
    assert worker_client.post(f"/caseload/clients/{ben}/delete").status_code == 404
    with _db(app) as session:
        assert case_store.get_case(session, ben) is not None
    # The confirmation's own form, as rendered, deletes the case.
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                             _text(confirm)))
    assert worker_client.post(f"/caseload/cases/{ben}/delete", data=hidden).status_code == 302
    with _db(app) as session:
        assert case_store.get_case(session, ben) is None


def test_every_form_on_a_client_s_pages_says_which_client_it_is_for(app, worker, worker_client):
    """Each POST form as rendered carries the client, so none is refused for lacking it."""
    ben = _client_case(app, worker, "Ben Carter", _denied(20))
    _finish(worker_client, ben)
    pages = [f"/caseload/cases/{ben}", f"/caseload/cases/{ben}/delete", "/caseload/due",
             f"/caseload/clients/{ben}/questions/about_you", f"/caseload/clients/{ben}/letters/",
             f"/caseload/clients/{ben}/letters/details", f"/caseload/clients/{ben}/calls",
             f"/caseload/clients/{ben}/reminders"]
    forms = 0
    for page in pages:
        html = _text(worker_client.get(page))
        for form in re.findall(r'<form[^>]*method="post".*?</form>', html, re.S):
            if "/auth/logout" in form:
                continue
            forms += 1
            assert f'name="for_client" value="{ben}"' in form, (page, form[:200])
    assert forms >= 10


# --- 4. resume links ask before switching ------------------------------------------------------

def _family_case(app, data) -> tuple[str, str]:
    with _db(app) as session:
        case = case_store.create_case(session, data)
        return case.public_id, case_store.issue_resume_token(session, case)


def test_a_resume_link_asks_before_replacing_answers_in_progress(app, client):
    mine, _token = _family_case(app, {"state": "OH", "age": 30})
    theirs, token = _family_case(app, {"state": "TX"})
    with client.session_transaction() as flask_session:
        flask_session["case_public_id"] = mine
    response = client.get(f"/resume/{token}")
    assert response.status_code == 302 and response.location.endswith("/resume-switch")
    question = client.get("/resume-switch")
    assert "You have answers in progress for another case: switch?" in _text(question)
    assert token not in _text(question)
    with client.session_transaction() as flask_session:
        assert flask_session["case_public_id"] == mine          # nothing switched yet
    kept = client.post("/resume-switch", data={"choice": "keep"})
    assert kept.status_code == 302
    with client.session_transaction() as flask_session:
        assert flask_session["case_public_id"] == mine
    client.get(f"/resume/{token}")
    switched = client.post("/resume-switch", data={"choice": "switch"})
    assert switched.status_code == 302
    with client.session_transaction() as flask_session:
        assert flask_session["case_public_id"] == theirs


def test_a_resume_link_in_a_fresh_browser_opens_without_asking(app, client):
    theirs, token = _family_case(app, {"state": "TX"})
    response = client.get(f"/resume/{token}")
    assert response.status_code == 302 and "resume-switch" not in response.location
    with client.session_transaction() as flask_session:
        assert flask_session["case_public_id"] == theirs


def test_the_switch_page_without_a_pending_link_goes_on(client):
    assert client.get("/resume-switch").status_code == 302
    assert client.post("/resume-switch", data={"choice": "switch"}).status_code == 302


def test_no_resume_link_for_an_organisation_s_case(app, worker, worker_client):
    ben = _client_case(app, worker, "Ben Carter", answers())
    with _db(app) as session:
        with pytest.raises(case_store.OrganisationCase):
            case_store.issue_resume_token(session, case_store.get_case(session, ben))
        assert case_store.get_case(session, ben).resume_token_hash is None
    # Not through the family's pages either: the session never holds a client.
    with worker_client.session_transaction() as flask_session:
        flask_session["case_public_id"] = ben
    assert worker_client.post("/save").status_code == 302
    with _db(app) as session:
        assert case_store.get_case(session, ben).resume_token_hash is None


# --- 5. no-store on every private response -----------------------------------------------------

def _get_rules(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static":
            yield rule


def test_every_page_and_download_but_static_files_is_no_store(app, worker, worker_client):
    ben = _client_case(app, worker, "Ben Carter", answers(denial="claim"))
    with worker_client.session_transaction() as flask_session:
        family, token = _family_case(app, answers(denial="claim"))
        flask_session["case_public_id"] = family
    index = _text(worker_client.get(f"/caseload/clients/{ben}/letters/"))
    letter = re.search(r'name="letter" value="([^"]+)"', index).group(1)
    values = {"public_id": ben, "client_id": ben, "page_id": "state", "letter_id": letter,
              "token": "not-a-token", "user_id": str(worker.id),
              "job_id": "packet-" + "0" * 32}
    walked = []
    for rule in _get_rules(app):
        if "token" in rule.arguments and rule.endpoint == "questionnaire.resume":
            continue        # would switch the session's case; checked below
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: values[match.group(1)], rule.rule)
        response = worker_client.get(path)
        assert response.headers.get("Cache-Control") == "no-store", (path, response.status_code)
        walked.append(path)
    assert {f"/caseload/clients/{ben}/plan.pdf", f"/caseload/clients/{ben}/plan.ics",
            f"/caseload/cases/{ben}/export.json", "/caseload/audit", "/plan", "/check",
            "/export.json", "/letters/details"} <= set(walked)
    assert worker_client.get(f"/resume/{token}").headers["Cache-Control"] == "no-store"
    static = worker_client.get("/static/css/site.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")


def test_the_family_s_pages_are_no_store_too(client):
    for path in ("/", "/questions/state", "/resume/nope"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    assert client.post("/questions/state", data={"state": "OH"}).headers["Cache-Control"] == \
        "no-store"
    assert client.get("/plan").headers["Pragma"] == "no-cache"


# --- 9. worker comforts ------------------------------------------------------------------------

def test_the_public_site_has_a_sign_in_link_for_workers(client, worker_client):
    home = _text(client.get("/"))
    assert 'href="/auth/login"' in home and "Sign in (social workers and counselors)" in home
    assert 'href="/auth/login"' not in _text(worker_client.get("/"))


def _denied(days_ago: int) -> dict:
    """Answers whose 180-day internal appeal deadline falls (180 - days_ago) days from today."""
    return answers(denial="claim", denial_date=(TODAY - timedelta(days=days_ago)).isoformat())


def test_the_due_list_looks_14_30_or_60_days_ahead(app, worker, worker_client):
    _client_case(app, worker, "In Twelve", _denied(168))
    _client_case(app, worker, "In Forty", _denied(140))
    _client_case(app, worker, "In Fifty Five", _denied(125))
    default = _text(worker_client.get("/caseload/due"))
    assert "In Twelve" in default and "In Forty" not in default
    thirty = _text(worker_client.get("/caseload/due?days=30"))
    assert "Due in the next 30 days" in thirty and "In Forty" not in thirty
    sixty = _text(worker_client.get("/caseload/due?days=60"))
    assert "In Forty" in sixty and "In Fifty Five" in sixty
    odd = _text(worker_client.get("/caseload/due?days=9999"))
    assert "Due in the next 14 days" in odd and "In Forty" not in odd


def test_mark_done_is_one_click_from_the_case_page_and_the_due_list(app, worker, worker_client):
    pat = _client_case(app, worker, "Pat Progress", _denied(170))
    page = _text(worker_client.get(f"/caseload/cases/{pat}"))
    assert "Mark done" in page
    response = worker_client.post(f"/caseload/cases/{pat}/steps/read_denial_notice",
                                  data={"state": "done", "for_client": pat})
    assert response.status_code == 302
    after = _text(worker_client.get(response.location))
    assert "is marked done for Pat Progress" in after
    from_due = worker_client.post(f"/caseload/cases/{pat}/steps/private_internal_appeal",
                                  data={"state": "done", "for_client": pat, "back": "due",
                                        "days": "60"})
    assert from_due.status_code == 302 and from_due.location.endswith("/caseload/due?days=60")
    due = _text(worker_client.get("/caseload/due?days=60"))
    assert "is marked done for Pat Progress" in due
    assert f"/caseload/cases/{pat}/steps/private_internal_appeal" not in due


def test_audit_log_names_the_client_in_the_worker_s_time_zone(app, worker, worker_client):
    ben = _client_case(app, worker, "Ben Carter", answers())
    worker_client.get(f"/caseload/cases/{ben}")
    gone = _client_case(app, worker, "Gone Client", answers())
    worker_client.post(f"/caseload/cases/{gone}/delete", data={"for_client": gone})
    html = _text(worker_client.get("/caseload/audit"))
    assert "Ben Carter" in html and f"deleted case {gone[:8]}" in html
    assert "Times are in UTC." in html and " UTC</td>" in html
    chosen = worker_client.post("/caseload/settings", data={"time_zone": "America/Chicago"})
    assert chosen.status_code == 302
    html = _text(worker_client.get("/caseload/audit"))
    assert "Times are in Central." in html
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d C[SD]T</td>", html)
    refused = worker_client.post("/caseload/settings", data={"time_zone": "Mars/Olympus"})
    assert refused.status_code == 400


def test_local_time_is_explicit():
    moment = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    assert local_time(moment, "America/Chicago") == "2026-12-01 09:30 CST"
    assert local_time(moment.replace(tzinfo=None), None) == "2026-12-01 15:30 UTC"
    assert local_time(moment, "Not/AZone") == "2026-12-01 15:30 UTC"


@pytest.mark.parametrize("search", ["gomez alicia", "Alicia Gomes", "alicai", "GOMEZ", "ali",
                                    "Gómez"])
def test_search_tolerates_word_order_and_small_typos(app, worker, worker_client, search):
    _client_case(app, worker, "Alicia Gomez", answers())
    _client_case(app, worker, "Ben Carter", answers())
    html = _text(worker_client.get("/caseload/", query_string={"q": search}))
    body = html.split("<tbody>")[1] if "<tbody>" in html else ""
    assert "Alicia Gomez" in body and "Ben Carter" not in body


@pytest.mark.parametrize("search,name", [("ben", "Benedict Jones"), ("xyz", "Ben Carter"),
                                         ("gomez bob", "Alicia Gomez"), ("car", "Oscar")])
def test_name_matching_is_not_too_loose(search, name):
    expected = {"ben": True, "xyz": False, "gomez bob": False, "car": True}[search]
    assert caseload.name_matches(search, name) is expected


def test_after_an_idle_sign_out_the_worker_comes_back_to_the_same_client(app, worker,
                                                                          worker_client):
    ben = _client_case(app, worker, "Ben Carter", {"state": "TX"})
    page = f"/caseload/clients/{ben}/questions/about_you"
    for method, path, expected in (
            ("GET", page, page),
            ("POST", page, page),                                        # the same page again
            ("POST", f"/caseload/cases/{ben}/notes", f"/caseload/cases/{ben}"),
            ("GET", f"/caseload/cases/{ben}", f"/caseload/cases/{ben}")):
        log_in(worker_client, worker.email)
        with worker_client.session_transaction() as flask_session:
            flask_session["seen_at"] = time.time() - app.config["IDLE_TIMEOUT_SECONDS"] - 1
        response = worker_client.open(path, method=method, data={"for_client": ben, "body": "x"})
        assert response.status_code == 302 and "/auth/login" in response.location
        back_to = parse_qs(urlsplit(response.location).query)["next"][0]
        assert back_to == expected, (method, path)
        signed_in = worker_client.post(f"/auth/login?next={back_to}", data={
            "email": worker.email, "password": "correct horse battery staple"})
        assert signed_in.location == back_to
    # A signed-out visit (no session at all) comes back to the page too.
    fresh = app.test_client()
    response = fresh.get(page)
    assert parse_qs(urlsplit(response.location).query)["next"][0] == page


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil",
                                    "javascript:alert(1)", "http:/evil.example"])
def test_the_return_address_stays_on_this_site(app, client, worker, target):
    response = client.post("/auth/login", query_string={"next": target}, data={
        "email": worker.email, "password": "correct horse battery staple"})
    assert response.status_code == 302 and response.location == "/caseload/"


def test_the_audit_log_records_client_page_visits(app, worker, worker_client):
    ben = _client_case(app, worker, "Ben Carter", answers())
    worker_client.get(f"/caseload/clients/{ben}/plan")
    with _db(app) as session:
        actions = [e.action for e in session.exec(select(AuditEntry).where(
            AuditEntry.case_public_id == ben))]
    assert actions == ["case.view"]
    with _db(app) as session:
        assert session.exec(select(Case).where(Case.public_id == ben)).one().client_name == \
            "Ben Carter"
