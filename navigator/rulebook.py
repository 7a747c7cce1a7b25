"""The app's rules: loaded at start-up, kept on the app, and reloadable without losing the last
good rules.

Rules are accepted only when they load without a problem AND every rule case in rules/tests
passes: a file cut short can still be valid YAML and silently lose a rule, and only the cases
notice. At start-up refused rules stop the app, naming the file or the failing case; on reload
the last good rules keep serving. The result is kept per process by the fingerprint of every
rule file, so each worker, CLI command and test process loads and checks a given set of files
once (docs/BENCHMARKS.md has the cost).
"""
from __future__ import annotations

import time
from pathlib import Path

from flask import Flask, current_app

from navigator.engine import RuleBook, RulesInvalid, load_rulebook
from navigator.engine.casecheck import refuse_failing_cases
from navigator.engine.loader import Problem, files_fingerprint, rules_version

# (folder, fingerprint) -> the accepted RuleBook, or the RulesInvalid that refused those files
_checked: dict[tuple[str, str], RuleBook | RulesInvalid] = {}


def load_checked(rules_dir: str) -> RuleBook:
    """The rules in `rules_dir`, loaded and their cases passed; raises RulesInvalid otherwise.
    Files already checked by this process (same fingerprint) are not checked again."""
    root = Path(rules_dir)
    key = (str(root), files_fingerprint(root) if root.is_dir() else "")
    if key not in _checked:
        _checked.clear()
        _checked[key] = _load_and_check(root)
    outcome = _checked[key]
    if isinstance(outcome, RulesInvalid):
        raise outcome
    return outcome


def _load_and_check(root: Path) -> RuleBook | RulesInvalid:
    try:
        book = load_rulebook(root)
        refuse_failing_cases(book)
    except RulesInvalid as exc:
        return exc
    except (OSError, ValueError) as exc:    # whatever the loader did not foresee still names it
        return RulesInvalid([Problem(str(root), None, None,
                                     f"cannot be loaded ({type(exc).__name__}: {exc})")])
    return book


def init_app(app: Flask) -> None:
    app.extensions["rulebook"] = load_checked(app.config["RULES_DIR"])
    app.extensions["rulebook_checked_at"] = time.monotonic()
    app.extensions["rulebook_refused"] = None
    # With RULES_RELOAD_SECONDS, web/pipeline.py runs reload_if_due before each request.


def reload_if_due(app: Flask) -> None:
    """Pick up edited rule files without a restart, at most once per RULES_RELOAD_SECONDS."""
    now = time.monotonic()
    if now - app.extensions["rulebook_checked_at"] < app.config["RULES_RELOAD_SECONDS"]:
        return
    app.extensions["rulebook_checked_at"] = now
    try:
        changed = rules_version(Path(app.config["RULES_DIR"])) != app.extensions["rulebook"].version
    except OSError:         # the folder itself is gone for a moment (a deploy): keep serving
        return
    if changed:
        reload(app)


def current() -> RuleBook:
    return current_app.extensions["rulebook"]


def reload(app: Flask) -> tuple[RuleBook, RulesInvalid | None]:
    """Load the rules again; on any problem keep serving the last good rules (and say why once
    per broken set of files, not at every interval)."""
    try:
        book = load_checked(app.config["RULES_DIR"])
    except RulesInvalid as exc:
        if app.extensions.get("rulebook_refused") is not exc:
            app.extensions["rulebook_refused"] = exc
            app.logger.error("rules reload refused, keeping version %s:\n%s",
                             app.extensions["rulebook"].version, exc)
        return app.extensions["rulebook"], exc
    app.extensions["rulebook"] = book
    app.extensions["rulebook_refused"] = None
    return book, None
