"""Accounts and sign-in: argon2 hashes, generic errors, rate limit, session expiry, invitations."""
import re
import time

from sqlmodel import Session, select

from navigator import create_app
from navigator.models import User
from navigator.services import accounts
from tests.conftest import WORKER_PASSWORD, log_in


def _db(app):
    return Session(app.extensions["db_engine"], expire_on_commit=False)


def test_create_user_command_makes_an_admin_with_an_argon2_hash(app, runner):
    result = runner.invoke(args=["create-user", "--organisation", "Valley Clinic", "--email",
                                 "Lead@Valley.example", "--name", "Lee", "--password",
                                 "a long enough password"])
    assert result.exit_code == 0, result.output
    with _db(app) as session:
        user = session.exec(select(User)).one()
    assert user.email == "lead@valley.example" and user.role == "admin"
    assert user.password_hash.startswith("$argon2id$")
    assert "a long enough password" not in user.password_hash
    assert accounts.hasher.verify(user.password_hash, "a long enough password")


def test_create_user_refuses_a_short_password_naming_the_field(runner):
    result = runner.invoke(args=["create-user", "--organisation", "X", "--email", "a@b.example",
                                 "--name", "A", "--password", "short"])
    assert result.exit_code == 2
    assert "password" in result.output and "12 characters" in result.output


def test_sign_in_and_out(client, worker):
    response = log_in(client, worker.email)
    assert response.status_code == 302 and response.location.endswith("/caseload/")
    assert client.get("/caseload/").status_code == 200
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/caseload/").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(client, worker):
    wrong = log_in(client, worker.email, "not the password at all")
    unknown = log_in(client, "nobody@nowhere.example", "not the password at all")
    assert wrong.status_code == unknown.status_code == 400
    message = "The email address or password is not right."
    wrong_html, unknown_html = wrong.get_data(as_text=True), unknown.get_data(as_text=True)
    assert message in wrong_html and message in unknown_html
    # The email typed is kept; the password is not sent back.
    assert f'value="{worker.email}"' in wrong_html
    assert "not the password at all" not in wrong_html


def test_inactive_account_cannot_sign_in(app, client, worker, make_worker):
    other = make_worker("bo@clinic.example", organisation=worker.organisation_id)
    with _db(app) as session:
        accounts.set_active(session, session.get(User, worker.id), session.get(User, other.id),
                            False)
    assert log_in(client, other.email).status_code == 400


def test_sign_in_is_rate_limited(db_url, make_worker):
    app = create_app({"DATABASE_URL": db_url, "LOGIN_RATE_LIMIT": "3 per minute"})
    client = app.test_client()
    codes = [log_in(client, "someone@clinic.example", "guess number one").status_code
             for _ in range(5)]
    assert codes == [400, 400, 400, 429, 429]


def test_idle_session_expires(worker_client, app):
    with worker_client.session_transaction() as session:
        session["seen_at"] = time.time() - app.config["IDLE_TIMEOUT_SECONDS"] - 1
    response = worker_client.get("/caseload/due")
    assert response.status_code == 302 and "/auth/login" in response.location
    assert "next=" in response.location
    assert worker_client.get("/caseload/").status_code == 302


def test_session_ends_after_its_lifetime_even_when_active(worker_client, app):
    with worker_client.session_transaction() as session:
        session["login_at"] = time.time() - app.permanent_session_lifetime.total_seconds() - 1
    assert worker_client.get("/caseload/").status_code == 302


def test_session_cookie_is_permanent_with_the_configured_lifetime(app, client, worker):
    response = log_in(client, worker.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Expires=" in cookie and "SameSite=Lax" in cookie


def test_login_form_needs_a_csrf_token(db_url, worker):
    app = create_app({"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    assert log_in(client, worker.email).status_code == 400
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={"email": worker.email,
                                                "password": WORKER_PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_next_only_goes_to_this_site(client, worker):
    response = client.post("/auth/login?next=https://evil.example/", data={
        "email": worker.email, "password": WORKER_PASSWORD})
    assert response.location.endswith("/caseload/")
    client.post("/auth/logout")
    response = client.post("/auth/login?next=/caseload/due", data={
        "email": worker.email, "password": WORKER_PASSWORD})
    assert response.location.endswith("/caseload/due")


def test_invitation_sets_a_password_once(app, worker_client):
    response = worker_client.post("/caseload/members", data={
        "name": "New Member", "email": "new@clinic.example", "role": "member", "password": ""})
    assert response.status_code == 200
    link = re.search(r'id="invite-link" value="([^"]+)"', response.get_data(as_text=True)).group(1)
    path = link.replace("http://localhost", "")
    fresh = app.test_client()
    assert fresh.get(path).status_code == 200
    bad = fresh.post(path, data={"password": "short", "confirm": "short"})
    assert bad.status_code == 400 and "12 to 256 characters" in bad.get_data(as_text=True)
    done = fresh.post(path, data={"password": "a brand new password", "confirm": "a brand new password"})
    assert done.status_code == 302
    assert fresh.get("/caseload/").status_code == 200
    assert app.test_client().get(path).status_code == 404     # used up
    assert log_in(app.test_client(), "new@clinic.example", "a brand new password").status_code == 302


def test_password_change_ends_other_sessions(app, worker, worker_client):
    other_device = app.test_client()
    log_in(other_device, worker.email)
    response = worker_client.post("/auth/password", data={
        "current_password": WORKER_PASSWORD, "password": "another good password",
        "confirm": "another good password"})
    assert response.status_code == 302
    assert worker_client.get("/caseload/").status_code == 200
    assert other_device.get("/caseload/").status_code == 302


def test_password_change_names_a_wrong_current_password(worker_client):
    response = worker_client.post("/auth/password", data={
        "current_password": "wrong wrong wrong", "password": "another good password",
        "confirm": "another good password"})
    assert response.status_code == 400
    assert "The current password is not right." in response.get_data(as_text=True)


def test_members_page_is_for_admins_only(app, worker, make_worker):
    make_worker("member@clinic.example", organisation=worker.organisation_id)
    client = app.test_client()
    log_in(client, "member@clinic.example")
    assert client.get("/caseload/members").status_code == 404
    assert client.get("/caseload/audit").status_code == 404


def test_member_with_a_duplicate_email_is_refused_keeping_the_input(worker_client, worker):
    response = worker_client.post("/caseload/members", data={
        "name": "Copy Cat", "email": worker.email, "role": "member", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "already has an account" in html and 'value="Copy Cat"' in html
