"""The answers contract: valid answers pass, invalid ones give one error per field."""
from datetime import date

import pytest

from navigator.engine import FIELDS, validate_answers
from tests.answers import answers

AS_OF = date(2026, 11, 23)


def errors_for(raw):
    result, errors = validate_answers(raw, AS_OF)
    assert result is None
    return {e.field: e.message for e in errors}


def test_valid_answers_pass_and_optional_fields_default_to_none():
    result, errors = validate_answers(answers(), AS_OF)
    assert errors == []
    assert result["state"] == "OH"
    assert result["a1c_percent"] is None


@pytest.mark.parametrize("field, value, expected", [
    ("state", "ZZ", "must be one of: AL"),
    ("state", "oh", "must be one of"),
    ("age", 121, "a whole number from 0 to 120"),
    ("age", -1, "a whole number from 0 to 120"),
    ("age", 4.5, "a whole number"),
    ("age", "34", "a whole number"),
    ("age", True, "a whole number"),
    ("coverage", "medicare", "one of: employer, marketplace"),
    ("household_size", 0, "from 1 to 20"),
    ("annual_income", -5, "a number from 0 to"),
    ("annual_income", float("inf"), "a number"),
    ("uses_cgm", "yes", "true or false"),
    ("pump_wanted", "omnipod", "omnipod_5"),
])
def test_bad_values_name_the_field_and_what_is_allowed(field, value, expected):
    messages = errors_for(answers(**{field: value}))
    assert list(messages) == [field]
    assert expected in messages[field]


def test_unknown_fields_are_errors():
    assert "favourite_color" in errors_for({**answers(), "favourite_color": "blue"})


def test_missing_required_fields_each_reported():
    raw = answers()
    del raw["state"], raw["age"]
    assert set(errors_for(raw)) == {"state", "age"}


def test_conditional_fields_required_only_when_they_apply():
    raw = answers(coverage="employer")
    del raw["employer_plan_funding"]
    assert set(errors_for(raw)) == {"employer_plan_funding"}
    medicare = answers(coverage="medicare_original")
    del medicare["medigap"]
    assert set(errors_for(medicare)) == {"medigap"}


def test_fields_that_do_not_apply_are_dropped():
    result, errors = validate_answers(answers(coverage="medicaid", employer_plan_funding="self_funded"), AS_OF)
    assert errors == [] and "employer_plan_funding" not in result


def test_income_may_be_withheld_but_not_left_out():
    result, _ = validate_answers(answers(annual_income=None), AS_OF)
    assert result["annual_income"] is None
    raw = answers()
    del raw["annual_income"]
    assert "null for prefer not to say" in errors_for(raw)["annual_income"]


@pytest.mark.parametrize("value, expected", [
    ("2026-11-24", "cannot be after the plan date"),
    ("11/31/2026", "November 31, 2026 is not a real date"),
    ("2026-02-30", "February 30, 2026 is not a real date"),
    ("2026/11/02", "MM/DD/YYYY"),
    (20261102, "YYYY-MM-DD or MM/DD/YYYY"),
])
def test_denial_date_checks(value, expected):
    assert expected in errors_for(answers(denial="claim", denial_date=value))["denial_date"]


def test_denial_date_required_with_a_denial():
    raw = answers(denial="claim")
    del raw["denial_date"]
    assert "denial_date" in errors_for(raw)


def test_not_an_object():
    assert errors_for([1, 2]) == {"answers": "must be a JSON object of answer fields"}


def test_every_field_describes_what_is_allowed():
    for spec in FIELDS.values():
        assert spec.describe()
