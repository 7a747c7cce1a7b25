"""Every letter as a Word document: the same content as the PDF, as real Word structure."""
from __future__ import annotations

import io

import pytest
from docx import Document
from docx.enum.text import WD_COLOR_INDEX

from navigator.services import letters as L
from navigator.services.docx_letters import letter_docx
from tests.test_letters import DETAILS, plan_for


def _open(body: bytes):
    return Document(io.BytesIO(body))


def _all_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def _letters_in_some_plan(book):
    seen = {}
    for overrides in ({"coverage": "employer", "denial": "appeal", "health_at_risk": True},
                      {"coverage": "medicare_original", "age": 70, "denial": "appeal"},
                      {"coverage": "medicare_advantage", "age": 70, "denial": "prior_authorization"},
                      {"coverage": "medicare_original", "age": 70, "pump_wanted": "omnipod_5",
                       "denial": "claim"},
                      {"coverage": "medicaid", "age": 12, "denial": "appeal"},
                      {"coverage": "uninsured", "annual_income": 20000},
                      {"coverage": "employer", "pump_wanted": "omnipod_5", "denial": "claim"}):
        answers, plan = plan_for(book, **overrides)
        for letter in plan.letters:
            seen.setdefault(letter.id, (answers, plan))
    return seen


def test_every_letter_has_a_docx_with_name_recipient_and_sources(book):
    letters = _letters_in_some_plan(book)
    assert len(letters) >= 8, sorted(letters)
    for letter_id, (answers, plan) in letters.items():
        document = _open(letter_docx(letter_id, answers, DETAILS, plan, book))
        text = _all_text(document)
        assert DETAILS["patient_name"] in text, letter_id
        assert "Sources this letter relies on" in text, letter_id
        for source in L.sources_for(letter_id, answers, plan, book):
            assert source.url in text, (letter_id, source.id)
        headings = [p for p in document.paragraphs if p.style.name.startswith("Heading")]
        assert headings and headings[0].style.name == "Heading 1", letter_id
        assert headings[0].text == book.letters[letter_id].title or headings[0].text, letter_id
        assert document.core_properties.author == L.AUTHOR


def test_the_reference_table_is_a_word_table_and_blanks_stay_highlighted(book):
    answers, plan = plan_for(book, coverage="employer", denial="claim")
    details = {**DETAILS, "member_id": ""}
    document = _open(letter_docx("internal_appeal", answers, details, plan, book))
    table = document.tables[0]
    rows = {row.cells[0].text: row.cells[1].text for row in table.rows}
    assert rows["Patient"] == DETAILS["patient_name"]
    assert rows["Group number"] == DETAILS["group_number"]
    assert all(run.bold for run in table.rows[0].cells[0].paragraphs[0].runs)
    highlighted = [run.text for p in document.paragraphs for run in p.runs
                   if run.font.highlight_color == WD_COLOR_INDEX.YELLOW]
    highlighted += [run.text for row in table.rows for cell in row.cells
                    for p in cell.paragraphs for run in p.runs
                    if run.font.highlight_color == WD_COLOR_INDEX.YELLOW]
    assert any("sign and date" in text for text in highlighted)
    assert any(text.startswith("[") for text in highlighted)


def test_recipient_address_lines_are_kept_and_the_denial_reason_is_a_quote(book):
    answers, plan = plan_for(book, coverage="employer", denial="claim")
    document = _open(letter_docx("internal_appeal", answers, DETAILS, plan, book))
    assert "Acme Health Plan" in _all_text(document) and "Columbus, OH 43215" in _all_text(document)
    quotes = [p.text for p in document.paragraphs if p.style.name == "Quote"]
    assert quotes == [DETAILS["denial_reason"]]


@pytest.mark.parametrize("typed", ["<script>alert(1)</script>", "Tom & Jerry <b>bold</b>"])
def test_typed_text_arrives_as_text(book, typed):
    answers, plan = plan_for(book, coverage="employer", denial="claim")
    document = _open(letter_docx("internal_appeal", answers, {**DETAILS, "patient_name": typed},
                                 plan, book))
    assert typed in _all_text(document)


def test_docx_download_from_the_letters_page(client):
    from tests.answers import answers as make_answers
    from tests.conftest import case_in_session
    case_in_session(client.application, client, "Ana Díaz")
    response = client.get("/letters/internal_appeal.docx")
    assert response.status_code == 200, response.status_code
    assert response.mimetype.endswith("wordprocessingml.document")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Ana Díaz" in _all_text(_open(response.data))
    assert make_answers  # the case helper makes an employer plan with a denied claim
