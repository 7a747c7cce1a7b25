"""A logging filter that keeps secret links out of the logs.

Resume links, calendar-feed links and invitation links carry their secret in the URL path, and
request logs (werkzeug's, gunicorn's access log, our own messages naming request.url) print
paths. Anyone who can read the logs must not be able to open a family's case, so the secret
part of those paths is replaced before any handler sees the record.
"""
from __future__ import annotations

import logging
import re
from urllib.parse import unquote

from flask import Flask

REDACTED = "[redacted]"
# (pattern, replacement): the path prefix is kept so a log still says which kind of link it was.
SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(/resume/)[^\s/?#\"'<>]+"), r"\1" + REDACTED),
    (re.compile(r"(/feeds/)[^\s/?#\"'<>]+?(\.ics)?(?=[\s/?#\"'<>]|$)"), r"\1" + REDACTED + r"\2"),
    (re.compile(r"(/auth/invite/)[^\s/?#\"'<>]+"), r"\1" + REDACTED),
    (re.compile(r"([?&](?:token|resume_token|feed_token)=)[^&\s\"'<>#]+"), r"\1" + REDACTED),
    # What a worker types into the caseload search is usually a client's name (review L11).
    (re.compile(r"([?&]q=)[^&\s\"'<>#]+"), r"\1" + REDACTED),
)
# The loggers that print request lines; gunicorn's exist only when gunicorn serves the app,
# and adding a filter to a logger nobody uses costs nothing.
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    """The text with secret links and search terms replaced. A percent-encoded path
    (/resum%65/<token> opens a case too) is decoded first, so no spelling slips through
    (review L6)."""
    text = _redacted(text)
    if "%" in text:
        decoded = _decoded(text)
        if _redacted(decoded) != decoded:
            return _redacted(decoded)
    return text


def _decoded(text: str) -> str:
    previous = None
    for _round in range(3):          # %252F and the like: decode until nothing changes
        if text == previous:
            break
        previous, text = text, unquote(text)
    return text


def _redacted(text: str) -> str:
    for pattern, replacement in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class SecretLinkFilter(logging.Filter):
    """Rewrites a record whose message holds a secret link; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):      # a malformed call: leave it to the handler
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def install(app: Flask) -> None:
    """Add the filter once to the app's logger and the request loggers."""
    for logger in (app.logger, *(logging.getLogger(name) for name in REQUEST_LOGGERS)):
        if not any(isinstance(f, SecretLinkFilter) for f in logger.filters):
            logger.addFilter(SecretLinkFilter())
