"""What evaluations share, in one place. A RuleBook is immutable once built (loader.py); the
engine's one memo lives here instead, keyed by the rules version and bounded.

Program outputs: a plan lists 10-20 programs, and most people fall into a few eligibility
outcomes per program, so the Program objects (frozen pydantic models) are built once per
(rules version, program, outcome, reason, language) and shared between plans. Measured on
2026-12-01 with bench/engine.py's sweep (2,244 validated plans, CPU time), memo on and off in
one process, two runs each, on the shared 2-core machine at load average 9: 2,270-2,580 plans/s
with the memo, 2,010-2,180 without (about 13% more with it), so it stays.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

PROGRAM_CACHE_SIZE = 20_000     # about 25 MB at most; a real rule set fills a few hundred

_programs: dict[Hashable, Any] = {}
_version: list[str] = [""]      # the rules version the memo holds (one set of rules at a time)


def program(version: str, key: Hashable, build: Callable[[], Any]) -> Any:
    """The Program output for `key` under rules `version`, built by `build()` on first use."""
    if _version[0] != version:          # rules reloaded (or a test's own rules): start over
        _programs.clear()
        _version[0] = version
    cached = _programs.get(key)
    if cached is None:
        cached = build()
        if len(_programs) < PROGRAM_CACHE_SIZE:
            _programs[key] = cached
    return cached
