"""Dated windows, policy dates and passed deadlines (issue 13 item 2): the engine's arithmetic, the
rules-format checks for the new deadline forms, and how the calendar file and the plan page show
them. Rule-level cases with hand-computed dates are in rules/tests/dates.yaml and stage.yaml."""
import shutil
from datetime import UTC, date, datetime, time

import pytest
from icalendar import Calendar

from navigator import clock
from navigator.engine import evaluate, validate_answers
from navigator.engine.facts import medicare_start, next_window, window_dates
from navigator.engine.loader import RulesInvalid, load_rulebook
from navigator.engine.textplan import plan_as_text
from navigator.services.calendar import deadlines_calendar
from tests.answers import answers

MEDICARE_OE = {"start_month": 10, "start_day": 15, "end_month": 12, "end_day": 7,
               "start_year_offset": -1}
MARKETPLACE_OE = {"start_month": 11, "start_day": 1, "end_month": 1, "end_day": 15,
                  "start_year_offset": -1}


def _plan(book, as_of, **overrides):
    valid, errors = validate_answers(answers(**overrides), as_of)
    assert not errors, errors
    return evaluate(valid, as_of, book)


# --- the arithmetic --------------------------------------------------------------------------

def test_a_window_is_placed_by_its_plan_year():
    assert window_dates(MEDICARE_OE, 2027) == (date(2026, 10, 15), date(2026, 12, 7))
    assert window_dates(MARKETPLACE_OE, 2027) == (date(2026, 11, 1), date(2027, 1, 15))
    january = {"start_month": 1, "start_day": 1, "end_month": 3, "end_day": 31,
               "start_year_offset": 0}
    assert window_dates(january, 2027) == (date(2027, 1, 1), date(2027, 3, 31))


@pytest.mark.parametrize("on, expected", [
    (date(2026, 10, 14), (date(2026, 10, 15), date(2026, 12, 7))),   # before: the coming one
    (date(2026, 12, 7), (date(2026, 10, 15), date(2026, 12, 7))),    # last day: still this one
    (date(2026, 12, 8), (date(2027, 10, 15), date(2027, 12, 7))),    # after: next year's
])
def test_next_window_is_the_open_one_or_the_next(book, on, expected):
    assert next_window(book, "medicare.open_enrollment", on) == expected


def test_marketplace_window_across_new_year(book):
    assert next_window(book, "marketplace.open_enrollment", date(2027, 1, 10)) == (
        date(2026, 11, 1), date(2027, 1, 15))
    assert next_window(book, "marketplace.open_enrollment", date(2027, 1, 16)) == (
        date(2027, 11, 1), date(2028, 1, 15))


@pytest.mark.parametrize("birth, start", [
    (date(1962, 3, 20), date(2027, 3, 1)),
    (date(1962, 4, 1), date(2027, 3, 1)),      # a birthday on the 1st counts as the month before
    (date(1962, 1, 1), date(2026, 12, 1)),     # ... across New Year
    (date(1962, 2, 28), date(2027, 2, 1)),
])
def test_medicare_starts_on_the_first_of_the_birthday_month(book, birth, start):
    assert medicare_start(birth, book.parameter("medicare.entitlement_age", birth)) == start


def test_the_medicare_age_is_a_dated_parameter_from_the_statute(book):
    spec = book.parameters["medicare.entitlement_age"]
    assert spec.verified and spec.values == {date(1966, 7, 1): 65}
    assert book.parameter("medicare.entitlement_age", date(2026, 12, 1)) == 65
    # Social Security Act 226(a) and 1836 (42 U.S.C. 426, 1395o), read in official text copies.
    assert {"usc_42_426_entitlement_part_a", "ssa_act_sec_1836_42usc1395o"} <= set(spec.sources)


def test_a_birth_date_must_match_the_age():
    _answers, errors = validate_answers(answers(age=64, birth_date="1970-05-05"), date(2026, 11, 30))
    assert [e.field for e in errors] == ["birth_date"]
    assert "age 56" in errors[0].message and "64" in errors[0].message
    _answers, errors = validate_answers(answers(age=64, birth_date="1962-03-20"), date(2026, 11, 30))
    assert errors == []


# --- the plan, the text, the calendar ----------------------------------------------------------

def test_a_passed_appeal_deadline_says_so_and_what_can_be_done(book):
    plan = _plan(book, date(2026, 11, 30), denial="prior_authorization", denial_date="2026-05-20")
    deadline = next(d for d in plan.deadlines if d.id == "private_internal_appeal")
    assert deadline.date == date(2026, 11, 16) and deadline.kind == "appeal"
    assert "have passed" in deadline.passed and "new prior-authorization request" in deadline.passed
    step = next(s for s in plan.steps if s.id == "private_internal_appeal")
    assert step.deadline_passed == deadline.passed
    text = plan_as_text(plan)
    assert "November 16, 2026 (passed)" in text
    assert "(16 days left)" not in text


def test_open_deadlines_come_before_passed_ones(book):
    plan = _plan(book, date(2026, 11, 30), coverage="medicare_original", age=70, medigap=True,
                 denial="claim", denial_date="2026-07-01", c_peptide_qualifies="yes")
    kinds = [(d.id, d.passed is not None) for d in plan.deadlines]
    assert kinds.index(("medicare_redetermination", True)) > kinds.index(
        ("medicare_open_enrollment", False))
    assert all(not passed for _id, passed in kinds[:kinds.index(("medicare_redetermination", True))])


def test_the_calendar_leaves_out_passed_dates_and_names_policy_starts(book):
    plan = _plan(book, date(2026, 11, 30), coverage="medicare_original", age=70, medigap=False,
                 denial="claim", denial_date="2026-07-01", c_peptide_qualifies="yes",
                 pump_wanted="tslim_x2")
    events = {str(e["summary"]): e for e in Calendar.from_ical(deadlines_calendar(plan)).walk("VEVENT")}
    assert not any("redetermination" in summary.lower() for summary in events)
    assert "Last day: Medicare open enrollment ends" in events
    assert events["Last day: Medicare open enrollment ends"].decoded("dtstart") == date(2026, 12, 7)
    bidding = events["Starts: Medicare competitive bidding for pumps and CGMs (target date)"]
    assert bidding.decoded("dtstart") == date(2028, 1, 1)


def test_a_window_not_yet_open_shows_its_first_day(book):
    plan = _plan(book, date(2027, 1, 16), coverage="marketplace")
    deadline = next(d for d in plan.deadlines if d.id == "marketplace_next_enrollment")
    assert (deadline.kind, deadline.opens, deadline.date) == (
        "window", date(2027, 11, 1), date(2028, 1, 15))
    assert "opens November 1, 2027" in plan_as_text(plan)
    assert "Opens 2027-11-01." in deadlines_calendar(plan).decode().replace("\r\n ", "")


def _at(day: date):
    """The app's clock (navigator/clock.py) at noon Eastern on `day`."""
    return lambda: datetime.combine(day, time(17, 0), tzinfo=UTC)


AFTER_DEADLINE = date(2027, 3, 20)     # after 2027-03-07: the redetermination date has passed
IN_OPEN_ENROLLMENT = date(2026, 11, 30)  # in Medicare open enrollment, before the redetermination


def test_the_plan_page_shows_days_left_and_open_windows(app, client, monkeypatch):
    from tests.test_questionnaire import MEDICARE_JOURNEY, walk
    monkeypatch.setattr(clock, "utc_now", _at(IN_OPEN_ENROLLMENT))   # answered on that day
    walk(client, MEDICARE_JOURNEY)
    page = client.get("/plan").data.decode()
    # The journey's Medicare claim was denied on 2026-11-02: 125 days run to 2027-03-07, open.
    assert "Deadlines and dates" in page
    assert "Passed on" not in page
    assert "97 days left" in page                    # 2026-11-30 -> 2027-03-07
    assert "Medicare open enrollment ends" in page and "7 days left" in page


def test_the_plan_page_says_a_deadline_passed(app, client, monkeypatch):
    from tests.test_questionnaire import MEDICARE_JOURNEY, walk
    walk(client, MEDICARE_JOURNEY)
    monkeypatch.setattr(clock, "utc_now", _at(AFTER_DEADLINE))
    page = client.get("/plan").data.decode()
    assert "Passed on March 7, 2027" in page
    assert "good cause" in page


# --- the rules format ------------------------------------------------------------------------

@pytest.fixture
def rules_copy(tmp_path):
    root = tmp_path / "rules"
    shutil.copytree(load_rulebook.__globals__["DEFAULT_RULES_DIR"], root)
    return root


def _break(root, file, old, new):
    path = root / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("file, old, new, message", [
    ("plan/70_dates.yaml", "{window: medicare.open_enrollment,",
     "{window: medicare.redetermination_days,", "is in days, not window"),
    ("plan/70_dates.yaml", "{change: medicaid.retroactive_cut, day_before: true,",
     "{window: medicare.open_enrollment, day_before: true,", "day_before goes with change"),
    ("plan/05_stage.yaml", "{from: medicare_start, months: -3,",
     "{from: denial_date, months: -3,", "negative days or months only count back"),
    ("plan/70_dates.yaml", "when: {field: medicare_open_enrollment, equals: true}",
     "when: {field: medicare_open_enrolment, equals: true}", "unknown field"),
    ("parameters/dates.yaml", "2025-07-04: 2027-01-01\n    sources: [nc_medicaid_hr1_changes]",
     "2025-07-04: 12\n    sources: [nc_medicaid_hr1_changes]", "unit date takes a date"),
    ("parameters/dates.yaml", "start_year_offset: 0}", "start_year: 0}", "a window needs exactly"),
])
def test_bad_dated_rules_are_named(rules_copy, file, old, new, message):
    _break(rules_copy, file, old, new)
    with pytest.raises(RulesInvalid) as error:
        load_rulebook(rules_copy)
    assert message in str(error.value)


# --- the questions ---------------------------------------------------------------------------

@pytest.mark.parametrize("answers_so_far, shown", [
    ({"age": 64, "coverage": "employer"}, True),
    ({"age": 64, "coverage": "uninsured"}, True),
    ({"age": 63, "coverage": "employer"}, False),
    ({"age": 64, "coverage": "medicare_original"}, False),
])
def test_date_of_birth_is_asked_only_at_64_and_not_on_medicare(answers_so_far, shown):
    from navigator.questionnaire import load_questionnaire
    from tests.test_questionnaire import QUESTIONS
    page = load_questionnaire(QUESTIONS).page("turning_65")
    assert page.is_shown(answers_so_far) is shown


def test_stage_questions_are_optional_and_asked_only_when_they_apply(book):
    as_of = date(2026, 11, 30)
    # Blank stage answers still give a plan; the denial questions drop without a denial.
    valid, errors = validate_answers(answers(denied_by="plan", denial_reason="lab_test",
                                             pump_warranty="expired"), as_of)
    assert errors == []
    assert valid["denied_by"] is None and valid["denial_reason"] is None
    assert valid["pump_warranty"] is None          # no pump in use: not asked
    _valid, errors = validate_answers(answers(supplies_days_left=-1, pregnant="yes"), as_of)
    assert sorted(e.field for e in errors) == ["pregnant", "supplies_days_left"]
