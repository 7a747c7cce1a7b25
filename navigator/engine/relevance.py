"""Sources chosen for the situation, and the rules check that keeps them honest.

A source declares what kind it is (`kind`) and whom it speaks for (`coverages`, and optionally
`states` and `pumps`). A step cites only the sources that fit the person's coverage, state and
pump. The check below walks every situation a rule can fire in (read from its `when`) and fails
when a step would be left without an official source, or cites a source that fits none of them.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from navigator.engine import schema
from navigator.engine.answers import COVERAGES, FEDERAL_COVERAGES, FIELDS
from navigator.engine.conditions import compile_condition
from navigator.engine.facts import FACT_TYPES

if TYPE_CHECKING:
    from navigator.engine.loader import CompiledRule, CompiledStep, Problem

UNDECIDED = "undecided"
STATE_FACTS = ("state", "medicaid_expansion", "state_insulin_copay_cap", "state_copay_accumulator_ban")
PUMP_FACTS = ("pump_wanted", "pump_channel", "pump_tubed", "medicare_route")


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
        return compile_condition(node, types or FACT_TYPES)({name: known[name]})
    (key, value), = node.items()
    if key == "not":
        inner = truth(value, known, types)
        return None if inner is None else not inner
    results = [truth(part, known, types) for part in value]
    if key == "all":
        return False if False in results else (None if None in results else True)
    return True if True in results else (None if None in results else False)


def coverage_facts(coverage: str) -> dict[str, Any]:
    """What the coverage alone settles: the coverage, and the answers that never apply to it."""
    known: dict[str, Any] = {"coverage": coverage}
    for name, spec in FIELDS.items():
        only_for = getattr(spec.applies, "coverages", None)
        if only_for is not None and coverage not in only_for:
            known[name] = None
    if coverage in FEDERAL_COVERAGES:
        known["federal_program"] = True
    elif "also_medicaid" in known:
        known["federal_program"] = False
    return known


def state_facts(state: schema.StateSpec) -> dict[str, Any]:
    return {"state": state.code, "medicaid_expansion": state.medicaid.expansion,
            "state_insulin_copay_cap": state.insulin_copay_cap.law,
            "state_copay_accumulator_ban": state.copay_accumulator_ban}


def pump_facts(pump_id: str, pumps: dict[str, schema.PumpSpec]) -> dict[str, Any]:
    pump = pumps.get(pump_id)
    return {"pump_wanted": pump_id,
            "pump_channel": (pump.channel if pump else None) or "unknown",
            "pump_tubed": pump.tubed if pump else None,
            "medicare_route": pump.medicare_route if pump else "unknown"}


def state_source_ids(state: schema.StateSpec, section: str,
                     sources: dict[str, schema.SourceSpec]) -> list[str]:
    """The sources a step's `state_sources` adds for this state."""
    if section == "state_pages":
        return [s for s in state.sources if state.code in (sources[s].states or ())]
    part = getattr(state, section)
    return list(part.sources) if part is not None else []


def fits(spec: schema.SourceSpec, coverage: str, also_medicaid: bool | None,
         state: str | None, pump: str | None) -> bool:
    """Whether a step may cite the source for this person. Someone who also has Medicaid
    (a dual eligible, or a child with Medicaid behind a parent's plan) is spoken for by
    Medicaid's sources too."""
    return (spec.fits(coverage, state, pump)
            or bool(also_medicaid) and spec.fits("medicaid", state, pump))


@dataclass(frozen=True)
class Situation:
    coverage: str
    also_medicaid: bool | None
    state: str | None        # None: the check did not need to tell states apart
    pump: str | None

    def admits(self, spec: schema.SourceSpec) -> bool:
        return fits(spec, self.coverage, self.also_medicaid, self.state, self.pump)


class SourceChecker:
    """Runs the official-source and relevance checks over compiled rules."""

    def __init__(self, sources: dict[str, schema.SourceSpec], states: dict[str, schema.StateSpec],
                 pumps: dict[str, schema.PumpSpec], problems: list[Problem]):
        self.types = fact_types(tuple(pumps))
        self.sources = sources
        self.states = states
        self.pumps = pumps
        self.problems = problems

    def check(self, rule: CompiledRule) -> None:
        from navigator.engine.loader import Problem

        if not rule.steps:
            self._check_relevance(rule, None, rule.source_ids, rule.when)
            return
        for step in rule.steps:
            self._check_relevance(rule, step, step.all_source_ids, rule.when)
            missing = self.without_official_source(rule, step)
            if step.no_official_source:
                continue
            for coverage, situations in missing.items():
                self.problems.append(Problem(
                    rule.file, f"rule {rule.id}", f"steps.{step.id}",
                    f"has no official source for coverage {coverage}{_where(situations)}: cite a "
                    "regulation, agency, program or maker source whose coverages include "
                    f"{coverage} (see docs/RULES_FORMAT.md, Sources)"))

    def without_official_source(self, rule: CompiledRule,
                                step: CompiledStep) -> dict[str, list[Situation]]:
        """The situations, by coverage, in which the step would cite no official source."""
        missing: dict[str, list[Situation]] = defaultdict(list)
        for situation in self.situations(rule.when, step.all_source_ids, step.state_sources):
            cited = self.cited(step.all_source_ids, step.state_sources, situation)
            if not any(self.sources[s].official for s in cited):
                missing[situation.coverage].append(situation)
        return missing

    def _check_relevance(self, rule: CompiledRule, step: CompiledStep | None,
                         source_ids: tuple[str, ...], when: Any) -> None:
        from navigator.engine.loader import Problem

        situations = list(self.situations(when, source_ids, step.state_sources if step else None))
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

    def cited(self, source_ids: tuple[str, ...], state_section: str | None,
              situation: Situation) -> list[str]:
        ids = list(source_ids)
        if state_section and situation.state:
            ids += state_source_ids(self.states[situation.state], state_section, self.sources)
        return [s for s in dict.fromkeys(ids) if situation.admits(self.sources[s])]

    def situations(self, when: Any, source_ids: tuple[str, ...],
                   state_section: str | None) -> Iterator[Situation]:
        """Every coverage (and, where the sources differ by them, state and pump) the rule can
        fire for."""
        specs = [self.sources[s] for s in source_ids if s in self.sources]
        by_state = bool(state_section) or any(s.states for s in specs)
        by_pump = any(s.pumps for s in specs)
        for coverage in COVERAGES:
            for known in _with_medicaid(coverage_facts(coverage)):
                if truth(when, known, self.types) is False:
                    continue
                also = known.get("also_medicaid")
                for state in (self.states.values() if by_state else (None,)):
                    with_state = {**known, **state_facts(state)} if state else known
                    if state and truth(when, with_state, self.types) is False:
                        continue
                    for pump in ((*self.pumps, UNDECIDED) if by_pump else (None,)):
                        with_pump = ({**with_state, **pump_facts(pump, self.pumps)} if pump
                                     else with_state)
                        if pump and truth(when, with_pump, self.types) is False:
                            continue
                        yield Situation(coverage, also, state.code if state else None, pump)


def _with_medicaid(known: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The coverage's facts with and without Medicaid as well, where the question applies."""
    if "also_medicaid" in known:          # never asked for this coverage
        yield known
        return
    for also in (False, True):
        federal = True if also else known.get("federal_program", False)
        yield {**known, "also_medicaid": also, "federal_program": federal}


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
