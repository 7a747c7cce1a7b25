"""The pharmacist emergency insulin refill in the urgent path: only where a state law is on file,
with that state's limits and law in the words, and a "confirm" note while a limit is unverified."""
from datetime import date

from navigator.engine import evaluate
from tests.answers import answers

AS_OF = date(2026, 12, 1)
URGENT = {"supplies_days_left": 3}


def step(plan, step_id):
    return next((s for s in plan.steps if s.id == step_id), None)


def test_ohio_names_its_limits_and_its_law(book):
    plan = evaluate(answers(state="OH", **URGENT), AS_OF, book)
    refill = step(plan, "urgent_pharmacist_refill")
    assert refill is not None and refill.urgent
    assert "Ohio law lets a pharmacist give insulin without a new prescription" in refill.detail
    assert "up to 30 days of insulin at a time" in refill.detail
    assert "up to 3 emergency refills a year" in refill.detail
    assert "Ohio Revised Code 4729.281" in refill.detail
    # The limits come from a news release, not the statute: the plan says to confirm them.
    assert refill.confirm and "the pharmacist" in refill.confirm
    # It sits in the urgent path, after the insulin programs and before the urgent request.
    ids = [s.id for s in plan.steps]
    assert ids.index("urgent_insulin_now") < ids.index("urgent_pharmacist_refill") < ids.index(
        "urgent_request")


def test_a_state_without_an_optional_limit_leaves_no_gap_in_the_text(book):
    plan = evaluate(answers(state="IL", **URGENT), AS_OF, book)
    detail = step(plan, "urgent_pharmacist_refill").detail
    assert "225 ILCS 85/15.3" in detail
    assert "  " not in detail and detail == detail.strip()


def test_maine_also_names_the_supplies(book):
    detail = step(evaluate(answers(state="ME", **URGENT), AS_OF, book),
                  "urgent_pharmacist_refill").detail
    assert "at least 30 days of insulin, unless you ask for less" in detail
    assert "test strips, but not pump supplies" in detail


def test_no_step_where_no_law_is_on_file_or_nothing_is_urgent(book):
    assert step(evaluate(answers(state="TX", **URGENT), AS_OF, book), "urgent_pharmacist_refill") is None
    assert step(evaluate(answers(state="OH", supplies_days_left=30), AS_OF, book),
                "urgent_pharmacist_refill") is None


def test_the_step_reads_in_spanish(book):
    plan = evaluate(answers(state="OH", **URGENT), AS_OF, book, lang="es")
    detail = step(plan, "urgent_pharmacist_refill").detail
    assert "La ley de Ohio permite que un farmacéutico dé insulina" in detail
    assert "hasta 30 días de insulina cada vez" in detail
