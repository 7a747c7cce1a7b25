"""Facts: the answers plus what the engine derives from them, the state and the pump catalogue.

Conditions in the rules are written over these names; `FACT_TYPES` types them for the loader.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from navigator.engine.answers import FEDERAL_COVERAGES, FIELDS, MEDICARE
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
    "state_insulin_copay_cap": FactType("bool"),
    "state_copay_accumulator_ban": FactType("enum", ("yes", "no", "unknown")),
    "federal_program": FactType("bool"),
    "days_since_denial": FactType("int"),
    "open_enrollment": FactType("bool"),
    "extra_help_status": FactType("enum", ("has", "likely", "unlikely", "unknown")),
    "msp_screen": FactType("enum", ("has", "qmb", "slmb", "qi", "above", "unknown")),
}
# Help with Medicare costs that brings Extra Help with it (full Medicaid, a Medicare Savings
# Program, SSI): Social Security treats these people as eligible without an application.
MSP_LEVELS = ("qmb", "slmb", "qi")
SSI_ANSWERS = ("ssi", "ssdi_and_ssi")

FACT_TYPES: dict[str, FactType] = {
    **{name: FactType(spec.kind, spec.allowed) for name, spec in FIELDS.items()},
    **DERIVED_TYPES,
}
# A date answer is kept as ISO text in the answers, but compared as a date.
FACT_TYPES["denial_date"] = FactType("date")

CHILD_AGE_LIMIT = 19  # Medicaid/CHIP children's income limits apply under 19


def fpl_percent(book: RuleBook, state: str, household_size: int, income: float | None,
                on: date) -> float | None:
    if income is None:
        return None
    table = {"AK": "fpl.alaska", "HI": "fpl.hawaii"}.get(state, "fpl.contiguous")
    row = book.parameter(table, on)
    guideline = row["first_person"] + row["each_additional"] * (household_size - 1)
    return round(income * 100 / guideline, 1)


def medicaid_income_screen(state_limits: Any, age: int, household_size: int,
                           percent: float | None) -> str:
    """Income alone against the state's published limit for someone of this age."""
    if percent is None:
        return "unknown"
    if age < CHILD_AGE_LIMIT:
        limit = state_limits.children
    else:
        candidates = [state_limits.adults]
        if household_size > 1:
            candidates.append(state_limits.parents)
        known = [c for c in candidates if c is not None]
        limit = max(known) if known else None
    if limit is None:
        return "unknown"
    return "likely" if percent <= limit else "unlikely"


def extra_help_status(book: RuleBook, answers: dict[str, Any], percent: float | None,
                      on: date) -> str | None:
    """Extra Help for a Medicare user: already has it (or gets it automatically), or income
    against the limit. Resources are not asked, so "likely" means "income qualifies"."""
    if answers["coverage"] not in MEDICARE:
        return None
    if (answers.get("extra_help") == "yes" or answers.get("medicare_savings_program") in MSP_LEVELS
            or answers.get("also_medicaid") or answers.get("disability_benefit") in SSI_ANSWERS):
        return "has"
    if percent is None:
        return "unknown"
    return "likely" if percent <= book.parameter("lis.income_limit_pct_fpl", on) else "unlikely"


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


def in_open_enrollment(book: RuleBook, on: date) -> bool:
    window = book.parameter("marketplace.open_enrollment", on)
    start = (int(window["start_month"]), int(window["start_day"]))
    end = (int(window["end_month"]), int(window["end_day"]))
    today = (on.month, on.day)
    if start <= end:
        return start <= today <= end
    return today >= start or today <= end   # the window crosses New Year


def derive(answers: dict[str, Any], as_of: date, book: RuleBook) -> dict[str, Any]:
    state = book.states[answers["state"]]
    pump = book.pumps.get(answers["pump_wanted"])
    percent = fpl_percent(book, answers["state"], answers["household_size"],
                          answers["annual_income"], as_of)
    denial_date = answers.get("denial_date")
    denial_day = date.fromisoformat(denial_date) if denial_date else None
    facts = dict(answers)
    facts.update(
        denial_date=denial_day,
        pump_channel=(pump.channel if pump else None) or "unknown",
        pump_tubed=pump.tubed if pump else None,
        medicare_route=pump.medicare_route if pump else "unknown",
        fpl_percent=percent,
        medicaid_expansion=state.medicaid.expansion,
        medicaid_income_screen=medicaid_income_screen(
            state.medicaid.income_limits_pct_fpl, answers["age"], answers["household_size"],
            percent),
        state_insulin_copay_cap=state.insulin_copay_cap.law,
        state_copay_accumulator_ban=state.copay_accumulator_ban,
        federal_program=answers["coverage"] in FEDERAL_COVERAGES or bool(answers.get("also_medicaid")),
        days_since_denial=(as_of - denial_day).days if denial_day else None,
        open_enrollment=in_open_enrollment(book, as_of) if book.uses_open_enrollment else None,
        extra_help_status=(extra_help_status(book, answers, percent, as_of)
                           if book.uses_low_income_screens else None),
        msp_screen=msp_screen(book, answers, as_of) if book.uses_low_income_screens else None,
    )
    return facts
