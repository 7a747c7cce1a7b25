"""Counsellor pass on the remaining gaps (issue 13): wording the rule cases cannot assert, and the
questionnaire's literal Medicare age kept equal to the parameter."""
from datetime import date
from pathlib import Path

import yaml

from navigator.engine import evaluate
from tests.answers import answers

AS_OF = date(2026, 12, 1)
QUESTIONS = Path(__file__).resolve().parent.parent / "rules" / "questions.yaml"


def step(plan, step_id):
    return next(s for s in plan.steps if s.id == step_id)


def test_covered_california_step_names_its_own_last_day_not_healthcare_gov(book):
    plan = evaluate(answers(state="CA", coverage="marketplace"), AS_OF, book)
    compare = step(plan, "marketplace_compare_plans_state")
    assert compare.title.endswith("on Covered California")
    assert compare.deadline == date(2027, 1, 31)
    assert compare.contacts[0].url == "https://www.coveredca.com/"
    assert all(d.date != date(2027, 1, 15) for d in plan.deadlines)


def test_pennie_member_is_told_to_look_the_date_up_and_gets_no_january_15(book):
    plan = evaluate(answers(state="PA", coverage="marketplace"), AS_OF, book)
    lookup = step(plan, "marketplace_compare_plans_state_unknown")
    assert "Pennie" in lookup.title and lookup.deadline is None
    assert "has not confirmed" in lookup.detail
    assert all(d.date != date(2027, 1, 15) for d in plan.deadlines)


def test_va_decision_review_names_the_three_forms_and_the_year(book):
    plan = evaluate(answers(state="CO", coverage="va", pump_wanted="omnipod_5", denial="prior_authorization",
                            denial_date="2026-11-10"), AS_OF, book)
    review = step(plan, "va_decision_review")
    assert "12 months" in review.detail
    assert all(form in review.detail for form in ("20-0995", "20-0996", "10182"))
    assert "no filing deadline" in step(plan, "va_review").detail


def test_erisa_lawsuit_step_cites_the_statute_and_the_claim_file(book):
    plan = evaluate(answers(state="NY", employer_plan_funding="self_funded", denial="appeal",
                            denial_date="2026-11-05"), AS_OF, book)
    sue = step(plan, "erisa_civil_action")
    assert "1132(a)" in sue.detail and "claim file" in sue.detail
    assert any("1132" in source.title for source in sue.sources)
    order = [s.id for s in plan.steps]
    assert order.index("private_external_review") < order.index("erisa_civil_action")


def test_marketplace_exception_clocks_name_72_and_24_hours_and_the_external_review(book):
    plan = evaluate(answers(state="TX", coverage="marketplace", pump_wanted="omnipod_5",
                            denial="prior_authorization", denial_date="2026-11-16",
                            denial_reason="not_on_formulary"), AS_OF, book)
    clocks = step(plan, "marketplace_exception_clocks")
    assert "72 hours" in clocks.title and "24 hours" in clocks.title
    assert "external exception review" in clocks.detail
    assert clocks.confirm                     # the federal text was read only second-hand


def test_new_york_child_health_plus_names_the_dfs_review_before_any_denial(book):
    plan = evaluate(answers(state="NY", coverage="chip", age=7, annual_income=65000,
                            pump_wanted="omnipod_5"), AS_OF, book)
    route = step(plan, "chip_separate_route_ahead")
    assert "Department of Financial Services" in route.detail
    assert "no Medicaid fair hearing" in route.detail


def test_questionnaire_medicare_age_matches_the_parameter(book):
    # show_if compares with literal numbers (no plan date there): they must follow the parameter.
    age = book.parameter("medicare.entitlement_age", AS_OF)
    data = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    literal = {}
    for page in data["pages"]:
        for question in page["questions"]:
            for condition in (question.get("show_if") or {}).get("all", []):
                if condition.get("field") == "age" and set(condition) - {"field"} <= {"lt", "equals"}:
                    literal[question["field"]] = condition
    assert literal["disability_benefit"] == {"field": "age", "lt": age}
    assert literal["birth_date"] == {"field": "age", "equals": age - 1}


def test_an_automated_pump_with_no_cgm_list_points_to_the_makers_list(book):
    # Omnipod 5's CGM list was not found (empty in the catalogue): the step still fires for a
    # person with no CGM, and the empty list reads as the placeholder's default, not as nothing.
    plan = evaluate(answers(state="GA", coverage="employer", pump_wanted="omnipod_5", uses_cgm=False),
                    AS_OF, book)
    cgm = step(plan, "compatible_cgm_none")
    assert "these CGMs: see the maker's list." in cgm.detail
