"""The /letters pages: list, details form, preview, PDF and packet, for the session's case only."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlmodel import Session

from navigator.services import cases
from tests.answers import answers as make_answers
from tests.conftest import AS_OF


@pytest.fixture(autouse=True)
def _letters_dated_as_of(monkeypatch):
    """Every letter here is dated AS_OF: the app's clock reads noon Eastern on that day."""
    from datetime import UTC, datetime, time

    from navigator import clock

    monkeypatch.setattr(clock, "utc_now", lambda: datetime.combine(AS_OF, time(17), tzinfo=UTC))


def _new_case(app, answers, details=None) -> str:
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = cases.create_case(session, answers)
        if details:
            case.details = details
        session.add(case)
        session.commit()
        return case.public_id


def _use_case(client, public_id: str) -> None:
    with client.session_transaction() as flask_session:
        flask_session["case_public_id"] = public_id


@pytest.fixture
def medicaid_client(app, client):
    public_id = _new_case(app, make_answers(coverage="medicaid", denial="claim", age=12,
                                            state="NY"))
    _use_case(client, public_id)
    client.public_id = public_id
    return client


def _stored_details(app, public_id: str) -> dict:
    with Session(app.extensions["db_engine"]) as session:
        return cases.get_case(session, public_id).details


def test_index_lists_the_letters_the_plan_calls_for(medicaid_client):
    page = medicaid_client.get("/letters/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Medicaid fair hearing request" in html
    assert 'href="/letters/medicaid_fair_hearing.pdf"' in html
    assert "Internal appeal of a denial" not in html
    assert 'href="/letters/details"' in html


@pytest.mark.parametrize("path", ["/letters/", "/letters/details", "/letters/medical_necessity",
                                  "/letters/medical_necessity.pdf"])
def test_no_case_redirects_home_with_a_message(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    home = client.get("/")
    assert "Answer the questions about your coverage first" in home.get_data(as_text=True)


def test_incomplete_answers_redirect_home(app, client):
    _use_case(client, _new_case(app, {"state": "OH", "age": 30}))
    assert client.get("/letters/").status_code == 302


def test_a_forged_or_other_case_id_finds_nothing(app, client):
    _new_case(app, make_answers(), {"patient_name": "Other Person"})
    _use_case(client, "0" * 32)
    assert client.get("/letters/medical_necessity").status_code == 302


def test_one_user_never_sees_another_users_details(app):
    first, second = app.test_client(), app.test_client()
    _use_case(first, _new_case(app, make_answers(), {"patient_name": "Alice Private"}))
    _use_case(second, _new_case(app, make_answers(), {"patient_name": "Bob Private"}))
    assert "Alice Private" in first.get("/letters/medical_necessity").get_data(as_text=True)
    page = second.get("/letters/medical_necessity").get_data(as_text=True)
    assert "Bob Private" in page and "Alice Private" not in page


def test_letter_not_in_the_plan_is_404(medicaid_client):
    assert medicaid_client.get("/letters/internal_appeal").status_code == 404
    assert medicaid_client.get("/letters/internal_appeal.pdf").status_code == 404
    assert medicaid_client.get("/letters/no_such_letter").status_code == 404


def test_details_form_saves_and_letters_use_them(app, medicaid_client):
    form = medicaid_client.get("/letters/details").get_data(as_text=True)
    assert '<label for="member_id">' in form and 'maxlength="10"' in form
    response = medicaid_client.post("/letters/details", data={
        "patient_name": "李小龙", "member_id": "NY-778", "prescriber_npi": "1234567893",
        "date_of_birth": "2014-05-01", "insurer_address": "1 State St\r\nAlbany, NY"})
    assert response.status_code == 302
    assert _stored_details(app, medicaid_client.public_id)["insurer_address"] == \
        "1 State St\nAlbany, NY"
    preview = medicaid_client.get("/letters/medicaid_fair_hearing").get_data(as_text=True)
    assert "李小龙" in preview and "NY-778" in preview and "May 1, 2014" in preview
    assert '<mark class="blank">[Claim or reference number]</mark>' in preview


def test_details_errors_name_the_field_and_keep_the_values(app, medicaid_client):
    response = medicaid_client.post("/letters/details", data={
        "patient_name": "José Núñez", "prescriber_npi": "12ab", "date_of_birth": "2999-01-01",
        "member_id": "M" * 41})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "Prescriber&#39;s NPI must be exactly 10 digits" in html
    assert "Date of birth must be in the past" in html
    assert "Member ID must be at most 40 characters" in html
    assert 'value="José Núñez"' in html and 'value="12ab"' in html
    assert 'href="#prescriber_npi"' in html
    assert _stored_details(app, medicaid_client.public_id) == {}


def test_details_form_needs_a_csrf_token(app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    _use_case(client, _new_case(app, make_answers()))
    assert client.post("/letters/details", data={"patient_name": "X"}).status_code == 400


def test_markup_typed_into_details_is_shown_as_text(app, client):
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    _use_case(client, _new_case(app, make_answers(), {"patient_name": hostile}))
    page = client.get("/letters/medical_necessity").get_data(as_text=True)
    assert hostile not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_pdf_download(medicaid_client):
    response = medicaid_client.get("/letters/medicaid_fair_hearing.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="letter-medicaid-fair-hearing-{AS_OF.isoformat()}.pdf"'
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Medicaid fair hearing request" in text


def test_packet_merges_the_chosen_letters(medicaid_client):
    response = medicaid_client.post("/letters/packet", data={
        "letter": ["medical_necessity", "medicaid_fair_hearing"]})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Letter of medical necessity" in text and "Medicaid fair hearing request" in text


@pytest.mark.parametrize("chosen", [[], ["internal_appeal"], ["../etc"]])
def test_packet_refuses_nothing_or_letters_not_in_the_plan(medicaid_client, chosen):
    response = medicaid_client.post("/letters/packet", data={"letter": chosen})
    assert response.status_code == 302 and response.headers["Location"].endswith("/letters/")



def test_who_sends_the_letters_is_chosen_on_the_details_form_and_used_in_them(app, client):
    from navigator.services import letters as letter_service
    from navigator.web.letters import SENDER_CHOICES
    assert [choice.value for choice in SENDER_CHOICES if choice.value] == list(letter_service.SENDERS)
    public_id = _new_case(app, make_answers(coverage="medicare_original", age=70, denial="claim",
                                            pump_wanted="tslim_x2"))
    _use_case(client, public_id)
    form = client.get("/letters/details").get_data(as_text=True)
    assert '<select' in form and 'name="sender"' in form and 'value="representative"' in form
    response = client.post("/letters/details", data={
        "patient_name": "Ruth Hale", "sender": "representative", "sender_name": "Ana Hale",
        "sender_address": "5 Oak Rd\nDayton, OH 45402",
        "recipient_name": "CGS Administrators", "recipient_address": "PO Box 20009"})
    assert response.status_code == 302
    saved = _stored_details(app, public_id)
    assert saved["sender"] == "representative" and saved["recipient_name"] == "CGS Administrators"
    page = client.get("/letters/medicare_redetermination").get_data(as_text=True)
    assert "Ana Hale, authorized representative of Ruth Hale" in page
    assert "5 Oak Rd<br>Dayton, OH 45402" in page and "CGS Administrators" in page
    assert "CMS-1696" in page
    # Before sending: the lab result the answers do not show, and the representative's form.
    warning = page[page.index("Before you send this letter"):page.index("letter-preview")]
    assert "C-peptide" in warning and "representative" in warning
    bad = client.post("/letters/details", data={"sender": "the neighbour"})
    assert bad.status_code == 400
    assert "Who is sending the letters must be one of" in bad.get_data(as_text=True)
