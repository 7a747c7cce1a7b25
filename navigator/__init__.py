"""Pump Access Navigator: insulin pump coverage rules turned into an access plan and letters."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from navigator.config import PROJECT_ROOT, build_config

__version__ = "0.1.0"


def create_app(overrides: Mapping[str, object] | None = None) -> Flask:
    """Build the app. `overrides` wins over the environment (tests pass settings this way)."""
    config_cls, settings = build_config(overrides=overrides)
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(Path(__file__).resolve().parent / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.update(settings)
    app.config["ENV_NAME"] = config_cls.ENV_NAME
    _configure_logging(app)

    from navigator import db, extensions, observability, rulebook
    from navigator.web import register_blueprints
    from navigator.web.pipeline import register_request_hooks

    db.init_app(app)
    extensions.init_app(app)
    rulebook.init_app(app)
    observability.init_app(app)
    register_blueprints(app)
    register_request_hooks(app)     # every app-wide before/after/teardown hook, in order

    from navigator.cli import register_commands

    register_commands(app)
    if app.config.get("RECHECK_ON_START", True):
        _start_recheck(app)
    return app


def _start_recheck(app: Flask) -> None:
    """New rules mean every saved plan is re-evaluated once. Start-up never does that work
    itself (it would run in every worker, CLI command and test): with a queue (REDIS_URL) it
    enqueues the job (jobs.recheck_rules, one per rules version); without one it only says
    that `navigator recheck` is due (`make run` and the deploy step run it)."""
    if app.config.get("REDIS_URL"):
        from redis.exceptions import RedisError

        from navigator import jobs

        try:
            jobs.enqueue_recheck(app)
            return
        except RedisError as exc:
            app.logger.warning("rules recheck not queued (%s)", type(exc).__name__)
    _say_recheck_pending(app)


def _say_recheck_pending(app: Flask) -> None:
    """Log once at start-up when saved cases have not been checked against these rules."""
    from sqlalchemy.exc import SQLAlchemyError
    from sqlmodel import Session

    from navigator.services.recheck import last_checked_version

    book = app.extensions["rulebook"]
    try:
        with Session(app.extensions["db_engine"]) as session:
            checked = last_checked_version(session)
    except SQLAlchemyError:
        return      # not migrated yet, or the database is down: `navigator db upgrade` first
    if checked != book.version:
        app.logger.warning("saved cases are not yet checked against rules %s: run "
                           "`navigator recheck`", book.version)


def _configure_logging(app: Flask) -> None:
    from navigator import logfilter

    level = str(app.config.get("LOG_LEVEL", "INFO")).upper()
    app.logger.setLevel(getattr(logging, level, logging.INFO))
    logfilter.install(app)      # secret links (resume, feed, invitation) never reach a log
