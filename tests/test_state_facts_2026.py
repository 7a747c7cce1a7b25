"""The second round of state facts (reference 2026/state_laws.csv and state_medicaid.csv) as the
rules hold them, each with its verdict: unconfirmed values stay listed in `unverified`."""
from datetime import date

import pytest

from navigator.engine import evaluate
from tests.answers import answers


@pytest.mark.parametrize("code, amount", [
    ("CA", "$35 per 30-day supply"), ("IL", "$35 per 30-day supply"), ("NY", "$0"),
    ("OR", "$35 per 30-day supply; $105 per 90-day supply"), ("WV", "$35 per 30-day supply"),
    ("NJ", "$35 per 30-day supply"), ("MN", "$25 per month"), ("MA", "$25 per 30-day supply"),
    ("ND", "$25 per 30-day supply")])
def test_insulin_caps_carry_the_new_amounts(book, code, amount):
    cap = book.states[code].insulin_copay_cap
    assert cap.law is True and cap.amount.startswith(amount) and cap.sources


def test_device_caps_name_what_they_cover(book):
    assert "insulin pumps and CGMs included" in book.states["MN"].insulin_copay_cap.devices
    assert "insulin pumps are not included" in book.states["WV"].insulin_copay_cap.devices
    assert "$0 cost sharing for medically necessary insulin pumps" in book.states["DE"].insulin_copay_cap.devices
    assert "insulin_copay_cap.devices" in book.states["ND"].unverified      # secondary only


def test_oregon_cap_is_secondary_and_says_so(book):
    assert {"insulin_copay_cap.amount", "insulin_copay_cap.effective"} <= set(book.states["OR"].unverified)


def test_accumulator_bans_in_dc_and_iowa_stay_unverified(book):
    for code in ("DC", "IA"):
        assert book.states[code].copay_accumulator_ban == "yes"
        assert "copay_accumulator_ban" in book.states[code].unverified


def test_corrected_medicaid_phone_from_an_old_official_page_stays_unverified(book):
    assert book.states["MN"].medicaid.phone == "1-800-657-3739 / 651-431-2670"
    assert "medicaid.phone" in book.states["MN"].unverified


@pytest.mark.parametrize("code", ["AK", "DE", "HI", "MI", "NE", "NH", "UT"])
def test_medicaid_phones_seen_only_on_junk_pages_are_null(book, code):
    # document-sharing copies, benefits listings and old news were dropped (secondary-source cleanup)
    state = book.states[code]
    assert state.medicaid.phone is None and "medicaid.phone" not in state.unverified
    plan = evaluate(answers(state=code, coverage="medicaid", age=30, annual_income=12000),
                    date(2026, 11, 30), book)
    contact = next(s for s in plan.steps if s.id == "medicaid_prior_authorization").contacts[0]
    assert contact.phone is None and contact.url == state.medicaid.agency_url


def test_maine_medicaid_phone_read_on_maine_gov(book):
    # corrected from a handbook mirror, then read on maine.gov's Member Resources page (2026-12-01)
    assert book.states["ME"].medicaid.phone == "1-800-977-6740"
    assert "medicaid.phone" not in book.states["ME"].unverified
    assert "me_medicaid_agency_home" in book.states["ME"].sources


def test_fair_hearing_days_and_names(book):
    assert book.states["RI"].fair_hearing.days == 30 and book.states["SC"].fair_hearing.days == 30
    assert "fair_hearing.days" in book.states["SC"].unverified                # a 1997 decision only
    assert book.states["ND"].ship.name == "State Health Insurance Counseling (SHIC)"
    assert book.states["NC"].chip.program_name.startswith("NC Medicaid")
    assert book.states["MN"].chip.program_name is None                      # MinnesotaCare is not CHIP


def test_regulator_phones_filled_where_found_and_null_on_conflict(book):
    missing = {code for code, state in book.states.items() if not state.insurance_regulator.phone}
    # not found (IA, IN), only a partner's line (RI), two sources disagree (WY), or seen only on exam-prep, wiki, broker,
    # law-firm or old news pages, which were dropped rather than kept (the rest)
    assert missing == {"IA", "IN", "RI", "WY", "AL", "DC", "HI", "ID", "KY", "NE", "NV", "OH", "SC", "WV"}
    assert book.states["AK"].insurance_regulator.phone == "(907) 269-7900"   # read on the regulator's site
    # Pennsylvania's consumer line was found only in a copy of the department's guide: unverified.
    assert "insurance_regulator.phone" in book.states["PA"].unverified


def test_a_corrected_phone_reaches_the_plan(book):
    plan = evaluate(answers(state="ME", coverage="medicaid", age=30, annual_income=12000),
                    date(2026, 11, 30), book)
    contact = next(s for s in plan.steps if s.id == "medicaid_prior_authorization").contacts[0]
    assert contact.phone == "1-800-977-6740"


# Domains the secondary-source cleanup dropped: document-sharing copies, exam-prep, wikis and AI
# pages, brokers, benefits listings (issue 13, docs/DATA_QUALITY.md).
DROPPED_DOMAINS = ("docslib.org", "open-exam-prep.com", "type2.wiki", "vdocuments", "pdfslide", "cupdf.com",
                   "citizenportal.ai", "legalclarity.org", "freedombenefits", "welfareinfo.org", "benefits.com",
                   "singlemotherguide.com", "asinglemother.org", "222health.com", "fill.io", "alohafreshvending",
                   "manuzoid", "jamesrqclark", "slimandthickwcpodcast", "github.com/aliakbarlive", "zaro.info")


def test_state_files_cite_no_dropped_domain(book):
    cited = {sid for state in book.states.values() for sid in state.sources}
    bad = sorted(f"{sid}: {book.sources[sid].url}" for sid in cited
                 if any(domain in book.sources[sid].url for domain in DROPPED_DOMAINS))
    assert not bad


def test_chip_names_rest_on_the_states_own_pages(book):
    for code in ("AK", "AR", "CO", "FL", "LA", "MD", "ME", "MO", "MS"):
        chip = book.states[code].chip
        assert chip.program_name, code
        assert any(book.sources[sid].kind != "secondary" for sid in chip.sources), code
    # named only by a benefits-listing site: left out, the plan says "CHIP"
    assert all(book.states[code].chip.program_name is None for code in ("ID", "MI", "NE", "NM"))
