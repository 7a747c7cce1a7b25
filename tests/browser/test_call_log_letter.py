"""A person logs a call and sees it quoted in the appeal letter, in a real browser."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_call_log_feeds_the_appeal_letter(page, live_server, browser_app):
    from sqlmodel import Session

    from navigator.services import cases
    from tests.answers import answers

    with Session(browser_app.extensions["db_engine"], expire_on_commit=False) as session:
        case = cases.create_case(session, answers(coverage="employer", denial="claim",
                                                  denial_date="2026-11-02"))
        token = cases.issue_resume_token(session, case)
    page.goto(f"{live_server}/resume/{token}")
    page.goto(f"{live_server}/plan")
    page.get_by_text("Save, print, get reminders or delete").click()
    page.get_by_role("link", name="Keep a log of your calls").click()
    page.get_by_label("Date of the call").fill("2026-11-03")
    page.get_by_label("Who did you speak with?").fill("Dana <b>Reyes</b>")
    page.get_by_label("Where do they work?").fill("Acme Health")
    page.get_by_label("Reference number").fill("REF-88231")
    page.get_by_label("What was said").fill("The pump was denied because the form was late.")
    page.get_by_label("Papers kept (one name a line)").fill("denial.pdf\nnotes.txt")
    page.get_by_role("button", name="Add to the log").click()
    expect(page.get_by_text("The call is in your log.")).to_be_visible()
    assert page.locator("li.call-entry h3").inner_text().startswith("November 3, 2026: Dana <b>Reyes</b>")
    page.get_by_role("link", name="See your letters").click()
    page.get_by_role("link", name="Read on screen – Internal appeal of a denial").click()
    letter = page.locator("article.letter")
    quoted = letter.locator("section.calls p").inner_text()
    assert quoted == ("On November 3, 2026 I spoke with Dana <b>Reyes</b> at Acme Health, reference "
                      "REF-88231. I was told: “The pump was denied because the form was late.”")
    assert letter.locator("section.calls b").count() == 0      # typed markup stays text
