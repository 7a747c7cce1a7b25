"""Appeal bodies, clocks and contacts that the rule cases cannot assert: step wording and phones."""
from datetime import date

from navigator.engine import evaluate
from tests.answers import answers

AS_OF = date(2026, 11, 30)


def step(plan, step_id):
    return next(s for s in plan.steps if s.id == step_id)


def test_medicare_advantage_prior_authorization_clock_is_7_days_from_2026(book):
    plan = evaluate(answers(coverage="medicare_advantage", age=70, pump_wanted="tslim_x2"), AS_OF, book)
    detail = step(plan, "ma_prior_authorization").detail
    assert "within 7 days" in detail and "72 hours" in detail and "14 days" not in detail


def test_medicaid_and_chip_prior_authorization_clocks_are_7_days_and_72_hours(book):
    for coverage, step_id in (("medicaid", "medicaid_prior_authorization"),
                              ("chip", "chip_prior_authorization")):
        plan = evaluate(answers(coverage=coverage, age=10, annual_income=30000), AS_OF, book)
        detail = step(plan, step_id).detail
        assert "within 7 days" in detail and "72 hours" in detail


def test_part_d_denial_is_not_forwarded_automatically(book):
    plan = evaluate(answers(coverage="medicare_advantage", age=70, pump_wanted="omnipod_5",
                            denial="claim", denial_date="2026-11-01"), AS_OF, book)
    detail = step(plan, "part_d_redetermination").detail
    assert "does not send your case on" in detail and "ask the independent review entity yourself" in detail


def test_california_imr_names_both_regulators_with_their_phones(book):
    plan = evaluate(answers(state="CA", employer_plan_funding="fully_insured", denial="appeal",
                            denial_date="2026-11-01"), AS_OF, book)
    contacts = {c.name: c.phone for c in step(plan, "private_external_review_state_body").contacts}
    assert contacts["Department of Managed Health Care (DMHC) Help Center"] == "1-888-466-2219"
    assert contacts["California Department of Insurance (CDI)"] == "1-800-927-4357"
    assert "Independent Medical Review" in step(plan, "private_external_review_state_body").title


def test_texas_chip_uses_the_chip_line_not_the_medicaid_hotline(book):
    plan = evaluate(answers(state="TX", coverage="chip", age=9, annual_income=60000), AS_OF, book)
    phones = [c.phone for c in step(plan, "chip_prior_authorization").contacts]
    assert "1-800-964-2777" in phones and "1-800-252-8263" not in phones


def test_regulator_and_ship_phones_reach_the_plan(book):
    plan = evaluate(answers(state="TX", employer_plan_funding="fully_insured"), AS_OF, book)
    assert step(plan, "employer_state_regulator").contacts[0].phone == "800-252-3439"
    medicare = evaluate(answers(state="OH", coverage="medicare_original", age=70), AS_OF, book)
    ship = step(medicare, "medicare_dme_supplier").contacts[0]
    assert ship.name.startswith("OSHIIP") and ship.phone == "1-800-686-1578"


def test_nevada_medicaid_has_no_wrong_phone(book):
    assert book.states["NV"].medicaid.phone is None
    plan = evaluate(answers(state="NV", coverage="medicaid", age=30, annual_income=12000), AS_OF, book)
    contact = step(plan, "medicaid_prior_authorization").contacts[0]
    assert contact.phone is None and contact.url


def test_tricare_step_points_to_military_clinic_counsellors(book):
    plan = evaluate(answers(coverage="tricare", denial="claim", denial_date="2026-11-20"), AS_OF, book)
    assert "Beneficiary Counseling and Assistance Coordinator" in step(plan, "tricare_bcac").title
    assert "within 90 days" in step(plan, "tricare_appeal").detail
