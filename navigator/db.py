"""Database engine and sessions (SQLModel over SQLAlchemy), and the migration runner.

The engine lives on the app (`app.extensions["db_engine"]`); each request gets one session
through `get_session()`, closed when the request ends. Services take a session argument and
never touch Flask.
"""
from __future__ import annotations

import os
import select
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Speed-up (docs/BENCHMARKS.md): pages that only read (db.reads_only) use a second engine whose
# PostgreSQL connections stay in autocommit: no BEGIN/ROLLBACK round trips, and no switching a
# pooled connection's mode (40 us a checkout); with services.cases.CaseRecord, 730 -> 540 us of
# CPU per plan page and 1,330-1,440 -> median 1,830 plan pages/s under load.
READING_ENGINE = "_navigator_reading_engine"
# How long a request waits for a lock held by someone else before it gives up with the 503
# page (which keeps the typed answer). It must stay well below gunicorn's worker timeout
# (gunicorn.conf.py): when gunicorn kills the worker first, the answer is lost (review L1).
LOCK_WAIT_SECONDS = 10


def make_engine(url: str) -> Engine:
    # hide_parameters: SQL parameters are answers and letter details (personal data); they must
    # not reach a log line or an exception message, whatever the log level.
    if url.startswith("sqlite"):
        _ensure_sqlite_files(url)
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                  "timeout": LOCK_WAIT_SECONDS},
                               hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = _postgresql_engine(url)
    # Pages that only read get their own pool of connections kept in autocommit: no BEGIN and
    # ROLLBACK round trips, and no switching a pooled connection's mode at every checkout and
    # back, which costs more than the plan page's one SELECT.
    engine.__dict__[READING_ENGINE] = _postgresql_engine(url, isolation_level="AUTOCOMMIT")
    return engine


def _postgresql_engine(url: str, **options) -> Engine:
    engine = create_engine(url, pool_size=10, max_overflow=20, connect_args={
        "connect_timeout": 5, "options": f"-c lock_timeout={LOCK_WAIT_SECONDS * 1000}"},
        hide_parameters=True, **options)
    event.listen(engine, "checkout", _refuse_closed_connection)
    return engine


def _refuse_closed_connection(dbapi_connection, _record, _proxy) -> None:
    """A pooled connection the server has closed (restart, shutdown, pg_terminate_backend) is
    swapped for a fresh one before use, like SQLAlchemy's pool_pre_ping but without its round
    trip on every checkout: such a server sends its "terminating connection" message and closes
    the socket, so an idle connection with anything to read is a dead one. (A connection cut
    off silently, with nothing sent, still fails its request and the pool starts afresh.)"""
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("connection closed")
    waiting = select.poll()   # poll, not select: select fails on descriptors above 1023
    waiting.register(dbapi_connection.fileno(), select.POLLIN)
    if waiting.poll(0):
        raise DisconnectionError("the server closed the connection")


def _ensure_sqlite_files(url: str) -> None:
    """The database's folder and file, made readable by this account only (review L13): the
    file holds families' health and income answers. SQLite gives its -wal and -shm files the
    permissions of the database file."""
    path = url.removeprefix("sqlite:///")
    if not path or path == ":memory:" or url.startswith("sqlite:///:memory:"):
        return
    database = Path(path)
    if not database.parent.exists():
        database.parent.mkdir(mode=0o700, parents=True)
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:     # already there (or another worker made it just now)
        pass


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={LOCK_WAIT_SECONDS * 1000}")
    # Deleted answers are overwritten in the file, whatever SQLite's build default (review L3),
    # and the WAL is cut back after each checkpoint instead of keeping old pages around.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA journal_size_limit=0")
    cursor.close()


def init_app(app: Flask) -> None:
    app.extensions["db_engine"] = make_engine(app.config["DATABASE_URL"])
    # close_session runs at each request's teardown: web/pipeline.py installs it.
    for path in readable_by_others(app.config["DATABASE_URL"]):
        app.logger.warning("%s can be read by other accounts on this machine: chmod 600 it "
                           "(700 for its folder)", path)


def readable_by_others(url: str) -> list[str]:
    """The SQLite database's files (and folder) that other local accounts can read: a database
    made before the app created them 0600 keeps its mode (review L13)."""
    path = url.removeprefix("sqlite:///")
    if not url.startswith("sqlite:///") or not path or path.startswith(":memory:"):
        return []
    database = Path(path)
    candidates = [database.parent, database, *(Path(f"{database}{suffix}")
                                               for suffix in ("-wal", "-shm"))]
    return [str(p) for p in candidates if p.exists() and p.stat().st_mode & 0o077]


def engine() -> Engine:
    return current_app.extensions["db_engine"]


def reads_only(view):
    """Marks a view whose GET requests only read, apart from single-statement inserts such as
    an audit record. They run on the reading engine (autocommit on PostgreSQL). A view that
    writes more than one row at a time must not be marked: in autocommit each statement
    commits by itself."""
    view.reads_only = True
    return view


def reading_engine(db_engine: Engine) -> Engine:
    """The engine for pages that only read: on PostgreSQL, the autocommit one made with
    `db_engine`; SQLite starts no transaction for a SELECT anyway, so it keeps `db_engine`."""
    return db_engine.__dict__.get(READING_ENGINE, db_engine)


def get_session() -> Session:
    """The current request's session, opened on first use."""
    if "db_session" not in g:
        db_engine = reading_engine(engine()) if request_only_reads() else engine()
        g.db_session = Session(db_engine, expire_on_commit=False)
    return g.db_session


def request_only_reads() -> bool:
    """True for a GET or HEAD request of a view marked reads_only."""
    if not has_request_context() or request.method not in ("GET", "HEAD"):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "reads_only", False)


def reading_connection() -> Connection:
    """A connection of the reading engine for plain SELECTs outside the request's session;
    use it in a `with` block."""
    return reading_engine(engine()).connect()


def overwrite_deleted(db_engine: Engine, wait: bool = True) -> None:
    """On SQLite, copy the WAL into the database file and empty it, so earlier versions of
    deleted rows do not linger there (secure_delete zeroes them in the file itself). Without
    `wait` it gives up at once when another connection is reading, rather than holding up a
    request; the next complete checkpoint then does it. PostgreSQL's own (auto)vacuum reclaims
    deleted rows; its storage must be encrypted (docs/SECURITY.md)."""
    if db_engine.dialect.name != "sqlite":
        return
    with db_engine.connect() as connection:
        if not wait:
            connection.exec_driver_sql("PRAGMA busy_timeout=0")
        try:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            if not wait:
                connection.exec_driver_sql(f"PRAGMA busy_timeout={LOCK_WAIT_SECONDS * 1000}")


def _note_deleted_cases(session: Session, _context) -> None:
    from navigator.models import Case
    if any(isinstance(item, Case) for item in session.deleted):
        session.info["cases_deleted"] = True


def _overwrite_after_deleting_cases(session: Session) -> None:
    """"Delete my answers", a worker deleting a client: the answers leave the WAL too (review
    L3), as far as that can be done without waiting."""
    if not session.info.pop("cases_deleted", False):
        return
    bind = session.get_bind()
    db_engine = bind if isinstance(bind, Engine) else bind.engine
    try:
        overwrite_deleted(db_engine, wait=False)
    except SQLAlchemyError:     # busy or locked: the next checkpoint does it
        pass


event.listen(Session, "after_flush", _note_deleted_cases)
event.listen(Session, "after_commit", _overwrite_after_deleting_cases)


def dispose(db_engine: Engine) -> None:
    """Close every pooled connection of `db_engine` and of its reading engine."""
    reading_engine(db_engine).dispose()
    db_engine.dispose()


def discard_session() -> None:
    """Drop the request's session after a failed query (the next use opens a fresh one)."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def database_status(db_engine: Engine) -> tuple[bool, str]:
    """(reachable, detail) — the detail names the failure class, never the URL or credentials."""
    try:
        with db_engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True, "ok"
    except SQLAlchemyError as exc:
        return False, type(exc.orig if getattr(exc, "orig", None) else exc).__name__


def alembic_config(database_url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` (the latest by default)."""
    if database_url.startswith("sqlite"):
        _ensure_sqlite_files(database_url)
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
