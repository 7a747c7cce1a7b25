"""Rate limits hold across workers (issue 14 item 6, review M5, L5): two real gunicorn worker
processes count API, resume-link and sign-in requests together in the Redis at 127.0.0.1:6379,
under a key prefix of this test run (removed afterwards). And production refuses to start
several workers with limits kept in each worker's memory."""
from __future__ import annotations

import os
import socket
import subprocess  # nosec B404 - the test starts gunicorn
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from navigator import db

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_or_skip():
    redis = pytest.importorskip("redis", reason="the redis package is not installed")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable ({type(exc).__name__}): the test of "
                    "limits shared between gunicorn workers needs it")
    return client


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _request(port: int, method: str, path: str, data: dict | None = None) -> int:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # nosec B310 - loopback
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _burst(port: int, method: str, paths_and_data: list[tuple[str, dict | None]]) -> list[int]:
    """Send the requests at once, each on its own connection, so both workers take some."""
    with ThreadPoolExecutor(max_workers=6) as pool:
        return list(pool.map(lambda item: _request(port, method, *item), paths_and_data))


@pytest.fixture
def two_workers(tmp_path):
    redis_client = _redis_or_skip()
    prefix = f"navtest-{uuid.uuid4().hex[:12]}"
    url = f"sqlite:///{tmp_path / 'limits.db'}"
    db.upgrade(url)
    port, access_log = _free_port(), tmp_path / "access.log"
    env = {**os.environ, "NAVIGATOR_ENV": "testing", "DATABASE_URL": url, "REDIS_URL": REDIS_URL,
           "RATELIMIT_KEY_PREFIX": prefix, "API_RATE_LIMIT": "6 per minute",
           "RESUME_RATE_LIMIT": "5 per minute", "LOGIN_RATE_LIMIT": "4 per minute",
           "LOGIN_ADDRESS_LIMIT": "1000 per minute", "LOGIN_BACKOFF_AFTER": "1000",
           "LOGIN_ACCOUNT_FAILURES": "1000", "RULES_RELOAD_SECONDS": "0"}
    server = subprocess.Popen(  # nosec B603 - fixed command
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(s)s %(U)s",
         "app:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for_both_workers(server, port, access_log)
        yield port, access_log
    finally:
        server.terminate()
        server.wait(timeout=30)
        keys = list(redis_client.scan_iter(match=f"*{prefix}*", count=1000))
        if keys:
            redis_client.delete(*keys)
        redis_client.close()


def _wait_for_both_workers(server, port: int, access_log: Path) -> None:
    deadline = time.monotonic() + 90        # the machine may be busy: each worker loads rules
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited: {server.stderr.read().decode()[-2000:]}")
        try:
            _burst(port, "GET", [("/healthz", None)] * 6)
            if len(_pids(access_log, "/healthz")) == 2:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError("gunicorn's two workers did not both answer within 90 s")


def _pids(access_log: Path, path_prefix: str) -> set[str]:
    lines = access_log.read_text().splitlines() if access_log.exists() else []
    return {line.split()[0] for line in lines if line.split()[2].startswith(path_prefix)}


def test_limits_are_counted_together_by_two_gunicorn_workers_in_redis(two_workers):
    port, access_log = two_workers
    api = _burst(port, "GET", [("/api/v1/rules", None)] * 14)
    assert sorted(api).count(200) == 6 and api.count(429) == 8, api
    resume = _burst(port, "GET", [(f"/resume/{'x' * 20}{n}", None) for n in range(12)])
    assert resume.count(404) == 5 and resume.count(429) == 7, resume
    sign_in = _burst(port, "POST", [("/auth/login", {"email": "target@clinic.example",
                                                      "password": "a wrong guess"})] * 10)
    assert sign_in.count(400) == 4 and sign_in.count(429) == 6, sign_in
    # Both workers answered limited requests: with counters in each worker's memory, the two
    # together would have let up to twice as many through.
    served_by = _pids(access_log, "/api/") | _pids(access_log, "/resume/") | \
        _pids(access_log, "/auth/login")
    assert len(served_by) == 2


def test_production_refuses_several_workers_without_redis(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update({"NAVIGATOR_ENV": "production", "SECRET_KEY": "s" * 64,
                "SERVER_NAME": "navigator.example.org",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'refused.db'}"})
    result = subprocess.run(  # nosec B603 - fixed command
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind",
         f"127.0.0.1:{_free_port()}", "app:app"], cwd=ROOT, env=env, capture_output=True,
        timeout=120, check=False)
    assert result.returncode != 0
    assert "Set REDIS_URL" in result.stderr.decode()
