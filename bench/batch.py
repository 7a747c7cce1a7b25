"""Batch planning through the CLI, end to end: JSON Lines in, JSON Lines out.

Runs `navigator plan --format jsonl` as a separate process (start-up, rule loading, parsing,
evaluation, serialisation and writing all count) on 20,000 and 100,000 answers, and reads the
child's peak resident memory: flat memory means the 100,000 run peaks where the 20,000 run does.

The first two runs repeat the sweep's people (51 states x 11 coverages x 4 people), so after the
first pass the engine's memo already holds every step; the third gives 100,000 people who all
differ (age, income, household, pump, denial date and reason drawn with a fixed seed), which is
the batch a clinic or state program would send.
"""
from __future__ import annotations

import json
import random
import resource
import subprocess  # nosec B404: runs this project's own CLI
import sys
import tempfile
import time
from datetime import timedelta
from itertools import cycle, islice, product
from pathlib import Path

from bench.engine import AS_OF, PEOPLE, _answers
from bench.harness import Result
from navigator.engine.answers import COVERAGES, DENIAL_REASONS, STATES

CLI = Path(sys.executable).with_name("navigator")


def _write_answers(path: Path, count: int) -> None:
    people = [_answers(s, c, p) for s, c, p in product(STATES, COVERAGES, PEOPLE)]
    with path.open("w") as out:
        for answers in islice(cycle(people), count):
            out.write(json.dumps(answers) + "\n")


PUMPS = ("omnipod_5", "omnipod_dash", "tslim_x2", "mobi", "minimed_780g", "ilet", "twiist",
         "undecided")


def _distinct_people(count: int, seed: int = 19):
    """`count` answers that all differ, each valid: a fixed seed, so every run sends the same."""
    draw = random.Random(seed)
    for number in range(count):
        person = (draw.randint(0, 90), draw.choice(("type1", "type2")),
                  draw.choice((None, draw.randrange(0, 250_000, 100))), draw.randint(1, 8),
                  draw.choice(PUMPS), draw.choice(("none", "prior_authorization", "claim", "appeal")))
        answers = _answers(draw.choice(STATES), draw.choice(COVERAGES), person)
        answers["annual_income"] = person[2] if person[2] is None else person[2] + number % 100
        if "denial_date" in answers:
            answers["denial_date"] = (AS_OF - timedelta(days=draw.randint(1, 400))).isoformat()
            answers["denial_reason"] = draw.choice(DENIAL_REASONS)
        yield answers


def _write_distinct(path: Path, count: int) -> None:
    with path.open("w") as out:
        for answers in _distinct_people(count):
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
        runs = ((20_000, "plans", _write_answers), (100_000, "plans", _write_answers),
                (20_000, "people who all differ", _write_distinct),
                (100_000, "people who all differ", _write_distinct))
        for count, kind, write in runs:
            answers, output = Path(folder, "in.jsonl"), Path(folder, "out.jsonl")
            write(answers, count)
            elapsed, cpu, peak_mb = _run_cli(answers, output)
            lines = sum(1 for _ in output.open("rb"))
            assert lines == count, f"{lines} plans for {count} answers"  # nosec B101
            name = f"CLI jsonl, {count:,} {kind}"
            results.append(Result(f"{name}, end to end", count / elapsed, "plans/s",
                                  ">= 2,000 plans/s"))
            results.append(Result(f"{name}, per CPU second of the CLI", count / cpu, "plans/s"))
            results.append(Result(f"{name}, peak memory (largest child so far)", peak_mb, "MB",
                                  "flat from 20,000 to 100,000"))
            output.unlink()
    return results
