"""Batch planning through the CLI, end to end: JSON Lines in, JSON Lines out.

Runs `navigator plan --format jsonl` as a separate process (start-up, rule loading, parsing,
evaluation, serialisation and writing all count) on 20,000 and 100,000 answers, and reads the
child's peak resident memory: flat memory means the 100,000 run peaks where the 20,000 run does.
"""
from __future__ import annotations

import json
import resource
import subprocess  # nosec B404: runs this project's own CLI
import sys
import tempfile
import time
from itertools import cycle, islice, product
from pathlib import Path

from bench.engine import AS_OF, PEOPLE, _answers
from bench.harness import Result
from navigator.engine.answers import COVERAGES, STATES

CLI = Path(sys.executable).with_name("navigator")


def _write_answers(path: Path, count: int) -> None:
    people = [_answers(s, c, p) for s, c, p in product(STATES, COVERAGES, PEOPLE)]
    with path.open("w") as out:
        for answers in islice(cycle(people), count):
            out.write(json.dumps(answers) + "\n")


def _run_cli(answers: Path, output: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds of the child, and its peak RSS in MB (ru_maxrss is the
    largest child so far). CPU seconds say what one core does whatever else the machine runs."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with answers.open("rb") as stdin, output.open("wb") as stdout:
        subprocess.run([str(CLI), "plan", "-", "--format", "jsonl", "--as-of", AS_OF.isoformat()],
                       stdin=stdin, stdout=stdout, check=True)  # nosec B603
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return elapsed, cpu, after.ru_maxrss / 1024


def run() -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for count in (20_000, 100_000):
            answers, output = Path(folder, "in.jsonl"), Path(folder, "out.jsonl")
            _write_answers(answers, count)
            elapsed, cpu, peak_mb = _run_cli(answers, output)
            lines = sum(1 for _ in output.open("rb"))
            assert lines == count, f"{lines} plans for {count} answers"  # nosec B101
            results.append(Result(f"CLI jsonl, {count:,} plans, end to end", count / elapsed,
                                  "plans/s", ">= 2,000 plans/s"))
            results.append(Result(f"CLI jsonl, {count:,} plans, per CPU second of the CLI",
                                  count / cpu, "plans/s"))
            results.append(Result(f"CLI jsonl, {count:,} plans, peak memory (largest child so far)",
                                  peak_mb, "MB", "flat from 20,000 to 100,000"))
            output.unlink()
    return results
