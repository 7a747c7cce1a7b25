"""Spanish on a 360 px phone (issue 16): the plan and the cover letter pass axe-core, fit the
screen, say lang="es" and keep the language after a click; an English letter's preview is
marked English and summarised in Spanish. Set SCREENSHOT_DIR to keep the screenshots."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from tests.answers import answers
from tests.browser.conftest import assert_fits
from tests.browser.test_journeys import check_accessibility
from tests.browser.test_parent_phone import phone, shoot  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


def _private_link(app, answers_: dict) -> str:
    from navigator.services import cases

    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = cases.create_case(session, answers_)
        cases.save_details(session, case, {"patient_name": "Sofía Ramírez"})
        return cases.issue_resume_token(session, case)


def test_the_spanish_plan_and_letters_on_a_phone(phone, live_server, browser_app):  # noqa: F811
    seen: list[str] = []
    token = _private_link(browser_app, answers(
        coverage="medicaid", state="TX", age=9, denial="claim", annual_income=30000,
        household_size=4, pump_wanted="omnipod_5"))
    phone.goto(live_server + "/?lang=es")
    assert phone.get_attribute("html", "lang") == "es"
    phone.goto(live_server + f"/resume/{token}")
    phone.goto(live_server + "/plan")
    assert phone.get_attribute("html", "lang") == "es"
    expect(phone.get_by_role("heading", name="Su plan de acceso")).to_be_visible()
    check_accessibility(phone, seen)
    assert_fits(phone)
    shoot(phone, "plan_es_360")
    expect(phone.get_by_role("link", name="English")).to_be_visible()    # the switch, on the page

    phone.get_by_role("link", name="Todas las cartas, y los datos que necesitan").click()
    assert phone.get_attribute("html", "lang") == "es"                 # kept after a click
    phone.goto(live_server + "/letters/assistance_cover_letter")
    check_accessibility(phone, seen)
    assert_fits(phone)
    shoot(phone, "cover_letter_es_360")
    letter = phone.locator("article.letter").first
    assert letter.get_attribute("lang") == "es"
    assert "Al equipo de ayuda a pacientes:" in letter.inner_text()

    for path in ("/questions/coverage", "/pumps/compare?ids=tslim_x2,omnipod_5"):
        phone.goto(live_server + path)                 # long Spanish words still fit
        assert phone.get_attribute("html", "lang") == "es"
        assert_fits(phone)
        shoot(phone, path.strip("/").split("?")[0].replace("/", "_") + "_es_360")

    phone.goto(live_server + "/letters/medicaid_fair_hearing")
    check_accessibility(phone, seen)
    assert_fits(phone)
    shoot(phone, "fair_hearing_es_360")
    assert phone.locator("article.letter").get_attribute("lang") == "en"
    expect(phone.get_by_role("heading", name="Esta carta está en inglés")).to_be_visible()
    assert "audiencia imparcial" in phone.locator("#letter-summary").locator("..").inner_text()
