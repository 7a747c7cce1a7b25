"""The call and evidence log: entries on the case, checked and escaped, quoted in appeal
letters (HTML and PDF), and one case's log never shown with another's."""
from __future__ import annotations

import io
from datetime import date

from sqlmodel import Session, select

from navigator.models import Case
from navigator.services import calls as call_log
from tests.conftest import case_in_session

CALL = {"on_date": "2026-11-03", "spoke_with": "Dana <b>Reyes</b>",
        "organisation": "Acme Health member services", "reference": "REF-88231",
        "what_was_said": "The pump needs a new prior authorization & the old one lapsed.",
        "next_step": "Send the appeal by fax", "attachments": "denial letter.pdf\ncall notes.txt",
        "use_in_letters": "y"}


def test_an_entry_is_added_and_shown_escaped(client, app):
    case_in_session(app, client, "Zelda Quixote")
    response = client.post("/calls", data=CALL, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "The call is in your log." in page
    assert "Dana &lt;b&gt;Reyes&lt;/b&gt;" in page and "<b>Reyes" not in page
    assert "REF-88231" in page and "denial letter.pdf" in page and "call notes.txt" in page
    assert "November 3, 2026" in page


def test_bad_input_names_the_field_and_keeps_what_was_typed(client, app):
    case_in_session(app, client, "Zelda Quixote")
    response = client.post("/calls", data={**CALL, "on_date": "2099-01-01", "spoke_with": "",
                                           "reference": "x" * 81})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Date of the call: must be between 2000-01-01 and today" in page
    assert "Who did you speak with?: is required" in page
    assert "Reference number: must be at most 80 characters (you gave 81)" in page
    assert "Acme Health member services" in page          # nothing typed is lost


def test_service_refuses_control_characters_and_too_many_papers():
    raw = {**CALL, "attachments": [f"file{i}" for i in range(21)],
           "what_was_said": "ok\x07"}
    try:
        call_log.clean_entry(raw, date(2026, 11, 30))
    except call_log.CallLogError as exc:
        assert set(exc.problems) == {"attachments", "what_was_said"}
    else:
        raise AssertionError("accepted bad input")


def test_marked_calls_are_quoted_in_the_appeal_letter(client, app):
    case_in_session(app, client, "Zelda Quixote")
    client.post("/calls", data=CALL)
    client.post("/calls", data={**CALL, "spoke_with": "Not Quoted", "use_in_letters": ""})
    letter = client.get("/letters/internal_appeal").get_data(as_text=True)
    assert ("On November 3, 2026 I spoke with Dana &lt;b&gt;Reyes&lt;/b&gt; at Acme Health "
            "member services, reference REF-88231.") in letter
    assert "The pump needs a new prior authorization &amp; the old one lapsed." in letter
    assert "Not Quoted" not in letter
    # Not an appeal: the letter of medical necessity does not quote calls.
    assert "I spoke with" not in client.get("/letters/medical_necessity").get_data(as_text=True)


def test_calls_are_in_the_letter_pdf(client, app):
    from pypdf import PdfReader

    case_in_session(app, client, "Zelda Quixote")
    client.post("/calls", data=CALL)
    response = client.get("/letters/internal_appeal.pdf")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    text = " ".join(text.split())
    assert "On November 3, 2026 I spoke with Dana <b>Reyes</b> at Acme Health" in text
    assert "REF-88231" in text


def _entry_ids(app, public_id: str) -> list[int]:
    with Session(app.extensions["db_engine"]) as session:
        case = session.exec(select(Case).where(Case.public_id == public_id)).one()
        return [entry.id for entry in call_log.entries(session, case.id)]


def test_one_case_never_sees_another_cases_calls(app):
    first, second = app.test_client(), app.test_client()
    first_case = case_in_session(app, first, "Zelda Quixote")
    case_in_session(app, second, "Other Person")
    first.post("/calls", data=CALL)
    assert "REF-88231" not in second.get("/calls").get_data(as_text=True)
    assert "REF-88231" not in second.get("/letters/internal_appeal").get_data(as_text=True)
    [entry_id] = _entry_ids(app, first_case)
    assert second.post(f"/calls/{entry_id}/delete").status_code == 404
    assert _entry_ids(app, first_case) == [entry_id]


def test_delete_an_entry(client, app):
    public_id = case_in_session(app, client, "Zelda Quixote")
    client.post("/calls", data=CALL)
    [entry_id] = _entry_ids(app, public_id)
    response = client.post(f"/calls/{entry_id}/delete", follow_redirects=True)
    assert "The entry is deleted." in response.get_data(as_text=True)
    assert "REF-88231" not in response.get_data(as_text=True)


def test_without_a_case_the_log_sends_you_to_the_questions(client):
    response = client.get("/calls")
    assert response.status_code == 302 and "/start" in response.headers["Location"]


def test_export_holds_the_call_log(client, app):
    case_in_session(app, client, "Zelda Quixote")
    client.post("/calls", data=CALL)
    exported = client.get("/export.json").get_json()
    assert exported["call_log"][0]["reference"] == "REF-88231"
    assert exported["call_log"][0]["attachments"] == ["denial letter.pdf", "call notes.txt"]


def test_a_worker_logs_a_client_call_and_the_case_export_holds_it(app, worker, worker_client):
    from flask import url_for

    from navigator.services import caseload

    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = caseload.create_client_case(session, session.get(type(worker), worker.id),
                                           "Rosalind Okonkwo")
    with app.test_request_context():
        calls_page = url_for("followup.calls", client_id=case.public_id)
        export = url_for("caseload.export_case", public_id=case.public_id)
    page = worker_client.get(calls_page).get_data(as_text=True)
    assert "Call and evidence log" in page and "Rosalind Okonkwo" in page
    response = worker_client.post(calls_page, data={**CALL, "for_client": case.public_id},
                                  follow_redirects=True)
    assert "REF-88231" in response.get_data(as_text=True)
    assert worker_client.get(export).get_json()["call_log"][0]["reference"] == "REF-88231"
    # The family's address of the page never shows a client's log.
    assert "REF-88231" not in worker_client.get("/calls").get_data(as_text=True)
