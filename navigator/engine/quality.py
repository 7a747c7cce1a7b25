"""How well the rule data is sourced: the numbers `navigator rules check --stats` prints.

Two shares, defined in docs/DATA_QUALITY.md:
- steps with an official source: a step counts when, in every situation it can fire for, it
  cites at least one official source (regulation, agency, program or maker) that fits the person;
- verified facts: a fact is a parameter, a stated field of a state file, a program record, a
  stated field of the pump catalogue, or a source record; it is verified when the data says a
  primary source confirmed it (`verified: true`, or not listed under `unverified`); a secondary
  source record never counts as verified, whatever its flag says.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from navigator.engine.relevance import SourceChecker

if TYPE_CHECKING:
    from navigator.engine.loader import RuleBook

# Keys of a state file or pump entry that are bookkeeping, not facts about the world.
STATE_NOT_FACTS = {"code", "name", "checked", "sources", "unverified", "notes", "fair_hearing.sources",
                   "emergency_insulin_refill.checked", "emergency_insulin_refill.verified"}
PUMP_NOT_FACTS = {"id", "name", "sources", "unverified", "notes"}


@dataclass
class Share:
    verified: int = 0
    total: int = 0

    def add(self, verified: bool) -> None:
        self.total += 1
        self.verified += bool(verified)

    @property
    def percent(self) -> float:
        return round(100 * self.verified / self.total, 1) if self.total else 100.0


@dataclass
class Quality:
    steps: Share = field(default_factory=Share)            # verified = has an official source
    steps_without: list[str] = field(default_factory=list)  # "rule/step (reason)"
    facts: dict[str, Share] = field(default_factory=dict)
    source_kinds: Counter = field(default_factory=Counter)
    secondary_marked_verified: list[str] = field(default_factory=list)

    @property
    def all_facts(self) -> Share:
        return Share(sum(s.verified for s in self.facts.values()),
                     sum(s.total for s in self.facts.values()))


def measure(book: RuleBook) -> Quality:
    quality = Quality()
    checker = SourceChecker(book.sources, book.states, book.pumps, [], book.coverages)
    for rule in book.rules:
        for step in rule.steps:
            missing = checker.without_official_source(rule, step)
            quality.steps.add(not missing)
            if missing:
                quality.steps_without.append(f"{rule.id}/{step.id} ({', '.join(missing)})")

    parameters = quality.facts["parameters"] = Share()
    for spec in book.parameters.values():
        parameters.add(spec.verified)
    states = quality.facts["state fields"] = Share()
    for state in book.states.values():
        for path, value in _leaves(state.model_dump()):
            if path not in STATE_NOT_FACTS and _stated(value):
                states.add(not _listed(path, state.unverified))
    programs = quality.facts["program records"] = Share()
    for program in book.programs.values():
        programs.add(program.verified)
    pumps = quality.facts["pump fields"] = Share()
    for pump in book.pumps.values():
        for path, value in _leaves(pump.model_dump()):
            if path not in PUMP_NOT_FACTS and _stated(value):
                pumps.add(not _listed(path, pump.unverified))
    sources = quality.facts["sources"] = Share()
    for source_id, source in book.sources.items():
        # Only a primary text can verify: a secondary page marked verified counts as unverified.
        sources.add(source.verified and source.kind != "secondary")
        if source.verified and source.kind == "secondary":
            quality.secondary_marked_verified.append(source_id)
        quality.source_kinds[source.kind] += 1
    return quality


def report(quality: Quality) -> list[str]:
    steps, facts = quality.steps, quality.all_facts
    lines = [(f"steps with an official source: {steps.verified} of {steps.total} "
              f"({steps.percent}%; target 100%)")]
    lines += [f"  without one: {item}" for item in quality.steps_without]
    lines.append(f"verified facts: {facts.verified} of {facts.total} ({facts.percent}%; "
                 "target at least 80%)")
    for name, share in quality.facts.items():
        lines.append(f"  {name}: {share.verified} of {share.total} ({share.percent}%)")
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(quality.source_kinds.items()))
    lines.append(f"sources by kind: {kinds}")
    if quality.secondary_marked_verified:
        lines.append(f"secondary sources marked verified (counted as unverified): "
                     f"{len(quality.secondary_marked_verified)}")
    return lines


def _leaves(data: dict[str, Any], prefix: str = ""):
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _leaves(value, f"{path}.")
        else:
            yield path, value


def _stated(value: Any) -> bool:
    """A field that says something: not empty and not "unknown"."""
    return value not in (None, "", [], "unknown")


def _listed(path: str, unverified: list[str]) -> bool:
    return any(path == entry or path.startswith(entry + ".") for entry in unverified)
