"""Sources chosen for the situation, and the rules check that keeps them honest.

A source declares what kind it is (`kind`) and whom it speaks for (`coverages`, and optionally
`states` and `pumps`). A step cites only the sources that fit the person's coverage, state and
pump. The check below walks every situation a rule can fire in (read from its `when`) and fails
when a step would be left without an official source, or cites a source that fits none of them.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from navigator.engine import schema
from navigator.engine.answers import COVERAGES, FIELDS
from navigator.engine.conditions import compile_condition
from navigator.engine.facts import FACT_TYPES, fact_types, state_facts

if TYPE_CHECKING:
    from navigator.engine.loader import CompiledRule, CompiledStep, Problem

UNDECIDED = "undecided"


def truth(node: Any, known: dict[str, Any], types: dict | None = None) -> bool | None:
    """A condition over partly known facts: True, False, or None when it depends on the rest.

    `types` are the fact types the rules were checked with (the pump answer's values come from
    the catalogue)."""
    if node is None:
        return True
    if "field" in node:
        name = node["field"]
        if name not in known:
            return None
        return _compiled(node, types or FACT_TYPES)({name: known[name]})
    (key, value), = node.items()
    if key == "not":
        inner = truth(value, known, types)
        return None if inner is None else not inner
    unknown = False
    for part in value:          # short-circuit: all stops at False, any at True
        result = truth(part, known, types)
        if result is None:
            unknown = True
        elif result is (key == "any"):
            return result
    return None if unknown else key == "all"


_COMPILED: dict[tuple[int, int], Any] = {}


def _compiled(node: dict, types: dict) -> Any:
    """A field test compiled once per condition node and set of types (the check asks often)."""
    key = (id(node), id(types))
    found = _COMPILED.get(key)
    if found is None or found[0] is not node:
        found = _COMPILED[key] = (node, compile_condition(node, types))
    return found[1]


def coverage_facts(coverage: str, federal: bool) -> dict[str, Any]:
    """What the coverage alone settles: the coverage, and the answers that never apply to it.
    `federal`: the coverage is a federal health program (rules/coverages.yaml)."""
    known: dict[str, Any] = {"coverage": coverage}
    for name, spec in FIELDS.items():
        only_for = getattr(spec.applies, "coverages", None)
        if only_for is not None and coverage not in only_for:
            known[name] = None
    if federal:
        known["federal_program"] = True
    elif "also_medicaid" in known:
        known["federal_program"] = False
    return known


def pump_facts(pump_id: str, pumps: dict[str, schema.PumpSpec]) -> dict[str, Any]:
    pump = pumps.get(pump_id)
    known = {"pump_wanted": pump_id,
             "pump_channel": (pump.channel if pump else None) or "unknown",
             "pump_tubed": pump.tubed if pump else None,
             "medicare_route": pump.medicare_route if pump else "unknown"}
    if pump is None or not (pump.compatible_cgms or pump.algorithm):
        known["cgm_pump_match"] = "unknown"     # as facts.cgm_pump_match: not automated, no match
    return known


# What pump_facts settles (a pump it does not know gives every fact it can set).
PUMP_OWN_FACTS = frozenset(pump_facts(UNDECIDED, {}))


def state_source_ids(state: schema.StateSpec, sections: tuple[str, ...],
                     sources: dict[str, schema.SourceSpec]) -> list[str]:
    """The sources a step's `state_sources` adds for this state: a section's own sources, or
    (state_pages) the state file's sources declared for that state."""
    found: list[str] = []
    for section in sections:
        if section == "state_pages":
            found += [s for s in state.sources if state.code in (sources[s].states or ())]
        else:
            part = getattr(state, section)
            found += list(part.sources) if part is not None else []
    return found


# Answers that give a person a second coverage whose sources then speak for them too: someone
# who also has Medicaid (a dual eligible, a child with Medicaid behind a parent's plan), a tribal
# member, whom the Indian Health Service serves whatever else covers them, and a Medicare user's
# other coverage. (answer field, answer value, the coverage whose sources then fit.)
ALSO_COVERED: tuple[tuple[str, Any, str], ...] = (
    ("also_medicaid", True, "medicaid"),
    ("tribal_member", True, "ihs"),
    ("other_coverage", "tricare_for_life", "tricare"),
    ("other_coverage", "va", "va"),
    ("other_coverage", "employer_current", "employer"),
    ("other_coverage", "employer_retiree", "employer"),
    ("other_coverage", "cobra", "employer"),
)


def person_coverages(facts: dict[str, Any]) -> tuple[str, ...]:
    extra = [coverage for field, value, coverage in ALSO_COVERED if facts.get(field) == value]
    return tuple(dict.fromkeys((facts["coverage"], *extra)))


def fits(spec: schema.SourceSpec, coverages: tuple[str, ...], state: str | None,
         pump: str | None) -> bool:
    """Whether a step may cite the source for a person with these coverages, state and pump."""
    return any(spec.fits(coverage, state, pump) for coverage in coverages)


@dataclass(frozen=True)
class Situation:
    coverages: tuple[str, ...]      # the coverage, then any second one (see ALSO_COVERED)
    state: str | None               # None: the check did not need to tell states apart
    pump: str | None

    @property
    def coverage(self) -> str:
        return self.coverages[0]

    def admits(self, spec: schema.SourceSpec) -> bool:
        return fits(spec, self.coverages, self.state, self.pump)


class SourceChecker:
    """Runs the official-source and relevance checks over compiled rules."""

    def __init__(self, sources: dict[str, schema.SourceSpec], states: dict[str, schema.StateSpec],
                 pumps: dict[str, schema.PumpSpec], problems: list[Problem],
                 coverages: dict[str, schema.CoverageSpec] | None = None):
        self.coverages = coverages or {}
        self.types = fact_types(tuple(pumps))
        self.sources = sources
        self.states = states
        self.pumps = pumps
        self.problems = problems
        any_state = next(iter(states.values()), None)
        self.state_fact_names = frozenset(state_facts(any_state)) if any_state else frozenset()
        self._people_by_coverage: dict[str, list] = {}

    def _people(self, coverage: str) -> list[tuple[dict[str, Any], tuple[str, ...]]]:
        """The coverage's facts for every answer to the second-coverage questions, each with
        the coverages the person then has: the same for every rule, so made once."""
        people = self._people_by_coverage.get(coverage)
        if people is None:
            federal = coverage in self.coverages and self.coverages[coverage].federal_program
            people = self._people_by_coverage[coverage] = [
                (known, person_coverages(known))
                for known in _with_second_coverage(coverage_facts(coverage, federal))]
        return people

    def check(self, rule: CompiledRule) -> None:
        from navigator.engine.loader import Problem

        # A rule's own sources are read against everything the rule can fire for; a step's
        # against the step's situations (its condition narrows the rule's).
        self._check_relevance(rule, None, rule.source_ids, rule.when)
        for step in rule.steps:
            situations = self.step_situations(rule, step)
            self._check_relevance(rule, step, step.source_ids, None, situations)
            missing = self.without_official_source(rule, step, situations)
            for coverage, situations in missing.items():
                self.problems.append(Problem(
                    rule.file, f"rule {rule.id}", f"steps.{step.id}",
                    f"has no official source for coverage {coverage}{_where(situations)}: cite a "
                    "regulation, agency, program or maker source whose coverages include "
                    f"{coverage} (see docs/RULES_FORMAT.md, Sources)"))

    def without_official_source(self, rule: CompiledRule, step: CompiledStep,
                                situations: list[Situation] | None = None
                                ) -> dict[str, list[Situation]]:
        """The situations, by coverage, in which the step would cite no official source."""
        missing: dict[str, list[Situation]] = defaultdict(list)
        if situations is None:
            situations = self.step_situations(rule, step)
        for situation in situations:
            cited = self.cited(step.all_source_ids, step.state_sources, situation)
            if not any(self.sources[s].official for s in cited):
                missing[situation.coverage].append(situation)
        return missing

    def step_situations(self, rule: CompiledRule, step: CompiledStep) -> list[Situation]:
        """The situations a step can appear in; the coverages it speaks for join each person's."""
        situations = self.situations(step_when(rule, step), step.all_source_ids,
                                     step.state_sources)
        if not step.speaks_for:
            return list(situations)
        return [replace(s, coverages=tuple(dict.fromkeys((*s.coverages, *step.speaks_for))))
                for s in situations]

    def _check_relevance(self, rule: CompiledRule, step: CompiledStep | None,
                         source_ids: tuple[str, ...], when: Any,
                         situations: list[Situation] | None = None) -> None:
        from navigator.engine.loader import Problem

        if not source_ids:
            return
        if situations is None:
            situations = list(self.situations(when, source_ids,
                                              step.state_sources if step else ()))
        for source_id in source_ids:
            spec = self.sources.get(source_id)
            if spec is None or any(s.admits(spec) for s in situations):
                continue
            can_fire = sorted({s.coverage for s in situations}, key=COVERAGES.index)
            self.problems.append(Problem(
                rule.file, f"rule {rule.id}", f"steps.{step.id}" if step else "sources",
                f"cites {source_id}, which speaks for {_speaks_for(spec)}, but the "
                f"{'step' if step else 'rule'} can only fire for coverage "
                f"{', '.join(can_fire) or 'none'}: cite a source that fits, or correct the "
                "source's coverages"))

    def cited(self, source_ids: tuple[str, ...], state_section: tuple[str, ...],
              situation: Situation) -> list[str]:
        ids = list(source_ids)
        if state_section and situation.state:
            ids += state_source_ids(self.states[situation.state], state_section, self.sources)
        return [s for s in dict.fromkeys(ids) if situation.admits(self.sources[s])]

    def situations(self, when: Any, source_ids: tuple[str, ...],
                   state_section: tuple[str, ...]) -> Iterator[Situation]:
        """Every coverage (and, where the sources or the condition differ by them, state and
        pump) the rule can fire for, each situation once."""
        specs = [self.sources[s] for s in source_ids if s in self.sources]
        read = sorted(_fields(when))
        reads_state = not self.state_fact_names.isdisjoint(read)
        reads_pump = not PUMP_OWN_FACTS.isdisjoint(read)
        by_state = bool(state_section) or any(s.states for s in specs) or reads_state
        by_pump = any(s.pumps for s in specs)
        seen: set[Situation] = set()
        for coverage in COVERAGES:
            alike: set[tuple] = set()
            for known, has in self._people(coverage):
                # Answers the condition does not read and that give the same coverages lead to
                # the same situations: walk the states and pumps once for them.
                key = (has, *(known.get(name, _UNKNOWN) for name in read))
                if key in alike or truth(when, known, self.types) is False:
                    continue
                alike.add(key)
                for state in (self.states.values() if by_state else (None,)):
                    with_state = known
                    if state and reads_state:
                        with_state = {**known, **state_facts(state)}
                        if truth(when, with_state, self.types) is False:
                            continue
                    for pump in ((*self.pumps, UNDECIDED) if by_pump else (None,)):
                        if pump and reads_pump and truth(
                                when, {**with_state, **pump_facts(pump, self.pumps)},
                                self.types) is False:
                            continue
                        situation = Situation(has, state.code if state else None, pump)
                        if situation not in seen:
                            seen.add(situation)
                            yield situation


_UNKNOWN = object()   # a fact the partly known answers do not hold (see truth)


def _with_second_coverage(known: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The coverage's facts for every answer to the second-coverage questions that apply."""
    variants = [known]
    for field in dict.fromkeys(field for field, _value, _coverage in ALSO_COVERED):
        if field in known:            # never asked for this coverage
            continue
        spec = FIELDS[field]
        values = [*(spec.allowed if spec.kind == "enum" else (False, True)),
                  *((None,) if spec.nullable else ())]
        variants = [{**v, field: value} for v in variants for value in values]
    for variant in variants:
        if variant.get("also_medicaid"):
            variant["federal_program"] = True
        elif variant.get("also_medicaid") is False and "federal_program" not in variant:
            variant["federal_program"] = False
        yield variant


def _fields(node: Any) -> set[str]:
    """The fields a condition reads."""
    if isinstance(node, dict):
        found = {node["field"]} if "field" in node else set()
        for value in node.values():
            found |= _fields(value)
        return found
    if isinstance(node, list):
        return set().union(*(_fields(item) for item in node)) if node else set()
    return set()


def step_when(rule: CompiledRule, step: CompiledStep) -> Any:
    """When a step can appear: its rule's condition and its own."""
    parts = [c for c in (rule.when, step.when) if c is not None]
    return None if not parts else parts[0] if len(parts) == 1 else {"all": parts}


def _where(situations: list[Situation]) -> str:
    states = sorted({s.state for s in situations if s.state})
    pumps = sorted({s.pump for s in situations if s.pump})
    parts = []
    if len(states) > 12:
        parts.append(f"{len(states)} states, e.g. " + ", ".join(states[:5]))
    elif states:
        parts.append("state " + ", ".join(states))
    if pumps:
        parts.append("pump " + ", ".join(pumps))
    return f" ({'; '.join(parts)})" if parts else ""


def _speaks_for(spec: schema.SourceSpec) -> str:
    text = "every coverage" if spec.coverages == "all" else ", ".join(spec.coverages)
    if spec.states:
        text += " in " + ", ".join(spec.states)
    if spec.pumps:
        text += " for " + ", ".join(spec.pumps)
    return text
