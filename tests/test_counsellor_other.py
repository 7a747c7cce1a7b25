"""Counsellor pass outside Medicare (issue 13): wording, contacts and routes the rule cases cannot assert."""
from datetime import date

from navigator.engine import evaluate
from tests.answers import answers

AS_OF = date(2026, 12, 1)


def step(plan, step_id):
    return next(s for s in plan.steps if s.id == step_id)


def test_pennsylvania_regulator_phone_reaches_a_fully_insured_plan(book):
    plan = evaluate(answers(state="PA", employer_plan_funding="fully_insured"), AS_OF, book)
    assert step(plan, "employer_state_regulator").contacts[0].phone == "1-877-881-6388"
    assert "insurance_regulator.phone" in book.states["PA"].unverified


def test_georgia_peachcare_review_names_the_department_and_no_fair_hearing(book):
    plan = evaluate(answers(state="GA", coverage="chip", age=9, annual_income=70000, denial="appeal",
                            denial_date="2026-11-20"), AS_OF, book)
    detail = step(plan, "chip_external_review_dated").detail
    assert "Department of Community Health" in detail and "not Medicaid's" in detail
    assert not any(s.id.startswith("medicaid_") for s in plan.steps)


def test_utah_chip_review_goes_to_the_hearings_unit(book):
    plan = evaluate(answers(state="UT", coverage="chip", age=9, annual_income=70000, denial="appeal",
                            denial_date="2026-11-20"), AS_OF, book)
    detail = step(plan, "chip_external_review_dated").detail
    assert "Hearings Unit" in detail and "Box 143105" in detail


def test_self_funded_plan_points_to_ebsa_benefits_advisors(book):
    plan = evaluate(answers(state="NY", employer_plan_funding="self_funded"), AS_OF, book)
    erisa = step(plan, "employer_erisa_rights")
    assert "Benefits Advisors" in erisa.detail
    assert any("askebsa.dol.gov" in (c.url or "") for c in erisa.contacts)


def test_fehb_replacement_fix_does_not_speak_of_medicare(book):
    plan = evaluate(answers(state="MD", employer_plan_funding="government", government_employer="federal",
                            current_therapy="pump", current_pump_years=5, denial="prior_authorization",
                            denial_date="2026-10-28", denial_reason="too_soon_to_replace"), AS_OF, book)
    assert "Medicare" not in step(plan, "fix_too_soon").detail


def test_georgia_pathways_names_the_80_hours_and_the_monthly_report(book):
    plan = evaluate(answers(state="GA", coverage="uninsured", age=35, household_size=1, annual_income=12000),
                    AS_OF, book)
    detail = step(plan, "georgia_pathways_apply").detail
    assert "80 hours" in detail and "17th" in detail
    assert not any("no premium tax credit and adults usually do not qualify" in w for w in plan.warnings)


def test_va_denial_is_a_clinical_appeal_through_the_patient_advocate(book):
    plan = evaluate(answers(state="CO", coverage="va", age=45, denial="prior_authorization",
                            denial_date="2026-11-10"), AS_OF, book)
    review = step(plan, "va_review")
    assert "clinical appeal" in review.detail and "patient advocate" in review.detail
    assert any("clinical-appeals" in (c.url or "") for c in review.contacts)
    assert review.deadline is None


def _appeal_letter(book, letter_id="internal_appeal", **overrides):
    from navigator.services import letters

    data = answers(denial="prior_authorization", denial_date="2026-11-12", **overrides)
    plan = evaluate(data, AS_OF, book)
    return str(letters.render_letter(letter_id, data, {}, plan, book))


def test_appeal_letters_name_the_appeal_rules_of_each_coverage(book):
    chip = _appeal_letter(book, state="GA", coverage="chip", age=9, annual_income=70000)
    assert "457.1260" in chip and "147.136" not in chip
    medicaid = _appeal_letter(book, "medicaid_plan_appeal", state="OH", coverage="medicaid", age=9,
                              annual_income=30000)
    assert "438.402" in medicaid and "147.136" not in medicaid
    employer = _appeal_letter(book, state="OH", employer_plan_funding="self_funded")
    assert "147.136" in employer and "2560.503-1" in employer
