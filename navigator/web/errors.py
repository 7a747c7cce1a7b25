"""Error pages (HTML, or JSON for /api/). Logs name the error, never the request's data."""
from __future__ import annotations

import traceback

from flask import Flask, g, jsonify, render_template, request
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from navigator.services.pdf import PdfRenderError

MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have access to this page.",
    404: "Page not found.",
    405: "That action is not allowed here.",
    413: "What you sent is too large, so nothing was saved. Go back, shorten it and send it again.",
    415: "Send JSON with the header Content-Type: application/json.",
    429: "Too many requests. Wait a minute and try again.",
    500: "Something went wrong on our side.",
    503: "The service is temporarily unavailable.",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(status: int, description: str | None = None):
    message = MESSAGES.get(status, "Something went wrong.")
    if _wants_json():
        return jsonify({"error": message, "status": status}), status
    template = f"errors/{status}.html" if status in (400, 403, 404, 500, 503) else "errors/generic.html"
    return render_template(template, status=status, message=message, description=description), status


def register(app: Flask) -> None:
    from navigator.web import security_events
    security_events.register(app, _render)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if isinstance(exc, InternalServerError):
            return internal_error(exc)
        return _render(exc.code or 500)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(exc: Exception):
        # Only the exception class: the message may hold SQL parameters (personal data).
        app.logger.error("database unavailable: %s on %s %s",
                         type(getattr(exc, "orig", exc)).__name__, request.method, request.url_rule)
        g.database_down = True      # the page itself must not ask the database (who is signed in)
        # Areas keep what was being submitted (the questionnaire's answers) for later.
        for keep in app.extensions.get("on_database_unavailable", []):
            keep()
        return _render(503)

    @app.errorhandler(DataError)
    def value_the_database_refuses(exc: DataError):
        # A value no validator foresaw (a NUL, a number out of range): the request is bad, not
        # the server (review L2). The class only: the message quotes the value.
        app.logger.warning("database refused a value: %s on %s %s",
                           type(getattr(exc, "orig", exc)).__name__, request.method,
                           request.url_rule)
        return _render(400)

    @app.errorhandler(PdfRenderError)
    def pdf_failed(exc: PdfRenderError):
        # The class of the renderer's failure only: the document holds the person's details.
        app.logger.error("PDF rendering failed (%s) on %s", exc, request.url_rule)
        return render_template("errors/pdf.html", status=503), 503

    @app.errorhandler(ServiceUnavailable)
    def service_unavailable(_exc: ServiceUnavailable):
        return _render(503)

    @app.errorhandler(Exception)
    def internal_error(exc: Exception):
        original = getattr(exc, "original_exception", None) or exc
        # Where it happened, not what: the message and source lines can quote user data.
        frames = "\n".join(f"  {f.filename}:{f.lineno} in {f.name}"
                           for f in traceback.extract_tb(original.__traceback__))
        app.logger.error("unhandled %s on %s %s\n%s", type(original).__name__, request.method,
                         request.url_rule, frames)
        return _render(500)
