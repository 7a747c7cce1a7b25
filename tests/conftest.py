"""Shared fixtures. Every test that uses `app` (or `client`, `db_url`) runs twice: on a SQLite
file and on the PostgreSQL at 127.0.0.1:5432. When PostgreSQL cannot be reached, its runs are
skipped with the reason, never silently dropped."""
from __future__ import annotations

import os
import uuid
from datetime import date

import pytest
import sqlalchemy as sa

os.environ["NAVIGATOR_ENV"] = "testing"

from navigator import create_app, db, i18n
from navigator.engine.loader import default_rulebook

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL",
                                    "postgresql+psycopg://postgres@127.0.0.1:5432/test")
AS_OF = date(2026, 11, 23)


def _postgres_unreachable_reason() -> str | None:
    engine = sa.create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return None
    except sa.exc.SQLAlchemyError as exc:
        return f"PostgreSQL at {engine.url.host}:{engine.url.port} is not reachable ({type(exc.orig or exc).__name__}): PostgreSQL runs skipped"
    finally:
        engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogues():
    """The .mo catalogues are built, not committed: tests run with them as `make test` does."""
    i18n.compile_catalogues()


@pytest.fixture(scope="session")
def postgresql_url():
    """A fresh PostgreSQL database for this test session (each pytest-xdist worker has its
    own), dropped at the end."""
    reason = _postgres_unreachable_reason()
    if reason:
        pytest.skip(reason)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"navigator_test_{worker}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": name})
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    # tmp_path_factory's folders are per pytest-xdist worker: each worker has its own file
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'navigator.db'}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(request):
    """A migrated database of each kind (session-wide); tables are emptied after each test."""
    url = request.getfixturevalue(f"{request.param}_url")
    db.upgrade(url)
    return url


@pytest.fixture
def app(db_url):
    application = create_app({"DATABASE_URL": db_url})
    yield application
    engine = application.extensions["db_engine"]
    with engine.begin() as connection:
        for table in reversed(_tables(connection)):
            connection.execute(table.delete())
    db.dispose(engine)


_TABLES: dict[str, list[sa.Table]] = {}


def _tables(connection) -> list[sa.Table]:
    """The migrated tables, children first; reflected once per database (the schema is fixed
    for the session: tests that migrate make their own databases)."""
    url = connection.engine.url.render_as_string(hide_password=False)
    if url not in _TABLES:
        metadata = sa.MetaData()
        metadata.reflect(bind=connection)
        _TABLES[url] = [t for t in metadata.sorted_tables if t.name != "alembic_version"]
    return _TABLES[url]


@pytest.fixture(autouse=True)
def _us_daytime_clock(monkeypatch):
    """Tests count days from date.today() (the machine's date). The app counts them from the
    person's local date (navigator/clock.py), which in the US evening is a day behind UTC: so
    the app's clock reads 17:00 UTC of the machine's date, when every US zone, Hawaii to
    Maine, is on that same date. Tests of the clock itself set their own instant."""
    from datetime import UTC, datetime, time

    from navigator import clock

    monkeypatch.setattr(clock, "utc_now",
                        lambda: datetime.combine(date.today(), time(17, 0), tzinfo=UTC))


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing():
    """Argon2 at its production cost takes about half a second per hash or sign-in on this
    machine; tests hash and sign in hundreds of times. The same code path runs with the
    smallest parameters argon2 allows (tests of the parameters themselves set their own)."""
    from argon2 import PasswordHasher

    from navigator.services import accounts

    production = accounts.hasher
    accounts.hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    accounts.hasher = production


@pytest.fixture(scope="session", autouse=True)
def _url_builders_compiled_once():
    """Every test builds its own app, and werkzeug compiles two Python functions for each URL
    rule of each app: half of create_app's time. Those functions depend only on the rule's
    parts and defaults, so the same rule in the next app reuses them (werkzeug still compiles
    its matcher for every app)."""
    from werkzeug.routing import Rule

    compile_builder = Rule._compile_builder
    builders: dict[tuple, object] = {}

    def compiled_once(rule, append_unknown=True):
        key = (rule.rule, tuple(rule._trace), repr(sorted((rule.defaults or {}).items())),
               tuple(sorted((name, type(c)) for name, c in rule._converters.items())),
               append_unknown)
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Rule, "_compile_builder", compiled_once)
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def book():
    return default_rulebook()


# --- workers (the caseload) --------------------------------------------------------------------

WORKER_PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_worker(app):
    """make_worker(email, role="member", organisation=None) -> User; a new organisation when
    none is given (its first user is then its admin unless role says otherwise)."""
    from sqlmodel import Session

    from navigator.models import Organisation, User
    from navigator.services.accounts import hasher

    hashed = hasher.hash(WORKER_PASSWORD)

    def make(email: str, role: str = "member", organisation: int | None = None,
             name: str | None = None) -> User:
        with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
            if organisation is None:
                org = Organisation(name=f"Clinic of {email}")
                session.add(org)
                session.flush()
                organisation = org.id
            user = User(organisation_id=organisation, email=email, role=role,
                        name=name or email.split("@")[0].title(), password_hash=hashed)
            session.add(user)
            session.commit()
            return user

    return make


def log_in(client, email: str, password: str = WORKER_PASSWORD):
    return client.post("/auth/login", data={"email": email, "password": password})


@pytest.fixture
def worker(make_worker):
    """An admin of a fresh organisation."""
    return make_worker("ada@clinic.example", role="admin", name="Ada Worker")


@pytest.fixture
def worker_client(app, worker):
    """A test client signed in as `worker`."""
    client = app.test_client()
    response = log_in(client, worker.email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def case_in_session(app, client, patient_name: str) -> str:
    """An employer-plan case with a denied claim and a patient name, made the client's current
    case; returns its public id."""
    from sqlmodel import Session

    from navigator.services import cases
    from tests.answers import answers

    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = cases.create_case(session, answers(coverage="employer", denial="claim"))
        cases.save_details(session, case, {"patient_name": patient_name})
    with client.session_transaction() as flask_session:
        flask_session["case_public_id"] = case.public_id
    return case.public_id
