"""Letters safe to send as printed: the recipient as typed, nothing the answers do not support,
who sends the letter and how they sign, one deadline per letter, the Medicaid health plan
appeal letter (no database)."""
from __future__ import annotations

import re
from datetime import date

import pytest

from navigator.services import letters as L
from tests.test_letters import DETAILS, flat, html_text, pdf_text, plan_for

MEDICARE = {"coverage": "medicare_original", "age": 70, "denial": "claim",
            "denial_date": "2026-10-15", "pump_wanted": "tslim_x2"}
ADULT = {**DETAILS, "sender": "patient"}
NO_RECIPIENT = {k: v for k, v in DETAILS.items() if not k.startswith("recipient_")}


def text_of(letter_id, answers, details, plan, book) -> str:
    return flat(html_text(L.render_letter(letter_id, answers, details, plan, book)))


# --- the recipient as typed --------------------------------------------------------------------

def test_the_medicare_contractor_typed_as_the_recipient_heads_the_redetermination(book):
    answers, plan = plan_for(book, **MEDICARE)
    html = str(L.render_letter("medicare_redetermination", answers, ADULT, plan, book))
    header = html[:html.index("<h1")]
    assert "CGS Administrators (DME MAC Jurisdiction B)" in header
    assert "PO Box 20009<br>Nashville, TN 37202" in header
    assert "Address printed on your notice" not in header


def test_the_contractor_typed_in_the_insurer_fields_is_used_too(book):
    """The review's case: the contractor's name and address typed as the insurer's."""
    answers, plan = plan_for(book, **MEDICARE)
    details = {**NO_RECIPIENT, "insurer_name": "CGS Administrators",
               "insurer_address": "PO Box 20009\nNashville, TN 37202"}
    html = str(L.render_letter("medicare_redetermination", answers, details, plan, book))
    header = html[:html.index("<h1")]
    assert "CGS Administrators" in header and "Nashville, TN 37202" in header
    # Nothing typed: the letter says where to find the address, as a highlighted blank.
    html = str(L.render_letter("medicare_redetermination", answers,
                               {k: v for k, v in NO_RECIPIENT.items()
                                if not k.startswith("insurer_")}, plan, book))
    assert "[Address printed on your notice]" in html[:html.index("<h1")]


def test_the_hearing_office_typed_heads_the_fair_hearing_letter_and_the_plan_its_appeal(book):
    answers, plan = plan_for(book, coverage="medicaid", state="GA", age=40,
                             denial="prior_authorization", denial_date="2026-11-10")
    details = {**ADULT, "insurer_name": "Peach State Health Plan",
               "insurer_address": "1100 Circle 75 Pkwy\nAtlanta, GA 30339",
               "recipient_name": "Georgia DCH Office of General Counsel",
               "recipient_address": "2 MLK Jr Dr SE\nAtlanta, GA 30334"}
    hearing = str(L.render_letter("medicaid_fair_hearing", answers, details, plan, book))
    assert "Georgia DCH Office of General Counsel" in hearing[:hearing.index("<h1")]
    appeal = str(L.render_letter("medicaid_plan_appeal", answers, details, plan, book))
    header = appeal[:appeal.index("<h1")]
    assert "Peach State Health Plan" in header and "1100 Circle 75 Pkwy" in header
    assert "Georgia DCH" not in header


# --- nothing the answers do not support ------------------------------------------------------

@pytest.mark.parametrize("lab", [{}, {"c_peptide_qualifies": "no"},
                                 {"c_peptide_qualifies": "unknown",
                                  "autoantibody_positive": "unknown"}])
def test_a_redetermination_never_claims_the_lab_criterion_the_answers_do_not_show(book, lab):
    answers, plan = plan_for(book, **MEDICARE, **lab)
    text = text_of("medicare_redetermination", answers, ADULT, plan, book)
    assert "meets the Medicare coverage criteria" not in text
    assert "meets the coverage criteria" not in text
    assert "[pending: add the lab result and its date before sending]" in text
    warnings = L.letter_warnings("medicare_redetermination", answers, ADULT, plan, book)
    assert any("C-peptide" in warning for warning in warnings)


@pytest.mark.parametrize("lab", [{"c_peptide_qualifies": "yes"},
                                 {"autoantibody_positive": "yes"}])
def test_a_redetermination_states_the_criteria_when_the_answers_show_the_result(book, lab):
    answers, plan = plan_for(book, **MEDICARE, **lab)
    text = text_of("medicare_redetermination", answers, ADULT, plan, book)
    assert "The pump meets the Medicare coverage criteria of LCD L33794" in text
    assert "pending" not in text
    assert L.letter_warnings("medicare_redetermination", answers, ADULT, plan, book) == []


def test_original_medicare_denials_are_medicares_not_a_plans(book):
    answers, plan = plan_for(book, **MEDICARE, c_peptide_qualifies="yes")
    text = text_of("medicare_redetermination", answers, ADULT, plan, book)
    assert "On October 15, 2026 Medicare denied coverage" in text
    assert "the plan denied" not in text


# --- who sends the letter, and the signature -----------------------------------------------------

def signature_of(html: str) -> str:
    start = html.index('<div class="signature">')
    text = flat(html_text(html[start:html.index("</div>", start)])).strip()
    return re.sub(r"\s+([,.])", r"\1", text)


def test_a_childs_appeal_is_sent_and_signed_by_a_parent_by_default(book):
    answers, plan = plan_for(book, coverage="employer", age=9, denial="claim")
    details = {k: v for k, v in DETAILS.items() if k not in ("sender", "sender_name")}
    html = str(L.render_letter("internal_appeal", answers, details, plan, book))
    signature = signature_of(html)
    assert "[Parent’s or guardian’s name], parent or legal guardian of José Núñez" in signature
    assert "I am writing as the parent or legal guardian of José Núñez" in flat(html_text(html))
    # The parent's own name, once typed, replaces the blank (and heads the letter).
    html = str(L.render_letter("internal_appeal", answers,
                               {**details, "sender_name": "Rosa Núñez"}, plan, book))
    assert "Rosa Núñez, parent or legal guardian of José Núñez" in signature_of(html)
    assert html.index("Rosa Núñez") < html.index("<h1")


def test_an_adult_signs_their_own_letter_and_the_prescriber_signs_theirs(book):
    answers, plan = plan_for(book, coverage="employer", age=34, denial="claim")
    details = {k: v for k, v in DETAILS.items() if k != "sender"}
    appeal = str(L.render_letter("internal_appeal", answers, details, plan, book))
    assert signature_of(appeal).startswith("Sincerely, José Núñez")
    assert "I am writing as" not in appeal
    necessity = str(L.render_letter("medical_necessity", answers,
                                    {**details, "sender": "parent"}, plan, book))
    assert "Dr. Ana Ortiz" in signature_of(necessity)
    assert "parent or legal guardian" not in necessity


def test_a_medicare_representative_names_form_cms_1696_and_its_source(book):
    answers, plan = plan_for(book, **MEDICARE, c_peptide_qualifies="yes")
    details = {**DETAILS, "sender": "representative", "sender_name": "Sam Ortiz"}
    html = str(L.render_letter("medicare_redetermination", answers, details, plan, book))
    text = flat(html_text(html))
    assert "Sam Ortiz, authorized representative of José Núñez" in signature_of(html)
    assert "Appointment of Representative (form CMS-1696)" in text
    sources = html[html.index('class="sources"'):]
    assert "hhs.gov/about/agencies/omha/filing-an-appeal/your-right-to-representation" in sources
    warnings = L.letter_warnings("medicare_redetermination", answers, details, plan, book)
    assert any("representative" in warning for warning in warnings)


def test_a_representative_where_no_form_is_known_gets_a_blank_to_name_it(book):
    answers, plan = plan_for(book, coverage="employer", denial="claim")
    details = {**DETAILS, "sender": "representative", "sender_name": "Sam Ortiz"}
    text = text_of("internal_appeal", answers, details, plan, book)
    assert "[the representative form your plan or agency asks for]" in text
    assert "CMS-1696" not in text


# --- one deadline per letter --------------------------------------------------------------------

def deadline_dates(text: str) -> list[str]:
    return re.findall(r"by the deadline, (\w+ \d+, \d{4})", text)


def test_each_appeal_letter_states_one_deadline_its_own(book):
    """Georgia Medicaid, who denied not given: the plan appeal and the agency hearing are both
    possible, each with its own date; each letter states only its own."""
    answers, plan = plan_for(book, coverage="medicaid", state="GA", age=40,
                             denial="prior_authorization", denial_date="2026-11-10")
    plan = plan.model_copy(update={"as_of": date(2026, 11, 30)})
    by_step = {d.id: d.date for d in plan.deadlines}
    appeal = text_of("medicaid_plan_appeal", answers, ADULT, plan, book)
    hearing = text_of("medicaid_fair_hearing", answers, ADULT, plan, book)
    assert deadline_dates(appeal) == [L.us_date(by_step["medicaid_plan_appeal"])]
    assert deadline_dates(hearing) == [L.us_date(by_step["medicaid_fair_hearing"])]
    assert "Deadline for this request" not in appeal + hearing


def test_no_letter_in_the_sweep_states_more_than_one_deadline(book):
    from tests.test_letters import SWEEP
    for overrides in SWEEP[::5]:
        answers, plan = plan_for(book, **overrides)
        for letter in plan.letters:
            text = text_of(letter.id, answers, ADULT, plan, book)
            assert len(deadline_dates(text)) <= 1, (letter.id, overrides)


# --- the Medicaid health plan appeal letter ---------------------------------------------------------

def test_a_medicaid_health_plan_denial_gets_the_plan_appeal_letter_with_its_sources(book):
    answers, plan = plan_for(book, coverage="medicaid", state="TX", age=9,
                             denial="prior_authorization", denied_by="plan")
    ids = L.letter_ids_in_plan(plan)
    assert "medicaid_plan_appeal" in ids and "medicaid_fair_hearing" not in ids
    state = book.states["TX"]
    text = flat(pdf_text(L.letter_pdf("medicaid_plan_appeal", answers, ADULT, plan, book)))
    assert "Medicaid health plan appeal" in text
    assert f"I appeal the plan's decision to deny coverage of an insulin pump and its supplies under {state.medicaid.program_name}" in text
    assert "42 CFR 438.402" in text and state.medicaid.agency in text
    assert "1396d(r)(5)" in text           # a child: EPSDT
    sources = [s.id for s in L.sources_for("medicaid_plan_appeal", answers, plan, book)]
    assert "ecfr_42_438_402" in sources
    deadline = next(d for d in plan.deadlines if d.id == "medicaid_plan_appeal")
    assert deadline_dates(text) == [L.us_date(deadline.date)]
