"""A parent on a phone (360 px, touch) at night: the urgent path, the top of the plan, a letter
from a step, the private link's Copy button, and a form sent after its token expired. axe-core
on every page these add. Set SCREENSHOT_DIR to keep 360 px screenshots of them to look at."""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_fits, guarded_page
from tests.browser.test_journeys import check_accessibility, continue_, continue_until

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 1}


def phone_page(browser, base_url):
    """A fresh phone profile (clipboard allowed) whose every request must stay on the live server."""
    return guarded_page(browser, base_url, permissions=("clipboard-read", "clipboard-write"),
                        **PHONE)


@pytest.fixture
def phone(browser, live_server):
    with phone_page(browser, live_server) as tab:
        yield tab


def shoot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def answer_child_in_texas(page, seen, days_left="", denial="No, nothing has been denied"):
    """A Texas child of 9 on Medicaid, Omnipod 5, as a parent taps it in."""
    page.get_by_label("Which state do you live in?").select_option("TX")
    continue_(page, seen)
    page.get_by_label("How old are they?").fill("9")
    page.get_by_label("Type 1").check()
    continue_(page, seen)
    page.get_by_label("Medicaid", exact=True).check()
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
    days = page.get_by_label("How many days of insulin or pump supplies do they have left?")
    continue_until(page, days, seen)
    days.fill(days_left)
    continue_(page, seen)
    page.get_by_label(denial).check()
    continue_(page, seen)


def test_a_parent_out_of_insulin_soon_sees_what_to_do_tonight_first(phone, live_server):
    seen: list[str] = []
    phone.goto(live_server + "/start")
    answer_child_in_texas(phone, seen, days_left="3")
    phone.get_by_role("link", name="See my plan").click()
    check_accessibility(phone, seen)
    assert_fits(phone)
    shoot(phone, "parent_plan_urgent_360")
    box = phone.locator("section.callout-urgent")
    expect(box.get_by_role("heading", name="Running out of insulin or supplies? Do this now")).to_be_visible()
    # The urgent box comes first, on the first screen, before "Do this first" and the steps.
    top = box.bounding_box()["y"]
    assert top < 740
    assert top < phone.locator("#do-first").bounding_box()["y"] < phone.locator("#steps").bounding_box()["y"]
    first = box.get_by_role("link", name="Get insulin for the next few days first")
    expect(first).to_be_visible()
    # Medicaid rules out every insulin maker's offer, so the box names no program to call; it
    # leads with the emergency supply Medicaid must pay for while an approval is pending.
    assert box.locator('a[href^="tel:"]').count() == 0
    assert "emergency room or call 911" in box.inner_text()
    assert "ask for a 3-day emergency supply" in box.inner_text()
    first.click()                                               # to the step in the plan
    assert phone.url.endswith("#step-urgent_medicaid_emergency_supply")
    step = phone.locator("#step-urgent_medicaid_emergency_supply")
    assert step.locator(".urgent-programs li").count() == 0


def test_the_plan_top_and_a_letter_from_its_step(phone, live_server):
    seen: list[str] = []
    phone.goto(live_server + "/start")
    answer_child_in_texas(phone, seen, denial="Yes, a prior authorization (approval before getting the pump) was denied")
    continue_until(phone, phone.get_by_label("What date is printed on the denial notice?"), seen)
    phone.get_by_label("What date is printed on the denial notice?").fill("2026-11-20")
    phone.get_by_label("The insurance or health plan (or Medicare)").check()
    phone.get_by_role("group", name="Could waiting the usual time").get_by_label("Not sure").check()
    continue_until(phone, phone.get_by_role("heading", name="Check your answers"), seen)
    phone.get_by_role("link", name="See my plan").click()
    check_accessibility(phone, seen)
    assert_fits(phone)
    shoot(phone, "parent_plan_top_360")
    assert "callout-urgent" not in phone.content()
    do_first = phone.locator("section.do-first")
    assert do_first.bounding_box()["y"] < 740 * 2          # within the first two screens
    assert "Next deadline:" in do_first.inner_text()
    # The step that calls for the plan appeal links to its letter.
    step_link = phone.get_by_role("link", name="Get the letter: Medicaid health plan appeal")
    step_link.first.click()
    check_accessibility(phone, seen)
    assert_fits(phone)
    shoot(phone, "parent_letter_plan_appeal_360")
    letter = phone.locator("article.letter")
    expect(letter.get_by_role("heading", name="Medicaid health plan appeal")).to_be_visible()
    signature = letter.locator(".signature").inner_text()
    assert "parent or legal guardian of" in signature           # a child's letter: the parent signs
    assert len(re.findall(r"I am sending this request by the deadline", letter.inner_text())) <= 1
    # The details form: who sends the letters, and the plan's appeals address.
    phone.get_by_role("link", name="Change letter details").click()
    check_accessibility(phone, seen)
    assert_fits(phone)
    phone.get_by_label("Patient's full name").fill("Maya López")
    phone.get_by_label("Who is sending the letters").select_option("parent")
    phone.get_by_label("Your full name, if you are not the patient").fill("Ana López")
    phone.get_by_label("Insurer or plan name").fill("Superior HealthPlan")
    phone.get_by_label("Insurer or plan address").fill("PO Box 1\nAustin, TX 78701")
    shoot(phone, "parent_letter_details_360")
    phone.get_by_role("button", name="Save letter details").click()
    phone.get_by_role("link", name=re.compile("Read on screen – Medicaid health plan appeal")).click()
    check_accessibility(phone, seen)
    letter = phone.locator("article.letter")
    assert "Ana López, parent or legal guardian of Maya López" in letter.locator(".signature").inner_text()
    assert "Superior HealthPlan" in letter.locator("header").inner_text()


def test_the_private_link_copy_button_on_a_phone(phone, live_server):
    seen: list[str] = []
    phone.goto(live_server + "/start")
    answer_child_in_texas(phone, seen)
    phone.get_by_role("link", name="Get a private link to come back later").click()
    phone.get_by_role("button", name="Get my private link").click()
    check_accessibility(phone, seen)
    assert_fits(phone)
    shoot(phone, "parent_private_link_360")
    link = phone.get_by_label("Copy this link").input_value()
    assert "/resume/" in link
    phone.get_by_role("button", name="Copy link").tap()
    phone.wait_for_selector(".copy-status:not(:empty)")  # no string eval: the CSP forbids it
    assert phone.locator(".copy-status").inner_text() in ("Link copied.",
                                                           "Select the link and copy it.")
    if phone.locator(".copy-status").inner_text() == "Link copied.":
        assert phone.evaluate("navigator.clipboard.readText()") == link


def test_a_question_page_left_open_until_its_token_expired_keeps_what_was_typed(
        phone, live_server, browser_app):
    seen: list[str] = []
    phone.goto(live_server + "/start")
    phone.get_by_label("Which state do you live in?").select_option("TX")
    continue_(phone, seen)
    phone.get_by_label("How old are they?").fill("9")
    phone.get_by_label("Type 1").check()
    limit = browser_app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    browser_app.config["WTF_CSRF_TIME_LIMIT"] = 1          # the hours the page sat open
    try:
        time.sleep(2.2)
        phone.get_by_role("button", name="Continue").click()
        check_accessibility(phone, seen)
    finally:
        browser_app.config["WTF_CSRF_TIME_LIMIT"] = limit
    assert_fits(phone)
    shoot(phone, "parent_stale_form_360")
    notice = phone.locator(".stale-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("You were away for a while")
    assert "could not understand that request" not in phone.content()
    assert phone.get_by_label("How old are they?").input_value() == "9"
    assert phone.get_by_label("Type 1").is_checked()
    phone.get_by_role("button", name="Continue").click()     # now it saves
    expect(phone).to_have_title(re.compile("What health coverage do they have now"))
