"""Letters service, PDF rendering and the `navigator letter` command (no database)."""
from __future__ import annotations

import http.server
import io
import json
import re
import threading
from datetime import date
from html import unescape
from typing import ClassVar

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from navigator.cli import main
from navigator.engine import evaluate, validate_answers
from navigator.engine.answers import MEDICARE
from navigator.services import letters as L
from navigator.services.pdf import PdfRenderError, RefusedURL, StaticOnlyFetcher, render_pdf
from tests.answers import answers as make_answers
from tests.conftest import AS_OF

DETAILS = {
    "patient_name": "José Núñez",
    "date_of_birth": "1988-06-14",
    "member_id": "XZW123456789",
    "group_number": "GRP-0042",
    "insurer_name": "Acme Health Plan",
    "insurer_address": "PO Box 100\nColumbus, OH 43215",
    "claim_number": "CLM-2026-7781",
    "prescriber_name": "Dr. Ana Ortiz",
    "prescriber_npi": "1234567893",
    "practice_address": "1 Main St\nColumbus, OH 43210",
    "practice_phone": "(614) 555-0100",
    "denial_reason": "Not medically necessary: no record of glucose testing.",
    "sender": "patient",
    "sender_name": "Rosa Núñez",
    "sender_address": "12 Elm St\nColumbus, OH 43215\n(614) 555-0199",
    "recipient_name": "CGS Administrators (DME MAC Jurisdiction B)",
    "recipient_address": "PO Box 20009\nNashville, TN 37202",
}
LABELS = {name: spec.label for name, spec in L.DETAIL_FIELDS.items()}


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def html_text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def plan_for(book, **overrides):
    answers, errors = validate_answers(make_answers(**overrides), AS_OF)
    assert not errors, errors
    return answers, evaluate(answers, AS_OF, book)


def expected_payer_words(answers, book) -> list[str]:
    """Words each letter for this coverage must show, worked out here, not by the service."""
    state = book.states[answers["state"]]
    return {
        "medicare_original": ["Medicare"],
        "medicare_advantage": ["Medicare"],
        "medicaid": [state.medicaid.program_name],
        "chip": [state.chip.program_name or "CHIP"],
    }.get(answers["coverage"], [])


SWEEP = [
    {"coverage": coverage, "denial": denial, "pump_wanted": pump, "state": state, "age": age,
     "health_at_risk": True}
    for coverage in ("employer", "marketplace", "medicare_original", "medicare_advantage",
                     "medicaid", "chip", "tricare", "uninsured")
    for denial in ("none", "prior_authorization", "appeal")
    for pump in ("tslim_x2", "omnipod_5")
    for state, age in (("OH", 34), ("NY", 12), ("TX", 70))
]


def _sweep_cases(book):
    """Each (letter id, situation) once: every letter in every kind of plan the rules make."""
    seen: dict[tuple, dict] = {}
    for overrides in SWEEP:
        _answers, plan = plan_for(book, **overrides)
        for letter in plan.letters:
            key = (letter.id, overrides["coverage"], overrides["denial"] != "none",
                   overrides["pump_wanted"], overrides["age"] < 21)
            seen.setdefault(key, overrides)
    return list(seen.items())


def test_sweep_renders_every_letter_the_rules_send(book):
    cases = _sweep_cases(book)
    rendered = {key[0] for key, _ in cases}
    # Every letter that some plan calls for in the sweep is checked (VA plans call for none).
    assert {"medical_necessity", "prior_authorization", "internal_appeal", "external_review",
            "medicare_redetermination", "part_d_coverage_determination",
            "medicare_advantage_reconsideration", "medicaid_fair_hearing",
            "assistance_cover_letter"} <= rendered
    in_pdf: set[tuple[str, str]] = set()
    for (letter_id, coverage, *_), overrides in cases:
        answers, plan = plan_for(book, **overrides)
        # One PDF per letter and coverage (about 50); the other situations check the HTML text.
        if (letter_id, coverage) not in in_pdf:
            in_pdf.add((letter_id, coverage))
            text = flat(pdf_text(L.letter_pdf(letter_id, answers, DETAILS, plan, book)))
        else:
            text = flat(html_text(L.render_letter(letter_id, answers, DETAILS, plan, book)))
        where = f"{letter_id} for {overrides}"
        assert "José Núñez" in text, where
        assert "XZW123456789" in text, where
        for words in expected_payer_words(answers, book):
            assert words in text, f"{where}: missing {words!r}"
        for label in LABELS.values():
            assert f"[{label.replace(chr(39) + 's', '’s')}]" not in text, f"{where}: blank {label}"
        assert "Sources this letter relies on" in text, where


def test_unknown_details_are_highlighted_blanks_never_guesses(book):
    answers, plan = plan_for(book, coverage="employer", denial="claim")
    html = L.render_letter("internal_appeal", answers, {}, plan, book)
    assert '<mark class="blank">[Member ID]</mark>' in html
    assert '<mark class="blank">[Patient’s full name]</mark>' in html
    assert "XZW" not in html


def test_medical_necessity_for_medicare_part_b_has_lcd_criteria_and_valid_codes(book):
    answers, plan = plan_for(book, coverage="medicare_original", age=70, pump_wanted="tslim_x2",
                             a1c_percent=8.4, injections_per_day=4, c_peptide_qualifies="yes")
    text = flat(pdf_text(L.letter_pdf("medical_necessity", answers, DETAILS, plan, book)))
    assert "E10.x" in text and "the prescriber completes the exact code" in text
    for code in ("E0784", "A4224", "A4225", "J1817"):
        assert code in text
    for banned in ("K0553", "K0554", "A4230", "A4231", "A4232"):
        assert banned not in text
    assert "LCD L33794" in text and "C-peptide" in text
    assert "8.4%" in text and "4 injections a day" in text
    assert "cms.gov/medicare-coverage-database/view/lcd.aspx?lcdid=33794" in text.replace(" ", "")


def test_type2_uses_e11_and_omnipod_under_part_d_is_billed_by_ndc(book):
    answers, plan = plan_for(book, coverage="medicare_original", age=70, diabetes_type="type2",
                             pump_wanted="omnipod_5")
    assert "part_d_coverage_determination" in L.letter_ids_in_plan(plan)
    for letter_id in L.letter_ids_in_plan(plan):
        text = flat(pdf_text(L.letter_pdf(letter_id, answers, DETAILS, plan, book)))
        assert not re.search(r"\b(E0784|A4224|A4225|J1817|A4230|A4231|A4232)\b", text), letter_id
    lmn = flat(pdf_text(L.letter_pdf("medical_necessity", answers, DETAILS, plan, book)))
    assert "E11.x" in lmn and "NDC" in lmn


def test_medicare_advantage_expedited_wording_follows_health_at_risk(book):
    answers, plan = plan_for(book, coverage="medicare_advantage", age=70, denial="claim",
                             health_at_risk=True)
    urgent = L.render_letter("medicare_advantage_reconsideration", answers, DETAILS, plan, book)
    assert "EXPEDITED RECONSIDERATION REQUESTED" in urgent and "72 hours" in urgent
    answers, plan = plan_for(book, coverage="medicare_advantage", age=70, denial="claim",
                             health_at_risk=False)
    standard = L.render_letter("medicare_advantage_reconsideration", answers, DETAILS, plan, book)
    assert "EXPEDITED" not in standard


def test_fair_hearing_uses_the_state_agency_and_deadline_and_epsdt_under_21(book):
    answers, plan = plan_for(book, coverage="medicaid", state="NY", age=12, denial="claim")
    state = book.states["NY"]
    text = flat(pdf_text(L.letter_pdf("medicaid_fair_hearing", answers, DETAILS, plan, book)))
    assert state.medicaid.agency in text
    assert f"{state.fair_hearing.days} days" in text
    assert "1396d(r)(5)" in text and "correct or ameliorate" in text
    deadline = next(d for d in plan.deadlines if d.id in ("medicaid_fair_hearing",
                                                          "medicaid_plan_appeal"))
    assert L.us_date(deadline.date) in text
    answers, plan = plan_for(book, coverage="medicaid", state="NY", age=40, denial="claim")
    adult = L.render_letter("medicaid_fair_hearing", answers, DETAILS, plan, book)
    assert "1396d(r)(5)" not in adult


def test_one_assistance_cover_letter_per_program_that_takes_applications(book):
    answers, plan = plan_for(book, coverage="uninsured", pump_wanted="omnipod_5")
    html = str(L.render_letter("assistance_cover_letter", answers, DETAILS, plan, book))
    articles = html.split("<article")[1:]
    applying = [p for p in plan.programs if p.eligible in (True, "maybe")
                and p.status != "closed" and p.kind in ("charity", "free_device", "discount",
                                                        "payment_plan")]
    assert len(applying) >= 2 and len(articles) == len(applying)
    for program, article in zip(applying, articles, strict=True):
        name = str(L.escape(program.name))
        # Addressed to this program alone: its name heads the letter, no other program's does.
        assert f"Cover letter for my application to {name}" in article
        others = [p for p in plan.programs if p.id != program.id]
        assert not any(f"to {L.escape(p.name)}</h1>" in article for p in others)
        words = {"pump": "an insulin pump", "supplies": "pump supplies", "insulin": "insulin",
                 "cgm": "a continuous glucose monitor"}
        asked = " and ".join(words[item] for item in ("pump", "supplies", "insulin", "cgm")
                             if item in program.covers)
        assert f"for help paying for {asked}." in article
    # Ruled out, closed, directories and copay cards get no letter.
    for program in plan.programs:
        if program not in applying:
            assert f"application to {L.escape(program.name)}" not in html
    assert "GetInsulin" not in html and "RxAssist" not in html
    # In the PDF each program's letter starts on its own page and numbers its own pages.
    text = pdf_text(L.letter_pdf("assistance_cover_letter", answers, DETAILS, plan, book))
    assert text.count("Page 1 of") == len(applying)


def test_sources_come_from_the_calling_rules_and_the_rulebook(book):
    answers, plan = plan_for(book, coverage="medicare_original", age=70, denial="claim")
    sources = L.sources_for("medicare_redetermination", answers, plan, book)
    ids = [s.id for s in sources]
    assert "cfr_42_405_942" in ids and len(ids) == len(set(ids))
    assert set(book.letters["medicare_redetermination"].sources) <= set(ids)


def test_letter_sources_fit_the_person(book):
    answers, plan = plan_for(book, coverage="medicaid", state="NY", age=12, denial="claim")
    child = {s.id for s in L.sources_for("medicaid_fair_hearing", answers, plan, book)}
    assert {"cfr_42_431_221", "eclkc_epsdt"} <= child
    assert not {s for s in child if s.startswith("cfr_42_405")}
    answers, plan = plan_for(book, coverage="medicaid", state="NY", age=40, denial="claim")
    adult = {s.id for s in L.sources_for("medicaid_fair_hearing", answers, plan, book)}
    assert "eclkc_epsdt" not in adult
    answers, plan = plan_for(book, coverage="employer", denial="none")
    private = {s.id for s in L.sources_for("medical_necessity", answers, plan, book)}
    assert "cms_lcd_l33794" not in private
    answers, plan = plan_for(book, coverage="medicare_original", age=70, denial="none")
    medicare = {s.id for s in L.sources_for("medical_necessity", answers, plan, book)}
    assert "cms_lcd_l33794" in medicare


def test_payer_wording_comes_from_the_coverages_file(book):
    answers, _plan = plan_for(book, coverage="medicaid", state="NY", age=12)
    assert L.payer_wording(answers, book) == book.states["NY"].medicaid.program_name
    answers, _plan = plan_for(book, coverage="employer")
    assert L.payer_wording(answers, book) == book.coverages["employer"].payer


def test_a_letter_the_plan_does_not_call_for_is_refused(book):
    answers, plan = plan_for(book, coverage="employer", denial="none")
    with pytest.raises(L.UnknownLetter):
        L.render_letter("medicaid_fair_hearing", answers, DETAILS, plan, book)
    with pytest.raises(L.UnknownLetter):
        L.packet_pdf([], answers, DETAILS, plan, book)


# --- details validation ------------------------------------------------------------------------

@pytest.mark.parametrize("field,value,words", [
    ("prescriber_npi", "12345", "10 digits"),
    ("prescriber_npi", "12345678901", "10 digits"),
    ("date_of_birth", "2030-01-01", "in the past"),
    ("date_of_birth", "1990-02-30", "real date"),
    ("date_of_birth", "17/04/1990", "write the month first"),
    ("date_of_birth", "04/17/90", "4-digit year"),
    ("patient_name", "x" * 101, "at most 100 characters"),
    ("member_id", "AB\x00CD", "control characters"),
    ("practice_phone", "call me maybe", "phone number"),
    ("nickname", "Bo", "not a letter detail field"),
])
def test_details_are_checked_field_by_field(field, value, words):
    clean, errors = L.validate_details({field: value}, AS_OF)
    assert clean is None
    assert [e.field for e in errors] == [field]
    assert words in errors[0].message


def test_valid_details_pass_and_empty_values_are_dropped():
    clean, errors = L.validate_details({**DETAILS, "group_number": "  "}, AS_OF)
    assert errors == []
    assert "group_number" not in clean and clean["patient_name"] == "José Núñez"


# --- hostile input -----------------------------------------------------------------------------

class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self):
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def listening_server():
    _Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_markup_in_every_field_prints_as_text_and_fetches_nothing(book, listening_server):
    hostile = f'<img src={listening_server}/x><script>alert(1)</script>'
    details = {name: hostile[: spec.max_length] for name, spec in L.DETAIL_FIELDS.items()
               if name not in ("date_of_birth", "prescriber_npi", "practice_phone", "sender")}
    details["sender"] = "representative"    # a choice: every free-text sender field is printed
    clean, errors = L.validate_details(details, AS_OF)
    assert errors == []
    answers, plan = plan_for(book, coverage="employer", denial="claim")
    html = L.render_letter("internal_appeal", answers, clean, plan, book)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    text = pdf_text(L.packet_pdf(L.letter_ids_in_plan(plan), answers, clean, plan, book))
    assert "<script>alert(1)</script>" in text
    assert _Recorder.hits == []


def test_the_pdf_fetcher_refuses_everything_outside_the_static_folder(listening_server):
    fetcher = StaticOnlyFetcher()
    for url in (f"{listening_server}/x.png", "file:///etc/passwd", "data:text/plain,hi",
                L.LETTER_CSS.parent.parent.as_uri() + "/../config.py"):  # static/../config.py
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    html = f'<html lang="en"><body><p>x</p><img src="{listening_server}/y.png" alt="">' \
           f'<link rel="stylesheet" href="{listening_server}/z.css"></body></html>'
    assert render_pdf(html, "t", "a").startswith(b"%PDF")
    assert _Recorder.hits == []
    assert fetcher.fetch((L.LETTER_CSS).as_uri()).status == 200


def test_the_renderer_applies_only_a_stylesheet_from_the_static_folder():
    html = '<html lang="en"><head><title>t</title></head><body><p>x</p></body></html>'
    styled = flat(pdf_text(render_pdf(html, "t", "a", L.LETTER_CSS)))
    assert "Page 1 of 1" in styled   # the footer comes from letter.css
    for outside in (L.LETTER_CSS.parent.parent.parent / "config.py",
                    L.LETTER_CSS.parent / ".." / ".." / "config.py"):
        with pytest.raises(PdfRenderError, match="RefusedURL"):
            render_pdf(html, "t", "a", outside)


def test_non_latin_names_and_long_values_come_through(book):
    details = {**DETAILS, "patient_name": "李小龙", "prescriber_name": "José Núñez",
               "denial_reason": "Denied " + "verylongwordwithoutbreaks" * 60}
    clean, errors = L.validate_details(details, AS_OF)
    assert errors == []
    answers, plan = plan_for(book, coverage="employer", denial="claim")
    pdf = L.packet_pdf(["medical_necessity", "internal_appeal"], answers, clean, plan, book)
    text = pdf_text(pdf)
    assert "李小龙" in text and "José Núñez" in text
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        assert float(page.mediabox.width) == 612 and float(page.mediabox.height) == 792


def test_pdf_is_tagged_with_title_author_and_page_numbers(book):
    answers, plan = plan_for(book, coverage="employer", denial="claim")
    pdf = L.packet_pdf(L.letter_ids_in_plan(plan), answers, DETAILS, plan, book)
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title.startswith("Letter packet") and "José Núñez" in reader.metadata.title
    assert reader.metadata.author == L.AUTHOR
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    # Each letter numbers its own pages (the packet merges one PDF per letter).
    numbers = [re.search(r"Page (\d+) of (\d+)", page.extract_text()).groups()
               for page in reader.pages]
    # One letter per program for the assistance cover letter.
    letters = len(L.letter_ids_in_plan(plan)) - 1 + len(L.assistance_programs(plan))
    assert sum(number == "1" for number, _ in numbers) == letters
    assert numbers[-1][0] == numbers[-1][1]
    for font in _fonts(reader):
        assert font.get("/FontDescriptor") is None or any(
            key in font["/FontDescriptor"] for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def _fonts(reader):
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                yield descendant.get_object()


def test_file_names_are_safe_ascii():
    assert L.pdf_filename("medical_necessity", date(2026, 11, 23)) == \
        "letter-medical-necessity-2026-11-23.pdf"
    assert L.pdf_filename("../x y", date(2026, 1, 2)) == "letter-x-y-2026-01-02.pdf"


# --- CLI -----------------------------------------------------------------------------------------

def test_cli_lists_letters():
    result = CliRunner().invoke(main, ["letter", "--list"])
    assert result.exit_code == 0
    assert "medical_necessity\tLetter of medical necessity" in result.output.splitlines()


def test_cli_renders_a_letter(tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(make_answers(coverage="medicaid", denial="claim", age=9)))
    details = tmp_path / "details.json"
    details.write_text(json.dumps(DETAILS))
    out = tmp_path / "letter.pdf"
    result = CliRunner().invoke(main, ["letter", "medicaid_fair_hearing", "--answers", str(answers),
                                       "--details", str(details), "--out", str(out),
                                       "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert "José Núñez" in pdf_text(out.read_bytes())


def test_cli_rejects_bad_answers_details_and_letter_ids(tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({**make_answers(), "age": -3}))
    details = tmp_path / "details.json"
    details.write_text(json.dumps({"prescriber_npi": "12"}))
    args = ["--answers", str(answers), "--details", str(details), "--out", str(tmp_path / "o.pdf")]
    result = CliRunner().invoke(main, ["letter", "medical_necessity", *args])
    assert result.exit_code == 2
    assert "error: age:" in result.output and "error: prescriber_npi:" in result.output
    result = CliRunner().invoke(main, ["letter", "no_such_letter", *args])
    assert result.exit_code == 2 and "allowed: medical_necessity" in result.output
    assert not (tmp_path / "o.pdf").exists()


def test_medicare_letters_never_print_obsolete_codes(book):
    for coverage in MEDICARE:
        for pump in ("tslim_x2", "minimed_780g", "omnipod_5", "mobi", "undecided"):
            answers, plan = plan_for(book, coverage=coverage, age=70, pump_wanted=pump,
                                     denial="claim")
            for letter_id in L.letter_ids_in_plan(plan):
                html = L.render_letter(letter_id, answers, DETAILS, plan, book)
                assert not re.search(r"K055[34]|A423[012]", html), (coverage, pump, letter_id)


def test_pdfs_render_in_lower_priority_processes_when_configured(book):
    from navigator.services import pdf as pdf_service

    answers, plan = plan_for(book, coverage="employer", denial="claim")
    pdf_service.use_processes(1)
    try:
        document = L.letter_pdf("internal_appeal", answers, DETAILS, plan, book)
        with pytest.raises(pdf_service.PdfRenderError):
            pdf_service.render_pdf(None, "t", "a")  # WeasyPrint fails inside the worker
    finally:
        pdf_service.use_processes(0)
    assert "José Núñez" in pdf_text(document)


def test_a_dead_pdf_worker_costs_one_pdf_not_every_pdf_after_it(book):
    """A worker killed mid-render (out of memory, say) breaks that render only: the next one
    gets fresh workers."""
    import os
    from concurrent.futures.process import BrokenProcessPool

    from navigator.services import pdf as pdf_service

    answers, plan = plan_for(book, coverage="employer", denial="claim")
    pdf_service.use_processes(1)
    try:
        pdf_service.render_pdf("<p>warm</p>", "t", "a")
        future = pdf_service._executor().submit(os._exit, 1)   # the worker dies on the spot
        with pytest.raises(BrokenProcessPool):
            future.result(30)
        with pytest.raises(pdf_service.PdfRenderError):
            pdf_service.render_pdf("<p>after</p>", "t", "a")   # the pool is broken now
        document = L.letter_pdf("internal_appeal", answers, DETAILS, plan, book)
    finally:
        pdf_service.use_processes(0)
    assert "José Núñez" in pdf_text(document)
