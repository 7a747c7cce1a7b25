"""The production shape, for real: nginx with deploy/nginx/*.conf in front of two gunicorn
instances with deploy/gunicorn.conf.py, PostgreSQL or SQLite, on loopback."""
import http.client
import json
import shutil
import time
import uuid

import pytest

from bench.shape import NGINX, Shape
from tests.answers import answers

REDIS_URL = "redis://127.0.0.1:6379/0"

pytestmark = pytest.mark.skipif(not shutil.which(NGINX),
                                reason="nginx is not installed (make test installs it)")


def _request(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        payload = json.dumps(body) if body is not None else None
        connection.request(method, path, payload, {"Content-Type": "application/json",
                                                   **(headers or {})})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _redis_reachable() -> bool:
    import redis
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def shape(tmp_path_factory):
    from navigator.db import upgrade
    url = f"sqlite:///{tmp_path_factory.mktemp('shape')}/shape.db"
    upgrade(url)
    env = {"DATABASE_URL": url, "NAVIGATOR_ENV": "production", "SECRET_KEY": "shape-" + "k" * 40,
           "SERVER_NAME": "localhost", "PROXY_HOPS": "1", "RULES_RELOAD_SECONDS": "0",
           "API_RATE_LIMIT": "3 per minute"}
    if _redis_reachable():
        env.update(REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=f"navigator-test-{uuid.uuid4().hex}")
    with Shape(env, instances=2, workers=1, threads=4) as running:
        _wait_until_ready(running.instance_ports)
        yield running


def _wait_until_ready(ports, seconds=90):
    """gunicorn listens before its worker has loaded the app: on a busy machine (a parallel
    suite, other work) that takes longer than one request's timeout."""
    deadline = time.monotonic() + seconds
    for port in ports:
        while True:
            try:
                if _request(port, "GET", "/readyz")[0] == 200:
                    break
            except OSError:             # not answering yet (a timeout is an OSError too)
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the instance on port {port} was not ready within {seconds} s")
            time.sleep(0.2)


def test_both_instances_answer_through_nginx(shape):
    for port in shape.instance_ports:
        status, _, body = _request(port, "GET", "/readyz")
        assert status == 200 and json.loads(body)["ready"] is True
    status, headers, _ = _request(shape.port, "GET", "/")
    assert status == 200 and "Content-Security-Policy" in headers


@pytest.mark.skipif(not _redis_reachable(), reason="Redis is not running at 127.0.0.1:6379")
def test_a_client_cannot_pick_its_address_and_limits_hold_across_instances(shape):
    """nginx replaces the X-Forwarded-For a client sends with the address it saw, and both
    instances count against the one limit in Redis: 3 per minute in all, whatever the header."""
    codes = [_request(shape.port, "POST", "/api/v1/plan", answers(),
                      {"X-Forwarded-For": f"198.51.100.{n}"})[0] for n in range(4)]
    assert codes == [200, 200, 200, 429], codes


def test_metrics_stay_off_the_public_site_but_instances_serve_them(shape):
    assert _request(shape.port, "GET", "/metrics")[0] == 404
    status, _, body = _request(shape.instance_ports[0], "GET", "/metrics")
    assert status == 200 and b"navigator_request_seconds" in body


def test_the_access_log_is_json_without_secrets_or_addresses(shape):
    _request(shape.port, "GET", "/resume/a-family-secret-token?x=1")
    _request(shape.port, "GET", "/resum%65/another-secret-token")     # review L6
    time.sleep(0.2)
    lines = [json.loads(line) for line in shape.access_log().splitlines()]
    resume = [line for line in lines if line["path"].startswith("/resume/")]
    assert len(resume) >= 2 and resume[-1]["path"] == resume[-2]["path"] == "/resume/[redacted]"
    text = shape.access_log()
    assert "a-family-secret-token" not in text and "another-secret-token" not in text and "127.0.0.1\"" not in text.split("upstream")[0]


def test_a_stopped_instance_does_not_stop_the_site(shape):
    """Last in this file: it stops the first instance of the module's shape."""
    from bench.shape import stop
    stop(shape.instance_processes[0])
    codes = [_request(shape.port, "GET", "/healthz")[0] for _ in range(6)]
    assert codes == [200] * 6
