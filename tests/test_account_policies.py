"""Passwords hard to guess, admin-set passwords changed at first sign-in (review L17), and
retention for the audit log and deactivated accounts through `navigator purge` (review L14)."""
import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from navigator.models import AuditEntry, Case, User, utcnow
from navigator.services import accounts
from tests.conftest import log_in

STRONG = "plum kettle orbit saffron"


def _db(app):
    return Session(app.extensions["db_engine"], expire_on_commit=False)


@pytest.mark.parametrize("weak", ["aaaaaaaaaaaa", "password1234", "123456789012",
                                  "qwertyuiopas", "ada@clinic.example"])
def test_weak_passwords_are_refused_naming_the_field(app, worker_client, weak):
    response = worker_client.post("/auth/password", data={
        "current_password": "correct horse battery staple", "password": weak, "confirm": weak})
    assert response.status_code == 400
    assert "too easy to guess" in response.get_data(as_text=True)
    assert worker_client.get("/caseload/").status_code == 200     # nothing changed


def test_a_password_made_of_the_persons_own_name_is_refused():
    with pytest.raises(accounts.AccountError) as info:
        accounts.check_password("Worker Ada Worker", ("ada.worker@clinic.example", "Ada Worker"))
    assert info.value.field == "password"
    assert accounts.check_password(STRONG, ("ada.worker@clinic.example", "Ada Worker")) == STRONG


def test_create_user_refuses_a_weak_password(runner):
    result = runner.invoke(args=["create-user", "--organisation", "X", "--email", "a@b.example",
                                 "--name", "A", "--password", "password1234"])
    assert result.exit_code == 2 and "password: This password is too easy to guess" in result.output


def test_an_invitation_refuses_a_weak_password_with_a_message(app, worker_client):
    page = worker_client.post("/caseload/members", data={
        "name": "New Member", "email": "new@clinic.example", "role": "member", "password": ""})
    link = re.search(r'id="invite-link" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    path = link.split("://", 1)[1].split("/", 1)[1]
    fresh = app.test_client()
    weak = fresh.post("/" + path, data={"password": "password1234", "confirm": "password1234"})
    assert weak.status_code == 400 and "too easy to guess" in weak.get_data(as_text=True)
    done = fresh.post("/" + path, data={"password": STRONG, "confirm": STRONG})
    assert done.status_code == 302


def test_a_password_an_admin_set_must_be_changed_at_first_sign_in(app, worker_client):
    response = worker_client.post("/caseload/members", data={
        "name": "Bo Member", "email": "bo@clinic.example", "role": "member",
        "password": "admin chosen words here"})
    assert response.status_code == 200
    member = app.test_client()
    assert log_in(member, "bo@clinic.example", "admin chosen words here").status_code == 302
    for path in ("/caseload/", "/caseload/due"):
        blocked = member.get(path)
        assert blocked.status_code == 302 and blocked.location.endswith("/auth/password")
    assert member.get("/auth/password").status_code == 200
    changed = member.post("/auth/password", data={
        "current_password": "admin chosen words here", "password": STRONG, "confirm": STRONG})
    assert changed.status_code == 302
    assert member.get("/caseload/").status_code == 200


def test_purge_applies_the_audit_and_deactivated_account_retention(app, runner, worker,
                                                                   make_worker):
    old_member = make_worker("old@clinic.example", organisation=worker.organisation_id)
    recent_member = make_worker("recent@clinic.example", organisation=worker.organisation_id)
    now = utcnow()
    with _db(app) as session:
        admin = session.get(User, worker.id)
        for member, days_ago in ((old_member, 91), (recent_member, 10)):
            accounts.set_active(session, admin, session.get(User, member.id), False)
            row = session.get(User, member.id)
            row.deactivated_at = now - timedelta(days=days_ago)
            session.add(row)
        case = Case(organisation_id=worker.organisation_id, owner_user_id=old_member.id,
                    client_name="Kept Client")
        session.add(case)
        session.add(AuditEntry(organisation_id=worker.organisation_id, user_id=worker.id,
                               action="login", created_at=now - timedelta(days=365 * 6 + 2)))
        session.add(AuditEntry(organisation_id=worker.organisation_id, user_id=worker.id,
                               action="login", created_at=now - timedelta(days=30)))
        session.commit()
        case_id = case.id
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "1 audit entry older than 2190 days" in result.output
    assert "1 account(s) deactivated more than 90 days ago" in result.output
    with _db(app) as session:
        emails = {u.email for u in session.exec(select(User))}
        assert emails == {worker.email, recent_member.email}
        assert len(session.exec(select(AuditEntry)).all()) == 1
        kept = session.get(Case, case_id)
        assert kept is not None and kept.owner_user_id is None    # the client stays
