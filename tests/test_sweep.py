"""Every coverage x every state x a spread of people: every plan is complete and sourced.
Plus property tests: any valid answers give a valid plan; any invalid answers give field errors."""
from datetime import date, timedelta
from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from navigator.engine import FIELDS, evaluate, validate_answers
from navigator.engine.answers import COVERAGES, STATES
from navigator.engine.loader import default_rulebook
from navigator.engine.plan import Plan

AS_OF = date(2026, 11, 23)
# The research found no appeal deadline for these programs: their plans say to use the date on
# the notice instead of showing an invented one.
NO_SOURCED_APPEAL_DEADLINE = {"va", "ihs"}


def has_sourced_deadline(book, state: str, coverage: str, denial: str) -> bool:
    """Whether the data holds a checked deadline for this denial. None is known for VA and IHS,
    for a TRICARE review after reconsideration, or for the external review after a separate CHIP
    program's plan appeal (the plan's decision gives the date)."""
    if coverage in NO_SOURCED_APPEAL_DEADLINE or denial == "none":
        return False
    separate_chip = (coverage == "chip"
                     and book.states[state].chip.appeal_route == "plan_then_external_review")
    return not (denial == "appeal" and (coverage == "tricare" or separate_chip))
PEOPLE = [  # (age, diabetes_type, income, household, pump, denial)
    (4, "type1", 30000, 4, "omnipod_5", "none"),
    (15, "type1", None, 3, "tslim_x2", "prior_authorization"),
    (20, "type1", 90000, 2, "undecided", "claim"),
    (45, "type2", 18000, 1, "minimed_780g", "appeal"),
    (67, "type2", 41000, 2, "mobi", "claim"),
    (80, "other", 250000, 1, "omnipod_dash", "none"),
]


def complete_answers(state, coverage, person):
    age, kind, income, household, pump, denial = person
    data = {"state": state, "age": age, "diabetes_type": kind, "coverage": coverage,
            "household_size": household, "annual_income": income, "current_therapy": "injections",
            "pump_wanted": pump, "uses_cgm": age % 2 == 0, "denial": denial}
    if coverage == "employer":
        data["employer_plan_funding"] = ("fully_insured", "self_funded", "government", "unknown")[age % 4]
    if coverage == "medicare_original":
        data["medigap"] = age > 50
    if coverage in ("employer", "marketplace", "individual", "medicare_original", "medicare_advantage"):
        data["also_medicaid"] = income is not None and income < 20000
    if denial != "none":
        data["denial_date"] = (AS_OF - timedelta(days=age % 40)).isoformat()
    return data


def test_exhaustive_sweep(book):
    count = 0
    for state, coverage, person in product(STATES, COVERAGES, PEOPLE):
        answers = complete_answers(state, coverage, person)
        plan = evaluate(answers, AS_OF, book)
        label = f"{state}/{coverage}/{person}"
        assert len(plan.steps) >= 3, label
        for step in plan.steps:
            assert step.sources, f"{label}: step {step.id} has no source"
        for program in plan.programs:
            assert program.sources, f"{label}: program {program.id} has no source"
            if book.coverages[coverage].federal_program and program.kind == "copay_card":
                assert program.eligible is False, f"{label}: {program.id}"
        if has_sourced_deadline(book, state, coverage, person[5]):
            assert plan.deadlines, f"{label}: a denial but no deadline"
        if person[5] != "none":
            assert "read_denial_notice" in [s.id for s in plan.steps], label
        count += 1
    assert count == 51 * 11 * len(PEOPLE)


def _value_for(spec):
    if spec.kind == "enum":
        return st.sampled_from(spec.choices(tuple(default_rulebook().pumps)))
    if spec.kind == "bool":
        return st.booleans()
    if spec.kind == "date":
        return st.dates(min_value=date(1990, 1, 1), max_value=AS_OF).map(date.isoformat)
    if spec.kind == "int":
        return st.integers(int(spec.minimum), int(spec.maximum))
    return st.floats(spec.minimum, spec.maximum, allow_nan=False)


@st.composite
def valid_answers(draw):
    data = {}
    for name, spec in FIELDS.items():
        if spec.required is None and draw(st.booleans()):
            continue
        data[name] = draw(_value_for(spec))
    if "birth_date" in data:    # a birth date must give the age answered
        born = AS_OF - timedelta(days=draw(st.integers(0, 364)))
        data["birth_date"] = born.replace(year=born.year - data["age"]).isoformat() \
            if (born.month, born.day) != (2, 29) else date(born.year - data["age"], 3, 1).isoformat()
    return data


@settings(max_examples=300, deadline=None)
@given(valid_answers())
def test_any_valid_answers_give_a_valid_plan(raw):
    book = default_rulebook()
    answers, errors = validate_answers(raw, AS_OF)
    assert errors == []
    plan = evaluate(answers, AS_OF, book)
    Plan.model_validate(plan.model_dump(mode="json"))
    assert len(plan.steps) >= 3


hostile = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(),
                    st.text(max_size=50), st.lists(st.integers(), max_size=3),
                    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


@settings(max_examples=400, deadline=None)
@given(valid_answers(), st.sampled_from(sorted(FIELDS) + ["not_a_field"]), hostile)
def test_any_invalid_answers_give_field_errors_not_exceptions(raw, field, value):
    book = default_rulebook()
    raw = {**raw, field: value}
    answers, errors = validate_answers(raw, AS_OF)
    if errors:
        assert answers is None
        assert all(e.field and e.message for e in errors)
    else:
        evaluate(answers, AS_OF, book)
