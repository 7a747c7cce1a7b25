"""Sign-in throttling that slows guessing without locking the real user out (issue 14 item 6,
review M5).

Counters live in the rate limiter's storage (Redis when REDIS_URL is set, so every worker and
instance counts together). Who is trying is "this browser" when it carries a sign-in device
cookie for the account (set after a successful sign-in there), otherwise "this address". Per
account, and keyed on that "who":

1. LOGIN_RATE_LIMIT attempts a minute (Flask-Limiter, on the view).
2. After LOGIN_BACKOFF_AFTER failures within an hour, each further failure makes the next
   attempt wait 1, 2, 4 ... seconds, at most LOGIN_BACKOFF_MAX_SECONDS. A right password ends
   the back-off for that "who" only.

Per account, from everywhere together: after LOGIN_ACCOUNT_FAILURES failures within an hour,
attempts from browsers without the account's device cookie are let through one per
LOGIN_ACCOUNT_SLOWDOWN_SECONDS. That caps the guesses an attacker with many addresses gets
(about 80 an hour with the defaults) while the real user, on a computer they signed in on
before, is not slowed at all. Per address: LOGIN_ADDRESS_LIMIT attempts a minute, whatever the
account (Flask-Limiter), except for browsers with a device cookie for the account tried.

A device cookie that keeps failing (LOGIN_DEVICE_FAILURES in an hour) is no longer trusted, so
a stolen one buys little. Unknown email addresses are counted exactly like real ones: the
answers never tell whether an account exists. Keys hold a keyed hash of the email, never the
email itself.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from dataclasses import dataclass

from flask import current_app, g, request
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeSerializer

from navigator.extensions import limiter
from navigator.services import accounts

DEVICE_COOKIE = "navigator_signin_device"
DEVICE_COOKIE_DAYS = 180
DEVICE_ACCOUNTS = 5         # accounts remembered per browser (a shared clinic computer)
HOUR = 3600


@dataclass(frozen=True)
class Wait:
    seconds: int
    reason: str         # "backoff" (this browser or address) or "account" (the account overall)


def _setting(name: str) -> int:
    return int(current_app.config[name])


def account_key(email: str) -> str:
    """A keyed hash of the email as typed (normalised): counters never hold the address."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    normalised = accounts.normalise_email(email)[:254].encode()
    return hmac.new(secret, normalised, hashlib.sha256).hexdigest()[:24]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt="sign-in-device")


def _device() -> dict:
    """The browser's device cookie: {"id": random id, "accounts": [account keys]}, or {}."""
    if "signin_device" not in g:
        raw = request.cookies.get(DEVICE_COOKIE, "")
        try:
            value = _serializer().loads(raw) if raw and len(raw) < 1000 else {}
        except BadSignature:
            value = {}
        if not (isinstance(value, dict) and isinstance(value.get("id"), str)
                and isinstance(value.get("accounts"), list)):
            value = {}
        g.signin_device = value
    return g.signin_device


def _key(*parts: str) -> str:
    return ":".join((current_app.config.get("RATELIMIT_KEY_PREFIX") or "navigator", "signin",
                     *parts))


def trusted_device(account: str) -> bool:
    """This browser signed in to `account` before, and has not kept failing since."""
    device = _device()
    if account not in device.get("accounts", ()):
        return False
    failures = limiter.storage.get(_key("device-failures", device["id"]))
    return failures < _setting("LOGIN_DEVICE_FAILURES")


def _who(account: str) -> str:
    return f"device-{_device()['id']}" if trusted_device(account) else \
        f"address-{get_remote_address()}"


def form_account() -> str:
    return account_key(request.form.get("email", ""))


def limit_key() -> str:
    """Flask-Limiter key for attempts on one account by one browser or address."""
    account = form_account()
    return f"login:{account}:{_who(account)}"


def exempt_from_address_limit() -> bool:
    return trusted_device(form_account())


def wait_before_attempt(email: str) -> Wait | None:
    """How long this browser or address must wait before its password is even checked."""
    account = account_key(email)
    storage = limiter.storage
    now = time.time()
    blocked = _key("backoff", account, _who(account))
    if storage.get(blocked):
        return Wait(max(1, math.ceil(storage.get_expiry(blocked) - now)), "backoff")
    if not trusted_device(account):
        gate = _key("account-gate", account)
        if storage.get(gate):
            return Wait(max(1, math.ceil(storage.get_expiry(gate) - now)), "account")
    return None


def record_failure(email: str) -> bool:
    """Count a failed attempt; True when this failure starts a back-off for the account from
    here (worth an audit entry, unlike every single refused attempt)."""
    account = account_key(email)
    storage = limiter.storage
    who = _who(account)
    failures = storage.incr(_key("failures", account, who), HOUR)
    account_failures = storage.incr(_key("account-failures", account), HOUR)
    if _device():
        storage.incr(_key("device-failures", _device()["id"]), HOUR)
    started = False
    free = _setting("LOGIN_BACKOFF_AFTER")
    if failures >= free:
        seconds = min(2 ** (failures - free), _setting("LOGIN_BACKOFF_MAX_SECONDS"))
        storage.incr(_key("backoff", account, who), int(seconds))
        started = failures == free
    if account_failures >= _setting("LOGIN_ACCOUNT_FAILURES"):
        storage.incr(_key("account-gate", account), _setting("LOGIN_ACCOUNT_SLOWDOWN_SECONDS"))
        started = started or account_failures == _setting("LOGIN_ACCOUNT_FAILURES")
    return started


def record_success(email: str, response) -> None:
    """End the back-off for this browser or address and remember the browser for the account."""
    account = account_key(email)
    who = _who(account)
    limiter.storage.clear(_key("failures", account, who))
    limiter.storage.clear(_key("backoff", account, who))
    device = dict(_device()) or {"id": secrets.token_urlsafe(16), "accounts": []}
    remembered = [a for a in device.get("accounts", []) if a != account]
    device["accounts"] = [account, *remembered][:DEVICE_ACCOUNTS]
    response.set_cookie(DEVICE_COOKIE, _serializer().dumps(device),
                        max_age=DEVICE_COOKIE_DAYS * 24 * HOUR, path="/auth/",
                        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
                        httponly=True, samesite="Lax")
