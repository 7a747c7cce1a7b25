"""Whether a person is likely eligible for an assistance program, and why, from its data."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from navigator.engine.answers import FEDERAL_COVERAGES, UNDECIDED
from navigator.engine.schema import ProgramSpec

COVERAGE_LABELS = {
    "employer": "an employer plan",
    "marketplace": "a Marketplace plan",
    "individual": "an individual plan",
    "medicare_original": "Original Medicare",
    "medicare_advantage": "a Medicare Advantage plan",
    "medicaid": "Medicaid",
    "chip": "CHIP",
    "tricare": "TRICARE",
    "va": "VA health care",
    "ihs": "Indian Health Service coverage",
    "uninsured": "no insurance",
}


def assess(program: ProgramSpec, facts: dict[str, Any],
           pump_names: Mapping[str, str]) -> tuple[bool | str, str]:
    """(eligible, reason): eligible is True, False or "maybe". `pump_names`: id -> name, from
    the pump catalogue."""
    coverage = facts["coverage"]
    rules = program.eligibility
    if program.kind == "copay_card" and facts["federal_program"]:
        who = COVERAGE_LABELS[coverage] if coverage in FEDERAL_COVERAGES else "Medicaid as well"
        return False, (f"Copay cards cannot be used when you have {who}: the federal "
                       "Anti-Kickback Statute bars manufacturer copay help when a federal health "
                       "program pays any part of the cost.")
    pump = facts["pump_wanted"]
    if rules.pumps and pump != UNDECIDED and pump not in rules.pumps:
        names = ", ".join(pump_names[p] for p in rules.pumps)
        return False, f"This program is only for {names}."
    if coverage in rules.coverage_excluded:
        return False, f"The program is not open to people with {COVERAGE_LABELS[coverage]}."
    if rules.coverage_allowed is not None and coverage not in rules.coverage_allowed:
        allowed = ", ".join(COVERAGE_LABELS[c] for c in rules.coverage_allowed)
        return False, f"The program is only open to people with {allowed}."
    if rules.states and facts["state"] not in rules.states:
        return False, f"The program only serves people in {', '.join(rules.states)}."
    age = facts["age"]
    if rules.age_min is not None and age < rules.age_min:
        return False, f"The program is for people aged {rules.age_min} and over."
    if rules.age_max is not None and age > rules.age_max:
        return False, f"The program is for people aged {rules.age_max} and under."
    if rules.diabetes_types and facts["diabetes_type"] not in rules.diabetes_types:
        return False, "The program does not cover your type of diabetes."
    percent = facts["fpl_percent"]
    if rules.income_limit_pct_fpl is not None:
        limit = rules.income_limit_pct_fpl
        if percent is None:
            return "maybe", (f"The income limit is {limit:g}% of the federal poverty level; "
                             "you did not give your income, so check it with the program.")
        if percent > limit:
            return False, (f"Your household income is about {percent:g}% of the federal poverty "
                           f"level; the program's limit is {limit:g}%.")
    if rules.channel and facts["pump_channel"] not in (rules.channel, "unknown"):
        return "maybe", (f"The program works through the {_channel(rules.channel)}; your plan "
                         f"usually covers this pump through the {_channel(facts['pump_channel'])}. "
                         "Ask the program whether you qualify.")
    if not rules.terms_published or not program.verified:
        return "maybe", ("You may qualify, but the sponsor does not publish all of its terms. "
                         "Ask the program before you rely on it.")
    if rules.income_limit_pct_fpl is not None:
        return True, "You likely qualify: your coverage and income meet the published conditions."
    return True, "You likely qualify: your coverage meets the published conditions."


def _channel(channel: str) -> str:
    return {"dme": "medical equipment (DME) benefit", "pharmacy": "pharmacy benefit"}.get(
        channel, channel)
