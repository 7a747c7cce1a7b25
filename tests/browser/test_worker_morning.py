"""A worker's morning in Chromium: sign in, see what is due, open a client, mark a step done,
print a letter. axe-core on every worker page; nothing wider than 360 px."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from navigator.models import Case
from navigator.services import accounts, caseload
from navigator.services import cases as case_store
from tests.answers import answers
from tests.browser.conftest import assert_fits, guarded_page, migrated_app, serving
from tests.browser.test_journeys import check_accessibility

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "morning@clinic.example", "a good long password"


@pytest.fixture(scope="module")
def worker_server(tmp_path_factory):
    """A live server (CSRF on) with one admin and three clients, one of them due in 5 days."""
    app = migrated_app(tmp_path_factory.mktemp("worker"))
    clients = {}
    denial = (date.today() - timedelta(days=175)).isoformat()
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        user = accounts.create_organisation_with_admin(session, "Morning Clinic", EMAIL,
                                                       "Morgan Worker", PASSWORD)
        for name, data in (("Maria Lopez", answers(denial="claim", denial_date=denial)),
                           ("Keisha Brown", answers(coverage="medicaid", state="TX", age=9)),
                           ("Tom Nguyen", answers(coverage="medicare_original", age=71)),
                           ("Ben Carter", {"state": "TX"}),
                           ("Alicia Gomez", answers(coverage="medicaid", state="TX", age=11))):
            case = caseload.create_client_case(session, user, name)
            case_store.save_answers(session, case, data)
            clients[name] = case.public_id
    with serving(app) as base_url:
        yield base_url, app, clients


@pytest.fixture
def tab(browser, worker_server):
    with guarded_page(browser, worker_server[0], width=360) as page:
        yield page


def sign_in(tab, base_url) -> None:
    tab.goto(base_url + "/auth/login")
    tab.get_by_label("Email address").fill(EMAIL)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()


def saved_answers(app, public_id) -> dict:
    with Session(app.extensions["db_engine"]) as session:
        return dict(session.exec(select(Case).where(Case.public_id == public_id)).one().answers)


def check_page(page) -> None:
    check_accessibility(page, [])
    assert_fits(page)


def test_a_workers_morning(tab, worker_server):
    worker_server = worker_server[0]
    tab.goto(worker_server + "/caseload/")
    assert "/auth/login" in tab.url
    check_page(tab)
    tab.get_by_label("Email address").fill(EMAIL)
    tab.get_by_label("Password").fill("not the password")
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_text("The email address or password is not right.").first).to_be_visible()
    check_page(tab)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()

    # The dashboard: what is due first.
    expect(tab.get_by_role("heading", name="Your caseload")).to_be_visible()
    due = tab.locator(".due-list")
    assert "Maria Lopez" in due.inner_text() and "5 days left" in due.inner_text()
    check_page(tab)
    tab.get_by_role("link", name="Due soon").click()
    check_page(tab)
    assert "Maria Lopez" in tab.locator("main").inner_text()

    # Open the client and mark the appeal step done.
    tab.get_by_role("link", name="Maria Lopez").first.click()
    expect(tab.get_by_role("heading", name="Maria Lopez", level=1)).to_be_visible()
    check_page(tab)
    step = tab.locator("#step-private_internal_appeal")
    step.get_by_role("button", name="Mark done").click()     # one click
    assert "is marked done for Maria Lopez" in tab.locator(".flash").inner_text()
    step = tab.locator("#step-private_internal_appeal")
    assert "Done" in step.inner_text() and "Morgan Worker" in step.inner_text()
    tab.get_by_role("link", name="Caseload", exact=True).click()
    expect(tab.get_by_role("heading", name="Your caseload")).to_be_visible()
    assert tab.locator(".due-list").count() == 0 or "Maria Lopez" not in tab.locator(".due-list").inner_text()

    # Print a letter for her.
    tab.get_by_role("link", name="Maria Lopez").first.click()
    tab.get_by_role("link", name="Letters", exact=True).click()
    assert "/caseload/clients/" in tab.url and "/letters" in tab.url
    expect(tab.locator(".client-bar")).to_contain_text("Letters for Maria Lopez")
    check_page(tab)
    pdf_link = tab.get_by_role("link", name="Download PDF").first
    response = tab.request.get(worker_server + pdf_link.get_attribute("href"))
    assert response.status == 200 and response.body().startswith(b"%PDF")


def test_worker_pages_pass_axe(tab, worker_server):
    worker_server = worker_server[0]
    sign_in(tab, worker_server)
    for path in ("/caseload/?scope=all&sort=name", "/caseload/cases/new", "/caseload/feed",
                 "/caseload/members", "/caseload/audit", "/auth/password"):
        tab.goto(worker_server + path)
        check_page(tab)
    tab.goto(worker_server + "/caseload/cases/new")
    tab.get_by_role("button", name="Take over the case").click()
    expect(tab.locator(".error-summary")).to_be_visible()
    check_page(tab)


def test_two_tabs_on_two_clients_each_save_to_their_own_client(browser, worker_server):
    """The review's blocker: Ben's age typed in one tab was saved to Alicia, open in another."""
    base_url, app, clients = worker_server
    ben, alicia = clients["Ben Carter"], clients["Alicia Gomez"]
    with guarded_page(browser, base_url, width=1024) as first:
        sign_in(first, base_url)
        second = first.context.new_page()        # the same browser: one session, two tabs
        first.goto(f"{base_url}/caseload/clients/{ben}/questions/about_you")
        second.goto(f"{base_url}/caseload/clients/{alicia}/questions/about_you?change=1")
        assert "Answering for Ben Carter" in first.locator(".client-bar").inner_text()
        assert "Answering for Alicia Gomez" in second.locator(".client-bar").inner_text()
        assert second.get_by_label("How old are they?").input_value() == "11"

        first.get_by_label("How old are they?").fill("16")
        first.get_by_label("Type 1").check()
        first.get_by_role("button", name="Continue").click()
        assert f"/caseload/clients/{ben}/questions/" in first.url
        second.get_by_label("How old are they?").fill("12")
        second.get_by_role("button", name="Continue").click()
        assert f"/caseload/clients/{alicia}/" in second.url
        assert saved_answers(app, ben)["age"] == 16
        assert saved_answers(app, alicia)["age"] == 12

        # A form that says it is for another client than its address is refused.
        first.goto(f"{base_url}/caseload/clients/{ben}/questions/about_you")
        first.evaluate(f"document.querySelector('input[name=for_client]').value = '{alicia}'")
        first.get_by_label("How old are they?").fill("40")
        first.get_by_role("button", name="Continue").click()
        expect(first.locator("main")).to_contain_text("Not saved")
        text = first.locator("main").inner_text()
        assert "Not saved" in text and "Alicia Gomez" in text and "Ben Carter" in text
        assert saved_answers(app, ben)["age"] == 16
        assert saved_answers(app, alicia)["age"] == 12
        # Family-only controls never show on a client's pages.
        second.goto(f"{base_url}/caseload/clients/{alicia}/plan")
        main = second.locator("main").inner_text()
        assert "Plan for Alicia Gomez" in main
        assert "Delete my answers" not in main and "private link" not in main
        second.close()
