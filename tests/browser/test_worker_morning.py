"""A worker's morning in Chromium: sign in, see what is due, open a client, mark a step done,
print a letter. axe-core on every worker page; nothing wider than 360 px."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session

from navigator.services import accounts, caseload
from navigator.services import cases as case_store
from tests.answers import answers
from tests.browser.conftest import guarded_page, migrated_app, serving

pytestmark = pytest.mark.browser

SERIOUS = ("serious", "critical")
EMAIL, PASSWORD = "morning@clinic.example", "a good long password"


@pytest.fixture(scope="module")
def worker_server(tmp_path_factory):
    """A live server (CSRF on) with one admin and three clients, one of them due in 5 days."""
    app = migrated_app(tmp_path_factory.mktemp("worker"))
    denial = (date.today() - timedelta(days=175)).isoformat()
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        user = accounts.create_organisation_with_admin(session, "Morning Clinic", EMAIL,
                                                       "Morgan Worker", PASSWORD)
        for name, data in (("Maria Lopez", answers(denial="claim", denial_date=denial)),
                           ("Keisha Brown", answers(coverage="medicaid", state="TX", age=9)),
                           ("Tom Nguyen", answers(coverage="medicare_original", age=71))):
            case = caseload.create_client_case(session, user, name)
            case_store.save_answers(session, case, data)
    with serving(app) as base_url:
        yield base_url


@pytest.fixture
def tab(browser, worker_server):
    with guarded_page(browser, worker_server, width=360) as page:
        yield page


def check_page(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in SERIOUS]
    assert bad == [], f"{page.url}: " + "; ".join(f"{v['id']}: {v['help']}" for v in bad)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width} px wide"


def test_a_workers_morning(tab, worker_server):
    tab.goto(worker_server + "/caseload/")
    assert "/auth/login" in tab.url
    check_page(tab)
    tab.get_by_label("Email address").fill(EMAIL)
    tab.get_by_label("Password").fill("not the password")
    tab.get_by_role("button", name="Sign in").click()
    assert tab.get_by_text("The email address or password is not right.").count() >= 1
    check_page(tab)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()

    # The dashboard: what is due first.
    assert tab.get_by_role("heading", name="Your caseload").is_visible()
    due = tab.locator(".due-list")
    assert "Maria Lopez" in due.inner_text() and "5 days left" in due.inner_text()
    check_page(tab)
    tab.get_by_role("link", name="Due soon").click()
    assert "Maria Lopez" in tab.locator("main").inner_text()
    check_page(tab)

    # Open the client and mark the appeal step done.
    tab.get_by_role("link", name="Maria Lopez").first.click()
    assert tab.get_by_role("heading", name="Maria Lopez", level=1).is_visible()
    check_page(tab)
    step = tab.locator("#step-private_internal_appeal")
    step.locator(".step-progress summary").click()
    step.get_by_label("Done").check()
    step.get_by_role("button", name="Save progress").click()
    step = tab.locator("#step-private_internal_appeal")
    assert "Done" in step.inner_text() and "Morgan Worker" in step.inner_text()
    tab.get_by_role("link", name="Caseload", exact=True).click()
    assert tab.locator(".due-list").count() == 0 or "Maria Lopez" not in tab.locator(".due-list").inner_text()

    # Print a letter for her.
    tab.get_by_role("link", name="Maria Lopez").first.click()
    tab.get_by_role("button", name="Letters", exact=True).click()
    assert "/letters" in tab.url
    check_page(tab)
    pdf_link = tab.get_by_role("link", name="Download PDF").first
    response = tab.request.get(worker_server + pdf_link.get_attribute("href"))
    assert response.status == 200 and response.body().startswith(b"%PDF")


def test_worker_pages_pass_axe(tab, worker_server):
    tab.goto(worker_server + "/auth/login")
    tab.get_by_label("Email address").fill(EMAIL)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    for path in ("/caseload/?scope=all&sort=name", "/caseload/cases/new", "/caseload/feed",
                 "/caseload/members", "/caseload/audit", "/auth/password"):
        tab.goto(worker_server + path)
        check_page(tab)
    tab.goto(worker_server + "/caseload/cases/new")
    tab.get_by_role("button", name="Take over the case").click()
    assert tab.locator(".error-summary").is_visible()
    check_page(tab)
