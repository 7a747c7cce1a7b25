"""Load test (issue 8): the app under gunicorn on 127.0.0.1 with 50 simulated people, beside a
minimal Flask "hello" under the same server settings for the ceiling. Loopback only, bounded
in time (about 2 minutes of load in all with the defaults).

Per database (SQLite and, when reachable, PostgreSQL), three phases:
- people (LOAD_SECONDS): people arrive one by one over LOAD_RAMP_SECONDS; each pauses
  LOAD_THINK_SECONDS (uniform, "0.5-1.5") before every click, as someone reading the page
  would, and goes start -> every question page -> plan -> letter PDF -> plan, then starts
  again as a new person. LOAD_THINK_SECONDS=0 turns it into a stress test where nobody
  ever pauses (and everyone arrives at once).
- hello ceiling (LOAD_CAPACITY_SECONDS): the hello app, nobody pausing, each person on one
  kept-alive connection. Measured per database, just before its capacity phase: the ceiling
  of the same machine moves by a quarter from one minute to the next.
- plan page only (LOAD_CAPACITY_SECONDS): nobody pauses; each person reloads their plan as
  fast as the server answers. Its throughput against that ceiling is the server's capacity
  for plan pages.
Afterwards every answer of each finished journey is looked up in the database: a lost answer
is counted, not guessed.
"""
from __future__ import annotations

import itertools
import json
import os
import socket
import statistics
import subprocess  # nosec B404: starts our own gunicorn on loopback
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import sqlalchemy as sa

from bench.harness import Result, percentile
from bench.loadclient import Browser, csrf_token
from navigator.db import upgrade
from navigator.questionnaire import default_questions_path, load_questionnaire
from navigator.questionnaire.forms import token_for

ROOT = Path(__file__).resolve().parent.parent
USERS = int(os.environ.get("LOAD_USERS", "50"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "35"))
SATURATION_SECONDS = float(os.environ.get("LOAD_CAPACITY_SECONDS", "10"))
WORKERS = int(os.environ.get("LOAD_WORKERS", "3"))
THREADS = int(os.environ.get("LOAD_THREADS", "8"))
THINK = os.environ.get("LOAD_THINK_SECONDS", "0.5-1.5")
# People pausing arrive one after another over this many seconds, not all in the same instant.
RAMP_SECONDS = float(os.environ.get("LOAD_RAMP_SECONDS", "15"))
POSTGRES_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(target: str, env: dict) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-k", "gthread",
               "--threads", str(THREADS), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
               target]
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})  # nosec B603
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            _warm_up(port)
            return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"gunicorn for {target} did not start")


def _warm_up(port: int, seconds: float = 4.0) -> None:
    """Until every worker has loaded the app (rules, templates, PDF fonts) nothing is measured."""
    stop_at = time.monotonic() + seconds

    def hit() -> None:
        browser = Browser("127.0.0.1", port)
        while time.monotonic() < stop_at:
            browser.get("warm-up", "/")
        browser.close()

    threads = [threading.Thread(target=hit) for _ in range(WORKERS * THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()


def person_answers(number: int) -> dict:
    """A distinct, complete set of answers per journey: the income marks whose it is."""
    medicare = number % 3 == 0
    answers = {
        "state": ("OH", "TX", "NY", "CA", "FL")[number % 5],
        "age": 70 if medicare else 9 + number % 40,
        "diabetes_type": "type1", "household_size": 1 + number % 5,
        "annual_income": 20_000 + number,  # unique per journey
        "current_therapy": "injections", "pump_wanted": ("tslim_x2", "omnipod_5")[number % 2],
        "uses_cgm": True, "denial": "none",
    }
    if medicare:
        answers.update(coverage="medicare_original", medigap=True, also_medicaid=False)
    else:
        answers.update(coverage="medicaid")
    return answers


def think_range(text: str) -> tuple[float, float] | None:
    """ "0.5-1.5" -> (0.5, 1.5); "0" -> None (no pauses)."""
    low, _, high = text.partition("-")
    bounds = (float(low), float(high or low))
    return bounds if bounds[1] > 0 else None


def journey(browser: Browser, questionnaire, answers: dict, stop_at: float,
            with_letter: bool = True) -> bool:
    """Questionnaire to plan to letter and back to the plan, as a person clicks; True when it
    reached the end, False when a page failed or time ran out on the way (abandoned)."""
    status, path, body = browser.get("start", "/start")
    for _ in range(20):
        if status != 200 or time.monotonic() > stop_at:
            return False
        if path == "/check":
            break
        page = questionnaire.page(path.rsplit("/", 1)[-1])
        if page is None:
            return False
        form = {"csrf_token": csrf_token(body) or ""}
        for question in page.visible_questions(answers):
            if answers.get(question.field) is not None:   # optional ones left blank
                form[question.field] = token_for(answers[question.field])
        status, path, body = browser.post("question page", path, form)
    else:
        return False
    status, _, body = browser.get("plan page", "/plan")
    if status != 200 or not with_letter:
        return status == 200
    status, _, _ = browser.get("letter PDF", "/letters/medical_necessity.pdf")
    if status != 200:
        return False
    return browser.get("plan page", "/plan")[0] == 200


def hello_until(browser: Browser, _answers: dict, stop_at: float) -> bool:
    """The ceiling's person: "/" again and again on one kept-alive connection, as the plan
    page capacity phase does with the plan page."""
    while time.monotonic() < stop_at:
        if browser.get("hello", "/")[0] != 200:
            return False
    return True


def plan_page_capacity(port: int, questionnaire, seconds: float,
                       users: int = USERS) -> tuple[list, float]:
    """`users` people each make a case (untimed), then all at once reload their own plan page
    without pausing for `seconds`. Returns (plan page samples, seconds measured)."""
    samples: list = []
    lock = threading.Lock()
    clock = {}

    def go() -> None:   # runs once, when everyone is ready, before anyone reloads
        clock["started"] = time.perf_counter()
        clock["stop_at"] = time.monotonic() + seconds

    ready = threading.Barrier(users + 1, action=go)

    def person(number: int) -> None:
        browser = Browser("127.0.0.1", port)
        made = journey(browser, questionnaire, person_answers(10**6 + number),
                       time.monotonic() + 120, with_letter=False)
        ready.wait()
        browser.samples.clear()
        browser.close()   # the server has closed it after its keep-alive timeout
        while made and time.monotonic() < clock["stop_at"]:
            if browser.get("plan page", "/plan")[0] != 200:
                break
        browser.close()
        with lock:
            samples.extend(browser.samples)

    threads = [threading.Thread(target=person, args=(n,), daemon=True) for n in range(users)]
    for thread in threads:
        thread.start()
    ready.wait(timeout=180)
    for thread in threads:
        thread.join(seconds + 60)
    return samples, time.perf_counter() - clock["started"]


# Every journey of a bench run is a different person, from one phase to the next too: a case cut
# off by the end of one phase must not share its income (the key of _lost_answers) with a
# finished journey of the next.
_person_numbers = itertools.count()


def _drive(port: int, scenario, seconds: float, think: tuple[float, float] | None = None,
           users: int = USERS) -> tuple[list, list[dict], float, int]:
    """`users` threads, each a person starting journey after journey until time is up;
    `scenario(browser, answers, stop_at)` returns True when the person got to the end.
    Returns (samples, answers of finished journeys, seconds, journeys started)."""
    stop_at = time.monotonic() + seconds
    samples: list = []
    submitted: list[dict] = []
    lock = threading.Lock()
    started_before = next(_person_numbers)

    def user(arrival: float) -> None:
        time.sleep(arrival)
        while time.monotonic() < stop_at:
            browser = Browser("127.0.0.1", port, think=think)
            number = next(_person_numbers)
            answers = person_answers(number)
            finished = scenario(browser, answers, stop_at)
            browser.close()
            with lock:
                samples.extend(browser.samples)
                if finished:
                    submitted.append(answers)

    ramp = RAMP_SECONDS if think else 0.0
    threads = [threading.Thread(target=user, args=(ramp * n / users,), daemon=True)
               for n in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    return samples, submitted, time.perf_counter() - started, next(_person_numbers) - started_before - 1


def _report(label: str, samples: list, elapsed: float,
            targets: dict[str, str] | None = None) -> list[Result]:
    by_name = defaultdict(list)
    for sample in samples:
        by_name[sample.name].append(sample)
    errors = sum(1 for s in samples if s.status >= 400)
    results = [Result(f"{label}: requests/s (all)", len(samples) / elapsed, "req/s"),
               Result(f"{label}: errors", errors, "responses >= 400 or failed")]
    for name, group in sorted(by_name.items()):
        times = [s.seconds * 1000 for s in group]
        results.append(Result(f"{label}: {name}: {len(group)} requests, {len(group) / elapsed:.1f}/s,"
                              f" p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 95):.1f} ms, p99",
                              percentile(times, 99), "ms", (targets or {}).get(name, "")))
    return results


def _lost_answers(database_url: str, submitted: list[dict]) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT answers FROM cases")).all()
    finally:
        engine.dispose()
    stored = defaultdict(list)
    for (answers,) in rows:
        if isinstance(answers, str):
            answers = json.loads(answers)
        stored[answers.get("annual_income")].append(answers)
    return sum(1 for answers in submitted
               if not any(all(saved.get(k) == v for k, v in answers.items())
                          for saved in stored[answers["annual_income"]]))


def _postgres_database() -> str | None:
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT",
                             connect_args={"connect_timeout": 3})
    name = f"navigator_load_{os.getpid()}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        admin.dispose()
    return sa.engine.make_url(POSTGRES_ADMIN).set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    """Drops the database _postgres_database made, once the bench is done with it."""
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            name = sa.engine.make_url(url).database
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def hello_ceiling() -> tuple[list, float]:
    """(samples, seconds) of the hello app under the same server, nobody pausing."""
    server, port = _start("bench.hello_app:app", {})
    try:
        samples, _, elapsed, _ = _drive(port, hello_until, SATURATION_SECONDS)
    finally:
        _stop(server)
    return samples, elapsed


def run() -> list[Result]:
    results: list[Result] = []
    questionnaire = load_questionnaire(default_questions_path(ROOT / "rules"))
    databases = {"sqlite": f"sqlite:///{tempfile.mkdtemp()}/load.db", "postgresql": _postgres_database()}
    for label, url in databases.items():
        if url is None:
            results.append(Result(f"{label}: skipped, PostgreSQL not reachable", 0, ""))
            continue
        upgrade(url)
        # Production with several workers needs shared rate limits (REDIS_URL) and SERVER_NAME.
        env = {"DATABASE_URL": url, "NAVIGATOR_ENV": "production", "SECRET_KEY": "load-" + "k" * 40,
               "API_RATE_LIMIT": "100000 per minute", "PDF_RATE_LIMIT": "100000 per minute",
               "SERVER_NAME": "localhost",
               "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
               "RATELIMIT_KEY_PREFIX": f"bench-load-{os.getpid()}"}
        server, port = _start("app:app", env)
        try:
            think = think_range(THINK)
            samples, submitted, elapsed, started = _drive(
                port, lambda b, a, stop: journey(b, questionnaire, a, stop), SECONDS, think)
            phase = f"{label}, people pausing {THINK} s" if think else f"{label}, nobody pausing"
            results += _report(phase, samples, elapsed, {"plan page": "p95 <= 150 ms"})
            results.append(Result(f"{label}: journeys finished (of {started} started; the rest "
                                  "were cut off by the end of the phase)", len(submitted), ""))
            results.append(Result(f"{label}: lost answers", _lost_answers(url, submitted), "", "0"))
            # The app server sits idle, holding its cases, while the ceiling is measured.
            samples, elapsed = hello_ceiling()
            results += _report(f"{label}, hello ceiling", samples, elapsed)
            hello_rate = len(samples) / elapsed
            samples, elapsed = plan_page_capacity(port, questionnaire, SATURATION_SECONDS)
            results += _report(f"{label}, plan page only", samples, elapsed)
            plan_rate = sum(1 for s in samples if s.name == "plan page") / elapsed
            results.append(Result(f"{label}: plan pages/s as % of the hello ceiling",
                                  100 * plan_rate / hello_rate, "%", ">= 25%"))
        finally:
            _stop(server)
            if label == "postgresql":
                _drop_database(url)
    return results
