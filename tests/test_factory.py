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
    monkeypatch.setenv("SERVER_NAME", "navigator.example.org")
    app = create_app({"DATABASE_URL": sqlite_url})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not app.debug


def test_app_py_builds_the_app_through_the_factory():
    import importlib

    module = importlib.import_module("app")
    assert module.app.name == "navigator"


# --- production refuses unsafe set-ups (issue 14 items 6 and 8, review L16, L18, M5) -------------

PRODUCTION = {"NAVIGATOR_ENV": "production", "SECRET_KEY": "k" * 64,
              "SERVER_NAME": "navigator.example.org"}


def test_production_refuses_to_start_without_a_server_name():
    with pytest.raises(ConfigError, match="SERVER_NAME is not set"):
        build_config({**PRODUCTION, "SERVER_NAME": ""})


@pytest.mark.parametrize("environ", [
    {"WEB_CONCURRENCY": "4"},
    {"GUNICORN_CMD_ARGS": "--bind 127.0.0.1:5000 --workers 3"},
    {"GUNICORN_CMD_ARGS": "-w2"},
])
def test_production_refuses_several_workers_with_limits_in_memory(environ):
    with pytest.raises(ConfigError, match="Set REDIS_URL"):
        build_config({**PRODUCTION, **environ})
    _cls, settings = build_config({**PRODUCTION, **environ,
                                   "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert settings["WORKERS"] > 1 and settings["REDIS_URL"]


def test_one_production_worker_may_keep_its_limits_in_memory():
    _cls, settings = build_config(PRODUCTION)
    assert settings["WORKERS"] == 1


@pytest.mark.parametrize("argv, workers", [
    (["/srv/.venv/bin/gunicorn", "-w", "4", "app:app"], 4),
    (["gunicorn", "--workers=3", "app:app"], 3),
    (["gunicorn", "-w5", "app:app"], 5),
    (["/srv/.venv/lib/python3.11/site-packages/gunicorn/__main__.py", "-w", "2", "app:app"], 2),
    (["gunicorn", "app:app"], 1),
    (["flask", "run", "-w", "4"], 1),         # not gunicorn: its -w means something else
])
def test_the_number_of_workers_is_read_from_gunicorns_command_line(argv, workers):
    from navigator.config import declared_workers
    assert declared_workers({}, argv) == workers


def test_gunicorn_without_navigator_env_refuses_the_development_settings(monkeypatch):
    from navigator.config import config_class
    with pytest.raises(ConfigError, match="NAVIGATOR_ENV is not set"):
        config_class({}, ["/srv/.venv/bin/gunicorn", "app:app"])
    assert config_class({}, ["flask"]).ENV_NAME == "development"
    assert config_class({"NAVIGATOR_ENV": "development"},
                        ["gunicorn", "app:app"]).ENV_NAME == "development"


def test_links_with_secrets_follow_server_name_not_the_host_header(db_url, monkeypatch):
    """Review L18: a resume link shown after saving is built from SERVER_NAME."""
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    app = create_app({"DATABASE_URL": db_url, "RECHECK_ON_START": False,
                      "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/questions/state", data={"state": "OH"}, base_url="https://evil.example")
    page = client.post("/save", base_url="https://evil.example",
                       follow_redirects=True).get_data(as_text=True)
    assert "https://navigator.example.org/resume/" in page
    assert "evil.example" not in page
