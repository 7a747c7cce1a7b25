"""A RuleBook is not written by evaluations (the engine's memo lives in engine/memo.py)."""
from __future__ import annotations

import dataclasses
from datetime import date

from navigator.engine import evaluate
from navigator.engine.answers import COVERAGES
from tests.answers import answers


def _sizes(book) -> dict[str, int]:
    return {f.name: len(getattr(book, f.name)) for f in dataclasses.fields(book)
            if isinstance(getattr(book, f.name), (dict, list, tuple))}


def test_evaluating_plans_leaves_the_rulebook_as_it_was(book):
    before = _sizes(book)
    for coverage in COVERAGES:
        evaluate(answers(coverage=coverage, state="CA"), date(2026, 12, 1), book, lang="es")
    assert _sizes(book) == before


def test_a_parameter_is_the_latest_value_in_force_on_the_date(book):
    name, spec = next((n, s) for n, s in book.parameters.items() if len(s.values) > 1)
    first, second = sorted(spec.values)[:2]
    assert book.parameter(name, first) == spec.values[first]
    assert book.parameter(name, second) == spec.values[second]
    assert book.parameter(name, date.fromordinal(second.toordinal() - 1)) == spec.values[first]
    assert book.parameter(name, date(1900, 1, 1)) == spec.values[first]   # before every date
