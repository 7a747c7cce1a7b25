"""The app factory and its configuration."""
import pytest

from navigator import create_app
from navigator.config import DEV_SECRET_KEY, ConfigError, build_config


def test_factory_builds_testing_app(app):
    assert app.testing
    assert app.config["ENV_NAME"] == "testing"
    assert "rulebook" in app.extensions and "db_engine" in app.extensions


def test_environment_overrides_defaults():
    _cls, settings = build_config({"DATABASE_URL": "sqlite:///x.db", "RETENTION_DAYS": "7"})
    assert settings["DATABASE_URL"] == "sqlite:///x.db"
    assert settings["RETENTION_DAYS"] == 7


def test_bad_number_in_environment_is_named():
    with pytest.raises(ConfigError, match="RETENTION_DAYS must be a whole number"):
        build_config({"RETENTION_DAYS": "thirty"})


def test_unknown_environment_name_is_refused():
    with pytest.raises(ConfigError, match="NAVIGATOR_ENV must be one of"):
        build_config({"NAVIGATOR_ENV": "staging"})


@pytest.mark.parametrize("key", [None, "", DEV_SECRET_KEY])
def test_production_refuses_missing_or_default_secret_key(key):
    environ = {"NAVIGATOR_ENV": "production"}
    if key is not None:
        environ["SECRET_KEY"] = key
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        build_config(environ)


def test_production_refuses_short_secret_key():
    with pytest.raises(ConfigError, match="too short"):
        build_config({"NAVIGATOR_ENV": "production", "SECRET_KEY": "short"})


def test_production_app_refuses_to_start_without_key(monkeypatch):
    monkeypatch.setenv("NAVIGATOR_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_production_app_starts_with_a_real_key(monkeypatch, sqlite_url):
    monkeypatch.setenv("NAVIGATOR_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    app = create_app({"DATABASE_URL": sqlite_url})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not app.debug


def test_app_py_builds_the_app_through_the_factory():
    import importlib

    module = importlib.import_module("app")
    assert module.app.name == "navigator"
