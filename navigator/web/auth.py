"""Sign in and out, invitations, password change; session limits for workers.

Sessions end after IDLE_TIMEOUT_SECONDS without a request and after PERMANENT_SESSION_LIFETIME
in any case, and on the server when the user signs out, changes the password or is deactivated.
Sign-in is throttled without locking the real user out (signin_guard explains how).
"""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from navigator import db
from navigator.extensions import limiter
from navigator.services import accounts, audit
from navigator.web import signin_guard
from navigator.web.validators import NoControlCharacters, has_control_characters

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_LIMIT"]


EMAIL_TOO_LONG = _l("Enter an email address of at most 254 characters.")
PASSWORD_TOO_LONG = _l("Enter a password of at most 256 characters.")


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[
        DataRequired(_l("Enter your email address.")), Length(max=254, message=EMAIL_TOO_LONG),
        NoControlCharacters()],
        render_kw={"autocomplete": "username", "maxlength": 254})
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")), Length(max=256, message=PASSWORD_TOO_LONG)],
        render_kw={"autocomplete": "current-password", "maxlength": 256})


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), description=_l("At least 12 characters. A few unrelated words work well."),
        validators=[DataRequired(_l("Enter a new password.")),
                    Length(min=accounts.MIN_PASSWORD_LENGTH, max=accounts.MAX_PASSWORD_LENGTH,
                           message=_l("Enter a password of 12 to 256 characters."))],
        render_kw={"autocomplete": "new-password", "maxlength": 256})
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(_l("Enter the new password again.")),
                    EqualTo("password", _l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password", "maxlength": 256})


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password.")),
                                            Length(max=256, message=PASSWORD_TOO_LONG)],
        render_kw={"autocomplete": "current-password", "maxlength": 256})


def _safe_next(target: str | None) -> str:
    """Only a path on this site, so the login page cannot send anyone elsewhere."""
    if target and not has_control_characters(target):   # CR/LF would break the header
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//") and "\\" not in target:
            return target
    return url_for("caseload.dashboard")


def start_session(user) -> None:
    session.clear()        # nothing from before sign-in (such as a family's case) carries over
    session.permanent = True
    login_user(user)
    now = time.time()
    session["login_at"] = now
    session["seen_at"] = now


def end_session() -> None:
    logout_user()
    session.clear()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], exempt_when=signin_guard.exempt_from_address_limit)
@limiter.limit(_login_limit, methods=["POST"], key_func=signin_guard.limit_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("caseload.dashboard"))
    form = LoginForm()
    if not form.validate_on_submit():
        return _login_page(form, None, 200 if request.method == "GET" else 400)
    email, password = form.email.data, form.password.data
    form.password.data = ""     # never sent back
    wait = _guarded(signin_guard.wait_before_attempt, email)
    if wait is not None:      # the password is not even checked: a wait caps the guesses
        return _login_page(form, _wait_message(wait), 429, {"Retry-After": str(wait.seconds)})
    dbs = db.get_session()
    user = accounts.authenticate(dbs, email, password)
    if user is None:
        _record_failed_sign_in(dbs, email)
        return _login_page(form, _("The email address or password is not right."), 400)
    start_session(user)
    audit.record(dbs, user, "login")
    response = redirect(_safe_next(request.args.get("next")))   # enforce_session_limits
    # sends a worker whose password an admin set to choose their own first
    _guarded(signin_guard.record_success, email, response)
    return response


def _login_page(form, failed: str | None, status: int, headers: dict | None = None):
    return render_template("auth/login.html", form=form, failed=failed), status, headers or {}


def _wait_message(wait: signin_guard.Wait) -> str:
    if wait.reason == "account":
        return _("This account has had many failed sign-ins, so sign-ins from new computers are "
                 "slowed down. Try again in %(seconds)d seconds, or sign in on a computer you "
                 "have used before.", seconds=wait.seconds)
    return _("Too many failed sign-ins from here. Try again in %(seconds)d seconds.",
             seconds=wait.seconds)


def _record_failed_sign_in(dbs, email: str) -> None:
    """Count the failure, and write it where someone will look: the organisation's audit log
    for a real account (the email stays out of it), the app log in any case (review L15)."""
    backoff_started = _guarded(signin_guard.record_failure, email)
    user = accounts.find_by_email(dbs, email)
    current_app.logger.warning("sign-in failed from %s (%s account)%s", request.remote_addr,
                               "known" if user else "unknown",
                               "; back-off started" if backoff_started else "")
    if user is not None:
        audit.record(dbs, user, "login.failed", commit=not backoff_started)
        if backoff_started:
            audit.record(dbs, user, "login.throttled")


def _guarded(action, *args):
    """Run a throttle step; when its storage (Redis) is unreachable, sign-in goes on without
    it rather than nobody being able to sign in. Flask-Limiter does the same for its limits."""
    try:
        return action(*args)
    except Exception as exc:  # noqa: BLE001 - storage clients raise their own error classes
        current_app.logger.error("sign-in throttle unavailable (%s): not applied",
                                 type(exc).__name__)
        return None


@bp.post("/logout")
@login_required
def logout():
    dbs = db.get_session()
    user = current_user._get_current_object()
    audit.record(dbs, user, "logout", commit=False)
    accounts.end_sessions(dbs, user)     # a copy of this cookie, taken earlier, stops working
    end_session()
    flash(_("You are signed out on every device."))
    return redirect(url_for("auth.login"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def accept_invite(token: str):
    dbs = db.get_session()
    user = accounts.find_invitation(dbs, token)
    if user is None:
        abort(404)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.accept_invitation(dbs, user, form.password.data)
        except accounts.AccountError as exc:
            form[exc.field].errors.append(_(str(exc)))
            return render_template("auth/invite.html", form=form, user=user), 400
        start_session(user)
        audit.record(dbs, user, "login")
        flash(_("Your password is set. Welcome, %(name)s.", name=user.name))
        response = redirect(url_for("caseload.dashboard"))
        _guarded(signin_guard.record_success, user.email, response)   # a browser they use
        return response
    return render_template("auth/invite.html", form=form, user=user), \
        200 if request.method == "GET" else 400


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.change_password(db.get_session(), current_user._get_current_object(),
                                            form.current_password.data, form.password.data)
        except accounts.AccountError as exc:
            form[exc.field].errors.append(_(str(exc)))
        else:
            start_session(user)
            flash(_("Your password is changed. Your other sessions are signed out."))
            return redirect(url_for("caseload.dashboard"))
    return render_template("auth/password.html", form=form), \
        200 if request.method == "GET" else 400


def enforce_session_limits():
    """Sign out a worker idle for too long or signed in for longer than the session lifetime;
    send one whose password an admin set to choose their own before anything else."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = time.time()
    idle = now - session.get("seen_at", 0) > current_app.config["IDLE_TIMEOUT_SECONDS"]
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    if idle or now - session.get("login_at", 0) > lifetime:
        end_session()
        flash(_("You were signed out because the session expired. Sign in again to continue."))
        if request.blueprint not in ("auth",):
            # Back to the same page (or the same client's case) after signing in again.
            from navigator.web.caseload.client_pages import return_address
            return redirect(url_for("auth.login", next=return_address()))
        return redirect(url_for("auth.login"))
    session["seen_at"] = now
    if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        flash(_("Choose your own password before you go on: the one you have was set by an "
                "admin."))
        return redirect(url_for("auth.change_password"))
    return None


# Where a worker whose password an admin set may go before choosing their own.
PASSWORD_CHANGE_ENDPOINTS = ("auth.change_password", "auth.logout", "static")

