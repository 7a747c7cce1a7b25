"""Low-income Medicare in the real rules: the words and amounts a family reads (issue 13 item 1).

The step ids and percentages are covered by rules/tests/medicare_low_income.yaml; these tests read
the rendered text, which the YAML cases cannot.
"""
import re
from datetime import date

import pytest

from navigator.engine import AnswersInvalid, evaluate
from tests.answers import answers

LATE_2026 = date(2026, 11, 30)
OWES_COINSURANCE = re.compile(r"\byou (pay|owe)\b[^.]*\b20%|\byour 20%", re.IGNORECASE)


def medicare(**overrides):
    base = {"coverage": "medicare_original", "age": 70, "household_size": 1, "annual_income": 14000,
            "medigap": False, "also_medicaid": False}
    return answers(**{**base, **overrides})


def all_text(plan) -> str:
    parts = list(plan.warnings)
    for step in plan.steps:
        parts += [step.title, step.detail]
    return "\n".join(parts)


@pytest.mark.parametrize("coverage", ["medicare_original", "medicare_advantage"])
@pytest.mark.parametrize("pump", ["tslim_x2", "minimed_780g", "undecided"])
def test_a_qmb_member_is_never_told_she_owes_the_20_percent(book, coverage, pump):
    raw = medicare(coverage=coverage, pump_wanted=pump, medicare_savings_program="qmb")
    if coverage == "medicare_advantage":
        raw.pop("medigap")
    plan = evaluate(raw, LATE_2026, book)
    text = all_text(plan)
    assert not OWES_COINSURANCE.search(text), OWES_COINSURANCE.search(text).group(0)
    assert "qmb_no_cost_sharing" in [s.id for s in plan.steps]


def test_without_qmb_or_medigap_the_20_percent_and_2026_deductible_are_named(book):
    plan = evaluate(medicare(pump_wanted="tslim_x2", annual_income=40000), LATE_2026, book)
    text = all_text(plan)
    assert OWES_COINSURANCE.search(text)
    assert "$283" in text      # Part B deductible from 2026-01-01


@pytest.mark.parametrize("as_of, cap", [(date(2025, 6, 1), "$2,000"), (date(2026, 9, 30), "$2,100"),
                                        (date(2027, 1, 15), "$2,400")])
def test_part_d_cap_follows_the_plan_date(book, as_of, cap):
    plan = evaluate(medicare(pump_wanted="omnipod_5", annual_income=40000), as_of, book)
    step = next(s for s in plan.steps if s.id == "part_d_oop_cap")
    assert cap in step.title


def test_from_october_the_part_d_step_names_next_years_cap_beside_this_years(book):
    plan = evaluate(medicare(pump_wanted="omnipod_5", annual_income=40000), LATE_2026, book)
    step = next(s for s in plan.steps if s.id == "part_d_oop_cap_next_year")
    assert "$2,100 this year and $2,400 next year" in step.title
    assert "$615 this year and $700 next year" in step.detail       # the deductible too


def test_next_years_cap_is_not_invented_when_the_data_has_no_value_for_it(book):
    # No 2028 value is in the data: the 2027 figure must not be presented as next year's.
    plan = evaluate(medicare(pump_wanted="omnipod_5", annual_income=40000), date(2027, 11, 1), book)
    step = next(s for s in plan.steps if s.id == "part_d_oop_cap_next_year")
    assert step.title.endswith("$2,400 this year and a new amount next year")


def test_extra_help_step_names_the_2026_limits_and_social_security(book):
    plan = evaluate(medicare(pump_wanted="omnipod_5", annual_income=22344), LATE_2026, book)
    step = next(s for s in plan.steps if s.id == "extra_help_apply")
    assert "140% of" not in step.detail and "140%" in step.detail      # the person's own figure
    assert "150%" in step.detail and "$18,090" in step.detail and "$36,100" in step.detail
    assert "$12.65" in step.detail
    assert step.contacts[0].phone == "1-800-772-1213"


def test_savings_program_step_names_the_state_agency_and_phone(book):
    plan = evaluate(medicare(state="OH", pump_wanted="tslim_x2", annual_income=12000), LATE_2026, book)
    step = next(s for s in plan.steps if s.id == "msp_apply_qmb")   # ($12,000 - $240) / $15,960 = 73.7%
    assert step.title == ("Apply to Ohio Department of Medicaid for QMB: it pays your Medicare premium, "
                          "deductible and 20%")
    assert step.contacts and step.contacts[0].phone == book.states["OH"].medicaid.phone
    assert "$202.90" in step.detail and "$9,950" in step.detail


def test_a_texas_dual_sees_star_plus_and_that_medicaid_does_not_pay_part_d_copays(book):
    raw = medicare(state="TX", coverage="medicare_advantage", also_medicaid=True,
                   pump_wanted="omnipod_5")
    raw.pop("medigap")
    plan = evaluate(raw, LATE_2026, book)
    step = next(s for s in plan.steps if s.id == "dual_medicare_pays_first")
    assert "STAR+PLUS" in step.detail
    assert "Medicaid does not pay Part D drugs or Part D copays" in step.detail
    assert not step.confirm   # HHSC's own STAR+PLUS handbook confirms the plan name


@pytest.mark.parametrize("state, name", [("PA", "Community HealthChoices"), ("CA", "Medi-Medi Plans"),
                                         ("MN", "Minnesota Senior Health Options")])
def test_duals_see_their_states_plan_by_its_real_name(book, state, name):
    plan = evaluate(medicare(state=state, also_medicaid=True, pump_wanted="tslim_x2"), LATE_2026, book)
    step = next(s for s in plan.steps if s.id == "dual_medicare_pays_first")
    assert f"Your state's plan for people with both Medicare and Medicaid: {name}" in step.detail


def test_a_dual_in_a_state_without_a_known_plan_is_told_to_ask(book):
    plan = evaluate(medicare(state="OH", also_medicaid=True, pump_wanted="tslim_x2"), LATE_2026, book)
    step = next(s for s in plan.steps if s.id == "dual_medicare_pays_first")
    assert "not known to this tool; ask the state Medicaid agency" in step.detail


def test_medicare_questions_are_dropped_for_other_coverages(book):
    raw = answers(coverage="employer", extra_help="yes", medicare_savings_program="qmb",
                  part_d_plan="standalone", other_coverage="cobra")
    plan = evaluate(raw, LATE_2026, book)
    assert not {"qmb_no_cost_sharing", "extra_help_monthly_switch",
                "medicare_pays_before_retiree_cobra"} & {s.id for s in plan.steps}


def test_disability_benefit_is_asked_only_under_65(book):
    plan = evaluate(answers(age=70, disability_benefit="ssdi"), LATE_2026, book)
    assert "ssdi_medicare_start" not in [s.id for s in plan.steps]


@pytest.mark.parametrize("field, value", [("medicare_savings_program", "qmb1"),
                                          ("extra_help", True), ("part_d_plan", "pdp"),
                                          ("other_coverage", "medigap"), ("savings", -5),
                                          ("disability_benefit", "ssdi2")])
def test_bad_medicare_answers_name_the_field(book, field, value):
    raw = medicare(age=60, **{field: value})
    with pytest.raises(AnswersInvalid) as caught:
        evaluate(raw, LATE_2026, book)
    assert [e.field for e in caught.value.errors] == [field]
