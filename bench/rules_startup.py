"""What accepting the rules costs at start-up (issue 14 item 7): loading and checking every rule
file, then running the rule cases in rules/tests. Both run in every web worker, CLI command
and test process that builds the app, once per set of files (rulebook.load_checked keeps the
result by the files' fingerprint)."""
from __future__ import annotations

import statistics
import time

from bench.harness import Result
from navigator.engine.casecheck import refuse_failing_cases
from navigator.engine.loader import DEFAULT_RULES_DIR, files_fingerprint, load_rulebook
from navigator.rulebook import _checked, load_checked

REPEAT = 7


def _timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    value = function()
    return (time.perf_counter() - start) * 1000, value


def run() -> list[Result]:
    load_ms, cases_ms, fingerprint_ms, cached_ms = [], [], [], []
    count = 0
    for _ in range(REPEAT):
        elapsed, book = _timed(lambda: load_rulebook(DEFAULT_RULES_DIR))
        load_ms.append(elapsed)
        elapsed, count = _timed(lambda book=book: refuse_failing_cases(book))
        cases_ms.append(elapsed)
        fingerprint_ms.append(_timed(lambda: files_fingerprint(DEFAULT_RULES_DIR))[0])
    _checked.clear()
    load_checked(str(DEFAULT_RULES_DIR))
    for _ in range(REPEAT):      # a second app in the same process: fingerprint, then the cache
        cached_ms.append(_timed(lambda: load_checked(str(DEFAULT_RULES_DIR)))[0])
    return [
        Result("load and check the rule files, median", statistics.median(load_ms), "ms"),
        Result(f"run the {count} rule cases, median", statistics.median(cases_ms), "ms"),
        Result("fingerprint of the rule files, median", statistics.median(fingerprint_ms), "ms"),
        Result("accepted rules again in the same process, median", statistics.median(cached_ms),
               "ms"),
        Result("rule cases' share of accepting the rules",
               100 * statistics.median(cases_ms) / (statistics.median(load_ms)
                                                    + statistics.median(cases_ms)), "%"),
    ]
