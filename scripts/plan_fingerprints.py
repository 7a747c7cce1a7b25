"""A fingerprint of every plan of a wide sweep, to show an engine change leaves the output alone.

    PYTHONPATH=TREE .venv/bin/python scripts/plan_fingerprints.py OUT.txt

writes one line per plan: the person's index, the language, the plan date and the SHA-256 of
the full plan JSON (`Plan.model_dump_json`) and of the batch document (`plan_document` through
orjson, what `navigator plan --format jsonl` writes). Run it on two trees and `diff` the files:
any change to any byte of any plan shows. The people: the engine benchmark's sweep, the sweep
test's, and seeded random answers that fill the optional fields too, each planned in English
and Spanish on three dates, interleaved so that anything one plan leaves behind for the next
(a memo keyed too loosely) changes a later plan; then every plan again in reverse order.
"""
from __future__ import annotations

import hashlib
import random
import sys
from datetime import date, timedelta
from itertools import product

import orjson

from navigator.engine import FIELDS, evaluate, validate_answers
from navigator.engine.answers import COVERAGES, STATES
from navigator.engine.document import plan_document
from navigator.engine.loader import default_rulebook

try:        # the batch writer's path, where the tree has it
    from navigator.engine.document import plan_document_json
except ImportError:
    plan_document_json = None

DATES = (date(2026, 11, 23), date(2026, 1, 10), date(2027, 10, 20))
LANGUAGES = ("en", "es")
RANDOM_PEOPLE = 4000


def bench_people() -> list[dict]:
    from bench.engine import PEOPLE, _answers
    return [_answers(s, c, p) for s, c, p in product(STATES, COVERAGES, PEOPLE)]


def sweep_test_people() -> list[dict]:
    from tests.test_sweep import PEOPLE, complete_answers
    return [complete_answers(s, c, p) for s, c, p in product(STATES, COVERAGES, PEOPLE)]


def random_people(count: int, pump_ids: tuple[str, ...]) -> list[dict]:
    """Answers with every field drawn from its domain (invalid combinations are dropped later)."""
    rng = random.Random(19)
    people = []
    for _ in range(count):
        data = {}
        for spec in FIELDS.values():
            if spec.required is None and rng.random() < 0.3:
                continue                            # optional and left unanswered
            data[spec.name] = _value(spec, rng, pump_ids)
        people.append(data)
    return people


def _value(spec, rng: random.Random, pump_ids: tuple[str, ...]):
    if spec.nullable and rng.random() < 0.1:
        return None
    if spec.kind == "enum":
        return rng.choice(spec.choices(pump_ids))
    if spec.kind == "bool":
        return rng.random() < 0.5
    if spec.kind == "date":
        latest = DATES[1] - timedelta(days=rng.randrange(0, 400))
        if spec.earliest_year < 1990:           # a birth date
            latest -= timedelta(days=rng.randrange(0, 90 * 365))
        return latest.isoformat()
    low, high = spec.minimum or 0, spec.maximum if spec.maximum is not None else 10**6
    high = min(high, 300_000)
    value = rng.randint(int(low), int(high))
    return float(value) + 0.5 if spec.kind == "number" and rng.random() < 0.2 else value


def fingerprint(answers, day: date, lang: str, book) -> str:
    plan = evaluate(answers, day, book, lang=lang)
    full = hashlib.sha256(plan.model_dump_json().encode()).hexdigest()[:20]
    encoded = orjson.dumps(plan_document(plan))
    if plan_document_json is not None and plan_document_json(plan) != encoded:
        raise AssertionError(f"plan_document_json differs from plan_document for {answers}")
    document = hashlib.sha256(encoded).hexdigest()[:20]
    return f"{full} {document}"


def main(out_path: str) -> int:
    book = default_rulebook()
    people = [*bench_people(), *sweep_test_people(), *random_people(RANDOM_PEOPLE, tuple(book.pumps))]
    jobs = []
    for index, raw in enumerate(people):
        day = DATES[index % len(DATES)]
        if raw.get("birth_date"):       # the age must agree with it on the plan date
            born = date.fromisoformat(raw["birth_date"])
            raw["age"] = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        answers, _errors = validate_answers(raw, day, book)
        if answers is not None:
            jobs += [(index, lang, day, answers) for lang in LANGUAGES]
    lines = {}
    for index, lang, day, answers in jobs:
        lines[index, lang] = f"{index} {lang} {day} {fingerprint(answers, day, lang, book)}"
    for index, lang, day, answers in reversed(jobs):
        again = f"{index} {lang} {day} {fingerprint(answers, day, lang, book)}"
        if again != lines[index, lang]:
            print(f"plan {index} {lang} differs when planned again in reverse order", file=sys.stderr)
            return 1
    with open(out_path, "w") as out:
        out.write("\n".join(lines.values()) + "\n")
    print(f"{len(lines)} plans of {len(people)} people written to {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
