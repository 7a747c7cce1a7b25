"""What evaluations share, in one place. A RuleBook is immutable once built (loader.py); the
engine's memo lives here instead, bounded.

Every key starts with the rules version (a hash of the rule files) and the RulesTranslation
object the texts were read through (by identity: a catalogue edited and reloaded is a new
object), so an output is only ever reused under the same rules and the same words. The rest of
the key is exactly what the output is built from; evaluate.py says what that is for each kind.

Program outputs: a plan lists 10-20 programs, and most people fall into a few eligibility
outcomes per program, so the Program objects (frozen pydantic models) are built once per
(program, outcome, reason) and shared between plans. Measured on 2026-12-01 with
bench/engine.py's sweep (2,244 validated plans, CPU time), memo on and off in one process: about
13% more plans/s with it.

Step outputs: a step's texts, deadline and sources depend on the plan date, the person's state,
pump and coverages, and the few answers its placeholders name, so most people in a state share
most of their steps (measurements in docs/BENCHMARKS.md, "engine").
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

# At most about 60 MB (a step output is about 3 kB, most of it shared with other outputs);
# when full the memo starts over, so memory stays flat however many plans a process makes.
CACHE_SIZE = 20_000

_outputs: dict[Hashable, Any] = {}


def shared(key: Hashable, build: Callable[[], Any]) -> Any:
    """The output for `key`, built by `build()` on first use. `key` must hold the rules
    version, the translation and everything `build` reads (see the module's docstring)."""
    cached = _outputs.get(key)
    if cached is None:
        cached = build()
        if len(_outputs) >= CACHE_SIZE:
            _outputs.clear()
        _outputs[key] = cached
    return cached


def derived(kind: Hashable, of: Any, build: Callable[[], Any]) -> Any:
    """What `build()` makes from the shared output `of` alone (its JSON form, an urgent step's
    copy with its programs): kept by the identity of `of`. The entry holds `of` itself, so that
    identity cannot pass to another object while the entry lives."""
    key = (kind, id(of))
    cached = _outputs.get(key)
    if cached is None or cached[0] is not of:
        cached = (of, build())
        if len(_outputs) >= CACHE_SIZE:
            _outputs.clear()
        _outputs[key] = cached
    return cached[1]


def clear() -> None:
    _outputs.clear()
