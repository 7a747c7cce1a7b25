"""The claim-file request: the step and its letter, with the right legal basis per coverage."""
from __future__ import annotations

import re
from datetime import date

from navigator.engine import evaluate, validate_answers
from navigator.services import letters
from navigator.services.calls import CallFacts
from tests.answers import answers

AS_OF = date(2026, 11, 23)


def _letter(book, calls=(), **overrides) -> str:
    valid, errors = validate_answers(answers(**overrides), AS_OF)
    assert not errors
    plan = evaluate(valid, AS_OF, book)
    html = letters.render_letter("claim_file_request", valid, {"patient_name": "Ann <i>Lee</i>"},
                                 plan, book, calls)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_employer_plan_letter_cites_erisa_and_asks_for_criteria_and_call_recordings(book):
    text = _letter(book, coverage="employer", denial="claim")
    assert "29 CFR 2560.503-1(h)(2)(iii)" in text and "147.136" not in text.split("Sources")[0]
    assert "criteria applied to my claim" in text
    assert "recordings, transcripts or notes of my telephone calls" in text
    assert "Information Letter of June 14, 2021" in text
    assert "My deadline to appeal is May 1, 2027" in text          # 180 days from Nov 2
    assert "Ann &lt;i&gt;Lee&lt;/i&gt;" in text


def test_marketplace_letter_adds_the_aca_rule_and_names_the_appeal_deadline(book):
    text = _letter(book, coverage="marketplace", denial="claim")
    assert "which 45 CFR 147.136 applies to this plan" in text
    assert "My deadline to appeal is May 1, 2027" in text          # not the enrollment date


def test_medicaid_letter_asks_for_the_case_file_under_431_242(book):
    text = _letter(book, coverage="medicaid", denial="claim",
                   calls=[CallFacts(date(2026, 11, 3), "Dana <b>", None, "R-9", "wait & see")])
    assert "42 CFR 431.242(a)" in text and "Ohio Department of Medicaid" in text
    assert "On November 3, 2026 I spoke with Dana &lt;b&gt;, reference R-9." in text
    assert "“wait &amp; see”" in text
    assert "lexbuild.dev/ecfr/title-42/chapter-IV/part-431/section-431.242" in text


def test_the_plan_step_cites_official_sources_and_asks_to_confirm(book):
    valid, _ = validate_answers(answers(coverage="employer", denial="claim"), AS_OF)
    step = next(s for s in evaluate(valid, AS_OF, book).steps if s.id == "request_claim_file")
    urls = {source.url for source in step.sources}
    assert any(url.startswith("https://www.ecfr.gov/") for url in urls)
    assert any(url.startswith("https://www.dol.gov/") for url in urls)
    assert step.confirm          # the eCFR text was read only in copies: the plan says so
