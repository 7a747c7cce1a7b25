"""Security events are written down (review L15) and PDFs are rate-limited (review L4)."""
import re

from sqlmodel import Session, select

from navigator import create_app
from navigator.models import AuditEntry, User
from navigator.services import caseload
from tests.conftest import WORKER_PASSWORD


def _audit(app):
    with Session(app.extensions["db_engine"]) as session:
        return [(e.action, e.user_id, e.case_public_id)
                for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]


def _case_page_rule(app):
    """A GET page of one case in the caseload, whatever its URL is called."""
    for rule in app.url_map.iter_rules():
        string_arguments = [a for a in rule.arguments if f"<int:{a}>" not in rule.rule]
        if rule.rule.startswith("/caseload/") and "GET" in (rule.methods or ()) \
                and len(rule.arguments) == 1 and string_arguments and "." not in rule.rule:
            return rule.rule, string_arguments[0]
    raise AssertionError("no case page in the caseload")


def test_a_page_refused_to_a_signed_in_worker_reaches_their_audit_log(app, worker, worker_client,
                                                                     make_worker):
    outsider = make_worker("other@elsewhere.example", role="admin")
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        theirs = caseload.create_client_case(session, session.get(User, outsider.id), "Theirs")
    rule, argument = _case_page_rule(app)
    path = rule.replace(f"<{argument}>", theirs.public_id)
    before = len(_audit(app))
    assert worker_client.get(path).status_code == 404
    refused = _audit(app)[before:]
    assert refused == [("access.refused", worker.id, theirs.public_id)]


def test_a_missing_page_for_a_family_is_not_audited(app, client):
    assert client.get("/caseload/cases/" + "0" * 32).status_code in (302, 404)
    assert client.get("/no-such-page").status_code == 404
    assert _audit(app) == []


def test_a_form_without_a_csrf_token_is_logged_and_audited_for_a_worker(db_url, worker, caplog):
    app = create_app({"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": True, "RECHECK_ON_START": False})
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/auth/login", data={"email": worker.email, "password": WORKER_PASSWORD,
                                     "csrf_token": token})
    assert client.post("/auth/logout").status_code == 400          # no token
    assert any("CSRF token refused" in r.getMessage() for r in caplog.records)
    assert ("csrf.refused", worker.id, None) in _audit(app)


def test_pdfs_share_one_limit_per_browser_address(db_url, client):
    app = create_app({"DATABASE_URL": db_url, "PDF_RATE_LIMIT": "2 per minute",
                      "RECHECK_ON_START": False})
    family = app.test_client()
    from tests.test_questionnaire import MEDICARE_JOURNEY, walk
    walk(family, MEDICARE_JOURNEY)
    codes = [family.get("/plan.pdf").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert app.test_client().get("/plan.pdf", environ_base={"REMOTE_ADDR": "10.0.0.7"}) \
        .status_code != 429                                  # another address is not held up
