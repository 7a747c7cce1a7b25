"""The app's rules: loaded at start-up (a malformed file stops the start with the problems
named), kept on the app, and reloadable without losing the last good rules."""
from __future__ import annotations

import time
from pathlib import Path

from flask import Flask, current_app

from navigator.engine import RuleBook, RulesInvalid, load_rulebook
from navigator.engine.loader import rules_version

_loaded: dict[tuple[str, str], RuleBook] = {}


def load_cached(rules_dir: str) -> RuleBook:
    """Load the rules, reusing an earlier load of the same folder when no file changed."""
    key = (str(rules_dir), rules_version(Path(rules_dir)) if Path(rules_dir).is_dir() else "")
    if key not in _loaded:
        _loaded.clear()
        _loaded[key] = load_rulebook(rules_dir)
    return _loaded[key]


def init_app(app: Flask) -> None:
    app.extensions["rulebook"] = load_cached(app.config["RULES_DIR"])
    app.extensions["rulebook_checked_at"] = time.monotonic()
    if app.config.get("RULES_RELOAD_SECONDS"):
        app.before_request(lambda: _reload_if_due(app))


def _reload_if_due(app: Flask) -> None:
    """Pick up edited rule files without a restart, at most once per RULES_RELOAD_SECONDS."""
    now = time.monotonic()
    if now - app.extensions["rulebook_checked_at"] < app.config["RULES_RELOAD_SECONDS"]:
        return
    app.extensions["rulebook_checked_at"] = now
    if rules_version(Path(app.config["RULES_DIR"])) != app.extensions["rulebook"].version:
        reload(app)


def current() -> RuleBook:
    return current_app.extensions["rulebook"]


def reload(app: Flask) -> tuple[RuleBook, RulesInvalid | None]:
    """Load the rules again; on any problem keep serving the last good rules."""
    try:
        book = load_cached(app.config["RULES_DIR"])
    except RulesInvalid as exc:
        app.logger.error("rules reload refused, keeping version %s:\n%s",
                         app.extensions["rulebook"].version, exc)
        return app.extensions["rulebook"], exc
    app.extensions["rulebook"] = book
    return book, None
