"""Rate limits hold across workers (issue 14 item 6, review M5, L4, L5): two real gunicorn worker
processes count API, resume-link, sign-in (per address, per account with back-off, per account
from everywhere, with the real user's own computer never locked out) and PDF requests together
in the Redis at 127.0.0.1:6379, under a key prefix of this test run (removed afterwards). And production refuses to start
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
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from navigator import db
from tests.conftest import WORKER_PASSWORD

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


def _gunicorn(tmp_path, redis_client, settings: dict, accounts: tuple[str, ...] = ()):
    """Start gunicorn with two workers on a fresh database holding `accounts` (each with
    WORKER_PASSWORD), counters in Redis under a key prefix of their own; yields (port, access
    log, prefix) and cleans up afterwards."""
    prefix = f"navtest-{uuid.uuid4().hex[:12]}"
    url = f"sqlite:///{tmp_path / 'limits.db'}"
    db.upgrade(url)
    _add_accounts(url, accounts)
    port, access_log = _free_port(), tmp_path / "access.log"
    env = {**os.environ, "NAVIGATOR_ENV": "testing", "DATABASE_URL": url, "REDIS_URL": REDIS_URL,
           "RATELIMIT_KEY_PREFIX": prefix, "RULES_RELOAD_SECONDS": "0", **settings}
    server = subprocess.Popen(  # nosec B603 - fixed command
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(s)s %(U)s",
         "app:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for_both_workers(server, port, access_log)
        yield port, access_log, prefix
    finally:
        server.terminate()
        server.wait(timeout=30)
        keys = list(redis_client.scan_iter(match=f"*{prefix}*", count=1000))
        if keys:
            redis_client.delete(*keys)
        redis_client.close()


@pytest.fixture
def two_workers(tmp_path):
    redis_client = _redis_or_skip()
    yield from _gunicorn(tmp_path, redis_client, {
        "API_RATE_LIMIT": "6 per minute", "RESUME_RATE_LIMIT": "5 per minute",
        "LOGIN_RATE_LIMIT": "4 per minute", "LOGIN_ADDRESS_LIMIT": "1000 per minute",
        "LOGIN_BACKOFF_AFTER": "1000", "LOGIN_ACCOUNT_FAILURES": "1000"})


def _add_accounts(url: str, emails: tuple[str, ...]) -> None:
    if not emails:
        return
    from sqlalchemy import create_engine
    from sqlmodel import Session

    from navigator.models import Organisation, User
    from navigator.services.accounts import hasher

    engine = create_engine(url)
    with Session(engine) as session:
        organisation = Organisation(name="Limits Clinic")
        session.add(organisation)
        session.flush()
        for email in emails:
            session.add(User(organisation_id=organisation.id, email=email, role="member",
                             name=email.split("@")[0].title(),
                             password_hash=hasher.hash(WORKER_PASSWORD)))
        session.commit()
    engine.dispose()


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
    port, access_log, _ = two_workers
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _browser():
    """A browser with its own cookies that does not follow redirects (a 302 is the answer)."""
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()),
                                       _NoRedirect())


def _sign_in(port: int, email: str, password: str, address: str, browser=None) -> tuple[int, str]:
    """POST the sign-in form from `address` (X-Forwarded-For, one trusted proxy hop)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/auth/login", method="POST",
        data=urllib.parse.urlencode({"email": email, "password": password}).encode(),
        headers={"X-Forwarded-For": address})
    try:
        with (browser or _browser()).open(request, timeout=30) as response:  # nosec B310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _get_from(port: int, path: str, address: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     headers={"X-Forwarded-For": address})
    try:
        with _browser().open(request, timeout=30) as response:  # nosec B310 - loopback
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _counter(redis_client, prefix: str, pattern: str) -> list[int]:
    return [int(redis_client.get(key))
            for key in redis_client.scan_iter(match=f"*{prefix}*{pattern}", count=1000)]


@pytest.fixture
def guarded_workers(tmp_path):
    redis_client = _redis_or_skip()
    settings = {"PROXY_HOPS": "1", "LOGIN_RATE_LIMIT": "1000 per minute",
                "LOGIN_ADDRESS_LIMIT": "12 per minute", "LOGIN_BACKOFF_AFTER": "4",
                "LOGIN_ACCOUNT_FAILURES": "8", "LOGIN_ACCOUNT_SLOWDOWN_SECONDS": "60",
                "PDF_RATE_LIMIT": "3 per minute"}
    for port, access_log, prefix in _gunicorn(tmp_path, redis_client, settings,
                                              ("kim@clinic.example", "lee@clinic.example")):
        yield port, access_log, prefix, redis_client


def test_sign_in_guard_and_pdf_limit_hold_across_two_gunicorn_workers(guarded_workers):
    """Issue 14 item 6: per address, per account with back-off, the real user never locked
    out, and the PDF budget, all counted in Redis by two worker processes."""
    port, access_log, prefix, redis_client = guarded_workers
    # The real users sign in once on their own computers (a device cookie for the account).
    kim, lee = _browser(), _browser()
    assert _sign_in(port, "kim@clinic.example", WORKER_PASSWORD, "10.9.0.1", kim)[0] == 302
    assert _sign_in(port, "lee@clinic.example", WORKER_PASSWORD, "10.9.0.2", lee)[0] == 302

    # Per address: one address trying many accounts gets LOGIN_ADDRESS_LIMIT attempts in all.
    many = [f"guess{n}@clinic.example" for n in range(16)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(lambda e: _sign_in(port, e, "a wrong guess", "10.1.0.1")[0], many))
    assert codes.count(400) == 12 and codes.count(429) == 4, codes

    # Per account from one address, with back-off: after 4 failures the next attempt waits
    # (1 s after the 4th failure, then 2, 4 ...), and the password is not even checked: the
    # right one is refused too. A machine so busy that the next attempt came more than 0.8 s
    # later may have seen the wait end; that round is tried again from another address.
    for round_ in range(1, 4):
        address = f"10.2.0.{round_}"
        for _ in range(4):
            assert _sign_in(port, "kim@clinic.example", "a wrong guess", address)[0] == 400
        fourth_answered = time.monotonic()
        status, page = _sign_in(port, "kim@clinic.example", WORKER_PASSWORD, address)
        if status == 429 or time.monotonic() - fourth_answered < 0.8:
            break
    assert status == 429 and "seconds" in page, status
    assert _counter(redis_client, prefix, f"signin:failures:*:address-{address}") == [4]
    # ... while Kim, on her own computer at the same address, is not slowed.
    assert _sign_in(port, "kim@clinic.example", WORKER_PASSWORD, address, kim)[0] == 302

    # Per account from everywhere: 10 guesses at once from 10 addresses (each under the
    # per-address back-off). At least LOGIN_ACCOUNT_FAILURES of them are counted whichever
    # worker answers them, so the account is gated for new browsers; with counters in each
    # worker's memory neither worker would usually reach 8.
    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(lambda n: _sign_in(port, "lee@clinic.example", "a wrong guess",
                                                 f"10.3.0.{n}")[0], range(10)))
    assert codes.count(400) >= 8 and set(codes) <= {400, 429}, codes
    status, page = _sign_in(port, "lee@clinic.example", WORKER_PASSWORD, "10.4.0.1")
    assert status == 429 and "computer you have used before" in page
    # Lee is not locked out: her own computer signs in at once, the right password checked.
    assert _sign_in(port, "lee@clinic.example", WORKER_PASSWORD, "10.4.0.1", lee)[0] == 302

    # PDFs: one budget per address for every document route, whichever worker renders.
    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(lambda _: _get_from(port, "/plan.pdf", "10.5.0.1"), range(8)))
    assert codes.count(429) == 5 and set(codes) == {302, 429}, codes      # 302: no case yet
    assert _get_from(port, "/plan.pdf", "10.5.0.2") != 429          # another address: its own

    assert len(_pids(access_log, "/auth/login")) == 2
    assert len(_pids(access_log, "/plan.pdf")) == 2
