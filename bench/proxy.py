"""Load on the production shape (issue 19): nginx (deploy/nginx) in front of two app instances
under gunicorn (deploy/gunicorn.conf.py), PostgreSQL, and Redis for the rate limits, all on
loopback. Bounded: about 3 minutes of load with the defaults.

Phases, each a fresh count:
- hello ceiling through the same nginx, to one instance and to two (a Flask "hello" app under
  the same gunicorn settings): what the proxy and the machine allow at all;
- people (LOAD_PROXY_SECONDS each): 50, then 200 people pausing 0.5-1.5 s before each click,
  going questionnaire -> plan -> letter PDF -> plan, as in bench/load.py; lost answers counted;
- plan page only: everyone reloads their own plan without pausing, through nginx to one
  instance, then to both: the scaling from one instance to two.
"""
from __future__ import annotations

import os
import uuid

from bench import load
from bench.harness import Result
from bench.shape import Shape
from navigator.db import upgrade
from navigator.questionnaire import default_questions_path, load_questionnaire

PEOPLE = (50, 200)
PHASE_SECONDS = float(os.environ.get("LOAD_PROXY_SECONDS", "25"))
CAPACITY_SECONDS = float(os.environ.get("LOAD_CAPACITY_SECONDS", "10"))
CAPACITY_USERS = 50
WORKERS, THREADS = 2, 32          # per instance (deploy/gunicorn.conf.py's defaults)
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/0")


def _hello(results: list[Result]) -> dict[str, float]:
    rates = {}
    with Shape({}, instances=2, target="bench.hello_app:app", workers=WORKERS, threads=THREADS,
               single_site=True) as hello:
        for label, port in (("1 instance", hello.single_port), ("2 instances", hello.port)):
            load._warm_up(port, 2.0)
            samples, _, elapsed, _ = load._drive(port, load.hello_until, CAPACITY_SECONDS,
                                                 users=CAPACITY_USERS)
            results += load._report(f"proxy, hello ceiling, {label}", samples, elapsed)
            rates[label] = len(samples) / elapsed
    return rates


def run() -> list[Result]:
    results: list[Result] = []
    url = load._postgres_database()
    if url is None:
        return [Result("proxy: skipped, PostgreSQL not reachable", 0, "")]
    try:
        upgrade(url)
        questionnaire = load_questionnaire(default_questions_path(load.ROOT / "rules"))
        hello = _hello(results)
        env = {"DATABASE_URL": url, "NAVIGATOR_ENV": "production", "SECRET_KEY": "load-" + "k" * 40,
               "SERVER_NAME": "localhost", "PROXY_HOPS": "1", "REDIS_URL": REDIS_URL,
               "RATELIMIT_KEY_PREFIX": f"navigator-load-{uuid.uuid4().hex}",
               "API_RATE_LIMIT": "100000 per minute", "RULES_RELOAD_SECONDS": "0",
               # every simulated person comes from 127.0.0.1: the per-address PDF limit would
               # turn their letters into 429s
               "PDF_RATE_LIMIT": "100000 per minute"}
        with Shape(env, instances=2, workers=WORKERS, threads=THREADS, single_site=True) as shape:
            load._warm_up(shape.port, 4.0)
            think = load.think_range(load.THINK)
            for people in PEOPLE:
                samples, submitted, elapsed, started = load._drive(
                    shape.port, lambda b, a, stop: load.journey(b, questionnaire, a, stop),
                    PHASE_SECONDS, think, users=people)
                results += load._report(f"proxy, 2 instances, {people} people pausing {load.THINK} s",
                                        samples, elapsed, {"plan page": "p95 <= 150 ms"})
                results.append(Result(f"proxy, {people} people: journeys finished (of {started} "
                                      "started)", len(submitted), ""))
                results.append(Result(f"proxy, {people} people: lost answers",
                                      load._lost_answers(url, submitted), "", "0"))
            rates = {}
            for label, port in (("1 instance", shape.single_port), ("2 instances", shape.port)):
                samples, elapsed = load.plan_page_capacity(port, questionnaire, CAPACITY_SECONDS,
                                                           users=CAPACITY_USERS)
                results += load._report(f"proxy, plan page only, {label}", samples, elapsed)
                rates[label] = sum(1 for s in samples if s.name == "plan page") / elapsed
                results.append(Result(f"proxy, {label}: plan pages/s as % of the hello ceiling "
                                      "through the same proxy", 100 * rates[label] / hello[label], "%"))
            gain = (rates["2 instances"] - rates["1 instance"]) / rates["1 instance"]
            results.append(Result("proxy: plan-page throughput a second instance adds, as % of the "
                                  "first's", 100 * gain, "%", ">= 60%"))
    finally:
        load._drop_database(url)
    return results
