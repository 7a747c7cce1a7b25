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

    from navigator import db, extensions, observability, rulebook, security
    from navigator.web import register_blueprints

    db.init_app(app)
    extensions.init_app(app)
    rulebook.init_app(app)
    security.init_app(app)
    observability.init_app(app)
    register_blueprints(app)
    _configure_pdf_rendering(app)

    from navigator.cli import register_commands

    register_commands(app)
    if app.config.get("RECHECK_ON_START", True):
        _start_recheck(app)
    return app


def _start_recheck(app: Flask) -> None:
    """New rules mean every saved plan is re-evaluated once. With a queue (REDIS_URL) start-up
    only enqueues that work, so no instance, worker or CLI command waits for it; without one,
    the first process to start with the new rules does it (`navigator recheck` does it too)."""
    if not app.config.get("REDIS_URL"):
        _recheck_saved_cases(app)
        return
    from redis.exceptions import RedisError

    from navigator import jobs

    try:
        jobs.enqueue_recheck(app)
    except RedisError as exc:
        app.logger.warning("rules recheck not queued (%s): run `navigator recheck`",
                           type(exc).__name__)


def _recheck_saved_cases(app: Flask) -> None:
    """Re-evaluate saved cases once per new rules version (one process does it)."""
    from sqlalchemy.exc import SQLAlchemyError
    from sqlmodel import Session

    from navigator.services.recheck import recheck_if_rules_changed

    book = app.extensions["rulebook"]
    try:
        with Session(app.extensions["db_engine"]) as session:
            report = recheck_if_rules_changed(session, book)
    except SQLAlchemyError as exc:
        # Not migrated yet, or the database is down: the app still starts; `navigator recheck`
        # or the next start does the work.
        app.logger.warning("rules recheck at start-up skipped (%s)",
                           type(getattr(exc, "orig", None) or exc).__name__)
        return
    if report is not None:
        app.logger.info("rules %s: rechecked %d case(s), %d plan(s) changed", book.version,
                        report.checked, report.flagged)


def _configure_pdf_rendering(app: Flask) -> None:
    """The PDF service is plain Python; each request tells it this app's setting (tests build
    apps with different settings in one process, so it is not set once at start-up)."""
    from navigator.services import pdf

    processes = int(app.config.get("PDF_PROCESSES", 0))
    app.before_request(lambda: pdf.use_processes(processes))


def _configure_logging(app: Flask) -> None:
    from navigator import logfilter

    level = str(app.config.get("LOG_LEVEL", "INFO")).upper()
    app.logger.setLevel(getattr(logging, level, logging.INFO))
    logfilter.install(app)      # secret links (resume, feed, invitation) never reach a log
