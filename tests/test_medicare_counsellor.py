"""The counsellor pass over Medicare situations (docs/DATA_QUALITY.md, "Counsellor pass (Medicare)"):
the words a family reads after the fixes. Step ids, deadlines and the rules that fire are checked
in rules/tests/medicare_counsellor.yaml; these tests read the rendered text and the sources.
"""
from datetime import date

from navigator.engine import evaluate
from tests.answers import answers

PLAN_DATE = date(2026, 12, 1)


def medicare(**overrides):
    base = {"coverage": "medicare_original", "state": "OH", "age": 70, "household_size": 1,
            "annual_income": 40000, "medigap": False, "also_medicaid": False}
    return answers(**{**base, **overrides})


def step(plan, step_id):
    return next(s for s in plan.steps if s.id == step_id)


def source_urls(a_step) -> list[str]:
    return [s.url for s in a_step.sources]


def test_the_extra_help_exclusion_says_who_gets_extra_help_in_plain_words(book):
    plan = evaluate(medicare(pump_wanted="minimed_780g", medicare_savings_program="qmb",
                             annual_income=13800, state="CA"), PLAN_DATE, book)
    lilly = next(p for p in plan.programs if p.id == "lilly_cares")
    assert lilly.eligible is False
    assert "you get it" not in lilly.reason
    assert "gets Extra Help automatically" in lilly.reason


def test_no_part_b_step_points_to_a_savings_program_step_that_is_not_there(book):
    plan = evaluate(medicare(pump_wanted="tslim_x2", annual_income=52000), PLAN_DATE, book)
    ids = [s.id for s in plan.steps]
    assert "msp_apply" not in ids
    share = step(plan, "medicare_part_b_share")
    assert "see the step on" not in share.detail
    assert "QMB" in share.detail and "100%" in share.detail


def test_a_claim_denial_names_level_two_before_the_judge(book):
    plan = evaluate(medicare(pump_wanted="tslim_x2", denial="claim", denial_date="2026-07-24",
                             medigap=True), PLAN_DATE, book)
    levels = step(plan, "medicare_later_levels")
    assert levels.detail.index("Level 2") < levels.detail.index("Level 3")
    assert "Qualified Independent Contractor" in levels.detail and "185 days" in levels.detail


def test_a_part_b_denial_does_not_cite_the_part_d_appeal_rule(book):
    plan = evaluate(medicare(pump_wanted="tslim_x2", denial="claim", denial_date="2026-11-02"),
                    PLAN_DATE, book)
    for a_step in plan.steps:
        assert not any("423.582" in url for url in source_urls(a_step)), a_step.id


def test_the_omnipod_part_d_appeal_still_cites_it(book):
    plan = evaluate(medicare(pump_wanted="omnipod_5", denial="claim", denial_date="2026-11-02"),
                    PLAN_DATE, book)
    assert any("423.582" in url for url in source_urls(step(plan, "part_d_redetermination")))


def test_tricare_for_life_pays_what_medicare_leaves_and_cites_tricare_not_wisconsin(book):
    plan = evaluate(medicare(state="VA", pump_wanted="tslim_x2", other_coverage="tricare_for_life",
                             household_size=2, annual_income=62000), PLAN_DATE, book)
    tfl = step(plan, "medicare_then_tricare_for_life")
    assert "owe nothing" in tfl.detail
    urls = source_urls(tfl)
    assert any("tricare.mil" in url for url in urls)
    assert not any("longtermcare.wi.gov" in url for url in urls)


def test_a_disability_medicare_user_in_north_carolina_sees_no_washington_page(book):
    plan = evaluate(medicare(state="NC", age=52, pump_wanted="omnipod_5", disability_benefit="ssdi",
                             annual_income=28000), PLAN_DATE, book)
    urls = source_urls(step(plan, "medicare_under_65_notes"))
    assert not any("insurance.wa.gov" in url or "colorado.gov" in url for url in urls)
    assert any("medicare.gov" in url for url in urls)


def test_the_turning_65_lab_step_cites_medicares_pump_policy(book):
    raw = answers(state="OH", age=64, birth_date="1962-05-14", coverage="employer",
                  employer_plan_funding="fully_insured", current_therapy="pump",
                  pump_wanted="tslim_x2", household_size=2, annual_income=85000)
    plan = evaluate(raw, PLAN_DATE, book)
    for step_id in ("turning65_doctor_visit", "turning65_lab_test", "turning65_glucose_records"):
        assert any("lcdid=33794" in url for url in source_urls(step(plan, step_id))), step_id
    # a Medicare policy is cited only where the step is about the Medicare to come
    assert not any("lcdid=33794" in url for url in source_urls(step(plan, "prescription_and_records")))


def test_a_medicare_advantage_member_is_told_the_plan_must_follow_medicares_criteria(book):
    raw = medicare(coverage="medicare_advantage", state="GA", pump_wanted="tslim_x2",
                   denial="prior_authorization", denial_date="2026-11-20")
    raw.pop("medigap")
    plan = evaluate(raw, PLAN_DATE, book)
    criteria = step(plan, "ma_lcd_criteria")
    assert "422.101" in criteria.detail
    assert any("422.101" in url for url in source_urls(criteria))


def test_a_qmb_only_member_is_asked_about_full_medicaid_and_the_states_dual_plan(book):
    plan = evaluate(medicare(state="CA", pump_wanted="minimed_780g", medicare_savings_program="qmb",
                             annual_income=13800), PLAN_DATE, book)
    ask = step(plan, "msp_ask_full_medicaid")
    assert "Medi-Medi" in ask.detail and "not full" in ask.detail


def test_a_five_year_old_working_pump_is_not_promised_a_replacement(book):
    plan = evaluate(medicare(state="AZ", medigap=True, current_therapy="pump", current_pump_years=5,
                             pump_warranty="expired", pump_condition="working",
                             pump_wanted="tslim_x2"), PLAN_DATE, book)
    due = step(plan, "medicare_replacement_due")
    assert "will not replace it yet" in due.detail and "new order" in due.detail
    assert step(plan, "medicare_prior_pump_user").title.startswith("If you started pumping before")


def test_a_medicare_advantage_denial_without_a_reason_names_the_four_usual_ones(book):
    raw = medicare(coverage="medicare_advantage", state="GA", pump_wanted="tslim_x2",
                   denial="prior_authorization", denial_date="2026-11-20", denial_reason="unknown")
    raw.pop("medigap")
    plan = evaluate(raw, PLAN_DATE, book)
    usual = step(plan, "likely_reason_ma")
    assert "C-peptide" in usual.detail and "specific reason" in usual.detail


def test_a_turning_65_pump_user_is_told_how_the_pump_moves_into_medicare(book):
    raw = answers(state="OH", age=64, birth_date="1962-05-14", coverage="employer",
                  employer_plan_funding="fully_insured", current_therapy="pump", current_pump_years=3,
                  pump_wanted="tslim_x2", household_size=2, annual_income=85000)
    plan = evaluate(raw, PLAN_DATE, book)
    moves = step(plan, "turning65_current_pump")
    assert "May 1, 2027" in moves.detail and "3 years" in moves.detail
    assert any("lcdid=33794" in url for url in source_urls(moves))


def test_the_savings_program_step_names_the_program_the_income_points_to(book):
    # $19,150 less 12 x $20 is 118.5% of $15,960: SLMB, which pays the premium but not the 20%
    plan = evaluate(medicare(state="PA", pump_wanted="tslim_x2", annual_income=19150), PLAN_DATE, book)
    slmb = step(plan, "msp_apply_slmb")
    assert "SLMB" in slmb.title and "$202.90" in slmb.detail and "does not pay" in slmb.detail
    # income not given: the generic step with all three programs
    plan = evaluate(medicare(state="PA", pump_wanted="tslim_x2", annual_income=None), PLAN_DATE, book)
    assert "QMB" in step(plan, "msp_apply").detail and "(QI)" in step(plan, "msp_apply").detail


def test_the_2028_bidding_step_says_omnipod_is_outside_it(book):
    plan = evaluate(medicare(pump_wanted="omnipod_5", cgm_in_use="dexcom_g7"), PLAN_DATE, book)
    assert "Omnipod and other items paid by Part D" in step(plan, "medicare_bidding_change").detail


def test_the_2020_medtronic_program_is_shown_as_of_unknown_status(book):
    plan = evaluate(medicare(state="CA", pump_wanted="minimed_780g"), PLAN_DATE, book)
    assurance = next(p for p in plan.programs if p.id == "medtronic_assurance_program")
    assert assurance.eligible == "maybe" and "taking applications" in assurance.reason


def test_the_medicare_advantage_letter_cites_the_coverage_rule_and_asks_for_the_reason(book):
    from navigator.services import letters

    raw = medicare(coverage="medicare_advantage", state="GA", pump_wanted="tslim_x2",
                   denial="prior_authorization", denial_date="2026-11-20", denial_reason="unknown")
    raw.pop("medigap")
    plan = evaluate(raw, PLAN_DATE, book)
    html = str(letters.render_letter("medicare_advantage_reconsideration", raw, {}, plan, book))
    assert "422.101(b)" in html and "LCD L33794" in html and "specific reason" in html
    urls = [s.url for s in letters.sources_for("medicare_advantage_reconsideration", raw, plan, book)]
    assert any("422.101" in url for url in urls)
