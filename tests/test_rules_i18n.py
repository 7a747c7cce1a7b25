"""The rules' own words in Spanish (issue 16): the `rules` gettext domain, its extractor, its
check, and the plan in a language through the engine, the CLI and the API."""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from click.testing import CliRunner
from markupsafe import escape

from navigator.cli import main
from navigator.engine import evaluate, load_rulebook
from navigator.engine.evaluate import PASSED_DEFAULT
from navigator.engine.loader import DEFAULT_RULES_DIR
from navigator.engine.rules_i18n import (
    catalogue_path,
    check_catalogue,
    compile_catalogue,
    extract_rules,
    placeholders,
    translations,
)
from navigator.engine.textplan import ELIGIBLE_WORDS
from navigator.questionnaire import default_questions_path, load_questionnaire
from tests.answers import answers

AS_OF = date(2026, 12, 1)


@pytest.fixture(scope="module")
def book():
    return load_rulebook(DEFAULT_RULES_DIR)


@pytest.fixture(scope="module")
def messages():
    return extract_rules(DEFAULT_RULES_DIR)


def _read(path: Path):
    with open(path, "rb") as handle:
        return read_po(handle, locale="es")


def _texts(text) -> list[str]:
    return [text.source] if text is not None else []


def test_the_extractor_finds_every_text_the_engine_can_print(book, messages):
    """Read the other way round: from the compiled rules, not from the YAML walk."""
    wanted: set[str] = set()
    for rule in book.rules:
        wanted.add(rule.why)
        wanted.update(w.source for w in rule.warnings)
        for step in rule.steps:
            wanted.update([step.title.source, step.detail.source,
                           *(d.source for d in step.documents),
                           *(c.name.source for c in step.contacts),
                           *_texts(step.confirm_with)])
            if step.deadline is not None:
                wanted.update(_texts(step.deadline.title) + _texts(step.deadline.if_passed))
    wanted.update(book.program_reasons.values())
    wanted.update(letter.title for letter in book.letters.values())
    wanted.update(program.how_to_apply.text for program in book.programs.values())
    wanted.update(resource.what for resource in book.resources.values())
    wanted.update(coverage.label for coverage in book.coverages.values())
    wanted.update(parameter.label for parameter in book.parameters.values())
    wanted.update(source.claim for source in book.sources.values() if source.claim)
    confirm = book.texts.confirm
    wanted.update([confirm.lead, confirm.ask, confirm.default_who, confirm.source,
                   book.texts.field_fallback,
                   *book.texts.state_fields.values(), *book.texts.pump_fields.values()])
    for state in book.states.values():
        wanted.update(v for v in (state.fair_hearing.counted_from,
                                  state.insulin_copay_cap.amount,
                                  state.insulin_copay_cap.effective,
                                  state.insulin_copay_cap.devices) if v)
        if state.external_review is not None:
            wanted.update(v for v in (state.external_review.which_agency,
                                      state.external_review.counted_from) if v)
    wanted.update(PASSED_DEFAULT.values())
    wanted.update(ELIGIBLE_WORDS.values())
    wanted.discard("")
    missing = sorted(wanted - set(messages))
    assert not missing, missing[:10]


def test_the_extractor_finds_every_question_text(book, messages):
    flow = load_questionnaire(default_questions_path(DEFAULT_RULES_DIR), book.pump_names)
    wanted = set()
    for page in flow.pages:
        wanted.update(t for t in (page.title, page.intro, page.topic.title) if t)
        for question in page.questions:
            spec = question.spec
            wanted.update(t for t in (spec.question, spec.error, spec.hint,
                                      spec.prefer_not_label) if t)
            if spec.help:
                wanted.update((spec.help.summary, spec.help.text))
            if spec.link:
                wanted.add(spec.link.text)
            # Pump options are the catalogue's names (proper names), not the file's words.
            wanted.update(o.label for o in spec.options if o.value not in book.pumps)
    missing = sorted(wanted - set(messages))
    assert not missing, missing[:10]


def test_ids_urls_and_phone_numbers_are_not_texts_to_translate(messages):
    for msgid in messages:
        assert not msgid.startswith(("http://", "https://")), msgid
        assert not msgid.replace("-", "").isdigit(), msgid
    assert "medicare_original" not in messages and "tslim_x2" not in messages


def test_every_message_says_where_it_comes_from(messages):
    for message in messages.values():
        file, line = message.locations[0]
        assert file.startswith(("rules/", "navigator/engine/")) and line > 0


def _catalogue(tmp_path: Path, entries: dict[str, str]) -> Path:
    """A translations folder holding a Spanish rules.po with just these entries."""
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="es", domain="rules")
    for msgid, msgstr in entries.items():
        catalog.add(msgid, msgstr)
    path = catalogue_path("es", tmp_path)
    path.parent.mkdir(parents=True)
    with open(path, "wb") as handle:
        write_po(handle, catalog)
    return tmp_path


def test_a_translated_text_keeps_its_placeholders_filled_after_translation(book, tmp_path):
    facts = answers(state="GA", coverage="medicaid", denial="prior_authorization")
    plan = evaluate(facts, AS_OF, book)
    compiled = {step.id: step for rule in book.rules for step in rule.steps}
    step = next(s for s in plan.steps if "{state." in compiled[s.id].detail.source)
    english = compiled[step.id].detail.source
    folder = _catalogue(tmp_path, {english: "EN ESPAÑOL: " + english})
    spanish = evaluate(facts, AS_OF, book, lang=translations("es", folder))
    detail = next(s.detail for s in spanish.steps if s.id == step.id)
    assert detail == "EN ESPAÑOL: " + step.detail     # the same values, filled after
    assert "Georgia" in detail and "{" not in detail
    assert evaluate(facts, AS_OF, book) == plan       # English plans are untouched


def test_the_plan_is_written_in_the_language_asked(book):
    english = evaluate(answers(coverage="medicare_original", age=70, denial="claim"), AS_OF, book)
    spanish = evaluate(answers(coverage="medicare_original", age=70, denial="claim"), AS_OF, book,
                       lang="es-US")
    assert [s.id for s in spanish.steps] == [s.id for s in english.steps]
    assert [p.eligible for p in spanish.programs] == [p.eligible for p in english.programs]
    assert [d.date for d in spanish.deadlines] == [d.date for d in english.deadlines]
    tr = translations("es")
    for en, es in zip(english.letters, spanish.letters, strict=True):
        assert es.title == tr.gettext(en.title) != en.title
    for en, es in zip(english.programs, spanish.programs, strict=True):
        assert es.reason != en.reason, en.reason
    # Programs are shared between plans: the Spanish ones never leak into English plans.
    again = evaluate(answers(coverage="medicare_original", age=70, denial="claim"), AS_OF, book)
    assert [p.reason for p in again.programs] == [p.reason for p in english.programs]


def test_an_unknown_language_gives_the_english_plan(book):
    english = evaluate(answers(), AS_OF, book)
    assert evaluate(answers(), AS_OF, book, lang="fr") == english
    assert evaluate(answers(), AS_OF, book, lang=None) == english


def test_fuzzy_translations_are_not_used_and_a_compiled_catalogue_is(tmp_path):
    folder = _catalogue(tmp_path, {"Guidance, not legal or medical advice.": "Orientación.",
                                   "STEPS": "PASOS"})
    path = catalogue_path("es", folder)
    catalog = _read(path)
    catalog["STEPS"].flags.add("fuzzy")
    with open(path, "wb") as handle:
        write_po(handle, catalog)
    tr = translations("es", folder)
    assert tr.gettext("STEPS") == "STEPS"
    assert tr.gettext("Guidance, not legal or medical advice.") == "Orientación."
    mo = compile_catalogue("es", folder)
    later = time.time() + 5
    os.utime(mo, (later, later))
    # The .mo is read when it is at least as new as the .po.
    with open(path, "ab") as handle:
        handle.write(b"\n")
    os.utime(path, (later - 10, later - 10))
    assert translations("es", folder).gettext("Guidance, not legal or medical advice.") \
        == "Orientación."


def test_check_names_a_missing_translation_and_a_placeholder_mismatch(messages, tmp_path):
    msgid = next(m for m in messages if "{state}" in m)
    other = next(m for m in messages if not placeholders(m))
    folder = _catalogue(tmp_path, {msgid: "sin el marcador", other: "traducido"})
    problems = check_catalogue(messages, "es", folder)
    kinds = {p.msgid: p for p in problems}
    assert kinds[msgid].kind == "placeholders"
    assert "{state}" in str(kinds[msgid]) and "rules/" in kinds[msgid].where
    assert other not in kinds
    assert {p.kind for p in problems} == {"missing", "placeholders"}


@pytest.fixture
def rules_and_translations(tmp_path):
    """Temp copies of the rules and the translations the check compares."""
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, rules)
    folder = tmp_path / "translations"
    shutil.copytree(catalogue_path("es").parent.parent.parent, folder,
                    ignore=shutil.ignore_patterns("*.mo"))
    return rules, folder


def _complete(rules: Path, folder: Path) -> None:
    """Fill every text the copy lacks (so only the change under test is missing)."""
    path = catalogue_path("es", folder)
    catalog = _read(path)
    for msgid in extract_rules(rules):
        entry = catalog.get(msgid)
        if entry is None:
            catalog.add(msgid, f"[es] {msgid}")
        elif not entry.string or entry.fuzzy:
            entry.string, entry.flags = f"[es] {msgid}", set()
    with open(path, "wb") as handle:
        write_po(handle, catalog)


def test_rules_check_fails_on_a_missing_spanish_text(rules_and_translations):
    rules, folder = rules_and_translations
    _complete(rules, folder)
    path = rules / "letters.yaml"
    text = path.read_text()
    assert "title: Letter of medical necessity" in text
    path.write_text(text.replace("title: Letter of medical necessity",
                                 "title: Letter of medical need, newly worded"))
    result = CliRunner().invoke(main, ["rules", "check", "--rules", str(rules), "--translations",
                                       str(folder), "--require-translations"])
    assert result.exit_code == 1
    assert ("rules/letters.yaml" in result.output
            and "no es translation: 'Letter of medical need, newly worded'" in result.output)


def test_rules_check_fails_on_a_placeholder_mismatch(rules_and_translations):
    rules, folder = rules_and_translations
    _complete(rules, folder)
    path = catalogue_path("es", folder)
    catalog = _read(path)
    msgid = "the name of {state}'s CHIP"
    catalog[msgid].string = "el nombre del CHIP de {estado}"
    with open(path, "wb") as handle:
        write_po(handle, catalog)
    result = CliRunner().invoke(main, ["rules", "check", "--rules", str(rules), "--translations",
                                       str(folder)])
    assert result.exit_code == 1
    assert "rules/texts.yaml" in result.output and msgid in result.output
    assert "{estado}" in result.output


def test_rules_extract_brings_a_new_text_into_the_catalogue(rules_and_translations, tmp_path):
    rules, folder = rules_and_translations
    path = rules / "resources.yaml"
    text = path.read_text()
    first = extract_rules(rules)
    what = next(m for m in first if m.startswith("A free online tool"))
    path.write_text(text.replace(what, what + " New words."))
    result = CliRunner().invoke(main, ["rules", "extract", "--rules", str(rules),
                                       "--translations", str(folder), "--pot",
                                       str(tmp_path / "rules.pot")])
    assert result.exit_code == 0, result.output
    catalog = _read(catalogue_path("es", folder))
    entry = catalog[what + " New words."]
    assert entry.fuzzy or not entry.string      # never used before someone reviews it
    assert entry.locations[0][0] == "rules/resources.yaml"
    template = _read(tmp_path / "rules.pot")
    assert template[what + " New words."] is not None and template[what] is None


def test_cli_plan_in_spanish(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps(answers(coverage="medicare_original", age=70)))
    result = CliRunner().invoke(main, ["plan", str(path), "--as-of", "2026-12-01",
                                       "--format", "text", "--lang", "es"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("PLAN DE ACCESO (al 1 de diciembre de 2026;")
    assert "\nPASOS\n" in result.output and "PLAZOS Y FECHAS" in result.output
    english = CliRunner().invoke(main, ["plan", str(path), "--as-of", "2026-12-01",
                                        "--format", "text"])
    assert english.output.startswith("ACCESS PLAN (as of December 1, 2026;")
    spanish_json = CliRunner().invoke(main, ["plan", str(path), "--as-of", "2026-12-01",
                                             "--lang", "es"])
    english_json = CliRunner().invoke(main, ["plan", str(path), "--as-of", "2026-12-01"])
    es, en = json.loads(spanish_json.output), json.loads(english_json.output)
    assert set(es) == set(en) and set(es["steps"][0]) == set(en["steps"][0])
    assert [letter["title"] for letter in es["letters"]] != \
        [letter["title"] for letter in en["letters"]]
    streamed = CliRunner().invoke(main, ["plan", str(path), "--as-of", "2026-12-01",
                                         "--format", "jsonl", "--lang", "es"])
    document = json.loads(streamed.output.splitlines()[0])
    assert [letter["title"] for letter in document["letters"]] == \
        [letter["title"] for letter in es["letters"]]


def test_api_plan_language_from_the_query_or_accept_language(client):
    body = answers(coverage="medicare_original", age=70)
    english = client.post("/api/v1/plan", json=body)
    assert english.headers["Content-Language"] == "en"
    by_query = client.post("/api/v1/plan?lang=es", json=body)
    by_header = client.post("/api/v1/plan", json=body,
                            headers={"Accept-Language": "es-US,es;q=0.9,en;q=0.5"})
    for response in (by_query, by_header):
        assert response.status_code == 200
        assert response.headers["Content-Language"] == "es"
        assert "Accept-Language" in response.headers["Vary"]
        plan, en = response.get_json(), english.get_json()
        assert set(plan) == set(en)
        assert [s["id"] for s in plan["steps"]] == [s["id"] for s in en["steps"]]
        assert "Carta de necesidad médica" in [letter["title"] for letter in plan["letters"]]
    assert by_query.get_json() == by_header.get_json()
    # The query wins over the header.
    forced = client.post("/api/v1/plan?lang=en", json=body, headers={"Accept-Language": "es"})
    assert forced.get_json() == english.get_json()


def test_api_refuses_a_language_it_does_not_have(client):
    response = client.post("/api/v1/plan?lang=fr", json=answers())
    assert response.status_code == 422
    assert response.get_json() == {"errors": [{"field": "lang", "message": "must be one of en, es"}]}


# --- the shipped Spanish catalogue --------------------------------------------------------------

SITUATIONS = {
    "employer, self-funded, claim denied for records": answers(
        denial="claim", denial_reason="missing_records"),
    "employer, fully insured, urgent": answers(
        employer_plan_funding="fully_insured", denial="prior_authorization",
        supplies_days_left=3, denial_reason="not_medically_necessary"),
    "Original Medicare, tubed pump, claim denied on the lab test": answers(
        coverage="medicare_original", age=70, denial="claim", denial_reason="lab_test",
        annual_income=18000, household_size=1),
    "Original Medicare, Omnipod, low income": answers(
        coverage="medicare_original", age=68, pump_wanted="omnipod_5", annual_income=15000,
        household_size=1, extra_help="yes"),
    "Medicare Advantage, appeal denied": answers(
        coverage="medicare_advantage", age=72, denial="appeal", denial_date="2026-06-01"),
    "Medicaid child, Georgia": answers(coverage="medicaid", age=9, state="GA",
                                       denial="prior_authorization"),
    "CHIP, Texas": answers(coverage="chip", age=12, state="TX", annual_income=60000,
                           household_size=4, denial="claim"),
    "Marketplace, California, pump wanted": answers(coverage="marketplace", state="CA",
                                                    annual_income=30000, household_size=1),
    "individual plan, New York, claim denied": answers(coverage="individual", state="NY",
                                                       denial="claim"),
    "uninsured, Florida": answers(coverage="uninsured", state="FL", annual_income=20000,
                                  household_size=2, pump_wanted="undecided"),
    "TRICARE, Omnipod": answers(coverage="tricare", pump_wanted="omnipod_5", denial="claim"),
    "VA": answers(coverage="va", age=55),
    "IHS, Arizona": answers(coverage="ihs", state="AZ", tribal_member=True),
    "turning 65 with a pump in use": answers(age=64, birth_date="1962-03-10",
                                             current_therapy="pump", current_pump_years=5),
}


def _plan_texts(plan, contacts: bool = True) -> list[str]:
    texts = list(plan.warnings)
    for step in plan.steps:
        texts += [step.title, step.detail, step.why, *step.documents]
        texts += [c.name for c in step.contacts] if contacts else []
        # A confirm note quotes source titles “…” as they are published (English documents).
        texts += [re.sub(r"“[^”]*”", "", t) for t in (step.confirm, step.deadline_passed) if t]
    texts += [p.reason for p in plan.programs] + [p.how_to_apply for p in plan.programs]
    texts += [r.what for r in plan.resources]
    texts += [letter.title for letter in plan.letters] + [letter.why for letter in plan.letters]
    texts += [d.title for d in plan.deadlines] + [d.passed for d in plan.deadlines if d.passed]
    return texts


def test_the_spanish_catalogue_is_complete_and_rules_check_passes(messages):
    assert check_catalogue(messages, "es") == []
    result = CliRunner().invoke(main, ["rules", "check"])
    assert result.exit_code == 0, result.output
    assert "translations OK" in result.output


def english_fragments(messages, tr) -> set[str]:
    """The English words of the rules that a Spanish text must not contain: every stretch of
    at least 25 characters between placeholders, unless the Spanish keeps it as it is (a
    name, a form number)."""
    fragments = set()
    for msgid in messages:
        spanish = tr.messages.get(msgid) or ""
        for part in re.split(r"\{[^{}]*\}", msgid):
            part = part.strip(" .,;:()")
            if len(part) >= 25 and part not in spanish:
                fragments.add(part)
    return fragments


@pytest.mark.parametrize("name", list(SITUATIONS))
def test_a_spanish_plan_has_no_english_sentence_left(book, messages, name):
    """No English wording of the rules (compared with every msgid) in a Spanish plan, no
    placeholder left unfilled, and the same steps as the English plan."""
    from navigator.engine import validate_answers

    fragments = english_fragments(messages, translations("es"))
    clean, errors = validate_answers(SITUATIONS[name], AS_OF, book)
    assert not errors, errors
    english = evaluate(clean, AS_OF, book)
    spanish = evaluate(clean, AS_OF, book, lang="es")
    assert [s.id for s in spanish.steps] == [s.id for s in english.steps]
    problems = []
    for text in _plan_texts(spanish, contacts=False):
        problems += [f for f in fragments if f in text]
        assert "{" not in text and "}" not in text, text
    assert not problems, problems[:5]


def test_the_english_check_finds_an_untranslated_text(book, messages):
    """The check above can fail: drop one translation and the English shows."""
    from navigator.engine import validate_answers
    from navigator.engine.rules_i18n import RulesTranslation

    shipped = translations("es")
    msgid = next(m for m in messages if m.startswith("Keep the denial letter or notice."))
    partial = RulesTranslation("es", {k: v for k, v in shipped.messages.items() if k != msgid})
    clean, _ = validate_answers(answers(denial="claim"), AS_OF, book)
    texts = _plan_texts(evaluate(clean, AS_OF, book, lang=partial), contacts=False)
    fragments = english_fragments(messages, partial)
    assert any(f in text for text in texts for f in fragments)


# --- the pages ---------------------------------------------------------------------------------

def test_question_pages_ask_in_spanish(client):
    html = client.get("/questions/state?lang=es").get_data(as_text=True)
    assert '<html lang="es"' in html
    assert "¿En qué estado vive?" in html and "Which state do you live in?" not in html
    assert "Use el estado donde vive la persona que necesita la bomba." in html
    # A wrong answer's message comes from the rules' catalogue too.
    html = client.post("/questions/state?lang=es", data={"state": "ZZ"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Seleccione el estado donde vive" in html


def test_the_plan_page_is_in_the_language_of_the_page(app, client):
    from tests.test_questionnaire import MEDICARE_JOURNEY, stored_answers, walk

    walk(client, MEDICARE_JOURNEY)
    with app.app_context():
        from navigator import rulebook
        from navigator.engine import validate_answers

        clean, _ = validate_answers(stored_answers(app, client), date.today())
        spanish = evaluate(clean, date.today(), rulebook.current(), lang="es")
        english = evaluate(clean, date.today(), rulebook.current())
    html = client.get("/plan?lang=es").get_data(as_text=True)
    assert '<html lang="es"' in html
    for es, en in zip(spanish.steps, english.steps, strict=True):
        assert str(escape(es.title)) in html and str(escape(en.title)) not in html
    html = client.get("/plan?lang=en").get_data(as_text=True)
    assert str(escape(english.steps[0].title)) in html


def test_the_pump_pages_describe_pumps_in_spanish(client, book, messages):
    tr = translations("es")
    fields = ("water", "controls", "algorithm", "aid_targets", "activity_modes", "alarms")
    described = [getattr(p, f) for p in book.pumps.values() for f in fields if getattr(p, f)]
    assert described and all(text in messages for text in described)
    html = client.get("/pumps?lang=es").get_data(as_text=True)
    omnipod = book.pumps["omnipod_5"]
    assert str(escape(tr.gettext(omnipod.controls))) in html
    assert str(escape(omnipod.controls)) not in html


def test_the_answers_summary_reads_back_in_spanish(client):
    from tests.test_questionnaire import MEDICARE_JOURNEY, walk

    walk(client, MEDICARE_JOURNEY)
    html = client.get("/check?lang=es").get_data(as_text=True)
    assert "2 de noviembre de 2026" in html and "November 2, 2026" not in html
    assert "¿En qué estado vive?" in html and "Ohio" in html
    html = client.get("/check?lang=en").get_data(as_text=True)
    assert "November 2, 2026" in html
