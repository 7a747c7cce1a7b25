"""Sign-in throttling (issue 14 item 6, review M5): guessing is slowed per address and account,
per address and per account from everywhere, while the real user still gets in: from another
address at once, and from a computer they signed in on before even while the account is
under attack. Counted in one process here (memory storage); tests/test_limits_redis.py counts
across gunicorn workers in Redis."""
import time

import pytest
from sqlmodel import Session, select

from navigator import create_app
from navigator.models import AuditEntry
from tests.conftest import WORKER_PASSWORD

WRONG = "not the password at all"


@pytest.fixture
def throttled_app(db_url):
    def make(**settings):
        defaults = {"LOGIN_RATE_LIMIT": "100 per minute", "LOGIN_ADDRESS_LIMIT": "100 per minute",
                    "LOGIN_BACKOFF_AFTER": 3, "LOGIN_ACCOUNT_FAILURES": 50}
        return create_app({"DATABASE_URL": db_url, "RECHECK_ON_START": False,
                           **defaults, **settings})
    return make


def attempt(client, email, password=WRONG, address="10.0.0.1"):
    return client.post("/auth/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_failures_back_off_per_address_and_the_real_user_elsewhere_gets_in(throttled_app,
                                                                          make_worker):
    app = throttled_app()
    user = make_worker("target@clinic.example")
    attacker = app.test_client()
    codes = [attempt(attacker, user.email).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]           # the 3rd failure starts a 1-second wait
    refused = attempt(attacker, user.email, WORKER_PASSWORD)   # the password is not even checked
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "Too many failed sign-ins from here" in refused.get_data(as_text=True)
    # The real user, from another address, is not affected at all.
    assert attempt(app.test_client(), user.email, WORKER_PASSWORD, "10.9.9.9").status_code == 302
    time.sleep(1.2)
    assert attempt(attacker, user.email).status_code == 400    # the wait is over: 4th failure
    again = attempt(attacker, user.email)
    assert again.status_code == 429 and "Try again in 2 seconds" in again.get_data(as_text=True)


def test_a_right_password_ends_the_back_off_for_that_address(throttled_app, make_worker):
    app = throttled_app(LOGIN_BACKOFF_AFTER=2)
    user = make_worker("target@clinic.example")
    client = app.test_client()
    attempt(client, user.email)
    attempt(client, user.email)                       # second failure: wait 1 s
    time.sleep(1.2)
    assert attempt(client, user.email, WORKER_PASSWORD).status_code == 302
    client.post("/auth/logout")
    assert attempt(client, user.email).status_code == 400    # counting starts afresh
    assert attempt(client, user.email, WORKER_PASSWORD).status_code == 302


def test_an_attack_from_many_addresses_slows_new_browsers_not_the_users_own(throttled_app,
                                                                           make_worker):
    app = throttled_app(LOGIN_ACCOUNT_FAILURES=4, LOGIN_ACCOUNT_SLOWDOWN_SECONDS=60)
    user = make_worker("target@clinic.example")
    own_browser = app.test_client()
    assert attempt(own_browser, user.email, WORKER_PASSWORD, "10.1.1.1").status_code == 302
    own_browser.post("/auth/logout")
    for n in range(4):                                 # one guess from each of four addresses
        assert attempt(app.test_client(), user.email, address=f"10.0.0.{n}").status_code == 400
    stranger = attempt(app.test_client(), user.email, WORKER_PASSWORD, "10.0.0.99")
    assert stranger.status_code == 429
    assert "sign in on a computer you have used before" in stranger.get_data(as_text=True)
    # The user's own browser (it signed in here before) is let through with the right password,
    # from the same or from a new address.
    assert attempt(own_browser, user.email, WORKER_PASSWORD, "10.2.2.2").status_code == 302


def test_a_known_browser_that_keeps_failing_loses_its_pass(throttled_app, make_worker):
    app = throttled_app(LOGIN_ACCOUNT_FAILURES=2, LOGIN_DEVICE_FAILURES=2, LOGIN_BACKOFF_AFTER=50)
    user = make_worker("target@clinic.example")
    browser = app.test_client()
    assert attempt(browser, user.email, WORKER_PASSWORD).status_code == 302
    browser.post("/auth/logout")
    assert attempt(browser, user.email).status_code == 400
    assert attempt(browser, user.email).status_code == 400
    assert attempt(browser, user.email, WORKER_PASSWORD).status_code == 429   # an unknown now


def test_one_address_trying_many_accounts_is_limited(throttled_app):
    app = throttled_app(LOGIN_ADDRESS_LIMIT="3 per minute")
    client = app.test_client()
    codes = [attempt(client, f"person{n}@clinic.example").status_code for n in range(4)]
    assert codes == [400, 400, 400, 429]
    assert attempt(client, "person9@clinic.example", address="10.0.0.2").status_code == 400


def test_unknown_and_real_accounts_are_throttled_alike(throttled_app, make_worker):
    app = throttled_app()
    user = make_worker("target@clinic.example")
    real = [attempt(app.test_client(), user.email).status_code for _ in range(5)]
    unknown = [attempt(app.test_client(), "nobody@clinic.example").status_code for _ in range(5)]
    assert real == unknown == [400, 400, 400, 429, 429]


def test_failed_and_throttled_sign_ins_reach_the_organisations_audit_log(throttled_app,
                                                                        make_worker, caplog):
    app = throttled_app()
    user = make_worker("target@clinic.example")
    client = app.test_client()
    for _ in range(4):
        attempt(client, user.email)
    attempt(client, "nobody@clinic.example")
    with Session(app.extensions["db_engine"]) as session:
        entries = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    actions = [(e.action, e.user_id, e.organisation_id) for e in entries]
    failed = ("login.failed", user.id, user.organisation_id)
    assert actions == [failed, failed, failed, ("login.throttled", user.id, user.organisation_id)]
    logged = [r.getMessage() for r in caplog.records if "sign-in failed" in r.getMessage()]
    assert len(logged) == 4 and any("unknown account" in line for line in logged)
    assert not any(user.email in r.getMessage() or "nobody@" in r.getMessage()
                   for r in caplog.records)


def test_with_redis_unreachable_sign_in_and_pages_still_work(db_url, make_worker, caplog):
    """The limits are not applied while their storage is down; nobody is locked out by it."""
    app = create_app({"DATABASE_URL": db_url, "RECHECK_ON_START": False,
                      "REDIS_URL": "redis://127.0.0.1:1/0"})
    user = make_worker("target@clinic.example")
    client = app.test_client()
    assert attempt(client, user.email).status_code == 400
    assert attempt(client, user.email, WORKER_PASSWORD).status_code == 302
    assert client.get("/caseload/").status_code == 200
    assert app.test_client().get("/api/v1/rules").status_code == 200
    assert any("sign-in throttle unavailable" in r.getMessage() for r in caplog.records)
