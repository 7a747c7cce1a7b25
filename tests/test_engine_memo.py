"""The engine's memo (navigator/engine/memo.py) shares outputs between plans: a plan made after
many others must be byte for byte the plan made alone, in every language."""
from datetime import date

import orjson
import pytest

from navigator.engine import evaluate, memo
from navigator.engine.document import plan_document, plan_document_json
from navigator.engine.rules_i18n import RulesTranslation
from tests.answers import answers

AS_OF = date(2026, 11, 23)

# People who differ in what single steps read: state, pump, coverages, the denial date a deadline
# counts from, the years on a pump, days of supplies left, the Medicare start date (a birth date
# near 65), income (fpl_percent), and a second coverage.
PEOPLE = [
    answers(),
    answers(employer_plan_funding="fully_insured"),
    answers(state="TX", employer_plan_funding="fully_insured"),
    answers(state="CA", pump_wanted="omnipod_5"),
    answers(state="CA", pump_wanted="undecided", annual_income=18000),
    answers(state="AK", coverage="medicaid", pump_wanted="minimed_780g"),
    answers(state="AK", coverage="medicaid", pump_wanted="tslim_x2", household_size=5),
    answers(denial="claim", denial_date="2026-10-01"),
    answers(denial="claim", denial_date="2026-06-01"),
    answers(denial="appeal", denial_date="2026-11-20", coverage="marketplace"),
    answers(current_therapy="pump", current_pump_years=2, pump_warranty="expired"),
    answers(current_therapy="pump", current_pump_years=6, pump_warranty="expired"),
    answers(supplies_days_left=2),
    answers(supplies_days_left=5),
    answers(coverage="employer", age=64, birth_date="1962-03-15"),
    answers(coverage="employer", age=64, birth_date="1962-05-02"),
    answers(coverage="medicare_original", age=70, also_medicaid=True, other_coverage="va"),
    answers(coverage="medicare_original", age=70, also_medicaid=False,
            other_coverage="tricare_for_life"),
    answers(coverage="uninsured", tribal_member=True, state="NM"),
    answers(coverage="uninsured", tribal_member=False, state="NM"),
]


def _output(person, lang, book) -> bytes:
    plan = evaluate(person, AS_OF, book, lang=lang)
    document = orjson.dumps(plan_document(plan))
    assert plan_document_json(plan) == document     # the batch writer's bytes, put together
    return plan.model_dump_json().encode() + document


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_plan_made_after_others_is_the_plan_made_alone(book, lang):
    alone = []
    for person in PEOPLE:
        memo.clear()
        alone.append(_output(person, lang, book))
    for _round in range(2):     # the second round reads every output from the memo
        after_others = [_output(person, lang, book) for person in PEOPLE]
        assert after_others == alone
    assert len(set(alone)) == len(PEOPLE)       # the people do differ


def test_the_memo_stays_within_its_size_and_starts_over(book, monkeypatch):
    monkeypatch.setattr(memo, "CACHE_SIZE", 40)
    memo.clear()
    first = [_output(person, "en", book) for person in PEOPLE]
    assert len(memo._outputs) <= 40
    assert [_output(person, "en", book) for person in PEOPLE] == first


def test_a_reloaded_catalogue_is_read_again(book):
    """Outputs are kept per translation object, not per language code: a catalogue edited and
    reloaded (a new RulesTranslation for "es") changes the plan at once."""
    person = answers(coverage="uninsured")
    english = evaluate(person, AS_OF, book)
    step = next(rule.steps[0] for rule in book.rules if rule.id == english.trace[0])
    program = book.programs[english.programs[0].id]
    words = {step.title.source: "Primera", program.how_to_apply.text: "Llame primero"}
    first = evaluate(person, AS_OF, book, lang=RulesTranslation("es", words))
    words = {step.title.source: "Segunda", program.how_to_apply.text: "Llame después"}
    second = evaluate(person, AS_OF, book, lang=RulesTranslation("es", words))
    assert "Primera" in [s.title for s in first.steps]
    assert "Segunda" in [s.title for s in second.steps]
    assert first.programs[0].how_to_apply == "Llame primero"
    assert second.programs[0].how_to_apply == "Llame después"
