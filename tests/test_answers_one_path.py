"""One validation path: the answers contract parses typed values for the question pages and
the letter details, and `evaluate` does not check answers the contract already accepted."""
from __future__ import annotations

import importlib
import pickle
from datetime import date

import pytest

from navigator.engine import (
    Answers,
    AnswersInvalid,
    ValueProblem,
    evaluate,
    parse_typed,
    plan_for,
    validate_answers,
)
from navigator.services.letters import validate_details
from tests.answers import answers

AS_OF = date(2026, 12, 1)
# The module (the package's `evaluate` attribute is the function).
evaluate_module = importlib.import_module("navigator.engine.evaluate")


@pytest.mark.parametrize(("field", "typed", "money", "value"), [
    ("annual_income", "62,000", True, 62000.0),
    ("annual_income", "$62,000.50", True, 62000.5),
    ("household_size", " 3 ", False, 3),
    ("a1c_percent", "7.5", False, 7.5),
    ("denial_date", "11/02/2026", False, "2026-11-02"),
    ("denial_date", "2026-11-02", False, "2026-11-02"),
])
def test_typed_text_becomes_the_contracts_value(field, typed, money, value):
    parsed = parse_typed(field, typed, AS_OF, money=money)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(("field", "typed", "reason", "words"), [
    ("household_size", "2.5", "type", "a whole number from 1 to 20"),
    ("household_size", "21", "range", "a whole number from 1 to 20"),
    ("household_size", "three", "type", "a whole number from 1 to 20"),
    ("annual_income", "$62,000", "type", "a number from 0 to 100000000"),   # $ only for money
    ("denial_date", "12/02/2026", "after_plan_date", "after the plan date (2026-12-01)"),
    ("denial_date", "02/30/2026", "date_text", "February 30, 2026 is not a real date"),
    ("denial_date", "01/01/1989", "before_earliest", "1990 or later"),
])
def test_typed_text_is_refused_with_the_reason_and_what_is_allowed(field, typed, reason, words):
    with pytest.raises(ValueProblem) as refused:
        parse_typed(field, typed, AS_OF)
    assert refused.value.reason == reason and words in str(refused.value)


def test_a_json_answer_and_a_typed_one_get_the_same_message():
    _none, errors = validate_answers(answers(household_size=21), AS_OF)
    with pytest.raises(ValueProblem) as typed:
        parse_typed("household_size", "21", AS_OF)
    assert [e.message for e in errors] == [str(typed.value)]


def test_letter_details_use_the_contracts_dates():
    clean, errors = validate_details({"date_of_birth": "03/14/2017"}, AS_OF)
    assert errors == [] and clean == {"date_of_birth": "2017-03-14"}
    for typed, words in (("12/01/2026", "must be in the past"), ("02/30/2017", "not a real date"),
                         ("01/01/1899", "1900 or later")):
        _none, errors = validate_details({"date_of_birth": typed}, AS_OF)
        assert errors[0].field == "date_of_birth" and words in errors[0].message


def test_evaluate_checks_raw_answers_once_and_trusts_validated_ones(book, monkeypatch):
    calls = []
    real = evaluate_module.validate_answers

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluate_module, "validate_answers", counting)
    checked, errors = validate_answers(answers(), AS_OF, book)
    assert errors == [] and isinstance(checked, Answers)
    plan = evaluate(checked, AS_OF, book)
    assert calls == []                                  # not validated a second time
    assert evaluate(answers(), AS_OF, book) == plan     # a raw dict: validated, same plan
    assert len(calls) == 1
    # Answers checked for another date are checked again for this one.
    evaluate(checked, date(2026, 12, 2), book)
    assert len(calls) == 2
    with pytest.raises(AnswersInvalid):
        evaluate({**answers(), "age": -1}, AS_OF, book)


def test_validated_answers_cannot_be_changed_behind_the_checks(book):
    checked, _errors = validate_answers(answers(), AS_OF, book)
    with pytest.raises(TypeError, match="read-only"):
        checked["age"] = -1
    with pytest.raises(TypeError):
        checked.update(age=-1)
    copy = pickle.loads(pickle.dumps(checked))
    assert copy == checked and type(copy) is dict        # a copy is checked again


def test_plan_for_gives_the_plan_or_the_errors(book):
    plan, errors = plan_for(answers(), AS_OF, book)
    assert errors == [] and plan is not None and plan.as_of == AS_OF
    plan, errors = plan_for(answers(household_size=0), AS_OF, book)
    assert plan is None and [e.field for e in errors] == ["household_size"]
