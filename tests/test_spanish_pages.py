"""Every page a family or a worker sees, in Spanish, for a dozen situations (issue 16): `<html
lang>` says "es", and no English sentence is left outside a part marked `lang="en"` (a letter to
an insurer, an official document's title, a pump maker's words).

English is found two ways (tests/spanish_pages.py): the English msgids of the messages catalogue
(a string equal to one left untranslated), and sentences made of English function words, which
catches words that never went through a catalogue at all (a label written in Python).

The rules' own texts are translated in the `rules` domain (its completeness is checked by
`navigator rules check` and tests/test_rules_i18n.py). So that these tests judge the pages alone,
the strict walk reads the rules through a stand-in Spanish catalogue that has every text; the
walk with the real rules catalogue fails on any English from the pages and is an expected
failure only while that catalogue still lacks texts.
"""
from __future__ import annotations

import functools
import io
import re

import pytest
from icalendar import Calendar
from pypdf import PdfReader
from sqlmodel import Session

from navigator.engine import rules_i18n
from navigator.engine.text import PLACEHOLDER, parse_text
from navigator.services import cases
from tests.answers import answers
from tests.conftest import log_in
from tests.spanish_pages import english_left, english_sentences, visible_text

SITUATIONS = {
    "job plan, claim denied": answers(coverage="employer", denial="claim"),
    "job plan, first pump": answers(coverage="employer"),
    "Marketplace, prior authorization denied": answers(
        coverage="marketplace", denial="prior_authorization", state="TX"),
    "individual plan, Omnipod": answers(coverage="individual", state="CA",
                                        pump_wanted="omnipod_5"),
    "Original Medicare": answers(coverage="medicare_original", age=70, state="FL"),
    "Original Medicare, Omnipod denied": answers(coverage="medicare_original", age=72,
                                                 pump_wanted="omnipod_5", denial="claim"),
    "Medicare Advantage, denied": answers(coverage="medicare_advantage", age=68, denial="claim"),
    "Medicaid child, denied": answers(coverage="medicaid", age=9, state="NY", denial="claim",
                                      annual_income=30000),
    "CHIP child": answers(coverage="chip", age=6, state="GA", annual_income=45000),
    "TRICARE": answers(coverage="tricare", state="VA"),
    "VA": answers(coverage="va", age=55, state="AZ"),
    "Indian Health Service": answers(coverage="ihs", state="NM", age=25, annual_income=20000),
    "uninsured, low income": answers(coverage="uninsured", annual_income=18000, household_size=1),
}
ONE_DATABASE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)   # words, not storage


class _StandInSpanish(rules_i18n.RulesTranslation):
    """Every rules text 'translated': Spanish words around the text's own placeholders."""

    def __init__(self):
        super().__init__("es", {})

    def _spanish(self, english: str) -> str:
        # Each placeholder kept; the words it falls back on ({name|words}) "translated" too.
        kept = " ".join(f"{{{m.group(1)}|texto}}" if m.group(2) else m.group(0)
                        for m in PLACEHOLDER.finditer(english))
        return f"Texto de la regla {kept}".strip()

    def gettext(self, text: str) -> str:
        return self._spanish(text)

    def text(self, text):
        return parse_text(self._spanish(text.source))

    def __contains__(self, text: str) -> bool:
        return True


@pytest.fixture
def stand_in_rules(monkeypatch):
    import importlib

    from navigator.web import plan as plan_pages

    evaluate_module = importlib.import_module("navigator.engine.evaluate")

    spanish = _StandInSpanish()

    def translations(lang, translations_dir=None):
        code = rules_i18n.normalise_language(lang) or "en"
        return spanish if code == "es" else rules_i18n.ENGLISH

    monkeypatch.setattr(rules_i18n, "translations", translations)
    monkeypatch.setattr(evaluate_module, "translations", translations)
    monkeypatch.setattr(importlib.import_module("navigator.engine.textplan"), "translations",
                        translations)
    plan_pages._pages.clear()           # no page cached with other words
    yield
    plan_pages._pages.clear()


def _case_in_session(app, client, answers_: dict) -> str:
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = cases.create_case(session, answers_)
        cases.save_details(session, case, {"patient_name": "Ana Pérez"})
    with client.session_transaction() as flask_session:
        flask_session["case_public_id"] = case.public_id
    return case.public_id


@functools.lru_cache(maxsize=1)
def _proper_names() -> tuple[str, ...]:
    """Names kept as they are in every language: the titles of the official documents the rules
    cite (a sentence may quote one), and programs', directories' and pumps' own names. The
    pages mark them lang="en"; a PDF's text no longer shows that marking."""
    from navigator.engine.loader import default_rulebook

    book = default_rulebook()
    names = {source.title for source in book.sources.values()}
    for spec in (*book.programs.values(), *book.resources.values()):
        names |= {spec.name, spec.sponsor}
    names |= {pump.name for pump in book.pumps.values()}
    names = {" ".join(name.split()) for name in names if name}
    return tuple(sorted(names, key=len, reverse=True))


def _without_names(text: str) -> str:
    for name in _proper_names():
        text = text.replace(name, " ")
    return text


def _problems(path: str, response, lang: str = "es") -> list[str]:
    html = response.get_data(as_text=True)
    page_lang, text = visible_text(html, lang)
    text = _without_names(text)
    found = []
    if page_lang != lang:
        found.append(f'{path}: <html lang="{page_lang}">')
    found += [f"{path}: catalogue English {fragment!r}" for fragment in english_left(text)]
    found += [f"{path}: English sentence {sentence[:400]!r}" for sentence in
              english_sentences(text)]
    return found


def _family_pages(client, plan_letters: list[str]) -> list[str]:
    return ["/plan", "/check", "/letters/", *(f"/letters/{lid}" for lid in plan_letters),
            "/reminders", "/calls", "/pumps", "/letters/details", "/save", "/delete"]


def _walk(app, client, situations) -> list[str]:
    problems = []
    client.get("/?lang=es")
    for name, answers_ in situations.items():
        _case_in_session(app, client, answers_)
        plan_page = client.get("/plan")
        assert plan_page.status_code == 200, name
        letters = re.findall(r'href="/letters/([a-z_]+)"', plan_page.get_data(as_text=True))
        for path in dict.fromkeys(_family_pages(client, letters)):
            response = client.get(path, follow_redirects=True)   # /check: to a question left
            assert response.status_code == 200, (name, path, response.status_code)
            problems += [f"[{name}] {p}" for p in _problems(path, response)]
        calendar = Calendar.from_ical(client.get("/plan.ics").data)
        for event in calendar.walk("VEVENT"):
            words = f"{event['SUMMARY']} {event['DESCRIPTION']}"
            problems += [f"[{name}] /plan.ics: catalogue English {f!r}"
                         for f in english_left(words)]
            assert event["SUMMARY"].params.get("LANGUAGE") == "es-US"
    return problems


@ONE_DATABASE
def test_every_family_page_is_spanish_in_a_dozen_situations(app, client, stand_in_rules):
    problems = _walk(app, client, SITUATIONS)
    assert not problems, "\n".join(problems)


@ONE_DATABASE
def test_pages_without_a_plan_forms_with_errors_and_error_pages_are_spanish(app, client,
                                                                           stand_in_rules):
    client.get("/?lang=es")
    problems = []
    for path in ("/", "/pumps", "/pumps/compare?ids=tslim_x2,omnipod_5&deductible_left=500",
                 "/auth/login", "/start"):
        response = client.get(path, follow_redirects=True)
        problems += _problems(path, response)
    # Every question page, then the answers' check page, for one situation.
    _case_in_session(app, client, SITUATIONS["job plan, claim denied"])
    from navigator.web.questionnaire import questionnaire
    with app.test_request_context():
        pages = questionnaire().visible_pages(SITUATIONS["job plan, claim denied"])
    for page in pages:         # a page whose earlier answers are missing leads to that page
        path = f"/questions/{page.id}"
        problems += _problems(path, client.get(path, follow_redirects=True))
    # Forms sent with mistakes: the messages naming the field are Spanish too.
    errors = {
        "/questions/about_you": client.post("/questions/about_you",
                                            data={"age": "many", "diabetes_type": "type1"}),
        "/letters/details": client.post("/letters/details", data={"prescriber_npi": "12"}),
        "/pumps/compare (bad numbers)": client.get(
            "/pumps/compare?ids=tslim_x2&deductible_left=lots"),
        "/reminders": client.post("/reminders", data={"channel": "email"}),
    }
    for path, response in errors.items():
        assert response.status_code in (200, 400), (path, response.status_code)
        assert 'class="field-error"' in response.get_data(as_text=True) \
            or "error-summary" in response.get_data(as_text=True), path
        problems += _problems(path, response)
    # The private link page, and the pages of a wrong or spent link.
    made = client.post("/save")
    problems += _problems("/save/link", client.get(made.location))
    for path in ("/no-such-page", "/resume/not-a-token", "/r/done/not-a-token"):
        response = client.get(path)
        assert response.status_code == 404
        problems += _problems(path, response)
    client.post("/delete")
    problems += _problems("/deleted", client.get("/deleted"))
    assert not problems, "\n".join(problems)


@ONE_DATABASE
def test_the_plan_pdf_and_the_cover_letter_pdf_are_spanish(app, client, stand_in_rules):
    client.get("/?lang=es")
    _case_in_session(app, client, SITUATIONS["Medicare Advantage, denied"])
    problems = []
    for path in ("/plan.pdf", "/letters/assistance_cover_letter.pdf"):
        response = client.get(path)
        assert response.status_code == 200, path
        reader = PdfReader(io.BytesIO(response.data))
        assert str(reader.trailer["/Root"]["/Lang"]) == "es", path
        text = _without_names(" ".join(" ".join(page.extract_text().split())
                                       for page in reader.pages))
        problems += [f"{path}: catalogue English {f!r}" for f in english_left(text)]
        assert "Página 1 de " in text and "Page 1 of" not in text, path      # the footer
    english = PdfReader(io.BytesIO(client.get("/letters/medical_necessity.pdf").data))
    assert str(english.trailer["/Root"]["/Lang"]) == "en"
    assert "Sincerely," in english.pages[-1].extract_text() or "Sincerely," in " ".join(
        page.extract_text() for page in english.pages)
    assert not problems, "\n".join(problems)


@ONE_DATABASE
def test_an_english_letter_is_marked_english_and_summarised_in_spanish(app, client,
                                                                      stand_in_rules):
    client.get("/?lang=es")
    _case_in_session(app, client, SITUATIONS["job plan, claim denied"])
    html = client.get("/letters/internal_appeal").get_data(as_text=True)
    assert re.search(r'<article class="letter"[^>]* lang="en"', html)
    assert "Esta carta está en inglés" in html and "Usted la firma y la envía a su plan" in html
    assert "I request an internal appeal" in html        # the letter itself stays English
    index = client.get("/letters/").get_data(as_text=True)
    assert index.count("escrita en inglés") == len(re.findall(r'name="letter" value=', index)) - 1
    cover = client.get("/letters/assistance_cover_letter").get_data(as_text=True)
    assert re.search(r'<article class="letter"[^>]* lang="es"', cover)
    assert "Al equipo de ayuda a pacientes:" in cover and "Esta carta está en inglés" not in cover
    assert "Mi cobertura: un plan de un empleador." in cover      # not "employer health plan"


@ONE_DATABASE
def test_caseload_pages_are_spanish(app, worker, stand_in_rules):
    client = app.test_client()
    client.get("/?lang=es")
    assert log_in(client, worker.email).status_code == 302
    public_id = client.post("/caseload/cases", data={"client_name": "Ana Pérez"}).location \
        .rsplit("/", 1)[-1]
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = cases.get_case(session, public_id)
        case.answers = SITUATIONS["Medicaid child, denied"]
        session.add(case)
        session.commit()
    client_pages = f"/caseload/clients/{public_id}"
    problems = []
    for path in ("/caseload/", "/caseload/due", "/caseload/feed", "/caseload/members",
                 "/caseload/audit", "/caseload/settings", "/caseload/cases/new",
                 f"/caseload/cases/{public_id}", f"/caseload/cases/{public_id}/delete",
                 f"{client_pages}/plan", f"{client_pages}/check", f"{client_pages}/letters/",
                 f"{client_pages}/letters/medicaid_fair_hearing", f"{client_pages}/reminders",
                 f"{client_pages}/calls", "/reminders/worker", "/auth/password"):
        response = client.get(path, follow_redirects=True)   # check: to a question left
        assert response.status_code == 200, (path, response.status_code)
        problems += _problems(path, response)
    assert not problems, "\n".join(problems)


@ONE_DATABASE
def test_with_the_real_rules_catalogue_only_untranslated_rules_texts_are_english(app, client):
    """The same walk with the rules' real Spanish catalogue: English from the pages fails; an
    expected failure only while the catalogue still lacks texts of the rules."""
    from navigator.web import plan as plan_pages

    plan_pages._pages.clear()
    every_route = ("job plan, claim denied", "Original Medicare, Omnipod denied",
                   "Medicare Advantage, denied", "Medicaid child, denied", "VA",
                   "uninsured, low income")
    problems = _walk(app, client, {name: SITUATIONS[name] for name in every_route})
    plan_pages._pages.clear()
    if not problems:
        return
    book_root = app.config["RULES_DIR"]
    missing = rules_i18n.check_catalogue(rules_i18n.extract_rules(book_root), "es")
    if missing:
        pytest.xfail(f"{len(missing)} rules texts not yet in Spanish; {len(problems)} English "
                     f"passages on the pages, e.g. {problems[0]}")
    raise AssertionError("\n".join(problems))


@ONE_DATABASE
def test_english_stays_english(app, client):
    """No Spanish on an English page: the same pages with lang=en carry no Spanish of the
    catalogue, and say lang="en"."""
    from navigator.i18n import translations

    spanish = [text for text in translations("es")._catalog.values()
               if isinstance(text, str) and len(text.split()) >= 3]
    client.get("/?lang=en")
    _case_in_session(app, client, SITUATIONS["Original Medicare, Omnipod denied"])
    for path in ("/", "/plan", "/check", "/letters/", "/letters/assistance_cover_letter",
                 "/pumps", "/reminders", "/save", "/questions/state"):
        html = client.get(path).get_data(as_text=True)
        page_lang, text = visible_text(html, "en")
        assert page_lang == "en", path
        left = [s for s in spanish if s in text]
        assert not left, (path, left[:3])
    assert "Your access plan" in client.get("/plan").get_data(as_text=True)
