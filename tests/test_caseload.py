"""The caseload: dashboard, due list, case page, progress, notes, hand-over, feed, export, delete."""
import json
import re
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

from navigator.models import AuditEntry, Case, CaseEvent, CaseNote, StepProgress, User
from navigator.services import accounts, caseload
from navigator.services import cases as case_store
from tests.answers import answers

TODAY = date.today()


def _db(app):
    return Session(app.extensions["db_engine"], expire_on_commit=False)


def _client_case(app, worker, name, data=None):
    with _db(app) as session:
        case = caseload.create_client_case(session, worker, name)
        if data is not None:
            case_store.save_answers(session, case, data)
        return case.public_id


def _denied(days_ago: int) -> dict:
    """Answers whose 180-day internal appeal deadline falls (180 - days_ago) days from today."""
    return answers(denial="claim", denial_date=(TODAY - timedelta(days=days_ago)).isoformat())


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r'/caseload/cases/[0-9a-f]{32}">([^<]+)</a>', body)


def test_dashboard_lists_clients_with_next_deadline_and_overdue_in_words(app, worker,
                                                                         worker_client):
    _client_case(app, worker, "Olive Overdue", _denied(190))
    _client_case(app, worker, "Sam Soon", _denied(175))
    _client_case(app, worker, "Nina No Denial", answers(coverage="medicaid", state="TX"))
    _client_case(app, worker, "Una Unfinished", {"state": "OH"})
    html = worker_client.get("/caseload/").get_data(as_text=True)
    assert _rows(html) == ["Olive Overdue", "Sam Soon", "Nina No Denial", "Una Unfinished"]
    assert "Overdue" in html and "10 days ago" in html and "5 days left" in html
    assert 'class="row-overdue"' in html
    assert "Medicaid" in html and "TX" in html
    assert "Answers not finished" in html


def test_dashboard_sorts_by_links_both_ways(app, worker, worker_client):
    for name in ("Bea", "ana", "Cy"):
        _client_case(app, worker, name, answers())
    html = worker_client.get("/caseload/?sort=name").get_data(as_text=True)
    assert _rows(html) == ["ana", "Bea", "Cy"]
    assert 'aria-sort="ascending"' in html and "sort=name&amp;dir=desc" in html
    assert _rows(worker_client.get("/caseload/?sort=name&dir=desc").get_data(as_text=True)) == \
        ["Cy", "Bea", "ana"]
    assert worker_client.get("/caseload/?sort=nonsense").status_code == 200


def test_search_by_client_name_escapes_wildcards(app, worker, worker_client):
    _client_case(app, worker, "Maria Lopez", answers())
    _client_case(app, worker, "Mario 100% Rossi", answers())
    _client_case(app, worker, "John Smith", answers())
    assert _rows(worker_client.get("/caseload/?q=mari").get_data(as_text=True)) == \
        ["Maria Lopez", "Mario 100% Rossi"]
    assert _rows(worker_client.get("/caseload/?q=100%25").get_data(as_text=True)) == \
        ["Mario 100% Rossi"]
    html = worker_client.get("/caseload/?q=_").get_data(as_text=True)
    assert "0 clients match" in html


def test_due_list_shows_the_next_14_days_and_overdue_but_not_later_or_closed(app, worker,
                                                                              worker_client):
    _client_case(app, worker, "Due Twelve", _denied(168))
    _client_case(app, worker, "Due Twenty", _denied(160))
    _client_case(app, worker, "Was Due", _denied(181))
    closed = _client_case(app, worker, "Closed Case", _denied(170))
    worker_client.post(f"/caseload/cases/{closed}", data={"for_client": closed, "client_name": "Closed Case",
                                                          "status": "closed"})
    html = worker_client.get("/caseload/due").get_data(as_text=True)
    assert "Due Twelve" in html and "12 days left" in html
    assert "Was Due" in html and "1 day ago" in html
    assert "Due Twenty" not in html and "Closed Case" not in html
    assert html.index("Was Due") < html.index("Due Twelve")


def test_marking_a_step_done_records_date_and_worker_and_moves_the_deadline(app, worker,
                                                                             worker_client):
    public_id = _client_case(app, worker, "Pat Progress", _denied(20))
    response = worker_client.post(f"/caseload/cases/{public_id}/steps/private_internal_appeal",
                                  data={"for_client": public_id, "state": "done", "on_date": TODAY.isoformat()})
    assert response.status_code == 302
    html = worker_client.get(f"/caseload/cases/{public_id}").get_data(as_text=True)
    assert "Ada Worker" in html and "marked “File an internal appeal" in html
    with _db(app) as session:
        progress = session.exec(select(StepProgress)).one()
        assert (progress.state, progress.on_date) == ("done", TODAY)
        assert session.exec(select(Case)).one().next_deadline is None
    assert "Pat Progress" not in worker_client.get("/caseload/due").get_data(as_text=True)
    worker_client.post(f"/caseload/cases/{public_id}/steps/private_internal_appeal",
                       data={"for_client": public_id, "state": "", "on_date": ""})
    with _db(app) as session:
        assert session.exec(select(StepProgress)).all() == []
        assert session.exec(select(Case)).one().next_deadline is not None


def test_step_errors_name_the_field_and_keep_the_input(app, worker, worker_client):
    public_id = _client_case(app, worker, "Err Case", _denied(20))
    future = (TODAY + timedelta(days=3)).isoformat()
    response = worker_client.post(f"/caseload/cases/{public_id}/steps/read_denial_notice",
                                  data={"for_client": public_id, "state": "not_applicable", "on_date": future})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The date cannot be in the future." in html
    assert f'value="{future}"' in html
    assert 'id="state-read_denial_notice-not_applicable" name="state" value="not_applicable" checked' in html
    bad = worker_client.post(f"/caseload/cases/{public_id}/steps/read_denial_notice",
                             data={"for_client": public_id, "state": "done", "on_date": "31/12/2026"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.get_data(as_text=True)
    gone = worker_client.post(f"/caseload/cases/{public_id}/steps/no_such_step",
                              data={"for_client": public_id, "state": "done"})
    assert gone.status_code == 400 and "not in this case" in gone.get_data(as_text=True)


def test_notes_are_escaped_and_empty_notes_refused(app, worker, worker_client):
    public_id = _client_case(app, worker, "Nora <script>x</script>", answers())
    worker_client.post(f"/caseload/cases/{public_id}/notes",
                       data={"for_client": public_id, "body": "Called <b>insurer</b> & waited"})
    html = worker_client.get(f"/caseload/cases/{public_id}").get_data(as_text=True)
    assert "Called &lt;b&gt;insurer&lt;/b&gt; &amp; waited" in html
    assert "<script>x</script>" not in html
    empty = worker_client.post(f"/caseload/cases/{public_id}/notes", data={"for_client": public_id, "body": "  "})
    assert empty.status_code == 400 and "Write the note" in empty.get_data(as_text=True)


def test_a_family_case_is_handed_over_by_its_resume_link(app, worker, worker_client):
    with _db(app) as session:
        family = case_store.create_case(session, answers())
        token = case_store.issue_resume_token(session, family)
    bad = worker_client.post("/caseload/cases/claim", data={"link": "https://x/resume/nope" * 2,
                                                            "client_name": "Fam"})
    assert bad.status_code == 400 and "resume link does not work" in bad.get_data(as_text=True)
    assert 'value="Fam"' in bad.get_data(as_text=True)
    response = worker_client.post("/caseload/cases/claim", data={
        "link": f"http://localhost/resume/{token}", "client_name": "Family Case"})
    assert response.status_code == 302 and family.public_id in response.location
    with _db(app) as session:
        assert case_store.find_by_token(session, token) is None
        moved = case_store.get_case(session, family.public_id)
        assert moved.organisation_id == worker.organisation_id and moved.answers == answers()
    assert app.test_client().get(f"/resume/{token}").status_code == 404
    again = worker_client.post("/caseload/cases/claim", data={"link": token, "client_name": "X"})
    assert again.status_code == 400


def test_the_case_page_links_to_the_client_s_own_pages_and_never_the_session(app, worker,
                                                                             worker_client):
    from navigator.web.session_case import CASE_KEY
    public_id = _client_case(app, worker, "Quinn")
    html = worker_client.get(f"/caseload/cases/{public_id}").get_data(as_text=True)
    assert f'href="/caseload/clients/{public_id}/questions/' in html
    page = worker_client.get(f"/caseload/clients/{public_id}/questions/state")
    assert page.status_code == 200 and "Answering for Quinn" in page.get_data(as_text=True)
    with worker_client.session_transaction() as session:
        assert CASE_KEY not in session
    assert worker_client.post(f"/caseload/cases/{public_id}/open/questionnaire").status_code == 404


def test_export_has_answers_plan_progress_and_notes(app, worker, worker_client):
    public_id = _client_case(app, worker, "Eve Export", _denied(20))
    worker_client.post(f"/caseload/cases/{public_id}/notes", data={"for_client": public_id, "body": "first call"})
    worker_client.post(f"/caseload/cases/{public_id}/steps/read_denial_notice",
                       data={"for_client": public_id, "state": "done"})
    response = worker_client.get(f"/caseload/cases/{public_id}/export.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["answers"]["denial"] == "claim"
    assert data["plan"]["steps"][0]["id"] == "read_denial_notice"
    assert data["progress"][0]["step_id"] == "read_denial_notice"
    assert data["notes"][0]["text"] == "first call"


def test_plan_pdf_download_goes_through_the_plan_pdf_service(app, worker, worker_client):
    public_id = _client_case(app, worker, "Paula Pdf", answers())
    pdf = worker_client.get(f"/caseload/clients/{public_id}/plan.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_delete_removes_the_case_and_everything_attached(app, worker, worker_client):
    public_id = _client_case(app, worker, "Del Case", _denied(20))
    worker_client.post(f"/caseload/cases/{public_id}/notes", data={"for_client": public_id, "body": "note"})
    worker_client.post(f"/caseload/cases/{public_id}/steps/read_denial_notice",
                       data={"for_client": public_id, "state": "done"})
    assert worker_client.get(f"/caseload/cases/{public_id}/delete").status_code == 200
    assert worker_client.post(f"/caseload/cases/{public_id}/delete",
                              data={"for_client": public_id}).status_code == 302
    with _db(app) as session:
        for table in (Case, CaseNote, StepProgress, CaseEvent):
            assert session.exec(select(table)).all() == []
        actions = [e.action for e in session.exec(select(AuditEntry).where(
            AuditEntry.case_public_id == public_id))]
    assert "case.delete" in actions and "case.note" in actions and "case.step" in actions


def test_purge_removes_old_anonymous_cases_only(app, worker):
    org_case = _client_case(app, worker, "Old Client", answers())
    with _db(app) as session:
        family = case_store.create_case(session, answers())
        later = datetime.now(UTC) + timedelta(days=90)
        assert case_store.purge_older_than(session, 30, now=later) == 1
        assert case_store.get_case(session, family.public_id) is None
        assert case_store.get_case(session, org_case) is not None


def test_calendar_feed_by_secret_link_revocable(app, worker, worker_client):
    _client_case(app, worker, "Fiona Feed Lee", _denied(170))
    response = worker_client.post("/caseload/feed")
    assert response.headers["Cache-Control"] == "no-store"
    url = re.search(r'id="feed-url" value="([^"]+)"', response.get_data(as_text=True)).group(1)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    with _db(app) as session:
        stored = session.get(User, worker.id).feed_token_hash
    assert stored == accounts.hash_secret(token) and token not in stored
    feed = app.test_client().get(url.replace("http://localhost", ""))
    body = feed.get_data(as_text=True)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert "BEGIN:VEVENT" in body and "(F.F.L.)" in body and "Fiona" not in body
    assert (TODAY + timedelta(days=10)).strftime("%Y%m%d") in body
    worker_client.post("/caseload/feed/revoke")
    assert app.test_client().get(url.replace("http://localhost", "")).status_code == 404
    assert app.test_client().get("/feeds/not-a-real-token.ics").status_code == 404


def test_admin_hands_a_case_to_a_colleague(app, worker, worker_client, make_worker):
    colleague = make_worker("col@clinic.example", organisation=worker.organisation_id,
                            name="Col League")
    public_id = _client_case(app, worker, "Handed Over", answers())
    response = worker_client.post(f"/caseload/cases/{public_id}", data={"for_client": public_id, 
        "client_name": "Handed Over", "status": "waiting", "owner": str(colleague.id)})
    assert response.status_code == 302
    html = worker_client.get(f"/caseload/cases/{public_id}").get_data(as_text=True)
    assert "handed the case to Col League" in html and "changed the status to Waiting" in html
    bad = worker_client.post(f"/caseload/cases/{public_id}", data={"for_client": public_id, 
        "client_name": "", "status": "waiting", "owner": str(colleague.id)})
    assert bad.status_code == 400 and "Enter the client" in bad.get_data(as_text=True)


def test_a_clients_medicare_answers_reach_the_case_page_and_export(app, worker, worker_client):
    data = answers(coverage="medicare_original", age=72, medigap=False, household_size=1,
                   annual_income=14000, medicare_savings_program="qmb", part_d_plan="standalone")
    public_id = _client_case(app, worker, "Quinn QMB", data)
    html = worker_client.get(f"/caseload/cases/{public_id}").get_data(as_text=True)
    assert "Quinn QMB" in html
    export = json.loads(worker_client.get(f"/caseload/cases/{public_id}/export.json").data)
    assert export["answers"]["medicare_savings_program"] == "qmb"
    steps = [step["id"] for step in export["plan"]["steps"]]
    assert "qmb_no_cost_sharing" in steps and "medicare_part_b_share" not in steps
