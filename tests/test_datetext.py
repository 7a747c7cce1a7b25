"""Dates as people type them: one parser for the answers, the question pages and the letters."""
from datetime import date

import pytest

from navigator.engine import validate_answers
from navigator.engine.datetext import DateTextError, parse_date_text
from navigator.services.letters import details_as_typed, validate_details
from tests.answers import answers


@pytest.mark.parametrize("text, expected", [
    ("03/14/2017", date(2017, 3, 14)), ("3/4/2017", date(2017, 3, 4)),
    ("03-14-2017", date(2017, 3, 14)), ("2017-03-14", date(2017, 3, 14)),
    (" 12/31/1999 ", date(1999, 12, 31)), ("02/29/2024", date(2024, 2, 29)),
])
def test_american_and_iso_dates_are_read(text, expected):
    assert parse_date_text(text) == expected


@pytest.mark.parametrize("text, message", [
    ("02/30/2026", "February 30, 2026 is not a real date"),
    ("02/29/2025", "February 29, 2025 is not a real date"),
    ("10/15/26", "needs a 4-digit year, for example 03/14/2017"),
    ("14/03/2017", "has no month 14: write the month first"),
    ("March 14", "must be a date written as MM/DD/YYYY"),
    ("2026-13-01", "has no month 13"),
])
def test_each_mistake_gets_its_own_message(text, message):
    with pytest.raises(DateTextError, match=message):
        parse_date_text(text)


def test_answers_take_a_us_date_and_keep_it_iso():
    valid, errors = validate_answers(answers(denial="claim", denial_date="11/02/2026"),
                                     date(2026, 11, 23))
    assert not errors and valid["denial_date"] == "2026-11-02"
    _, errors = validate_answers(answers(denial="claim", denial_date="02/30/2026"),
                                 date(2026, 11, 23))
    assert [(e.field, e.message) for e in errors] == [
        ("denial_date", "February 30, 2026 is not a real date")]


def test_letter_details_take_a_us_date_of_birth_and_show_it_back_that_way():
    clean, errors = validate_details({"date_of_birth": "03/14/2017"}, date(2026, 11, 23))
    assert not errors and clean == {"date_of_birth": "2017-03-14"}
    assert details_as_typed(clean) == {"date_of_birth": "03/14/2017"}
    _, errors = validate_details({"date_of_birth": "10/15/26"}, date(2026, 11, 23))
    assert errors[0].field == "date_of_birth" and "4-digit year" in errors[0].message

