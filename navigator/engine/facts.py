"""Facts: the answers plus what the engine derives from them, the state and the pump catalogue.

Conditions in the rules are written over these names; `FACT_TYPES` types them for the loader.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from navigator.engine import memo
from navigator.engine.answers import FIELDS, MEDICARE
from navigator.engine.conditions import FactType

if TYPE_CHECKING:
    from navigator.engine.loader import RuleBook

DERIVED_TYPES: dict[str, FactType] = {
    "pump_channel": FactType("enum", ("dme", "pharmacy", "unknown")),
    "pump_tubed": FactType("bool"),
    "medicare_route": FactType("enum", ("part_b_dme", "part_d", "unknown")),
    "fpl_percent": FactType("number"),
    "medicaid_expansion": FactType("bool"),
    "medicaid_income_screen": FactType("enum", ("likely", "unlikely", "unknown")),
    "under_epsdt_age": FactType("bool"),
    "under_medicare_age": FactType("bool"),
    "state_insulin_copay_cap": FactType("bool"),
    "state_emergency_insulin_refill": FactType("bool"),
    "state_copay_accumulator_ban": FactType("enum", ("yes", "no", "unknown")),
    "federal_program": FactType("bool"),
    "days_since_denial": FactType("int"),
    "plan_month": FactType("int"),
    "open_enrollment": FactType("bool"),
    "state_marketplace": FactType("enum", ("none", "own_window", "window_unknown")),
    "extra_help_status": FactType("enum", ("has", "likely", "unlikely", "unknown")),
    "msp_screen": FactType("enum", ("has", "qmb", "slmb", "qi", "above", "unknown")),
    "january_start_open": FactType("bool"),
    "medicare_open_enrollment": FactType("bool"),
    "ma_open_enrollment": FactType("bool"),
    "turns_65_within_year": FactType("bool"),
    "medicare_start_date": FactType("date"),
    "chip_appeal_route": FactType("enum", ("medicaid_fair_hearing", "plan_then_external_review",
                                           "unknown")),
    "chip_external_review_days_known": FactType("bool"),
    "state_external_review": FactType("bool"),
    "cgm_pump_match": FactType("enum", ("yes", "no", "no_cgm", "unknown")),
}
# Help with Medicare costs that brings Extra Help with it (full Medicaid, a Medicare Savings
# Program, SSI): Social Security treats these people as eligible without an application.
MSP_LEVELS = ("qmb", "slmb", "qi")
SSI_ANSWERS = ("ssi", "ssdi_and_ssi")



def fact_types(pump_ids: tuple[str, ...] = ()) -> dict[str, FactType]:
    """The type of every field a condition may name; the pump answer allows the catalogue's ids."""
    types = {name: FactType(spec.kind, spec.choices(pump_ids)) for name, spec in FIELDS.items()}
    types.update(DERIVED_TYPES)
    # A date answer is kept as ISO text in the answers, but compared as a date.
    types["denial_date"] = FactType("date")
    types["birth_date"] = FactType("date")
    return types


# The names (and all types but the pump answer's values), for checks that need no catalogue.
FACT_TYPES: dict[str, FactType] = fact_types()

def fpl_percent(book: RuleBook, state: str, household_size: int, income: float | None,
                on: date) -> float | None:
    if income is None:
        return None
    table = {"AK": "fpl.alaska", "HI": "fpl.hawaii"}.get(state, "fpl.contiguous")
    row = book.parameter(table, on)
    guideline = row["first_person"] + row["each_additional"] * (household_size - 1)
    return round(income * 100 / guideline, 1)


def medicaid_income_screen(state_limits: Any, age: int, household_size: int,
                           percent: float | None, pregnant: bool | None = None, *,
                           child_age_limit: int, medicare_age: int,
                           on_medicare: bool = False) -> str:
    """Income alone against the state's published limit for someone of this age (and pregnancy).
    `child_age_limit`: the age under which the children's limit applies (parameter
    medicaid.child_age_limit); `medicare_age`: the age Medicare starts (medicare.entitlement_age).

    The state files hold the children's, parents', pregnancy and expansion adults' limits. The
    expansion adult group ends at 64 and excludes people entitled to Medicare; Medicaid for people
    65 or older or on Medicare follows the aged, blind and disabled rules, whose limits the files do
    not hold, so for them the screen is unknown (never "likely" on the adults' limit).
    """
    if percent is None or on_medicare or age >= medicare_age:
        return "unknown"
    if age < child_age_limit:
        limit = state_limits.children
    else:
        candidates = [state_limits.adults]
        if household_size > 1:
            candidates.append(state_limits.parents)
        if pregnant:
            candidates.append(state_limits.pregnant)
        known = [c for c in candidates if c is not None]
        limit = max(known) if known else None
    if limit is None:
        return "unknown"
    return "likely" if percent <= limit else "unlikely"


def extra_help_status(book: RuleBook, answers: dict[str, Any], percent: float | None,
                      on: date) -> str | None:
    """Extra Help for a Medicare user: already has it (or gets it automatically), or income
    against the limit, and savings against the resource limit when the person gave them."""
    if answers["coverage"] not in MEDICARE:
        return None
    if (answers.get("extra_help") == "yes" or answers.get("medicare_savings_program") in MSP_LEVELS
            or answers.get("also_medicaid") or answers.get("disability_benefit") in SSI_ANSWERS):
        return "has"
    if over_lis_resource_limit(book, answers, on):
        return "unlikely"
    if percent is None:
        return "unknown"
    return "likely" if percent <= book.parameter("lis.income_limit_pct_fpl", on) else "unlikely"


def over_lis_resource_limit(book: RuleBook, answers: dict[str, Any], on: date) -> bool:
    """Savings above Extra Help's limit. A household of two or more is held to the couple limit,
    the higher one, so a single person living with family is never turned away by this screen."""
    savings = answers.get("savings")
    if savings is None:
        return False
    limit = ("lis.resource_limit_single_usd" if answers["household_size"] == 1
             else "lis.resource_limit_couple_usd")
    return savings > book.parameter(limit, on)


def msp_screen(book: RuleBook, answers: dict[str, Any], on: date) -> str | None:
    """The Medicare Savings Program a Medicare user's income points to (federal floor; a state may
    be more generous). Countable income is yearly income less twelve monthly disregards."""
    if answers["coverage"] not in MEDICARE:
        return None
    if answers.get("medicare_savings_program") in MSP_LEVELS:
        return "has"
    income = answers["annual_income"]
    if income is None:
        return "unknown"
    countable = max(0.0, income - 12 * book.parameter("msp.income_disregard_usd_month", on))
    percent = fpl_percent(book, answers["state"], answers["household_size"], countable, on)
    for level in MSP_LEVELS:
        if percent <= book.parameter(f"msp.{level}_income_pct_fpl", on):
            return level
    return "above"


def window_dates(window: dict, plan_year: int) -> tuple[date, date]:
    """First and last day of a yearly window for the plan year it serves. The start falls in
    the plan year plus start_year_offset (-1: the autumn before); the end follows the start."""
    start = date(plan_year + int(window["start_year_offset"]), int(window["start_month"]),
                 int(window["start_day"]))
    end = date(start.year, int(window["end_month"]), int(window["end_day"]))
    if end < start:                       # the window crosses New Year
        end = date(start.year + 1, end.month, end.day)
    return start, end


def next_window(book: RuleBook, name: str, on: date) -> tuple[date, date]:
    """The window (first day, last day) that is open on `on`, or else the next one. A window
    parameter is keyed by plan year: its value on January 1 of a plan year is that year's window.
    Every plan asks for a few windows on its date: they are worked out once (memo.py)."""
    return memo.shared(("window", book.version, name, on), lambda: _next_window(book, name, on))


def _next_window(book: RuleBook, name: str, on: date) -> tuple[date, date]:
    for plan_year in range(on.year - 1, on.year + 3):
        start, end = window_dates(book.parameter(name, date(plan_year, 1, 1)), plan_year)
        if end >= on:
            return start, end
    raise ValueError(f"window {name} has no occurrence after {on}")  # pragma: no cover


def in_window(book: RuleBook, name: str, on: date) -> bool:
    start, end = next_window(book, name, on)
    return start <= on <= end


def _window_open(book: RuleBook, name: str, on: date) -> bool | None:
    """Whether a window parameter is open on the date (None when the rules do not define it)."""
    return in_window(book, name, on) if name in book.parameters else None


def marketplace_window(state: Any, default: str) -> str | None:
    """The open-enrollment window parameter for the state's Marketplace: HealthCare.gov's
    (`default`) unless the state runs its own, whose window may not be known (None)."""
    if state.marketplace is None:
        return default
    return state.marketplace.open_enrollment


def in_open_enrollment(book: RuleBook, on: date, state: Any = None) -> bool:
    """Open enrollment on the person's Marketplace; HealthCare.gov's window stands in for a
    state Marketplace whose own dates are not known (the rules then print no date)."""
    default = "marketplace.open_enrollment"
    window = marketplace_window(state, default) if state is not None else default
    return in_window(book, window or default, on)


def medicare_start(birth: date, medicare_age: int) -> date:
    """Medicare by age starts on the first day of the birthday month, or of the month before
    when the birthday is on the 1st (Medicare counts a birthday from the day before it)."""
    month_start = date(birth.year + medicare_age, birth.month, 1)
    if birth.day == 1:
        return date(month_start.year - (month_start.month == 1), (month_start.month - 2) % 12 + 1, 1)
    return month_start


def turns_65_within_year(answers: dict[str, Any], birth: date | None, on: date,
                         medicare_age: int) -> bool:
    """Whether the person reaches the Medicare age (medicare.entitlement_age) within a year."""
    if answers["coverage"] in MEDICARE:
        return False
    if birth is None:
        return answers["age"] == medicare_age - 1
    day = 28 if (birth.month, birth.day) == (2, 29) else birth.day   # a leap-day birthday
    birthday = date(birth.year + medicare_age, birth.month, day)
    return on < birthday <= on + timedelta(days=365)


def pump_cgm_ids(book: RuleBook, pump: Any) -> frozenset[str] | None:
    """The CGM answers the wanted pump works with (pumps.yaml cgm_answers); None when unknown or
    the pump uses none."""
    if pump is None or not pump.compatible_cgms:
        return None
    names = set(pump.compatible_cgms)
    return frozenset(answer for answer, listed in book.cgm_answers.items() if names & set(listed))


def needs_cgm(pump: Any) -> bool:
    """An automated pump (one with an algorithm, or with a list of CGMs it works with)."""
    return pump is not None and bool(pump.compatible_cgms or pump.algorithm)


def cgm_pump_match(book: RuleBook, answers: dict[str, Any], pump: Any) -> str:
    """Whether the CGM in use works with the wanted (automated) pump. An automated pump needs a
    CGM even when the catalogue does not list which ones (the step then points to the maker)."""
    if not needs_cgm(pump):
        return "unknown"
    if not answers.get("uses_cgm"):
        return "no_cgm"
    fits = pump_cgm_ids(book, pump)
    if fits is None:
        return "unknown"
    cgm = answers.get("cgm_in_use")
    if cgm is None or cgm == "other":
        return "unknown"
    return "yes" if cgm in fits else "no"


def derive(answers: dict[str, Any], as_of: date, book: RuleBook) -> dict[str, Any]:
    medicare_age = book.parameter("medicare.entitlement_age", as_of)
    if answers.get("disability_benefit") is not None and answers["age"] >= medicare_age:
        # Disability benefits lead to Medicare only under the Medicare age: not counted after it.
        answers = {**answers, "disability_benefit": None}
    state = book.states[answers["state"]]
    pump = book.pumps.get(answers["pump_wanted"])
    percent = fpl_percent(book, answers["state"], answers["household_size"],
                          answers["annual_income"], as_of)
    denial_date = answers.get("denial_date")
    denial_day = date.fromisoformat(denial_date) if denial_date else None
    birth_date = answers.get("birth_date")
    birth = date.fromisoformat(birth_date) if birth_date else None
    turning_65 = turns_65_within_year(answers, birth, as_of, medicare_age)
    facts = dict(answers)
    facts.update(
        denial_date=denial_day,
        pump_channel=(pump.channel if pump else None) or "unknown",
        pump_tubed=pump.tubed if pump else None,
        medicare_route=pump.medicare_route if pump else "unknown",
        fpl_percent=percent,
        **state_facts(state),
        medicaid_income_screen=medicaid_income_screen(
            state.medicaid.income_limits_pct_fpl, answers["age"], answers["household_size"],
            percent, answers.get("pregnant"),
            child_age_limit=book.parameter("medicaid.child_age_limit", as_of),
            medicare_age=medicare_age, on_medicare=answers["coverage"] in MEDICARE),
        under_epsdt_age=answers["age"] < book.parameter("epsdt.age_limit", as_of),
        under_medicare_age=answers["age"] < medicare_age,
        federal_program=(book.coverages[answers["coverage"]].federal_program
                         or bool(answers.get("also_medicaid"))),
        days_since_denial=(as_of - denial_day).days if denial_day else None,
        plan_month=as_of.month,
        open_enrollment=(in_open_enrollment(book, as_of, state) if book.uses_open_enrollment
                         else None),
        extra_help_status=(extra_help_status(book, answers, percent, as_of)
                           if book.uses_low_income_screens else None),
        msp_screen=msp_screen(book, answers, as_of) if book.uses_low_income_screens else None,
        january_start_open=_window_open(book, "marketplace.january_start_deadline", as_of),
        medicare_open_enrollment=_window_open(book, "medicare.open_enrollment", as_of),
        ma_open_enrollment=_window_open(book, "medicare_advantage.open_enrollment", as_of),
        turns_65_within_year=turning_65,
        medicare_start_date=medicare_start(birth, medicare_age) if birth and turning_65 else None,
        pump_cgm_ids=pump_cgm_ids(book, pump),
        cgm_pump_match=cgm_pump_match(book, answers, pump),
    )
    return facts


def state_facts(state: Any) -> dict[str, Any]:
    """The derived facts that depend on the state alone (the rules check reads them too)."""
    return {
        "state": state.code,
        "medicaid_expansion": state.medicaid.expansion,
        "state_insulin_copay_cap": state.insulin_copay_cap.law,
        "state_emergency_insulin_refill": state.emergency_insulin_refill is not None,
        "state_copay_accumulator_ban": state.copay_accumulator_ban,
        "chip_appeal_route": state.chip.appeal_route,
        "chip_external_review_days_known": (state.chip.external_review_days is not None
                                            or state.chip.external_review_months is not None),
        "state_external_review": state.external_review is not None,
        "state_marketplace": ("none" if state.marketplace is None
                              else "window_unknown" if state.marketplace.open_enrollment is None
                              else "own_window"),
    }
