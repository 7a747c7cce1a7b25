"""Sessions end on the server (issue 14 item 2): a session cookie copied before sign-out, a
password change or deactivation no longer opens anything, in any browser."""
from sqlmodel import Session

from navigator.models import User
from navigator.services import accounts
from tests.conftest import WORKER_PASSWORD, log_in


def _copy_of_session_cookie(app, client):
    """A second browser holding a copy of `client`'s session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _signed_in(client) -> bool:
    return client.get("/caseload/").status_code == 200


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app, worker_client):
    thief = _copy_of_session_cookie(app, worker_client)
    assert _signed_in(thief)                    # the copy works while the session lives
    assert worker_client.post("/auth/logout").status_code == 302
    response = thief.get("/caseload/")
    assert response.status_code == 302 and "/auth/login" in response.location
    assert thief.get("/caseload/due").status_code == 302


def test_sign_out_ends_the_users_other_sessions_too(app, worker, worker_client):
    other_device = app.test_client()
    log_in(other_device, worker.email)
    worker_client.post("/auth/logout")
    assert not _signed_in(other_device)
    assert log_in(other_device, worker.email).status_code == 302     # signing in again works
    assert _signed_in(other_device)


def test_a_cookie_copied_before_a_password_change_is_refused_after_it(app, worker_client):
    thief = _copy_of_session_cookie(app, worker_client)
    response = worker_client.post("/auth/password", data={
        "current_password": WORKER_PASSWORD, "password": "plum kettle orbit saffron",
        "confirm": "plum kettle orbit saffron"})
    assert response.status_code == 302
    assert _signed_in(worker_client)            # the browser that changed it stays signed in
    assert not _signed_in(thief)


def test_a_cookie_copied_before_deactivation_is_refused_after_it(app, worker, make_worker):
    member = make_worker("member@clinic.example", organisation=worker.organisation_id)
    member_client = app.test_client()
    log_in(member_client, member.email)
    thief = _copy_of_session_cookie(app, member_client)
    with Session(app.extensions["db_engine"]) as session:
        accounts.set_active(session, session.get(User, worker.id), session.get(User, member.id),
                            False)
    assert not _signed_in(member_client)
    assert not _signed_in(thief)
    with Session(app.extensions["db_engine"]) as session:   # reactivated: the old cookie stays dead
        accounts.set_active(session, session.get(User, worker.id), session.get(User, member.id),
                            True)
    assert not _signed_in(thief)
