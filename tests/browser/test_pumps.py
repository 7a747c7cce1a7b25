"""Choosing a pump on a 360 px phone: pick pumps, compare them, work out the estimate. Axe on
every page, and nothing scrolls sideways."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_fits, guarded_page
from tests.browser.test_journeys import check_accessibility

pytestmark = pytest.mark.browser


def test_comparing_pumps_on_a_phone(browser, live_server):
    seen: list[str] = []
    with guarded_page(browser, live_server, width=360) as page:
        page.goto(live_server + "/pumps")
        check_accessibility(page, seen)
        assert_fits(page, 360)

        # Narrow the list: a child of 5 who uses a Dexcom G7.
        page.locator("#age").fill("5")
        page.locator("#cgm").select_option(label="Dexcom G7")
        page.get_by_role("button", name="Show pumps").click()
        check_accessibility(page, seen)
        expect(page.get_by_text("For a child of 5.")).to_be_visible()
        expect(page.get_by_text("Cleared from age 6, not for someone aged 5.").first).to_be_visible()

        page.get_by_label("Compare Omnipod 5").check()
        page.get_by_label("Compare Tandem Mobi").check()
        page.get_by_role("button", name="Compare the pumps you ticked").click()
        check_accessibility(page, seen)
        assert_fits(page, 360)
        expect(page.get_by_role("heading", name="Pumps side by side")).to_be_visible()
        # On a phone each value is labelled with its pump.
        water = page.locator("tr", has=page.get_by_role("rowheader", name="Water"))
        assert "Tandem Mobi: Not found" in water.inner_text().replace("\n", " ")

        # A source opens without JavaScript: it is a details element.
        page.locator("details.fact-sources summary").first.click()
        expect(page.locator("details.fact-sources[open] a").first).to_be_visible()

        page.locator("#pharmacy_copay").fill("50")
        page.locator("#oop_max_left").fill("4000")
        page.locator("#deductible_left").fill("abc")
        page.get_by_role("button", name="Work out the estimate").click()
        check_accessibility(page, seen)
        expect(page.get_by_role("alert")).to_be_visible()
        assert page.locator("#deductible_left").input_value() == "abc"     # kept as typed

        page.locator("#deductible_left").fill("1500")
        page.get_by_role("button", name="Work out the estimate").click()
        check_accessibility(page, seen)
        assert_fits(page, 360)
        expect(page.get_by_text("About $600 in the first year").first).to_be_visible()
        expect(page.get_by_text("At most $4,000 in the first year").first).to_be_visible()
    assert len(seen) == 5


def test_the_comparison_on_a_wide_screen_is_a_table(browser, live_server):
    seen: list[str] = []
    with guarded_page(browser, live_server, width=1280) as page:
        page.goto(live_server + "/pumps/compare?ids=omnipod_5,tslim_x2,minimed_780g")
        check_accessibility(page, seen)
        headers = page.get_by_role("columnheader").all_inner_texts()
        assert headers == ["Feature", "Omnipod 5", "t:slim X2", "MiniMed 780G"]
        assert_fits(page, 1280)
