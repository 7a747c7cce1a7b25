"""Pages marked reads_only run on the reading engine, in autocommit on PostgreSQL (no
BEGIN/ROLLBACK round trips); every other request, and any POST, runs in a transaction. SQLite
is left as it is: it starts no transaction for a SELECT."""
from __future__ import annotations

import contextlib

from sqlalchemy import event

from navigator import db
from tests.test_questionnaire import MEDICARE_JOURNEY, walk


def _autocommit(dbapi_connection) -> bool:
    if hasattr(dbapi_connection, "autocommit") and isinstance(dbapi_connection.autocommit, bool):
        return dbapi_connection.autocommit                # psycopg
    return dbapi_connection.isolation_level is None       # sqlite3


@contextlib.contextmanager
def statement_modes(app):
    """Yields a list filled with (statement verb, autocommit?) for each statement sent."""
    seen: list[tuple[str, bool]] = []

    def record(conn, _cursor, statement, _params, _context, _many):
        seen.append((statement.split(None, 1)[0].upper(), _autocommit(conn.connection.dbapi_connection)))

    engines = {app.extensions["db_engine"], db.reading_engine(app.extensions["db_engine"])}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


def test_the_plan_page_reads_in_autocommit_and_answers_are_saved_in_a_transaction(app, client):
    postgresql = app.extensions["db_engine"].dialect.name == "postgresql"
    walk(client, MEDICARE_JOURNEY)
    with statement_modes(app) as seen:
        assert client.get("/plan").status_code == 200
    assert seen and all(verb == "SELECT" and autocommit == postgresql
                        for verb, autocommit in seen)

    with statement_modes(app) as seen:
        response = client.post("/questions/household",
                               data={"household_size": "3", "annual_income": "52000"})
        assert response.status_code == 302
    assert ("UPDATE", False) in seen
    assert not any(autocommit for _verb, autocommit in seen)


def test_the_read_only_pages_are_the_ones_marked(app):
    marked = {name for name, view in app.view_functions.items() if getattr(view, "reads_only", False)}
    assert marked == {"plan.show", "plan.pdf", "plan.calendar", "letters.index", "letters.preview",
                      "letters.pdf", "letters.docx", "letters.packet_status",
                      "letters.packet_download", "questionnaire.check", "pumps.index",
                      "pumps.compare"}


def test_connections_go_back_to_the_pool_out_of_autocommit(app, client):
    """After a marked page, the connections of the main pool are still transactional."""
    walk(client, MEDICARE_JOURNEY)
    client.get("/plan")
    with app.app_context(), db.engine().connect() as connection:
        assert not _autocommit(connection.connection.dbapi_connection)
