"""Whether a person is likely eligible for an assistance program, and why, from its data."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from navigator.engine.answers import UNDECIDED
from navigator.engine.relevance import ALSO_COVERED
from navigator.engine.rules_i18n import ENGLISH, N_, RulesTranslation, format_date
from navigator.engine.schema import CgmSpec, CoverageSpec, ProgramSpec

# Each reason's placeholders (the wording is data: rules/program_reasons.yaml).
REASON_FIELDS: dict[str, frozenset[str]] = {key: frozenset(fields) for key, fields in {
    "closed": {"seen"}, "copay_card_federal": {"who"}, "pumps": {"names"},
    "coverage_excluded": {"coverage"}, "also_medicaid": set(), "coverage_allowed": {"allowed"},
    "extra_help": set(), "states": {"states"}, "age_min": {"age"}, "age_max": {"age"},
    "diabetes_type": set(), "cgm_pump": {"pump", "names"}, "cgm_other": {"names", "used"},
    "income_unknown": {"limit"}, "income_over": {"percent", "limit"},
    "channel": {"program_channel", "pump_channel"}, "extra_help_likely": set(),
    "medicaid_first": set(), "cgm_unnamed": {"names"}, "status_unknown": set(),
    "terms_unpublished": set(), "likely_income": set(), "likely": set(),
}.items()}


def assess(program: ProgramSpec, facts: dict[str, Any], pump_names: Mapping[str, str],
           cgms: Mapping[str, CgmSpec] | None = None,
           reasons: Mapping[str, str] | None = None, *,
           coverages: Mapping[str, CoverageSpec] | None = None,
           tr: RulesTranslation = ENGLISH) -> tuple[bool | str, str]:
    """(eligible, reason): eligible is True, False or "maybe". `pump_names`: id -> name, from
    the pump catalogue; `cgms`: the CGM answers' names (rules/cgms.yaml); `reasons`: the wording
    of each reason (rules/program_reasons.yaml); `coverages`: how each coverage is named and
    whether it is a federal program (rules/coverages.yaml); `tr`: the language of the reason.

    Every condition the program's data holds is tested, the definite "no" reasons first; a
    condition that cannot be checked from the answers makes the result at best "maybe"."""
    if reasons is None or coverages is None:      # callers outside a plan: the shipped rules
        from navigator.engine.loader import default_rulebook
        reasons = reasons if reasons is not None else default_rulebook().program_reasons
        coverages = coverages if coverages is not None else default_rulebook().coverages
    eligible, key, values = _decide(program, facts, pump_names, cgms or {}, coverages, tr)
    return eligible, tr.gettext(reasons[key]).format(**values).strip()


def _decide(program: ProgramSpec, facts: dict[str, Any], pump_names: Mapping[str, str],
            cgms: Mapping[str, CgmSpec], coverages: Mapping[str, CoverageSpec],
            tr: RulesTranslation = ENGLISH) -> tuple[bool | str, str, dict[str, str]]:
    coverage = facts["coverage"]
    rules = program.eligibility
    t = tr.gettext
    if program.status == "closed":
        seen = (t(N_(" when last checked on {date}")).format(
            date=format_date(program.status_checked, tr.lang)) if program.status_checked else "")
        return False, "closed", {"seen": seen}
    if program.kind == "copay_card" and facts["federal_program"]:
        who = (t(coverages[coverage].label) if coverages[coverage].federal_program
               else t(N_("Medicaid as well")))
        return False, "copay_card_federal", {"who": who}
    pump = facts["pump_wanted"]
    if rules.pumps and pump != UNDECIDED and pump not in rules.pumps:
        return False, "pumps", {"names": ", ".join(pump_names[p] for p in rules.pumps)}
    if coverage in rules.coverage_excluded:
        return False, "coverage_excluded", {"coverage": t(coverages[coverage].label)}
    if "medicaid" in rules.coverage_excluded and facts.get("also_medicaid"):
        return False, "also_medicaid", {}
    # A Medicare user's other coverage that the program excludes (VA care, TRICARE For Life, a job
    # plan) rules it out as the main coverage would. (Tribal membership is not counted: it does not
    # mean the Indian Health Service pays.)
    second = [c for field, value, c in ALSO_COVERED
              if field == "other_coverage" and facts.get(field) == value and c in rules.coverage_excluded]
    if second:
        return False, "coverage_excluded", {"coverage": t(coverages[second[0]].label)}
    if rules.coverage_allowed is not None and coverage not in rules.coverage_allowed:
        return False, "coverage_allowed", {
            "allowed": _either([t(coverages[c].label) for c in rules.coverage_allowed], tr)}
    if rules.extra_help_excluded and facts.get("extra_help_status") == "has":
        return False, "extra_help", {}
    if rules.states and facts["state"] not in rules.states:
        return False, "states", {"states": ", ".join(rules.states)}
    age = facts["age"]
    if rules.age_min is not None and age < rules.age_min:
        return False, "age_min", {"age": str(rules.age_min)}
    if rules.age_max is not None and age > rules.age_max:
        return False, "age_max", {"age": str(rules.age_max)}
    if rules.diabetes_types and facts["diabetes_type"] not in rules.diabetes_types:
        return False, "diabetes_type", {}
    mismatch = _cgm_mismatch(rules.cgms, facts, cgms, pump_names, tr) if rules.cgms else None
    if mismatch:
        return (False, *mismatch)
    percent = facts["fpl_percent"]
    if rules.income_limit_pct_fpl is not None:
        limit = f"{rules.income_limit_pct_fpl:g}"
        if percent is None:
            return "maybe", "income_unknown", {"limit": limit}
        if percent > rules.income_limit_pct_fpl:
            return False, "income_over", {"percent": f"{percent:g}", "limit": limit}
    if rules.channel and facts["pump_channel"] not in (rules.channel, "unknown"):
        return "maybe", "channel", {"program_channel": t(_channel(rules.channel)),
                                    "pump_channel": t(_channel(facts["pump_channel"]))}
    if rules.extra_help_excluded and facts.get("extra_help_status") == "likely":
        return "maybe", "extra_help_likely", {}
    if rules.medicaid_eligible_excluded and facts.get("medicaid_income_screen") == "likely":
        return "maybe", "medicaid_first", {}
    if rules.cgms and facts.get("cgm_in_use") in (None, "other"):
        return "maybe", "cgm_unnamed", {"names": _cgm_names(rules.cgms, cgms, tr)}
    if program.status == "unknown":
        return "maybe", "status_unknown", {}
    if not rules.terms_published or not program.verified:
        return "maybe", "terms_unpublished", {}
    if rules.income_limit_pct_fpl is not None:
        return True, "likely_income", {}
    return True, "likely", {}


def _either(words: list[str], tr: RulesTranslation = ENGLISH) -> str:
    """'a', 'a or b', 'a, b or c'."""
    if len(words) == 1:
        return words[0]
    return tr.gettext(N_("{first} or {last}")).format(first=", ".join(words[:-1]),
                                                       last=words[-1])


def _cgm_names(ids: list[str], cgms: Mapping[str, CgmSpec],
               tr: RulesTranslation = ENGLISH) -> str:
    return _either([cgms[i].name if i in cgms else i for i in ids], tr)


def _cgm_mismatch(ids: list[str], facts: dict[str, Any], cgms: Mapping[str, CgmSpec],
                  pump_names: Mapping[str, str],
                  tr: RulesTranslation = ENGLISH) -> tuple[str, dict[str, str]] | None:
    """Why a CGM program cannot help: the wanted pump cannot use its CGMs, or another CGM is used."""
    names = _cgm_names(ids, cgms, tr)
    fits = facts.get("pump_cgm_ids")
    if fits is not None and not fits & set(ids):
        pump = pump_names.get(facts["pump_wanted"]) or tr.gettext(N_("The pump you want"))
        return "cgm_pump", {"pump": pump, "names": names}
    cgm = facts.get("cgm_in_use")
    if cgm not in (None, "other") and cgm not in ids:
        used = cgms[cgm].name if cgm in cgms else tr.gettext(N_("another CGM"))
        return "cgm_other", {"names": names, "used": used}
    return None


def _channel(channel: str) -> str:
    return {"dme": N_("medical equipment (DME) benefit"),
            "pharmacy": N_("pharmacy benefit")}.get(channel, channel)
