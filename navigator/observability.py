"""What an operator of the production shape needs (docs/DEPLOY.md): the client's address and
scheme from the proxy, JSON log lines, and request metrics for Prometheus."""
from __future__ import annotations

import logging
import time

from flask import Flask, g, got_request_exception, request
from werkzeug.middleware.proxy_fix import ProxyFix

from navigator import metrics


def init_app(app: Flask) -> None:
    hops = int(app.config.get("PROXY_HOPS", 0))
    if hops:
        # Trust X-Forwarded-For/-Proto/-Host/-Port from exactly `hops` proxies (nginx: 1), so
        # rate limits count the real client and url_for builds https links.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops)
    if app.config.get("LOG_FORMAT") == "json":
        _log_as_json(app)
    if app.config.get("METRICS_ENABLED"):
        # The timer and the counter are request hooks: web/pipeline.py installs them.
        got_request_exception.connect(_count_unhandled, app, weak=False)


def _log_as_json(app: Flask) -> None:
    from pythonjsonlogger.json import JsonFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                       rename_fields={"levelname": "level", "asctime": "time"}))
    app.logger.handlers[:] = [handler]
    app.logger.propagate = False


def start_clock() -> None:
    g.request_started = time.perf_counter()


def count_response(response):
    started = g.get("request_started")
    endpoint = request.endpoint or "unmatched"    # never the path: it may hold a secret link
    if started is not None:
        metrics.REQUEST_SECONDS.labels(endpoint, request.method).observe(
            time.perf_counter() - started)
    metrics.RESPONSES.labels(endpoint, f"{response.status_code // 100}xx").inc()
    return response


def _count_unhandled(_sender, **_extra) -> None:
    metrics.UNHANDLED_ERRORS.inc()
