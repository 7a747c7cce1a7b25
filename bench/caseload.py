"""Caseload speed: the dashboard page for a worker with 1,000 clients, and the rules recheck
over 10,000 saved cases (SQLite file in a temporary folder, one process)."""
from __future__ import annotations

import os
import tempfile
from itertools import cycle, product
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session

from bench.engine import PEOPLE, _answers
from bench.harness import Result, summary, time_calls
from navigator.engine.answers import COVERAGES, STATES
from navigator.models import Case, Organisation, User

DASHBOARD_CASES = 1_000
RECHECK_CASES = 10_000
PASSWORD = "benchmark password"


def _variety():
    return cycle(_answers(s, c, p) for s, c, p in product(STATES, COVERAGES, PEOPLE))


def _seed(engine, count: int) -> User:
    from navigator.services.accounts import hasher
    with Session(engine, expire_on_commit=False) as session:
        organisation = Organisation(name="Bench Clinic")
        session.add(organisation)
        session.flush()
        user = User(organisation_id=organisation.id, email="bench@clinic.example", name="Bench",
                    role="admin", password_hash=hasher.hash(PASSWORD))
        session.add(user)
        session.flush()
        answers = _variety()
        session.add_all([Case(organisation_id=organisation.id, owner_user_id=user.id,
                              client_name=f"Client {n:05d}", answers=next(answers))
                         for n in range(count)])
        session.commit()
        return user


def _app(folder: Path):
    os.environ.setdefault("NAVIGATOR_ENV", "testing")
    from navigator import create_app, db
    url = f"sqlite:///{folder / 'bench.db'}"
    db.upgrade(url)
    return create_app({"DATABASE_URL": url, "RECHECK_ON_START": False})


def dashboard(folder: Path) -> list[Result]:
    from navigator.services.recheck import recheck_all
    app = _app(folder)
    _seed(app.extensions["db_engine"], DASHBOARD_CASES)
    with Session(app.extensions["db_engine"]) as session:
        recheck_all(session, app.extensions["rulebook"])
    client = app.test_client()
    client.post("/auth/login", data={"email": "bench@clinic.example", "password": PASSWORD})

    def render() -> None:
        response = client.get("/caseload/")
        assert response.status_code == 200 and response.data.count(b"/caseload/cases/") >= 1000

    results = summary(f"dashboard page, {DASHBOARD_CASES:,} clients (request to HTML)",
                      time_calls(render, repeat=30, warmup=3), target_p50="<= 150 ms")
    results += summary("dashboard sorted by name, searched",
                       time_calls(lambda: client.get("/caseload/?sort=name&q=client+00"),
                                  repeat=30, warmup=3))
    app.extensions["db_engine"].dispose()
    return results


def recheck(folder: Path) -> list[Result]:
    from navigator.services.recheck import recheck_all
    app = _app(folder)
    engine, book = app.extensions["db_engine"], app.extensions["rulebook"]
    _seed(engine, RECHECK_CASES)
    with Session(engine) as session:
        first = recheck_all(session, book)
    # Pretend the rules changed: every snapshot now says it came from older rules.
    with Session(engine) as session:
        session.execute(update(Case).values(last_plan_version="older"))
        session.commit()
    with Session(engine) as session:
        rows = session.query(Case).all()
        for case in rows:
            case.plan_snapshot = {**case.plan_snapshot, "rules_version": "older"}
        session.commit()
    with Session(engine) as session:
        second = recheck_all(session, book)
    with Session(engine) as session:
        third = recheck_all(session, book)
    engine.dispose()
    return [
        Result(f"recheck, {first.checked:,} cases without snapshots", first.per_second,
               "cases/s", ">= 2,000 cases/s"),
        Result(f"recheck after a rules change ({second.updated:,} rows written)",
               second.per_second, "cases/s", ">= 2,000 cases/s"),
        Result("recheck with nothing to write", third.per_second, "cases/s"),
    ]


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as folder:
        results = dashboard(Path(folder) / "dashboard")
        results += recheck(Path(folder) / "recheck")
    return results
