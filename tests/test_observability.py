"""The production shape's operator side: proxy headers, readiness, JSON logs, metrics."""
import json
import logging
import uuid

import pytest

from navigator import create_app
from navigator.config import ConfigError, build_config
from tests.answers import answers

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_reachable() -> bool:
    import redis
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def test_proxy_headers_are_trusted_only_when_configured(db_url):
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    for hops, expected_secure in ((0, False), (1, True)):
        app = create_app({"DATABASE_URL": db_url, "PROXY_HOPS": hops})
        response = app.test_client().get("/", headers=headers)
        # HSTS is only sent over HTTPS: it tells whether X-Forwarded-Proto was believed.
        assert ("Strict-Transport-Security" in response.headers) is expected_secure


def test_readyz_reports_each_dependency(client, app):
    body = client.get("/readyz").get_json()
    assert body["ready"] is True and body["database"] == "ok"
    assert body["rules"] == app.extensions["rulebook"].version
    assert "redis" not in body


def test_readyz_is_503_when_redis_is_down(db_url):
    app = create_app({"DATABASE_URL": db_url, "REDIS_URL": "redis://127.0.0.1:1/0",
                      "RATELIMIT_STORAGE_URI": "memory://"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["redis"] == "unavailable"


@pytest.mark.skipif(not _redis_reachable(), reason="Redis is not running at 127.0.0.1:6379")
def test_readyz_with_a_live_redis(db_url):
    app = create_app({"DATABASE_URL": db_url, "REDIS_URL": REDIS_URL})
    body = app.test_client().get("/readyz").get_json()
    assert body["redis"] == "ok" and body["ready"] is True


def test_metrics_count_requests_by_route_never_by_path(db_url):
    app = create_app({"DATABASE_URL": db_url, "METRICS_ENABLED": True})
    client = app.test_client()
    client.post("/api/v1/plan", json=answers())
    client.get("/resume/a-secret-resume-token")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'navigator_request_seconds_count{endpoint="api.plan",method="POST"}' in text
    assert 'navigator_responses_total{endpoint="api.plan",status="2xx"}' in text
    assert "a-secret-resume-token" not in text
    assert "navigator_pdf_render_seconds" in text


def test_metrics_are_not_public(db_url):
    app = create_app({"DATABASE_URL": db_url, "METRICS_ENABLED": True, "PROXY_HOPS": 1})
    client = app.test_client()
    outside = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
    assert outside.status_code == 404
    off = create_app({"DATABASE_URL": db_url, "METRICS_ENABLED": False}).test_client()
    assert off.get("/metrics").status_code == 404


@pytest.mark.skipif(not _redis_reachable(), reason="Redis is not running at 127.0.0.1:6379")
def test_metrics_report_queue_depth_from_redis(db_url):
    import redis
    queue = f"navigator-test-depth-{uuid.uuid4().hex[:8]}"    # runs at once may share Redis
    connection = redis.Redis.from_url(REDIS_URL)
    connection.delete(f"rq:queue:{queue}")
    connection.rpush(f"rq:queue:{queue}", "job-1", "job-2")
    try:
        app = create_app({"DATABASE_URL": db_url, "METRICS_ENABLED": True,
                          "REDIS_URL": REDIS_URL, "REMINDER_QUEUE": queue})
        text = app.test_client().get("/metrics").get_data(as_text=True)
    finally:
        connection.delete(f"rq:queue:{queue}")
    assert f'navigator_queue_depth{{queue="{queue}"}} 2.0' in text


@pytest.fixture
def app_logger_restored():
    """The app's logger is process-wide: put back what a JSON-logging app changed."""
    logger = logging.getLogger("navigator")
    handlers, propagate = list(logger.handlers), logger.propagate
    yield
    logger.handlers[:], logger.propagate = handlers, propagate


def test_json_logs_are_one_object_a_line_without_secrets(db_url, capsys, app_logger_restored):
    app = create_app({"DATABASE_URL": db_url, "LOG_FORMAT": "json"})
    with app.app_context():
        app.logger.warning("resume link /resume/secret-token-123 used")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["level"] == "WARNING"
    assert "secret-token-123" not in line and "/resume/[redacted]" in record["message"]


@pytest.mark.parametrize("settings, message", [
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be text or json"),
])
def test_bad_operator_settings_are_named(settings, message):
    with pytest.raises(ConfigError, match=message):
        build_config(environ={}, overrides=settings)


def test_boolean_settings_from_the_environment():
    _cls, settings = build_config(environ={"METRICS_ENABLED": "true"})
    assert settings["METRICS_ENABLED"] is True
    with pytest.raises(ConfigError, match="METRICS_ENABLED must be true or false"):
        build_config(environ={"METRICS_ENABLED": "maybe"})
