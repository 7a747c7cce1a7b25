"""Prometheus metrics (prometheus_client). Plain Python: services record, the web layer serves.

Under gunicorn each worker is its own process; with PROMETHEUS_MULTIPROC_DIR set (deploy/
gunicorn.conf.py does) the client keeps each process's values in files there and a scrape adds
them up. Labels are route names and status codes, never paths or anything a person typed.
"""
from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

REQUEST_SECONDS = Histogram(
    "navigator_request_seconds", "Time to answer a request, by route",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10))
RESPONSES = Counter("navigator_responses", "Responses by route and status class",
                    ["endpoint", "status"])
UNHANDLED_ERRORS = Counter("navigator_unhandled_errors", "Requests that raised an exception")
PDF_SECONDS = Histogram("navigator_pdf_render_seconds",
                        "Time to render PDFs (one letter, or the letters of a packet side by side, "
                        "merged)",
                        ["documents"], buckets=(0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8))


class QueueDepthCollector:
    """Jobs waiting in each RQ queue, read from Redis when scraped (RQ keeps a queue's waiting
    jobs in the list `rq:queue:<name>`)."""

    def __init__(self, redis_url: str, queues: tuple[str, ...]) -> None:
        self.redis_url, self.queues = redis_url, queues

    def collect(self):
        import redis

        family = GaugeMetricFamily("navigator_queue_depth", "Jobs waiting in the queue",
                                   labels=["queue"])
        try:
            client = redis.Redis.from_url(self.redis_url, socket_timeout=1)
            for name in self.queues:
                family.add_metric([name], client.llen(f"rq:queue:{name}"))
        except redis.RedisError:
            return                      # no figure beats a wrong one
        yield family


def exposition(redis_url: str = "", queues: tuple[str, ...] = ()) -> tuple[bytes, str]:
    """The metrics text for a scrape: every worker's values, plus queue depths."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY
        registry = REGISTRY
    output = generate_latest(registry)
    if redis_url and queues:
        extra = CollectorRegistry()
        extra.register(QueueDepthCollector(redis_url, queues))
        output += generate_latest(extra)
    return output, CONTENT_TYPE_LATEST
