"""Small timing helpers shared by the benchmarks."""
from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

# name -> what it measures; each name is a module bench/<name>.py with run().
BENCHMARKS: dict[str, str] = {
    "engine": "plan evaluation time and sweep throughput (target p50 <= 1 ms, >= 5,000 plans/s)",
    "letters": "letter PDF time (target p50 <= 50 ms a page, 6-letter packet <= 400 ms warm)",
    "caseload": "dashboard page for 1,000 clients (target p50 <= 150 ms) and rules recheck "
                "of 10,000 cases (target >= 2,000 cases/s)",
    "batch": "navigator plan --format jsonl end to end on 20,000 and 100,000 answers "
             "(target >= 2,000 plans/s, memory flat)",
    "proxy": "nginx + 2 instances + PostgreSQL + Redis: 50 and 200 people, plan-page scaling "
             "from 1 to 2 instances (targets: 0 errors, 0 lost, p95 <= 150 ms, +60%)",
    "load": "50 people under gunicorn: questionnaire, plan, letter; vs a Flask hello ceiling",
    "packet_queue": "letter packet with REDIS_URL: the POST that enqueues it (target p50 <= "
                    "50 ms) and the wait until the PDF, vs rendering it in the request",
    "rules_startup": "accepting the rules at start-up: loading the files and running the rule "
                     "cases (issue 14 item 7)",
}


@dataclass
class Result:
    name: str
    value: float
    unit: str
    target: str = ""

    def line(self) -> str:
        target = f"  (target {self.target})" if self.target else ""
        return f"- {self.name}: {self.value:,.3f} {self.unit}{target}"


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def time_calls(function: Callable[[], object], repeat: int, warmup: int = 20) -> list[float]:
    """Wall time of each call, in milliseconds."""
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(name: str, samples: list[float], target_p50: str = "", target_p99: str = "") -> list[Result]:
    return [
        Result(f"{name} p50", statistics.median(samples), "ms", target_p50),
        Result(f"{name} p99", percentile(samples, 99), "ms", target_p99),
    ]


def peak_memory_mb(function: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
