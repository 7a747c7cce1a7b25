"""Run the YAML rule cases (rules/tests/*.yaml) against a RuleBook."""
from __future__ import annotations

from dataclasses import dataclass, field

from navigator.engine.answers import validate_answers
from navigator.engine.evaluate import evaluate
from navigator.engine.loader import Problem, RuleBook, RulesInvalid, load_cases
from navigator.engine.schema import RuleCase


@dataclass
class CaseResult:
    file: str
    name: str
    failures: list[str] = field(default_factory=list)


def run_cases(book: RuleBook) -> list[CaseResult]:
    return [check_case(book, file, case) for file, case in load_cases(book.root)]


def check_case(book: RuleBook, file: str, case: RuleCase) -> CaseResult:
    result = CaseResult(file, case.name)
    fail = result.failures.append
    expect = case.expect
    answers, errors = validate_answers(case.answers, case.as_of, book)
    if expect.errors:
        got = sorted({e.field for e in errors})
        if got != sorted(expect.errors):
            fail(f"errors: expected fields {sorted(expect.errors)}, got {got}")
        return result
    if answers is None:
        fail("answers invalid: " + "; ".join(f"{e.field}: {e.message}" for e in errors))
        return result
    plan = evaluate(answers, case.as_of, book)
    step_ids = [s.id for s in plan.steps]
    if expect.coverage_route and plan.coverage_route != expect.coverage_route:
        fail(f"coverage_route: expected {expect.coverage_route}, got {plan.coverage_route}")
    missing = [s for s in expect.steps if s not in step_ids]
    if missing:
        fail(f"steps missing: {missing} (plan has {step_ids})")
    else:
        positions = [step_ids.index(s) for s in expect.steps]
        if positions != sorted(positions):
            fail(f"steps out of order: expected {expect.steps}, plan has {step_ids}")
    if expect.steps_exact is not None and step_ids != expect.steps_exact:
        fail(f"steps: expected exactly {expect.steps_exact}, plan has {step_ids}")
    present = [s for s in expect.steps_absent if s in step_ids]
    if present:
        fail(f"steps that should be absent: {present}")
    programs = {p.id: p.eligible for p in plan.programs}
    for program_id, eligible in expect.programs.items():
        if program_id not in programs:
            fail(f"program {program_id}: not in the plan")
        elif programs[program_id] != eligible or type(programs[program_id]) is not type(eligible):
            fail(f"program {program_id}: expected eligible={eligible!r}, got {programs[program_id]!r}")
    for program_id in expect.programs_absent:
        if program_id in programs:
            fail(f"program {program_id}: should not be in the plan")
    resource_ids = [resource.id for resource in plan.resources]
    for resource_id in expect.resources:
        if resource_id not in resource_ids:
            fail(f"resource {resource_id}: missing (plan has {resource_ids})")
    letter_ids = [letter.id for letter in plan.letters]
    for letter_id in expect.letters:
        if letter_id not in letter_ids:
            fail(f"letter {letter_id}: missing (plan has {letter_ids})")
    for letter_id in expect.letters_absent:
        if letter_id in letter_ids:
            fail(f"letter {letter_id}: should not be in the plan")
    deadlines = {d.id: d.date for d in plan.deadlines}
    for step_id, day in expect.deadlines.items():
        if deadlines.get(step_id) != day:
            fail(f"deadline {step_id}: expected {day}, got {deadlines.get(step_id)}")
    _check_deadline_states(plan, expect, fail)
    if expect.fpl_percent is not None and plan.fpl_percent != expect.fpl_percent:
        fail(f"fpl_percent: expected {expect.fpl_percent}, got {plan.fpl_percent}")
    if expect.warnings is not None and len(plan.warnings) < expect.warnings:
        fail(f"warnings: expected at least {expect.warnings}, got {len(plan.warnings)}")
    known = {rule.id for rule in book.rules}
    unknown = [r for r in (*expect.rules, *expect.rules_absent) if r not in known]
    if unknown:
        fail(f"rules: no rule has the id {unknown}")
    missing_rules = [r for r in expect.rules if r not in plan.trace]
    if missing_rules:
        fail(f"rules that should fire: {missing_rules}")
    fired = [r for r in expect.rules_absent if r in plan.trace]
    if fired:
        fail(f"rules that should not fire: {fired}")
    return result


def _check_deadline_states(plan, expect, fail) -> None:
    """Passed or still open, and the first day of a window not yet open."""
    by_id = {d.id: d for d in plan.deadlines}
    for step_id in expect.deadlines_passed:
        if step_id not in by_id:
            fail(f"deadline {step_id}: not in the plan")
        elif not by_id[step_id].passed:
            fail(f"deadline {step_id}: expected passed, but it is shown as open")
    for step_id in expect.deadlines_open:
        if step_id not in by_id:
            fail(f"deadline {step_id}: not in the plan")
        elif by_id[step_id].passed:
            fail(f"deadline {step_id}: expected open, but it is shown as passed")
    for step_id in expect.deadlines_absent:
        if step_id in by_id:
            fail(f"deadline {step_id}: expected no date, got {by_id[step_id].date}")
    for step_id, day in expect.deadline_opens.items():
        opens = by_id[step_id].opens if step_id in by_id else None
        if opens != day:
            fail(f"deadline {step_id}: expected to open on {day}, got {opens}")


def refuse_failing_cases(book: RuleBook) -> int:
    """Raise RulesInvalid naming every rule case in the book's rules/tests that fails: rules
    that still load but have lost a rule (a file cut short, a step renamed by mistake) are
    caught by the cases written for them. Returns the number of cases run."""
    results = run_cases(book)           # an invalid case file raises RulesInvalid itself
    problems = [Problem(result.file, f"case {result.name!r}", None,
                        "rule case fails: " + "; ".join(result.failures))
                for result in results if result.failures]
    if problems:
        raise RulesInvalid(problems)
    return len(results)
