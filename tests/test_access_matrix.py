"""Nobody reaches a case that is not theirs: every case URL in the url_map (the caseload's case
pages, a client's questionnaire, plan and letters pages, every download), every role, two
organisations. A case the worker may not reach answers 404, exactly like a case that does not
exist.

Who reaches a client of organisation A: A's admins, the worker who owns it, and members it is
shared with (these cannot hand it over, share it or delete it). Not: A's other members, the
worker who handed it over, anyone of organisation B, anyone signed out.
"""
import re
import uuid
from datetime import date

import pytest
from sqlmodel import Session, select

from navigator import rulebook
from navigator.engine import evaluate, validate_answers
from navigator.models import AuditEntry
from navigator.services import calls as call_log
from navigator.services import caseload
from navigator.services import cases as case_store
from tests.answers import answers
from tests.conftest import log_in

CASE_ARGUMENTS = {"public_id", "client_id"}
MANAGE_ENDPOINTS = {"caseload.delete_case", "caseload.share_case", "caseload.unshare_case"}
LAST = {"caseload.delete_case", "followup.delete_call"}     # walked after everything else
# A queued letter packet's page and PDF, walked with a made-up job: unknown (404) even to the
# case's own workers; tests/test_letters_queue.py opens real ones.
PACKET_JOB_ENDPOINTS = {"letters.packet_status", "letters.packet_download"}
REACHES = ["a_admin", "a_owner", "a_shared"]
KEPT_OUT = ["a_colleague", "a_former", "b_admin", "b_member"]


def case_rules(app):
    return [rule for rule in app.url_map.iter_rules() if CASE_ARGUMENTS & rule.arguments]


def _methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


@pytest.fixture
def world(app, make_worker):
    """Org A: admin, the client's owner, a member it is shared with, a member it is not shared
    with, the member who made it and handed it to the owner. Org B: admin and member."""
    a_admin = make_worker("admin@a.example", role="admin")
    org = a_admin.organisation_id
    people = {"a_admin": a_admin}
    for role in ("a_owner", "a_shared", "a_colleague", "a_former"):
        people[role] = make_worker(f"{role}@a.example", organisation=org)
    people["b_admin"] = make_worker("admin@b.example", role="admin")
    people["b_member"] = make_worker("member@b.example",
                                     organisation=people["b_admin"].organisation_id)
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = caseload.create_client_case(session, people["a_former"], "Client of A")
        case_store.save_answers(session, case, answers(denial="claim"))
        caseload.update_case(session, people["a_former"], case, "Client of A", "active",
                             people["a_owner"].id)     # handed over: access moves
        caseload.share_case(session, people["a_owner"], case, people["a_shared"].id)
        call = call_log.add_entry(session, case, {"spoke_with": "Plan", "what_was_said": "x",
                                            "on_date": date.today().isoformat()},
                                  date.today(), people["a_owner"].id)
    return {**people, "case": case, "call_id": str(call.id)}


def _values(app, world, public_id):
    """A value for every argument of a case URL: a letter and a step of the client's plan."""
    with app.app_context():
        book = rulebook.current()
    valid, _errors = validate_answers(answers(denial="claim"), date.today())
    plan = evaluate(valid, date.today(), book)
    return {"public_id": public_id, "client_id": public_id, "step_id": plan.steps[0].id,
            "letter_id": plan.letters[0].id, "page_id": "state",
            "user_id": str(world["a_colleague"].id), "entry_id": world["call_id"],
            "job_id": "packet-" + "0" * 32}


def _build(rule, values) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda match: values[match.group(1)], rule.rule)


def _client(app, user):
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    return client


def _call(client, method, path, public_id, world):
    """Each route's form, filled in for the client in the URL."""
    return client.open(path, method=method, data={
        "for_client": public_id, "state": "done", "body": "x", "client_name": "Client of A",
        "status": "active", "member": str(world["a_colleague"].id)})


def test_the_matrix_covers_every_case_page_and_download(app):
    paths = {rule.rule for rule in case_rules(app)}
    assert {"/caseload/cases/<public_id>", "/caseload/cases/<public_id>/export.json",
            "/caseload/cases/<public_id>/delete",
            "/caseload/cases/<public_id>/steps/<step_id>",
            "/caseload/clients/<client_id>/questions/<page_id>",
            "/caseload/clients/<client_id>/check",
            "/caseload/clients/<client_id>/plan", "/caseload/clients/<client_id>/plan.pdf",
            "/caseload/clients/<client_id>/plan.ics",
            "/caseload/clients/<client_id>/letters/",
            "/caseload/clients/<client_id>/letters/details",
            "/caseload/clients/<client_id>/letters/<letter_id>",
            "/caseload/clients/<client_id>/letters/<letter_id>.pdf",
            "/caseload/clients/<client_id>/letters/packet"} <= paths
    # A family page without a client address would be reachable only through the session.
    family_pages = {rule.endpoint for rule in app.url_map.iter_rules()
                    if rule.endpoint.split(".")[0] in ("plan", "letters")
                    or rule.endpoint in ("followup.calls", "followup.reminders_page")}
    client_pages = {rule.endpoint for rule in case_rules(app)}
    assert family_pages <= client_pages


@pytest.mark.parametrize("outsider", KEPT_OUT)
def test_everyone_else_gets_404_on_every_case_url(app, world, outsider):
    case = world["case"]
    client = _client(app, world[outsider])
    made_up = uuid.uuid4().hex
    for rule in case_rules(app):
        for method in _methods(rule):
            path = _build(rule, _values(app, world, case.public_id))
            response = _call(client, method, path, case.public_id, world)
            assert response.status_code == 404, \
                f"{outsider} {method} {path}: {response.status_code}"
            missing = _build(rule, _values(app, world, made_up))
            assert _call(client, method, missing, made_up, world).status_code == 404
    # Nothing changed, and nothing was logged as done to the case (beyond its setting up).
    with Session(app.extensions["db_engine"]) as session:
        still = case_store.get_case(session, case.public_id)
        assert still is not None and still.client_name == "Client of A" and still.status == "active"
        assert caseload.notes(session, still) == []
        logged = session.exec(select(AuditEntry).where(
            AuditEntry.case_public_id == case.public_id)).all()
        # Only the refusals, in the outsider's own organisation's log (review L15).
        assert {(e.action, e.organisation_id) for e in logged} <= {
            ("access.refused", world[outsider].organisation_id)}


@pytest.mark.parametrize("insider", REACHES)
def test_the_admin_owner_and_shared_member_reach_every_case_url(app, world, insider):
    case = world["case"]
    client = _client(app, world[insider])
    for rule in case_rules(app):
        for method in _methods(rule):
            if rule.endpoint in LAST and method == "POST":
                continue      # checked last, below
            path = _build(rule, _values(app, world, case.public_id))
            response = _call(client, method, path, case.public_id, world)
            # Reached: the page, a redirect, or the form shown again with its errors (400).
            expected = (404,) if insider == "a_shared" and rule.endpoint in MANAGE_ENDPOINTS \
                or rule.endpoint in PACKET_JOB_ENDPOINTS else (200, 302, 400)
            assert response.status_code in expected, f"{insider} {method} {path}: " \
                f"{response.status_code}"
            assert response.headers.get("Cache-Control") == "no-store", f"{method} {path}"
    call = client.post(f"/caseload/clients/{case.public_id}/calls/{world['call_id']}/delete",
                       data={"for_client": case.public_id})
    assert call.status_code == 302
    delete = client.post(f"/caseload/cases/{case.public_id}/delete",
                         data={"for_client": case.public_id})
    if insider == "a_shared":
        assert delete.status_code == 404
        return
    assert delete.status_code == 302
    assert client.get(f"/caseload/cases/{case.public_id}").status_code == 404


def test_signed_out_visitors_get_the_same_answer_for_real_and_made_up_cases(app, world):
    case = world["case"]
    client = app.test_client()
    made_up = uuid.uuid4().hex
    for rule in case_rules(app):
        for method in _methods(rule):
            real = _call(client, method, _build(rule, _values(app, world, case.public_id)),
                         case.public_id, world)
            invented = _call(client, method, _build(rule, _values(app, world, made_up)),
                             made_up, world)
            assert real.status_code == invented.status_code == 302, rule.rule
            assert "/auth/login" in real.location


def test_handing_a_client_over_moves_access(app, world):
    case = world["case"]
    owner, former = _client(app, world["a_owner"]), _client(app, world["a_former"])
    assert owner.get(f"/caseload/cases/{case.public_id}").status_code == 200
    assert former.get(f"/caseload/cases/{case.public_id}").status_code == 404
    assert "Client of A" in owner.get("/caseload/").get_data(as_text=True)
    assert "Client of A" not in former.get("/caseload/").get_data(as_text=True)
    # The owner hands it on to the colleague, and no longer reaches it.
    handed = owner.post(f"/caseload/cases/{case.public_id}", data={
        "for_client": case.public_id, "client_name": "Client of A", "status": "active",
        "owner": str(world["a_colleague"].id)})
    assert handed.status_code == 302 and handed.location.endswith("/caseload/")
    assert owner.get(f"/caseload/cases/{case.public_id}").status_code == 404
    colleague = _client(app, world["a_colleague"])
    assert colleague.get(f"/caseload/clients/{case.public_id}/plan").status_code == 200
    # A member it is only shared with cannot hand it over.
    shared = _client(app, world["a_shared"])
    refused = shared.post(f"/caseload/cases/{case.public_id}", data={
        "for_client": case.public_id, "client_name": "Client of A", "status": "active",
        "owner": str(world["a_shared"].id)})
    assert refused.status_code == 302
    with Session(app.extensions["db_engine"]) as session:
        assert case_store.get_case(session, case.public_id).owner_user_id == \
            world["a_colleague"].id


def test_stopping_a_share_ends_the_member_s_access(app, world):
    case = world["case"]
    shared = _client(app, world["a_shared"])
    assert "Client of A" in shared.get("/caseload/").get_data(as_text=True)
    owner = _client(app, world["a_owner"])
    response = owner.post(f"/caseload/cases/{case.public_id}/shares/{world['a_shared'].id}/remove",
                          data={"for_client": case.public_id})
    assert response.status_code == 302
    assert shared.get(f"/caseload/cases/{case.public_id}").status_code == 404
    assert "Client of A" not in shared.get("/caseload/").get_data(as_text=True)


def test_the_api_holds_no_case(app, world):
    """The JSON API is the engine over HTTP: it answers from the request body only, never from a
    signed-in worker's clients or a session's case."""
    case = world["case"]
    for client in (_client(app, world["a_owner"]), _client(app, world["b_admin"]),
                   app.test_client()):
        with client.session_transaction() as session:
            session["case_public_id"] = case.public_id
        for response, status in ((client.post("/api/v1/plan", json={}), 422),
                                 (client.post("/api/v1/plans", json=[{}]), 401),
                                 (client.get("/api/v1/rules"), 200),
                                 (client.get("/api/v1/openapi.json"), 200)):
            assert response.status_code == status
            body = response.get_data(as_text=True)
            assert "Client of A" not in body and case.public_id not in body
    rule_names = {rule.endpoint for rule in app.url_map.iter_rules()
                  if rule.endpoint.startswith("api.")}
    assert rule_names == {"api.plan", "api.plans", "api.rules", "api.openapi"}, \
        "a new API route needs a row in this matrix"


def test_family_pages_drop_an_organisation_s_case_from_the_session(app, world):
    from navigator.web.session_case import CASE_KEY
    case = world["case"]
    for visitor in (app.test_client(), _client(app, world["b_member"]),
                    _client(app, world["a_owner"])):
        with visitor.session_transaction() as session:
            session[CASE_KEY] = case.public_id
        response = visitor.get("/plan")
        assert response.status_code == 302 and "/plan" not in response.location.rstrip("/")[-5:]
        with visitor.session_transaction() as session:
            assert CASE_KEY not in session


def test_a_worker_s_client_pages_are_audited(app, world):
    case = world["case"]
    client = _client(app, world["a_owner"])
    assert client.get(f"/caseload/clients/{case.public_id}/plan").status_code == 200
    assert client.get(f"/caseload/clients/{case.public_id}/plan.pdf").status_code == 200
    with Session(app.extensions["db_engine"]) as session:
        actions = [e.action for e in session.exec(select(AuditEntry).where(
            AuditEntry.case_public_id == case.public_id))]
    assert actions == ["case.view", "case.pdf"]


def test_admin_of_another_organisation_cannot_touch_its_members(app, world):
    client = _client(app, world["b_admin"])
    response = client.post(f"/caseload/members/{world['a_owner'].id}/active", data={"active": "0"})
    assert response.status_code == 404


def test_audit_page_shows_only_the_own_organisation_with_client_names(app, world):
    case = world["case"]
    _client(app, world["a_owner"]).get(f"/caseload/cases/{case.public_id}")
    html = _client(app, world["b_admin"]).get(
        f"/caseload/audit?case={case.public_id}").get_data(as_text=True)
    assert "viewed a case" not in html and "0 entries." in html and "Client of A" not in html
    html = _client(app, world["a_admin"]).get(
        f"/caseload/audit?case={case.public_id}").get_data(as_text=True)
    assert "Client of A" in html and "viewed a case" in html


def test_members_see_their_own_and_shared_clients_admins_the_organisation(app, world):
    def names(user, query=""):
        return _client(app, world[user]).get("/caseload/" + query).get_data(as_text=True)
    assert "Client of A" in names("a_owner") and "Client of A" in names("a_shared")
    assert "Client of A" not in names("a_colleague")
    assert "Client of A" not in names("a_colleague", "?scope=all")
    assert "Client of A" not in names("a_admin")
    assert "Client of A" in names("a_admin", "?scope=all")
    assert "Client of A" not in names("b_admin", "?scope=all")
