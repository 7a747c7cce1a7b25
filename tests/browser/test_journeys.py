"""Whole journeys clicked as a person would, axe-core on every page, nothing wider than 360 px."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_fits

pytestmark = pytest.mark.browser

SERIOUS = ("serious", "critical")


def check_accessibility(page, seen: list[str]) -> None:
    from axe_playwright_python.sync_playwright import Axe

    # A click that navigates returns once the next page has started to load, not once it has
    # loaded: axe on a half-parsed page fails or checks too little.
    page.wait_for_load_state()
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in SERIOUS]
    assert bad == [], f"{page.url}: " + "; ".join(f"{v['id']}: {v['help']}" for v in bad)
    seen.append(page.url)


def continue_(page, seen):
    page.get_by_role("button", name="Continue").click()
    check_accessibility(page, seen)


def continue_until(page, target, seen=None, limit=6):
    """Continue past optional pages, left blank, until `target` (a locator) is on the page.

    Journeys name the questions they answer, not how many optional pages lie between them.
    """
    for _ in range(limit):
        if target.count():
            return
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
        if seen is not None:
            check_accessibility(page, seen)
    assert target.count(), f"{page.url}: never reached {target}"


def test_medicare_journey_to_the_plan_and_pdf(page, live_server):
    seen: list[str] = []
    page.goto(live_server + "/")
    check_accessibility(page, seen)
    page.get_by_role("button", name="Start now").click()
    check_accessibility(page, seen)
    page.get_by_label("Which state do you live in?").select_option("OH")
    continue_(page, seen)
    # A mistake first: the error summary takes focus and names the field.
    continue_(page, seen)
    assert page.title().startswith("Error:")
    assert page.evaluate("document.activeElement.className") == "error-summary"
    page.get_by_label("How old are they?").fill("70")
    page.get_by_label("Type 1").check()
    continue_(page, seen)
    assert "Step 3 of 6: Insurance" in page.content()
    page.get_by_label("Original Medicare (Part A and Part B)").check()
    continue_(page, seen)
    assert "job-based plan funded" not in page.content()
    page.get_by_role("group", name="Medigap").get_by_label("No").check()
    page.get_by_role("group", name="also have Medicaid").get_by_label("No").check()
    continue_(page, seen)
    # Optional Medicare questions: one answered, the rest left blank.
    page.get_by_role("group", name="Extra Help").get_by_label("Not sure").check()
    continue_(page, seen)
    page.get_by_label("How many people are in the household?").fill("2")
    page.get_by_label("yearly income").fill("40,000")
    continue_(page, seen)
    continue_until(page, page.get_by_label("Injections (pens or syringes)"), seen)
    page.get_by_label("Injections (pens or syringes)").check()
    continue_(page, seen)
    page.get_by_label("t:slim X2").check()
    page.get_by_role("group", name="continuous glucose monitor").get_by_label("Yes").check()
    continue_(page, seen)
    continue_until(page, page.get_by_label("How many insulin injections a day, on average?"), seen)
    page.get_by_label("How many insulin injections a day, on average?").fill("4")
    continue_(page, seen)
    continue_until(page, page.get_by_label("Yes, a claim or bill for the pump was denied"), seen)
    page.get_by_label("Yes, a claim or bill for the pump was denied").check()
    continue_(page, seen)
    page.get_by_label("What date is printed on the denial notice?").fill("2026-11-02")
    page.get_by_role("group", name="Could waiting the usual time").get_by_label("Not sure").check()
    continue_(page, seen)
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    page.get_by_role("link", name="See my plan").click()
    check_accessibility(page, seen)
    expect(page.get_by_role("heading", name="Your access plan")).to_be_visible()
    assert "Deadline:" in page.content()
    page.get_by_text("Why this step?").first.click()
    page.get_by_text("Save, print, get reminders or delete").click()   # the folded actions
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the plan (PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert len(seen) >= 14


def test_medicaid_child_journey_with_back_change_save_resume_and_delete(page, browser, live_server):
    seen: list[str] = []
    page.goto(live_server + "/start")
    page.get_by_label("Which state do you live in?").select_option("TX")
    continue_(page, seen)
    page.get_by_label("How old are they?").fill("8")
    page.get_by_label("Type 1").check()
    continue_(page, seen)
    page.get_by_label("Medicaid", exact=True).check()
    continue_(page, seen)
    assert "Household and income" in page.title()       # no coverage-details page for Medicaid
    page.locator("a.back-link").click()
    assert page.get_by_label("Medicaid", exact=True).is_checked()
    continue_(page, seen)
    page.get_by_label("How many people are in the household?").fill("4")
    page.get_by_label("I prefer not to say").check()
    continue_(page, seen)
    continue_until(page, page.get_by_label("Injections (pens or syringes)"), seen)
    page.get_by_label("Injections (pens or syringes)").check()
    continue_(page, seen)
    page.get_by_label("Omnipod 5").check()
    page.get_by_label("Yes").check()
    continue_(page, seen)
    # Optional pages (CGM, health details, urgency) left blank.
    continue_until(page, page.get_by_label("No, nothing has been denied"), seen)
    page.get_by_label("No, nothing has been denied").check()
    continue_(page, seen)
    assert "denial notice" not in page.content()
    # Change an answer: back to the summary afterwards.
    page.get_by_role("link", name="Change How old are they?").click()
    page.get_by_label("How old are they?").fill("9")
    continue_(page, seen)
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.get_by_text("9", exact=True)).to_be_visible()
    page.get_by_role("link", name="Get a private link to come back later").click()
    check_accessibility(page, seen)
    page.get_by_role("button", name="Get my private link").click()
    check_accessibility(page, seen)
    link = page.get_by_label("Copy this link").input_value()
    page.reload()                                   # a reload shows the same link, still valid
    assert page.get_by_label("Copy this link").input_value() == link
    page.get_by_role("button", name="Copy link").click()    # shown only where JavaScript runs
    page.wait_for_selector(".copy-status:not(:empty)")  # no string eval: the CSP forbids it
    assert page.locator(".copy-status").inner_text() in ("Link copied.",
                                                          "Select the link and copy it.")
    other = browser.new_context().new_page()
    other.goto(link)
    assert "/resume/" not in other.url
    expect(other.get_by_role("heading", name="Check your answers")).to_be_visible()
    other.get_by_role("link", name="See my plan").click()
    check_accessibility(other, seen)
    assert "Likely eligible" in other.content()
    other.context.close()
    page.goto(live_server + "/check")
    page.get_by_role("link", name="Delete my answers").click()
    check_accessibility(page, seen)
    page.get_by_role("button", name="Yes, delete my answers").click()
    check_accessibility(page, seen)
    expect(page.get_by_role("heading", name="Your answers have been deleted")).to_be_visible()
    page.goto(link)
    assert "This link does not work" in page.content()


@pytest.mark.parametrize("path", ["/", "/questions/state", "/questions/coverage_details",
                                  "/check", "/plan"])
def test_nothing_is_wider_than_360_pixels(page, live_server, path):
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(live_server + "/start")
    answers = [("#state", "CA", "select"), ("#age", "40", "fill"), ("#diabetes_type-0", "", "check")]
    for selector, value, action in answers:
        getattr(page.locator(selector), {"select": "select_option", "fill": "fill",
                                         "check": "check"}[action])(*([value] if value else []))
        if selector != "#age":
            page.get_by_role("button", name="Continue").click()
    page.get_by_label("A plan through a job").check()
    page.get_by_role("button", name="Continue").click()
    page.locator("#employer_plan_funding-1").check()
    page.locator("#also_medicaid-1").check()
    page.get_by_role("button", name="Continue").click()
    continue_until(page, page.locator("#household_size"))
    page.locator("#household_size").fill("3")
    page.locator("#annual_income").fill("62000")
    page.get_by_role("button", name="Continue").click()
    continue_until(page, page.locator("#current_therapy-0"))
    page.locator("#current_therapy-0").check()
    page.get_by_role("button", name="Continue").click()
    page.locator("#pump_wanted-0").check()
    page.locator("#uses_cgm-0").check()
    page.get_by_role("button", name="Continue").click()
    continue_until(page, page.locator("#denial-1"))
    page.locator("#denial-1").check()
    page.get_by_role("button", name="Continue").click()
    page.locator("#denial_date").fill("2026-10-01")
    page.locator("#health_at_risk-0").check()
    page.get_by_role("button", name="Continue").click()
    page.goto(live_server + path)
    assert_fits(page)
