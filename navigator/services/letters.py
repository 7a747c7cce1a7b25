"""Letters: the plan's letters filled in from the answers and the letter details. No Flask.

One Jinja template per letter (templates/letters/<id>.html) renders an <article>; a document shell
wraps it for the PDF (a packet is one PDF per letter, merged). Anything not known prints as a highlighted blank such
as "[Member ID]", never a guess. Each letter ends with the sources it relies on: the sources of
the plan rules that call it plus the letter's own (rules/letters.yaml), all by id from
rules/sources, each only where it fits the person's coverage, state and pump.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from navigator import clock, i18n
from navigator.config import PROJECT_ROOT
from navigator.engine.answers import MEDICARE, PRIVATE, FieldError, ValueProblem, parse_typed
from navigator.engine.loader import RuleBook
from navigator.engine.plan import Plan, Source
from navigator.engine.relevance import fits, person_coverages
from navigator.engine.rules_i18n import translations as rules_translations
from navigator.engine.text import parse_text
from navigator.i18n import N_, Phrase
from navigator.services.pdf import STATIC_DIR, PdfDocument, render_merged_pdf, render_pdf
from navigator.services.text_checks import text_problem
from navigator.textformat import us_date, usd

TEMPLATES_DIR = PROJECT_ROOT / "templates"
LETTER_CSS = STATIC_DIR / "css" / "letter.css"
AUTHOR = "Pump Access Navigator"
# Letters the family sends in its own words (the cover letter of an assistance application), so
# they are written in the family's language. Every other letter goes to an insurer, a plan, a
# state agency or a prescriber and is always written in English; the preview page tells the
# family in its own language what such a letter says.
FAMILY_LANGUAGE_LETTERS = frozenset({"assistance_cover_letter"})


def letter_language(letter_id: str, lang: str = i18n.DEFAULT_LANGUAGE) -> str:
    """The language `letter_id` is written in for a family reading in `lang`."""
    return lang if letter_id in FAMILY_LANGUAGE_LETTERS else i18n.DEFAULT_LANGUAGE


# --- details ------------------------------------------------------------------------------

@dataclass(frozen=True)
class DetailSpec:
    name: str
    label: str
    max_length: int
    multiline: bool = False
    hint: str = ""
    choices: tuple[str, ...] = ()     # a choice among these values, not free text


SENDERS = ("patient", "parent", "representative")


DETAIL_FIELDS: dict[str, DetailSpec] = {spec.name: spec for spec in (
    DetailSpec("patient_name", "Patient's full name", 100),
    DetailSpec("date_of_birth", "Date of birth", 10, hint="MM/DD/YYYY, for example 03/14/2017"),
    DetailSpec("sender", "Who is sending the letters", 20, choices=SENDERS),
    DetailSpec("sender_name", "Your full name", 100),
    DetailSpec("sender_address", "Your mailing address and phone number", 300, multiline=True),
    DetailSpec("member_id", "Member ID", 40),
    DetailSpec("group_number", "Group number", 40),
    DetailSpec("insurer_name", "Insurer or plan name", 120),
    DetailSpec("insurer_address", "Insurer or plan address", 300, multiline=True),
    DetailSpec("recipient_name", "Who reviews the appeal", 120),
    DetailSpec("recipient_address", "Address of who reviews the appeal", 300, multiline=True),
    DetailSpec("claim_number", "Claim or reference number", 40),
    DetailSpec("prescriber_name", "Prescriber's name", 100),
    DetailSpec("prescriber_npi", "Prescriber's NPI", 10, hint="10 digits"),
    DetailSpec("practice_address", "Practice address", 300, multiline=True),
    DetailSpec("practice_phone", "Practice phone", 30,
               hint="digits, spaces and + ( ) - . only"),
    DetailSpec("denial_reason", "Reason given for the denial", 2000, multiline=True),
)}
PHONE_PATTERN = re.compile(r"^[0-9 +().\-]{7,30}$|^[0-9 +().\-]{7,22} ?(ext\.?|x) ?[0-9]{1,6}$",
                           re.IGNORECASE)


def validate_details(raw: Any, today: date | None = None
                     ) -> tuple[dict[str, str] | None, list[FieldError]]:
    """Check letter details: (clean details, []) or (None, one error per field).

    Every field is optional; empty values are dropped. Text is kept as typed (it is escaped when
    printed), except that control characters are refused.
    """
    today = today or clock.today_in(None)     # callers with a case pass its plan date
    if not isinstance(raw, dict):
        return None, [FieldError("details", "must be a JSON object of letter detail fields")]
    errors = [FieldError(str(name)[:64], "is not a letter detail field; allowed: "
                         + ", ".join(DETAIL_FIELDS))
              for name in raw if name not in DETAIL_FIELDS]
    clean: dict[str, str] = {}
    for name, spec in DETAIL_FIELDS.items():
        value = raw.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            errors.append(FieldError(name, "must be text"))
            continue
        value = value.strip().replace("\r\n", "\n")
        if not value:
            continue
        message = detail_problem(spec, value, today)
        if message:
            errors.append(FieldError(name, message))
        elif name == "date_of_birth":
            clean[name] = parse_typed("birth_date", value, today)    # ISO; shown US-style
        else:
            clean[name] = value
    return (None, errors) if errors else (clean, [])


def detail_problem(spec: DetailSpec, value: str, today: date) -> str | None:
    """What is wrong with one non-empty detail value, or None."""
    if spec.choices and value not in spec.choices:
        return Phrase(N_("must be one of: %(choices)s"), choices=", ".join(spec.choices))
    if spec.name == "prescriber_npi" and not re.fullmatch(r"[0-9]{10}", value):
        return N_("must be exactly 10 digits (the National Provider Identifier)")
    if len(value) > spec.max_length:
        return Phrase(N_("must be at most %(max)s characters (you gave %(given)s)"),
                      max=spec.max_length, given=len(value))
    allowed_controls = "\n\t" if spec.multiline else ""
    if any(unicodedata.category(c) == "Cc" and c not in allowed_controls for c in value):
        return (N_("must not contain control characters") if spec.multiline
                else N_("must not contain control characters or line breaks"))
    problem = text_problem(value)
    if problem:
        return problem
    if spec.name == "practice_phone" and not PHONE_PATTERN.match(value):
        return N_("must be a phone number: digits, spaces and + ( ) - . only, optionally "
                  "ext. 123")
    if spec.name == "date_of_birth":
        return _date_of_birth_problem(value, today)
    return None


def details_as_typed(details: dict[str, str]) -> dict[str, str]:
    """Saved details as the form shows them: the date of birth written the American way."""
    born = details.get("date_of_birth")
    if not born:
        return dict(details)
    return {**details, "date_of_birth": date.fromisoformat(born).strftime("%m/%d/%Y")}


def _date_of_birth_problem(value: str, today: date) -> str | None:
    """Checked as the answers' birth_date is (the answers contract, parse_typed); a letter
    also needs a day before today."""
    try:
        born = parse_typed("birth_date", value, today)
    except ValueProblem as problem:
        if problem.reason == "after_plan_date":
            return Phrase(N_("must be in the past (before %(today)s)"), today=today.isoformat())
        return problem.args[0]          # a Phrase from the engine (date_text, before_earliest)
    if born == today.isoformat():
        return Phrase(N_("must be in the past (before %(today)s)"), today=today.isoformat())
    return None


class DetailsView:
    """Details for templates: each attribute is the escaped value or a highlighted blank, in
    the letter's language."""

    def __init__(self, details: dict[str, str], lang: str = i18n.DEFAULT_LANGUAGE):
        self._details = details
        self._lang = lang

    def has(self, name: str) -> bool:
        return bool(self._details.get(name))

    def plain(self, name: str) -> str:
        return self._details.get(name, "")

    def __getattr__(self, name: str) -> Markup:
        if name.startswith("_") or name not in DETAIL_FIELDS:
            raise AttributeError(name)
        value = self._details.get(name)
        if not value:
            return blank(i18n.gettext(self._lang, DETAIL_FIELDS[name].label).replace("'s", "’s"))
        if name == "date_of_birth":
            return escape(i18n.format_day(value, self._lang))
        text = escape(value)
        if DETAIL_FIELDS[name].multiline:
            text = Markup("<br>").join(escape(line) for line in value.split("\n"))
        return text


def blank(label: str) -> Markup:
    """A visible gap the reader must fill in: never a guessed value."""
    return Markup('<mark class="blank">[{}]</mark>').format(label)


# --- what the letters say about the payer, the device and the codes -------------------------

@dataclass(frozen=True)
class Code:
    code: str
    description: str


@dataclass(frozen=True)
class Device:
    name: str | None            # None when the pump is undecided
    maker: str | None
    tubed: bool | None
    route: str                  # part_b_dme | part_d | dme | pharmacy | unknown
    codes: tuple[Code, ...]
    billing_note: str


def device_for(answers: dict, book: RuleBook, on: date) -> Device:
    pump = book.pumps.get(answers["pump_wanted"])
    coverage = answers["coverage"]
    notes = book.texts.billing_notes
    if pump is None:
        return Device(None, None, None, "unknown", (), notes.no_pump)
    route: str
    if coverage in MEDICARE:
        route = pump.medicare_route
    else:
        route = pump.channel_by_coverage.get(coverage) or pump.channel or "unknown"
    codes = tuple(letter_codes(pump.codes, route, coverage, book))
    return Device(pump.name, pump.maker, pump.tubed, route, codes,
                  billing_note(notes, route, pump.name))


def letter_codes(code_ids: Iterable[str], route: str, coverage: str,
                 book: RuleBook) -> Iterable[Code]:
    """The pump's HCPCS codes that this payer uses on this route (rules/pumps.yaml billing_codes).

    Pharmacy and Part D claims use the product's NDC, so no code lists those routes."""
    for code_id in code_ids:
        spec = book.billing_codes[code_id]
        if not spec.in_letters or route not in spec.routes:
            continue
        if spec.coverages is not None and coverage not in spec.coverages:
            continue
        yield Code(code_id, spec.description)


def billing_note(notes: Any, route: str, pump_name: str) -> str:
    """How the pump is billed on this route, in the words of rules/texts.yaml (billing_notes)."""
    text = getattr(notes, route) if route in type(notes).model_fields else notes.unknown
    return text.format(pump=pump_name)


def payer_wording(answers: dict, book: RuleBook) -> str:
    """How the letters name the payer (rules/coverages.yaml), filled from the state's data."""
    spec = book.coverages[answers["coverage"]]
    values = {"state": book.state_dicts[answers["state"]]}
    payer = parse_text(spec.payer).render(values)
    if not payer and spec.payer_fallback:
        payer = parse_text(spec.payer_fallback).render(values)
    return payer


# Letters that quote the case's call log (entries marked for letters): the appeals, and the
# claim-file request, where what the plan said on the phone is evidence.
CALL_LOG_LETTERS = frozenset({
    "internal_appeal", "external_review", "medicare_redetermination",
    "part_d_coverage_determination", "medicare_advantage_reconsideration",
    "medicaid_fair_hearing", "claim_file_request", "medicaid_plan_appeal",
})


def letter_source_ids(letter_id: str, plan: Plan, book: RuleBook) -> tuple[str, ...]:
    """The letter's own sources (rules/letters.yaml), then those of its `with_rules` that fired."""
    letter = book.letters[letter_id]
    fired = set(plan.trace)
    rules = {rule.id: rule for rule in book.rules}
    extra = [sid for rid in letter.with_rules if rid in fired for sid in rules[rid].source_ids]
    return tuple(dict.fromkeys((*letter.sources, *extra)))


def sources_for(letter_id: str, answers: dict, plan: Plan, book: RuleBook) -> list[Source]:
    """The plan's sources for the rules that call this letter, then the letter's own."""
    calling = set(calling_rule_ids(letter_id, plan, book))
    found: dict[str, Source] = {}
    for step in plan.steps:
        if step.rule_id in calling:
            for source in step.sources:
                found.setdefault(source.id, source)
    rules = {rule.id: rule for rule in book.rules}
    extra_ids = [sid for rid in calling for sid in rules[rid].source_ids]
    extra_ids += letter_source_ids(letter_id, plan, book)
    for source_id in extra_ids:
        if source_id not in found and fits(book.sources[source_id], person_coverages(answers),
                                           answers["state"], answers["pump_wanted"]):
            found[source_id] = book.source_output(source_id)
    return list(found.values())


def calling_rule_ids(letter_id: str, plan: Plan, book: RuleBook) -> list[str]:
    fired = set(plan.trace)
    return [rule.id for rule in book.rules if rule.id in fired and letter_id in rule.letters]


def deadlines_for(letter_id: str, plan: Plan, book: RuleBook) -> list:
    """The plan's deadlines that come from the rules calling this letter, earliest first."""
    calling = set(calling_rule_ids(letter_id, plan, book))
    step_rule = {step.id: step.rule_id for step in plan.steps}
    return [d for d in plan.deadlines if step_rule.get(d.id) in calling]


# --- rendering ------------------------------------------------------------------------------

class UnknownLetter(LookupError):
    """The letter id is not in the catalogue, or the plan does not call for it."""


@lru_cache(maxsize=4)
def environment(lang: str = i18n.DEFAULT_LANGUAGE) -> Environment:
    """Letters' own Jinja environment (autoescaped), independent of Flask, in one language:
    its words from the `messages` catalogue, its dates and money written that language's way."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, extensions=["jinja2.ext.i18n"],
                      trim_blocks=True, lstrip_blocks=True)
    if lang == i18n.DEFAULT_LANGUAGE:
        env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
        env.filters["us_date"] = us_date
        env.filters["usd"] = usd
    else:
        env.install_gettext_translations(i18n.translations(lang),  # type: ignore[attr-defined]
                                         newstyle=True)
        env.filters["us_date"] = lambda value: i18n.format_day(value, lang)
        env.filters["usd"] = lambda amount: i18n.format_money(amount, lang)
    env.globals["blank"] = blank
    env.globals["letter_lang"] = lang
    return env


def catalogue(book: RuleBook) -> list[tuple[str, str]]:
    """(id, title) of every letter the rules know."""
    return [(letter.id, letter.title) for letter in book.letters.values()]


@dataclass(frozen=True)
class Sender:
    """Who sends a letter the patient's side writes: the patient, a parent or legal guardian (a
    child's letters by default), or a representative with the form the payer asks for."""
    role: str                         # patient | parent | representative
    name: Markup                      # escaped, or a highlighted blank
    address: Markup
    form: Markup | None               # a representative's form (named, or a blank), else None
    form_sources: tuple[str, ...] = ()


CHILD_AGE = 18


def sender_for(details: dict, answers: dict, book: RuleBook,
               lang: str = i18n.DEFAULT_LANGUAGE) -> Sender:
    """Who sends the letter; its blanks in `lang` (the letter's language)."""
    view = DetailsView(details, lang)
    role = details.get("sender") or ("parent" if answers.get("age", CHILD_AGE) < CHILD_AGE
                                     else "patient")
    address = view.sender_address
    if role == "patient":
        return Sender(role, view.patient_name, address, None)
    if details.get("sender_name"):
        name = escape(details["sender_name"])
    else:
        name = blank(i18n.gettext(lang, N_("Parent’s or guardian’s name")) if role == "parent"
                     else i18n.gettext(lang, N_("Representative’s name")))
    if role == "parent":
        return Sender(role, name, address, None)
    spec = book.representatives.get(answers["coverage"])
    if spec is not None and spec.form:
        form = escape(spec.form)
    else:
        form = blank(i18n.gettext(lang, N_("the representative form your plan or agency asks "
                                           "for")))
    return Sender(role, name, address, form, tuple(spec.sources) if spec else ())


def recipient_for(letter_id: str, details: dict, answers: dict) -> tuple[Markup, Markup] | None:
    """The name and address typed for whoever reviews an appeal (the Medicare contractor, the
    fair hearing office, the review organization), or None when nothing was typed. For Original
    Medicare the insurer fields name the contractor, so they count too."""
    if letter_id not in REVIEW_BODY_LETTERS:
        return None
    view = DetailsView(details)
    if details.get("recipient_name") or details.get("recipient_address"):
        return view.recipient_name, view.recipient_address
    if letter_id == "medicare_redetermination" and (
            details.get("insurer_name") or details.get("insurer_address")):
        return view.insurer_name, view.insurer_address
    return None


# Letters that go to whoever reviews an appeal, not to the insurer itself.
REVIEW_BODY_LETTERS = frozenset({"medicare_redetermination", "medicaid_fair_hearing",
                                 "external_review"})


def lab_result_shown(answers: dict) -> bool:
    """Whether the answers show the C-peptide or autoantibody result Medicare's pump policy needs."""
    return "yes" in (answers.get("c_peptide_qualifies"), answers.get("autoantibody_positive"))


def needs_lab_result(answers: dict, device: Device) -> bool:
    """A tubed pump on Medicare's equipment route needs the lab result (LCD L33794)."""
    return answers["coverage"] in MEDICARE and device.route == "part_b_dme"


def letter_deadline(letter_id: str, plan: Plan, book: RuleBook):
    """The one deadline a letter states: the soonest still open of the steps that call it, else
    the last one that passed (the letter then asks for a late filing), else None."""
    found = deadlines_for(letter_id, plan, book)
    still_open = [d for d in found if not d.passed and not d.opens]
    if still_open:
        return min(still_open, key=lambda d: d.date)
    passed = [d for d in found if d.passed]
    return max(passed, key=lambda d: d.date) if passed else None


def letter_warnings(letter_id: str, answers: dict, details: dict, plan: Plan,
                    book: RuleBook) -> list[str]:
    """What to do before sending this letter, shown above its preview."""
    warnings = []
    device = device_for(answers, book, plan.as_of)
    if letter_id in LAB_LETTERS and needs_lab_result(answers, device) \
            and not lab_result_shown(answers):
        warnings.append(N_("Your answers do not show a qualifying C-peptide or a positive "
                           "beta-cell autoantibody result. Medicare pays for a tubed pump only "
                           "with one: get the lab result and its date before you send this "
                           "letter."))
    sender = sender_for(details, answers, book)
    if sender.role == "representative":
        warnings.append(N_("You are sending this as a representative: enclose the form the "
                           "letter names, signed, or the payer may not act on the letter."))
    return warnings


# Letters that say the Medicare coverage criteria are met.
LAB_LETTERS = frozenset({"medicare_redetermination", "medicare_advantage_reconsideration"})


# Programs one applies to with papers (copay cards, price caps and public programs are enrolled
# in or applied for otherwise, with no cover letter).
APPLICATION_KINDS = frozenset({"charity", "free_device", "discount", "payment_plan"})


def assistance_programs(plan: Plan) -> list:
    """The programs an assistance cover letter goes to: one letter each, for the programs that
    take applications, may take the person and are open (directories and closed funds get none)."""
    return [p for p in plan.programs if p.eligible in (True, "maybe") and p.status != "closed"
            and p.kind in APPLICATION_KINDS]


def letter_context(letter_id: str, answers: dict, details: dict, plan: Plan,
                   book: RuleBook, calls: Iterable = (),
                   lang: str = i18n.DEFAULT_LANGUAGE) -> dict[str, Any]:
    letter = next((item for item in plan.letters if item.id == letter_id), None)
    if letter is None:
        raise UnknownLetter(letter_id)
    state = book.states[answers["state"]]
    coverage = answers["coverage"]
    device = device_for(answers, book, plan.as_of)
    sender = sender_for(details, answers, book, lang)
    sources = sources_for(letter_id, answers, plan, book)
    if sender.form_sources:
        known = {source.id for source in sources}
        sources += [book.source_output(sid) for sid in sender.form_sources if sid not in known
                    and fits(book.sources[sid], person_coverages(answers), answers["state"],
                             answers["pump_wanted"])]
    return {
        "letter": letter,
        "article_id": letter.id,
        "sender_is": sender,
        "recipient": recipient_for(letter_id, details, answers),
        "lab_shown": lab_result_shown(answers),
        "lab_needed": needs_lab_result(answers, device),
        "deadline": letter_deadline(letter_id, plan, book),
        "program": None,
        "answers": answers,
        "d": DetailsView(details, lang),
        "plan": plan,
        "state": state,
        "coverage": coverage,
        "is_medicare": coverage in MEDICARE,
        "is_private": coverage in PRIVATE,
        # A letter in another language names the coverage as the rules' catalogue words it; a
        # state program keeps its own name (Texas Medicaid).
        "payer": payer_wording(answers, book) if lang == i18n.DEFAULT_LANGUAGE
        or coverage in ("medicaid", "chip")
        else rules_translations(lang).gettext(book.coverages[coverage].label),
        "appeal_basis": book.coverages[coverage].appeal_basis,
        "device": device,
        "icd10": book.diagnosis_codes.get(answers["diabetes_type"], ""),
        "rules_fired": frozenset(plan.trace),
        "expedited": answers.get("health_at_risk") is True,
        "letter_date": plan.as_of,
        "denial_date": date.fromisoformat(answers["denial_date"])
        if answers.get("denial_date") else None,
        "deadlines": deadlines_for(letter_id, plan, book),
        "sources": sources,
        "programs": assistance_programs(plan),
        "calls": list(calls) if letter_id in CALL_LOG_LETTERS else [],
    }


def letter_articles(letter_id: str, answers: dict, details: dict, plan: Plan,
                    book: RuleBook, calls: Iterable = (), lang: str = i18n.DEFAULT_LANGUAGE
                    ) -> list[Markup]:
    """The letter as <article lang="...">s: one, or for the assistance cover letter one per
    program. `lang`: the family's language; the letter is written in
    letter_language(letter_id, lang), and `plan` (whose titles and deadlines a letter quotes)
    must be in that language."""
    lang = letter_language(letter_id, lang)
    context = letter_context(letter_id, answers, details, plan, book, calls, lang)
    template = environment(lang).get_template(f"letters/{letter_id}.html")
    # Safe to mark: the letter environment autoescapes, so every typed value is already escaped.
    if letter_id == "assistance_cover_letter" and context["programs"]:
        return [Markup(template.render({**context, "program": program,  # nosec B704
                                        "article_id": f"{letter_id}-{program.id}"}))
                for program in context["programs"]]
    return [Markup(template.render(context))]  # nosec B704


def render_letter(letter_id: str, answers: dict, details: dict, plan: Plan,
                  book: RuleBook, calls: Iterable = (), lang: str = i18n.DEFAULT_LANGUAGE
                  ) -> Markup:
    """The letter as HTML (every typed value escaped): one <article>, or one per program for
    the assistance cover letter. `calls`: the call log entries (services.calls.CallFacts) the
    appeal letters quote; `lang`: as letter_articles."""
    return Markup("\n").join(letter_articles(letter_id, answers, details, plan, book, calls,
                                              lang))


def render_document(articles: list[Markup], title: str,
                    lang: str = i18n.DEFAULT_LANGUAGE) -> str:
    """A complete HTML document (for the PDF) holding one or more letters, each on new pages.
    Its stylesheet, LETTER_CSS, is not in it: the renderer applies it (see letter_documents)."""
    template = environment(lang).get_template("letters/_document.html")
    # The footer's words, from our own catalogue (quotes escaped for CSS), never user input.
    page_counter = Markup(i18n.css_page_counter(lang))  # nosec B704
    return template.render(articles=articles, title=title, page_counter=page_counter)


def letter_ids_in_plan(plan: Plan) -> list[str]:
    return [letter.id for letter in plan.letters]


def letter_documents(letter_id: str, answers: dict, details: dict, plan: Plan,
                     book: RuleBook, calls: Iterable = (), lang: str = i18n.DEFAULT_LANGUAGE
                     ) -> list[PdfDocument]:
    """The letter as documents for the PDF renderer: one per article, so each letter (each
    program's cover letter too) numbers its own pages. `plan` in the letter's language
    (letter_language). The renderer parses LETTER_CSS once, not once per document."""
    lang = letter_language(letter_id, lang)
    title = document_title([letter_id], details, book, plan)
    return [PdfDocument(render_document([article], title, lang), title, AUTHOR, LETTER_CSS)
            for article in letter_articles(letter_id, answers, details, plan, book, calls, lang)]


def letter_document(letter_id: str, answers: dict, details: dict, plan: Plan,
                    book: RuleBook, calls: Iterable = (), lang: str = i18n.DEFAULT_LANGUAGE
                    ) -> PdfDocument:
    """One letter's first document for the PDF renderer (see letter_documents)."""
    return letter_documents(letter_id, answers, details, plan, book, calls, lang)[0]


def letter_pdf(letter_id: str, answers: dict, details: dict, plan: Plan, book: RuleBook,
               calls: Iterable = (), lang: str = i18n.DEFAULT_LANGUAGE) -> bytes:
    documents = letter_documents(letter_id, answers, details, plan, book, calls, lang)
    if len(documents) == 1:
        return render_pdf(*documents[0])
    return render_merged_pdf(documents, documents[0][1], AUTHOR)


def packet_pdf(letter_ids: list[str], answers: dict, details: dict, plan: Plan,
               book: RuleBook, calls: Iterable = (), lang: str = i18n.DEFAULT_LANGUAGE,
               family_plan: Plan | None = None) -> bytes:
    """Several letters in one PDF, in the plan's order.

    Each letter is rendered as its own tagged PDF (side by side when the PDF process pool is on)
    and the PDFs are then merged, so each letter starts on a new page and numbers its own pages
    ("Page 1 of 2"), as when it is mailed on its own. The packet's bookmarks list every letter.
    `plan` is in English (the letters to insurers and doctors); `family_plan`, the same plan in
    `lang`, is used by the letters written in the family's language (the English plan when
    not given).
    """
    wanted = set(letter_ids)
    ordered = [lid for lid in letter_ids_in_plan(plan) if lid in wanted]
    missing = wanted - set(ordered)
    if missing or not ordered:
        raise UnknownLetter(", ".join(sorted(missing)) or "no letter chosen")
    calls = list(calls)

    def plan_of(letter_id: str) -> Plan:
        in_family_language = letter_language(letter_id, lang) != i18n.DEFAULT_LANGUAGE
        return family_plan if family_plan is not None and in_family_language else plan

    documents = [document for lid in ordered
                 for document in letter_documents(lid, answers, details, plan_of(lid), book,
                                                  calls, lang)]
    return render_merged_pdf(documents, document_title(ordered, details, book), AUTHOR)


def document_title(letter_ids: list[str], details: dict, book: RuleBook,
                   plan: Plan | None = None) -> str:
    """The PDF's title: the letter's title (as the plan, in the letter's language, gives it)."""
    name = details.get("patient_name")
    titles = {letter.id: letter.title for letter in plan.letters} if plan is not None else {}
    head = (titles.get(letter_ids[0]) or book.letters[letter_ids[0]].title
            if len(letter_ids) == 1 else f"Letter packet ({len(letter_ids)} letters)")
    return f"{head} — {name}" if name else head


def pdf_filename(letter_id: str, on: date) -> str:
    """Safe ASCII file name, e.g. letter-medical-necessity-2026-11-23.pdf."""
    slug = re.sub(r"[^a-z0-9]+", "-", letter_id.lower()).strip("-") or "letter"
    return f"letter-{slug}-{on.isoformat()}.pdf"


def packet_filename(on: date) -> str:
    return f"letters-{on.isoformat()}.pdf"
