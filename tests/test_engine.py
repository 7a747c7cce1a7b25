"""The plan engine: answers -> plan, against the real rules."""
from datetime import date

import pytest

from navigator.engine import AnswersInvalid, evaluate
from navigator.engine.evaluate import add_months
from navigator.engine.plan import Plan
from tests.answers import answers

AS_OF = date(2026, 11, 23)


def plan_for(book, **overrides) -> Plan:
    return evaluate(answers(**overrides), AS_OF, book)


def step_ids(plan):
    return [s.id for s in plan.steps]


def test_plan_carries_version_reviewed_date_and_as_of(book):
    plan = plan_for(book)
    assert plan.rules_version == book.version and len(plan.rules_version) == 12
    assert plan.reviewed == book.reviewed
    assert plan.as_of == AS_OF


def test_fpl_percent_uses_the_2026_guidelines(book):
    # Household of 3 in the 48 states: $27,320 in 2026.
    assert plan_for(book, household_size=3, annual_income=27320).fpl_percent == 100.0
    assert plan_for(book, household_size=3, annual_income=54640).fpl_percent == 200.0


def test_alaska_and_hawaii_have_their_own_tables(book):
    assert plan_for(book, state="AK", household_size=1, annual_income=19950).fpl_percent == 100.0
    assert plan_for(book, state="HI", household_size=1, annual_income=18360).fpl_percent == 100.0


def test_no_income_no_percent(book):
    assert plan_for(book, annual_income=None).fpl_percent is None


def test_medicare_tubed_pump_goes_through_part_b(book):
    plan = plan_for(book, coverage="medicare_original", age=70, pump_wanted="tslim_x2")
    assert plan.coverage_route == "dme"
    assert "medicare_dme_supplier" in step_ids(plan)


def test_medicare_omnipod_goes_through_part_d(book):
    plan = plan_for(book, coverage="medicare_original", age=70, pump_wanted="omnipod_5")
    assert plan.coverage_route == "pharmacy"
    assert "part_d_formulary" in step_ids(plan)
    assert "medicare_dme_supplier" not in step_ids(plan)


def test_steps_are_ordered_and_sourced(book):
    plan = plan_for(book, coverage="medicare_original", age=70, denial="claim",
                    denial_date="2026-10-01")
    assert len(plan.steps) >= 3
    for step in plan.steps:
        assert step.sources and all(s.url.startswith("http") for s in step.sources)
        assert step.why
    assert step_ids(plan).index("medicare_redetermination") < step_ids(plan).index("medicare_dme_supplier")


def test_medicare_redetermination_deadline_is_125_days_from_the_notice(book):
    plan = plan_for(book, coverage="medicare_original", age=70, denial="claim",
                    denial_date="2026-10-01")
    deadlines = {d.id: d.date for d in plan.deadlines}
    assert deadlines["medicare_redetermination"] == date(2027, 2, 3)


def test_employer_internal_appeal_deadline(book):
    plan = plan_for(book, denial="prior_authorization", denial_date="2026-11-02")
    step = next(s for s in plan.steps if s.id == "private_internal_appeal")
    assert step.deadline == date(2027, 5, 1)  # 180 days
    assert "internal_appeal" in [letter.id for letter in plan.letters]


def test_external_review_uses_calendar_months(book):
    plan = plan_for(book, denial="appeal", denial_date="2026-10-31")
    step = next(s for s in plan.steps if s.id == "private_external_review")
    # 4 months after October 31 has no day 31: the first day of the fifth month.
    assert step.deadline == date(2027, 3, 1)


def test_add_months():
    assert add_months(date(2026, 1, 15), 4) == date(2026, 5, 15)
    assert add_months(date(2026, 10, 31), 4) == date(2027, 3, 1)
    assert add_months(date(2026, 8, 31), 4) == date(2026, 12, 31)
    assert add_months(date(2026, 12, 5), 1) == date(2027, 1, 5)


def test_medicaid_fair_hearing_uses_the_state_deadline(book):
    with_days = next(code for code, s in book.states.items() if s.fair_hearing.days)
    days = book.states[with_days].fair_hearing.days
    plan = plan_for(book, state=with_days, coverage="medicaid", age=10, denial="prior_authorization",
                    denial_date="2026-11-02")
    step = next(s for s in plan.steps if s.id == "medicaid_fair_hearing")
    assert (step.deadline - date(2026, 11, 2)).days == days


def test_medicaid_fair_hearing_falls_back_to_the_federal_ceiling(book):
    without = [code for code, s in book.states.items() if s.fair_hearing.days is None]
    if not without:
        pytest.skip("every state file has a hearing deadline")
    plan = plan_for(book, state=without[0], coverage="medicaid", age=10, denial="claim",
                    denial_date="2026-11-02")
    step = next(s for s in plan.steps if s.id == "medicaid_fair_hearing")
    assert (step.deadline - date(2026, 11, 2)).days == 90
    assert step.confirm


def test_epsdt_under_21_only(book):
    assert "medicaid_epsdt" in step_ids(plan_for(book, coverage="medicaid", age=20))
    assert "medicaid_epsdt" not in step_ids(plan_for(book, coverage="medicaid", age=21))


def test_invalid_answers_raise_with_field_errors(book):
    with pytest.raises(AnswersInvalid) as info:
        evaluate({**answers(), "age": 400}, AS_OF, book)
    assert [e.field for e in info.value.errors] == ["age"]


def test_evaluate_is_pure(book):
    raw = answers(coverage="medicare_original", age=70)
    snapshot = dict(raw)
    first = evaluate(raw, AS_OF, book).model_dump()
    second = evaluate(raw, AS_OF, book).model_dump()
    assert raw == snapshot and first == second


def test_unverified_state_facts_are_marked_confirm(book):
    state = next(code for code, s in book.states.items() if "medicaid.phone" in s.unverified
                 and s.medicaid.phone)
    plan = plan_for(book, state=state, coverage="medicaid", age=10)
    step = next(s for s in plan.steps if s.id == "medicaid_prior_authorization")
    assert step.confirm and "Confirm with" in step.confirm


def test_copay_cards_never_eligible_for_federal_programs(book):
    for coverage in ("medicare_original", "medicare_advantage", "medicaid", "chip", "tricare", "va", "ihs"):
        for pump in ("omnipod_5", "tslim_x2", "undecided"):
            plan = plan_for(book, coverage=coverage, pump_wanted=pump, age=70 if "medicare" in coverage else 30)
            for program in plan.programs:
                if program.kind == "copay_card":
                    assert program.eligible is False and "Anti-Kickback" in program.reason


def test_coverage_buckets_never_drop_a_rule_that_fires(book):
    from navigator.engine.answers import COVERAGES, validate_answers
    from navigator.engine.facts import derive

    for coverage in COVERAGES:
        for denial in ("none", "claim", "appeal"):
            clean, _ = validate_answers(answers(coverage=coverage, denial=denial, age=70), AS_OF)
            facts = derive(clean, AS_OF, book)
            every = [r.id for r in book.rules if r.applies(facts)]
            bucketed = [r.id for r in book.rules_for(coverage) if r.applies(facts)]
            assert bucketed == every, coverage


def test_regional_programs_only_for_their_state(book):
    def programs(state):
        plan = plan_for(book, state=state, coverage="uninsured", age=9, annual_income=30000)
        return {p.id: (p.eligible, p.reason) for p in plan.programs}

    assert programs("FL")["help_a_diabetic_child"][0] == "maybe"
    assert "help_a_diabetic_child" not in programs("TX")      # not listed at all elsewhere


def test_the_state_condition_of_a_program_still_holds_when_a_rule_lists_it(book):
    from navigator.engine.programs import assess
    facts = {"coverage": "uninsured", "federal_program": False, "pump_wanted": "tslim_x2",
             "state": "TX", "age": 9, "diabetes_type": "type1", "fpl_percent": 100.0,
             "pump_channel": "dme"}
    eligible, reason = assess(book.programs["help_a_diabetic_child"], facts, book.pump_names,
                              book.cgms, book.program_reasons)
    assert eligible is False and "FL" in reason
