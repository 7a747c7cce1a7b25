"""Alembic migrations on both databases: they apply, reverse, and match the models."""
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from navigator import db, models  # noqa: F401


def _table_names(url):
    engine = db.make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_create_the_tables(db_url):
    names = _table_names(db_url)
    assert {"alembic_version", "cases"} <= names


def test_models_match_the_migrations(db_url):
    engine = db.make_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert differences == [], "models and migrations differ: add a migration"


def test_downgrade_to_base_and_upgrade_again(db_url):
    db.downgrade(db_url, "base")
    assert "cases" not in _table_names(db_url)
    db.upgrade(db_url)
    assert "cases" in _table_names(db_url)


def test_cli_upgrade_on_a_fresh_sqlite_file(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from navigator.cli import main

    url = f"sqlite:///{tmp_path / 'fresh' / 'navigator.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "cases" in _table_names(url)
