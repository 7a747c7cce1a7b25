"""Nobody reaches a case that is not theirs: every case URL in the url_map, every role, two
organisations. Another organisation's case answers 404, exactly like a case that does not exist."""
import uuid

import pytest
from sqlmodel import Session, select

from navigator.models import AuditEntry
from navigator.services import caseload
from navigator.services import cases as case_store
from tests.answers import answers
from tests.conftest import log_in

CASE_ARGUMENT = "public_id"



def _build(rule, values) -> str:
    path = rule.rule
    for argument in rule.arguments:
        path = path.replace(f"<{argument}>", values[argument])
    return path


def case_rules(app):
    return [rule for rule in app.url_map.iter_rules() if CASE_ARGUMENT in rule.arguments]


@pytest.fixture
def two_organisations(app, make_worker):
    """Org A (admin, member owning a case) and org B (admin, member)."""
    a_admin = make_worker("admin@a.example", role="admin")
    a_member = make_worker("member@a.example", organisation=a_admin.organisation_id)
    b_admin = make_worker("admin@b.example", role="admin")
    b_member = make_worker("member@b.example", organisation=b_admin.organisation_id)
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = caseload.create_client_case(session, a_member, "Client of A")
        case_store.save_answers(session, case, answers(denial="claim"))
    return {"a_admin": a_admin, "a_member": a_member, "b_admin": b_admin,
            "b_member": b_member, "case": case}


def _client(app, user):
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    return client


def _call(client, method, path):
    return client.open(path, method=method, data={"state": "done", "body": "x",
                                                  "client_name": "Taken", "status": "closed"})


def test_the_matrix_covers_the_case_urls(app):
    paths = {rule.rule for rule in case_rules(app)}
    assert {"/caseload/cases/<public_id>", "/caseload/cases/<public_id>/export.json",
            "/caseload/cases/<public_id>/delete",
            "/caseload/cases/<public_id>/steps/<step_id>"} <= paths
    assert len(paths) >= 7


@pytest.mark.parametrize("outsider", ["b_admin", "b_member"])
def test_another_organisation_gets_404_on_every_case_url(app, two_organisations, outsider):
    case = two_organisations["case"]
    client = _client(app, two_organisations[outsider])
    for rule in case_rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            path = _build(rule, {"public_id": case.public_id, "step_id": "private_internal_appeal",
                                 "target": "plan"})
            response = _call(client, method, path)
            assert response.status_code == 404, f"{outsider} {method} {path}: {response.status_code}"
            missing = _build(rule, {"public_id": uuid.uuid4().hex,
                                    "step_id": "private_internal_appeal", "target": "plan"})
            assert _call(client, method, missing).status_code == 404
    # Nothing changed, and nothing was logged as done to the case.
    with Session(app.extensions["db_engine"]) as session:
        still = case_store.get_case(session, case.public_id)
        assert still is not None and still.client_name == "Client of A" and still.status == "active"
        logged = session.exec(select(AuditEntry).where(
            AuditEntry.case_public_id == case.public_id)).all()
        # Only the refusals, in the outsider's own organisation's log (review L15).
        assert {(e.action, e.organisation_id) for e in logged} <= {
            ("access.refused", two_organisations[outsider].organisation_id)}


@pytest.mark.parametrize("insider", ["a_admin", "a_member"])
def test_the_own_organisation_reaches_every_case_url(app, two_organisations, insider):
    case = two_organisations["case"]
    client = _client(app, two_organisations[insider])
    for rule in case_rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.endpoint == "caseload.delete_case" and method == "POST":
                continue      # checked last, below
            path = _build(rule, {"public_id": case.public_id, "step_id": "private_internal_appeal",
                                 "target": "plan"})
            response = _call(client, method, path)
            assert response.status_code in (200, 302), f"{insider} {method} {path}"
    assert client.post(f"/caseload/cases/{case.public_id}/delete").status_code == 302
    assert client.get(f"/caseload/cases/{case.public_id}").status_code == 404


def test_signed_out_visitors_get_the_same_answer_for_real_and_made_up_cases(app, two_organisations):
    case = two_organisations["case"]
    client = app.test_client()
    for rule in case_rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            real = _call(client, method, _build(rule, {
                "public_id": case.public_id, "step_id": "x", "target": "plan"}))
            made_up = _call(client, method, _build(rule, {
                "public_id": uuid.uuid4().hex, "step_id": "x", "target": "plan"}))
            assert real.status_code == made_up.status_code == 302
            assert "/auth/login" in real.location


def test_family_pages_drop_another_organisations_case_from_the_session(app, two_organisations):
    from navigator.web.session_case import CASE_KEY
    case = two_organisations["case"]
    for visitor in (app.test_client(), _client(app, two_organisations["b_member"])):
        with visitor.session_transaction() as session:
            session[CASE_KEY] = case.public_id
        response = visitor.get("/plan")
        assert response.status_code == 302 and "/plan" not in response.location.rstrip("/")[-5:]
        with visitor.session_transaction() as session:
            assert CASE_KEY not in session


def test_the_own_worker_uses_the_family_pages_and_it_is_audited(app, two_organisations):
    case = two_organisations["case"]
    client = _client(app, two_organisations["a_member"])
    response = client.post(f"/caseload/cases/{case.public_id}/open/plan")
    assert response.status_code == 302 and response.location.endswith("/plan")
    page = client.get("/plan")
    assert page.status_code == 200
    with Session(app.extensions["db_engine"]) as session:
        actions = [e.action for e in session.exec(select(AuditEntry).where(
            AuditEntry.case_public_id == case.public_id))]
    assert actions.count("case.view") >= 2


def test_admin_of_another_organisation_cannot_touch_its_members(app, two_organisations):
    client = _client(app, two_organisations["b_admin"])
    target = two_organisations["a_member"]
    response = client.post(f"/caseload/members/{target.id}/active", data={"active": "0"})
    assert response.status_code == 404


def test_audit_page_shows_only_the_own_organisation(app, two_organisations):
    case = two_organisations["case"]
    _client(app, two_organisations["a_member"]).get(f"/caseload/cases/{case.public_id}")
    html = _client(app, two_organisations["b_admin"]).get(
        f"/caseload/audit?case={case.public_id}").get_data(as_text=True)
    assert "viewed a case" not in html and "0 entries." in html
    html = _client(app, two_organisations["a_admin"]).get(
        f"/caseload/audit?case={case.public_id}").get_data(as_text=True)
    assert case.public_id[:8] in html and "viewed a case" in html
    assert "Client of A" not in html


def test_members_do_not_see_colleagues_clients_on_their_dashboard_but_admins_can(
        app, two_organisations, make_worker):
    colleague = make_worker("colleague@a.example",
                            organisation=two_organisations["a_admin"].organisation_id)
    assert "Client of A" not in _client(app, colleague).get("/caseload/").get_data(as_text=True)
    admin = _client(app, two_organisations["a_admin"])
    assert "Client of A" not in admin.get("/caseload/").get_data(as_text=True)
    assert "Client of A" in admin.get("/caseload/?scope=all").get_data(as_text=True)
    outsider = _client(app, two_organisations["b_admin"])
    assert "Client of A" not in outsider.get("/caseload/?scope=all").get_data(as_text=True)
