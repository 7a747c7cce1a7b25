"""Plan engine speed: one evaluation (p50/p99) and sweep throughput on one core."""
from __future__ import annotations

import time
from datetime import date
from itertools import product

from bench.harness import Result, summary, time_calls
from navigator.engine import evaluate, validate_answers
from navigator.engine.answers import COVERAGES, STATES
from navigator.engine.loader import default_rulebook

AS_OF = date(2026, 11, 23)
PEOPLE = [(6, "type1", 30000, 4, "omnipod_5", "none"), (44, "type2", 52000, 2, "tslim_x2", "claim"),
          (70, "type1", 28000, 1, "minimed_780g", "appeal"), (19, "type1", None, 3, "undecided",
                                                              "prior_authorization")]


def _answers(state: str, coverage: str, person: tuple) -> dict:
    age, kind, income, household, pump, denial = person
    data = {"state": state, "age": age, "diabetes_type": kind, "coverage": coverage,
            "household_size": household, "annual_income": income, "current_therapy": "injections",
            "pump_wanted": pump, "uses_cgm": True, "denial": denial}
    if coverage == "employer":
        data["employer_plan_funding"] = "self_funded"
    if coverage == "medicare_original":
        data["medigap"] = True
    if coverage in ("employer", "marketplace", "individual", "medicare_original", "medicare_advantage"):
        data["also_medicaid"] = False
    if denial != "none":
        data["denial_date"] = "2026-10-15"
    return data


def run() -> list[Result]:
    book = default_rulebook()
    cases = [_answers(s, c, p) for s, c, p in product(STATES, COVERAGES, PEOPLE)]
    validated = [validate_answers(a, AS_OF)[0] for a in cases]
    sample = validated[::37]
    index = iter(range(10**9))

    raw_sample = cases[::37]

    def one() -> None:
        evaluate(raw_sample[next(index) % len(raw_sample)], AS_OF, book)

    def one_validated() -> None:
        evaluate(sample[next(index) % len(sample)], AS_OF, book)

    # A page validates the answers once (validate_answers), then evaluate trusts the result.
    results = summary("evaluate raw answers (validate + plan)", time_calls(one, repeat=3000),
                      target_p50="<= 1 ms")
    results += summary("evaluate validated Answers (plan only)",
                       time_calls(one_validated, repeat=3000))
    # Throughput in CPU time of this process: "on one core", whatever else the machine runs.
    for label in ("sweep, first pass (cold caches)", "sweep, second pass"):
        start = time.process_time()
        for answers in validated:
            evaluate(answers, AS_OF, book)
        elapsed = time.process_time() - start
        results.append(Result(f"{label}: {len(validated):,} plans (51 states x 11 coverages x 4 people)",
                              len(validated) / elapsed, "plans/s per CPU second", ">= 5,000 plans/s"))
    start = time.process_time()
    for answers in validated:
        evaluate(answers, AS_OF, book).model_dump(mode="json")
    elapsed = time.process_time() - start
    results.append(Result("sweep including JSON serialisation", len(validated) / elapsed,
                          "plans/s per CPU second"))
    return results
