"""Configuration classes, filled from the environment when the app is built.

`NAVIGATOR_ENV` picks the class: development (the default), testing or production.
Each variable below may be set in the environment; the README lists them.
"""
from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
DEFAULT_DATABASE_URL = f"sqlite:///{INSTANCE_DIR / 'navigator.db'}"
# The development key is public (it is in this file), so production refuses it.
# Public by design (bandit B105 is expected): production refuses this key.
DEV_SECRET_KEY = "dev-only-secret-key-change-me"  # nosec B105
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to set."""


class Config:
    ENV_NAME = "development"
    SECRET_KEY = DEV_SECRET_KEY
    DATABASE_URL = DEFAULT_DATABASE_URL
    RULES_DIR = str(PROJECT_ROOT / "rules")
    RETENTION_DAYS = 30
    REDIS_URL = ""
    LOG_LEVEL = "INFO"
    LOG_FORMAT = "text"         # "json": one JSON object a line (production behind a collector)
    PROXY_HOPS = 0              # proxies in front whose X-Forwarded-* headers are trusted
    METRICS_ENABLED = False     # Prometheus metrics at /metrics, for METRICS_ALLOW addresses
    METRICS_ALLOW = "127.0.0.1,::1"
    API_RATE_LIMIT = "120 per minute"
    API_KEY_RATE_LIMIT = "60 per minute"   # per organisation key; a batch call plans up to 1,000
    RULES_RELOAD_SECONDS = 30   # 0 turns the check for edited rule files off
    PDF_PROCESSES = 0           # >0: render PDFs in that many lower-priority processes
    RECHECK_ON_START = True     # queue the recheck of saved plans (REDIS_URL), else log that it is due
    MAX_CONTENT_LENGTH = 256 * 1024
    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 8
    # Workers' sessions: signed out after this long without a request, and after
    # PERMANENT_SESSION_LIFETIME in any case.
    IDLE_TIMEOUT_SECONDS = 30 * 60
    # Sign-in throttling (navigator/web/signin_guard.py explains how they work together).
    LOGIN_RATE_LIMIT = "10 per minute"      # one account from one address (or known browser)
    LOGIN_ADDRESS_LIMIT = "30 per minute"   # any account from one address
    LOGIN_BACKOFF_AFTER = 5                 # failures in an hour before waits of 1, 2, 4 ... s
    LOGIN_BACKOFF_MAX_SECONDS = 15 * 60
    LOGIN_ACCOUNT_FAILURES = 20             # failures an hour on one account from everywhere,
    LOGIN_ACCOUNT_SLOWDOWN_SECONDS = 60     # then one attempt a minute from unknown browsers
    LOGIN_DEVICE_FAILURES = 10              # a known browser failing this often loses its pass
    RESUME_RATE_LIMIT = "20 per minute"
    PDF_RATE_LIMIT = "10 per minute"
    # Rate-limit counters: in Redis when REDIS_URL is set (shared by every worker and instance).
    RATELIMIT_KEY_PREFIX = "navigator"
    # The public host name (and port, if not the default) links are built from: resume, feed
    # and invitation links carry secrets and must never follow a request's Host header.
    SERVER_NAME = None
    PREFERRED_URL_SCHEME = "http"
    # Retention (`navigator purge`): audit entries and deactivated accounts (review L14).
    AUDIT_RETENTION_DAYS = 365 * 6
    DEACTIVATED_ACCOUNT_RETENTION_DAYS = 90
    WORKERS = 1     # app processes serving together (filled in from gunicorn's settings)
    # Reminders (issue 18). MAIL_URL: smtp://user:password@host:587 (STARTTLS when offered) or
    # smtps://... (TLS from the start); empty = no email is sent. PUBLIC_BASE_URL is where the
    # links in messages point (messages are sent outside any request).
    MAIL_URL = ""
    MAIL_FROM = "Pump Access Navigator <reminders@localhost>"
    PUBLIC_BASE_URL = ""            # empty: PREFERRED_URL_SCHEME://SERVER_NAME
    TWILIO_ACCOUNT_SID = ""
    TWILIO_AUTH_TOKEN = ""  # nosec B105 - empty: set in the environment
    TWILIO_FROM_NUMBER = ""
    REMINDER_SCAN_SECONDS = 900     # how often `navigator worker` looks for reminders falling due
    REMINDER_QUEUE = "reminders"    # the RQ queue's name in Redis
    # Letter packets: with REDIS_URL, made by `navigator worker` on this queue and kept
    # (encrypted) in Redis this long for the case that asked; without it, in the request.
    PDF_QUEUE = "pdf"
    PDF_KEEP_SECONDS = 600
    TESTING = False

    @classmethod
    def check(cls, settings: Mapping[str, object]) -> None:
        """Raise ConfigError when the settings are unsafe for this kind of deployment."""
        if settings.get("LOG_FORMAT") not in ("text", "json"):
            raise ConfigError(f"LOG_FORMAT must be text or json, got {settings.get('LOG_FORMAT')!r}")


class DevelopmentConfig(Config):
    pass


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    RECHECK_ON_START = False    # tests of the recheck ask for it; the others need not pay for it
    SECRET_KEY = "testing-secret-key-not-for-production-use"  # nosec B105
    WTF_CSRF_ENABLED = False
    PDF_RATE_LIMIT = "1000 per minute"    # the suite renders many; tests of the limit set it


class ProductionConfig(Config):
    ENV_NAME = "production"
    LOG_FORMAT = "json"
    METRICS_ENABLED = True
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    PDF_PROCESSES = 2

    @classmethod
    def check(cls, settings: Mapping[str, object]) -> None:
        super().check(settings)
        cls._check_secret_key(settings)
        if not settings.get("SERVER_NAME"):
            raise ConfigError(
                "SERVER_NAME is not set. In production set SERVER_NAME to the public host name "
                "(for example navigator.example.org): resume, calendar-feed and invitation links "
                "are built from it, never from a request's Host header.")
        _check_limits_are_shared(int(settings.get("WORKERS") or 1), settings.get("REDIS_URL"))

    @classmethod
    def _check_secret_key(cls, settings: Mapping[str, object]) -> None:
        key = str(settings.get("SECRET_KEY") or "")
        if not key or key == DEV_SECRET_KEY:
            raise ConfigError(
                "SECRET_KEY is not set. In production set SECRET_KEY to a long random value, "
                "for example the output of: python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                f"SECRET_KEY is too short ({len(key)} characters); "
                f"use at least {MIN_SECRET_KEY_LENGTH} random characters."
            )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}

# Variables read from the environment, with the type each must parse as.
ENVIRONMENT_SETTINGS: dict[str, type] = {
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "RULES_DIR": str,
    "RETENTION_DAYS": int,
    "REDIS_URL": str,
    "RATELIMIT_KEY_PREFIX": str,    # Flask-Limiter's own: keeps apps sharing one Redis apart
    "LOG_LEVEL": str,
    "LOG_FORMAT": str,
    "PROXY_HOPS": int,
    "METRICS_ENABLED": bool,
    "METRICS_ALLOW": str,
    "API_RATE_LIMIT": str,
    "API_KEY_RATE_LIMIT": str,
    "RULES_RELOAD_SECONDS": int,
    "PDF_PROCESSES": int,
    "IDLE_TIMEOUT_SECONDS": int,
    "LOGIN_RATE_LIMIT": str,
    "MAIL_URL": str,
    "MAIL_FROM": str,
    "PUBLIC_BASE_URL": str,
    "TWILIO_ACCOUNT_SID": str,
    "TWILIO_AUTH_TOKEN": str,
    "TWILIO_FROM_NUMBER": str,
    "REMINDER_SCAN_SECONDS": int,
    "REMINDER_QUEUE": str,
    "PDF_QUEUE": str,
    "PDF_KEEP_SECONDS": int,
    "LOGIN_ADDRESS_LIMIT": str,
    "LOGIN_BACKOFF_AFTER": int,
    "LOGIN_BACKOFF_MAX_SECONDS": int,
    "LOGIN_ACCOUNT_FAILURES": int,
    "LOGIN_ACCOUNT_SLOWDOWN_SECONDS": int,
    "LOGIN_DEVICE_FAILURES": int,
    "RESUME_RATE_LIMIT": str,
    "PDF_RATE_LIMIT": str,
    "SERVER_NAME": str,
    "AUDIT_RETENTION_DAYS": int,
    "DEACTIVATED_ACCOUNT_RETENTION_DAYS": int,
}


def _check_limits_are_shared(workers: int, redis_url: object) -> None:
    if workers > 1 and not redis_url:
        raise ConfigError(
            f"{workers} workers with rate limits kept in memory: each worker would count on its "
            f"own, multiplying every limit (sign-in, API, resume links, PDFs) by {workers}. "
            "Set REDIS_URL (for example redis://127.0.0.1:6379/0) or run one worker.")


def check_workers(environ: Mapping[str, str], workers: int) -> None:
    """For gunicorn.conf.py: refuse several production workers without shared limits."""
    if environ.get("NAVIGATOR_ENV") == "production":
        _check_limits_are_shared(workers, environ.get("REDIS_URL"))


def served_by_gunicorn(argv: Sequence[str]) -> bool:
    """`gunicorn ...` or `python -m gunicorn ...` (argv[0] is then gunicorn/__main__.py)."""
    if not argv:
        return False
    program = Path(argv[0])
    return program.name.startswith("gunicorn") or (
        program.name == "__main__.py" and program.parent.name == "gunicorn")


def declared_workers(environ: Mapping[str, str], argv: Sequence[str]) -> int:
    """How many processes will serve the app, as far as the environment and gunicorn's command
    line (-w N, --workers N, --workers=N, GUNICORN_CMD_ARGS) say; gunicorn.conf.py checks the
    number gunicorn really uses."""
    counts = []
    # WEB_CONCURRENCY is gunicorn's default for --workers (and other servers' convention).
    words = ["--workers", environ["WEB_CONCURRENCY"]] if environ.get("WEB_CONCURRENCY") else []
    words += shlex.split(environ.get("GUNICORN_CMD_ARGS", ""))
    if served_by_gunicorn(argv):
        words += list(argv[1:])
    for index, word in enumerate(words):
        value = None
        if word in ("-w", "--workers") and index + 1 < len(words):
            value = words[index + 1]
        elif word.startswith("--workers="):
            value = word.split("=", 1)[1]
        elif word.startswith("-w") and len(word) > 2 and not word.startswith("--"):
            value = word[2:]
        if value is not None and value.strip().isdigit():
            counts.append(int(value))
    return counts[-1] if counts else 1


def config_class(environ: Mapping[str, str], argv: Sequence[str] = ()) -> type[Config]:
    name = environ.get("NAVIGATOR_ENV", "")
    if not name:
        if served_by_gunicorn(argv):
            # Serving for real with the public development key and plain-HTTP cookies would be
            # silent and unsafe (review L16): development must be asked for by name there.
            raise ConfigError("NAVIGATOR_ENV is not set. Set NAVIGATOR_ENV=production to serve "
                              "the app (or NAVIGATOR_ENV=development to serve the development "
                              "settings on purpose).")
        name = "development"
    try:
        return CONFIGS[name]
    except KeyError as exc:
        raise ConfigError(f"NAVIGATOR_ENV must be one of {', '.join(CONFIGS)}; got {name!r}") from exc


def settings_from_env(environ: Mapping[str, str]) -> dict[str, object]:
    """The settings given in the environment, parsed; unset or empty variables are left out."""
    settings: dict[str, object] = {}
    for name, kind in ENVIRONMENT_SETTINGS.items():
        raw = environ.get(name, "")
        if raw == "":
            continue
        if kind is bool:
            if raw.lower() not in ("1", "true", "yes", "0", "false", "no"):
                raise ConfigError(f"{name} must be true or false, got {raw!r}")
            settings[name] = raw.lower() in ("1", "true", "yes")
        elif kind is int:
            try:
                settings[name] = int(raw)
            except ValueError as exc:
                raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc
        else:
            settings[name] = raw
    return settings


def build_config(environ: Mapping[str, str] | None = None,
                 overrides: Mapping[str, object] | None = None) -> tuple[type[Config], dict]:
    """Pick the config class and merge environment and explicit overrides; check the result."""
    real_environment = environ is None
    environ = os.environ if environ is None else environ
    argv = sys.argv if real_environment else ()
    cls = config_class(environ, argv)
    settings = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
    settings.update(settings_from_env(environ))
    settings["WORKERS"] = declared_workers(environ, argv)
    settings.update(overrides or {})
    cls.check(settings)
    return cls, settings
