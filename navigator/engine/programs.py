"""Whether a person is likely eligible for an assistance program, and why, from its data."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from navigator.engine.answers import FEDERAL_COVERAGES, UNDECIDED
from navigator.engine.schema import CgmSpec, ProgramSpec
from navigator.textformat import us_date

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
           pump_names: Mapping[str, str],
           cgms: Mapping[str, CgmSpec] | None = None) -> tuple[bool | str, str]:
    """(eligible, reason): eligible is True, False or "maybe". `pump_names`: id -> name, from
    the pump catalogue; `cgms`: the CGM answers' names (rules/cgms.yaml).

    Every condition the program's data holds is tested, the definite "no" reasons first; a
    condition that cannot be checked from the answers makes the result at best "maybe"."""
    coverage = facts["coverage"]
    rules = program.eligibility
    if program.status == "closed":
        seen = f" when last checked on {us_date(program.status_checked)}" if program.status_checked else ""
        return False, (f"Closed: the program was not taking new or renewal applications{seen}. "
                       "Funds like this reopen from time to time; check its page before you apply.")
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
    if "medicaid" in rules.coverage_excluded and facts.get("also_medicaid"):
        return False, "The program is not open to people who also have Medicaid."
    if rules.coverage_allowed is not None and coverage not in rules.coverage_allowed:
        allowed = _either([COVERAGE_LABELS[c] for c in rules.coverage_allowed])
        return False, f"The program is only open to people with {allowed}."
    if rules.extra_help_excluded and facts.get("extra_help_status") == "has":
        return False, ("The program is not open to people who get Extra Help (the Low-Income "
                       "Subsidy); with Medicaid, SSI or a Medicare Savings Program you get it.")
    if rules.states and facts["state"] not in rules.states:
        return False, f"The program only serves people in {', '.join(rules.states)}."
    age = facts["age"]
    if rules.age_min is not None and age < rules.age_min:
        return False, f"The program is for people aged {rules.age_min} and over."
    if rules.age_max is not None and age > rules.age_max:
        return False, f"The program is for people aged {rules.age_max} and under."
    if rules.diabetes_types and facts["diabetes_type"] not in rules.diabetes_types:
        return False, "The program does not cover your type of diabetes."
    cgm_reason = _cgm_mismatch(rules.cgms, facts, cgms or {}, pump_names) if rules.cgms else None
    if cgm_reason:
        return False, cgm_reason
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
    if rules.extra_help_excluded and facts.get("extra_help_status") == "likely":
        return "maybe", ("Your income is within Extra Help's limit, and the program is not open to "
                         "people who get Extra Help: apply for Extra Help first, and ask the "
                         "program if you are turned down.")
    if rules.medicaid_eligible_excluded and facts.get("medicaid_income_screen") == "likely":
        return "maybe", ("Your income looks low enough for Medicaid, and the program asks that you "
                         "apply for Medicaid first; ask it after Medicaid decides.")
    if rules.cgms and facts.get("cgm_in_use") in (None, "other"):
        names = _cgm_names(rules.cgms, cgms or {})
        return "maybe", (f"The program is for {names}; you did not say which CGM you use, so "
                         "check that it fits yours.")
    if program.status == "unknown":
        return "maybe", ("Whether the program is taking applications now was not found (some "
                         "funds open and close). Check with it before you apply.")
    if not rules.terms_published or not program.verified:
        return "maybe", ("You may qualify, but the sponsor does not publish all of its terms. "
                         "Ask the program before you rely on it.")
    if rules.income_limit_pct_fpl is not None:
        return True, "You likely qualify: your coverage and income meet the published conditions."
    return True, "You likely qualify: your coverage meets the published conditions."


def _either(words: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _cgm_names(ids: list[str], cgms: Mapping[str, CgmSpec]) -> str:
    return _either([cgms[i].name if i in cgms else i for i in ids])


def _cgm_mismatch(ids: list[str], facts: dict[str, Any], cgms: Mapping[str, CgmSpec],
                  pump_names: Mapping[str, str]) -> str | None:
    """Why a CGM program cannot help: the wanted pump cannot use its CGMs, or another CGM is used."""
    names = _cgm_names(ids, cgms)
    fits = facts.get("pump_cgm_ids")
    if fits is not None and not fits & set(ids):
        pump = pump_names.get(facts["pump_wanted"], "The pump you want")
        return (f"{pump} does not work with {names}, so this program would not help with the "
                "pump you want.")
    cgm = facts.get("cgm_in_use")
    if cgm not in (None, "other") and cgm not in ids:
        used = cgms[cgm].name if cgm in cgms else "another CGM"
        return f"The program is for {names}; you use {used}."
    return None


def _channel(channel: str) -> str:
    return {"dme": "medical equipment (DME) benefit", "pharmacy": "pharmacy benefit"}.get(
        channel, channel)
