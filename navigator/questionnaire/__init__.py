"""The questionnaire as data (rules/questions.yaml): loaded, checked and walked. No Flask.

The questions produce exactly the engine's answers contract (navigator.engine.answers.FIELDS):
each question names one answer field, its options must be values that field allows, and its
`show_if` is a rules condition over answers given on earlier pages.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from navigator import yamlfile
from navigator.engine.answers import FIELDS
from navigator.engine.conditions import ConditionError, FactType, Predicate, compile_condition
from navigator.textformat import us_date, usd

WIDGETS_FOR_KIND = {
    "enum": ("radios", "select"),
    "bool": ("radios",),
    "int": ("number",),
    "number": ("number", "money"),
    "date": ("date",),
}
DEFAULT_WIDGET = {"enum": "radios", "bool": "radios", "int": "number", "number": "number",
                  "date": "date"}


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OptionSpec(_Spec):
    value: str | bool
    label: str


class HelpSpec(_Spec):
    summary: str
    text: str


class LinkSpec(_Spec):
    """A link shown under the question, to a page that helps answer it (and leads back)."""
    text: str
    to: Literal["pumps"]


class QuestionSpec(_Spec):
    field: str
    question: str
    error: str
    hint: str | None = None
    help: HelpSpec | None = None
    link: LinkSpec | None = None
    widget: Literal["radios", "select", "number", "money", "date"] | None = None
    options: list[OptionSpec] = []
    # "pumps": one option per pump of rules/pumps.yaml (its name), before the options listed here.
    options_from: Literal["pumps"] | None = None
    optional: bool = False
    prefer_not_label: str | None = None
    show_if: Any = None


class PageSpec(_Spec):
    id: str
    topic: str
    title: str | None = None
    intro: str | None = None
    questions: list[QuestionSpec]


class TopicSpec(_Spec):
    id: str
    title: str


class QuestionsFile(_Spec):
    topics: list[TopicSpec]
    pages: list[PageSpec]


class QuestionnaireInvalid(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the questionnaire:\n  "
                         + "\n  ".join(problems))


@dataclass(frozen=True)
class Question:
    spec: QuestionSpec
    kind: str
    widget: str
    nullable: bool
    shown: Predicate | None

    @property
    def field(self) -> str:
        return self.spec.field

    def is_shown(self, answers: dict[str, Any]) -> bool:
        # The engine's own applicability rule as well: a field it would drop is never asked.
        return FIELDS[self.field].applies(answers) and (self.shown is None or self.shown(answers))

    def option_label(self, value: Any) -> str | None:
        for option in self.spec.options:
            if option.value == value:
                return option.label
        return None

    def display(self, value: Any, lang: str | None = None) -> str:
        """The answer as the person would read it back. Words are left in English (templates
        translate them); money and dates are written the way `lang` writes them."""
        if value is None:
            return self.spec.prefer_not_label or "Not given"
        if self.spec.options:
            return self.option_label(value) or str(value)
        if lang and lang != "en":
            from navigator import i18n
            if self.widget == "money":
                return i18n.format_money(value, lang)
            if self.kind == "date":
                return i18n.format_day(value, lang)
        if self.widget == "money":
            return usd(value)
        if self.kind == "date":
            return us_date(value)
        return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Page:
    id: str
    number: int
    topic: TopicSpec
    topic_number: int
    title: str | None
    intro: str | None
    questions: tuple[Question, ...]

    def visible_questions(self, answers: dict[str, Any]) -> list[Question]:
        return [q for q in self.questions if q.is_shown(answers)]

    def is_shown(self, answers: dict[str, Any]) -> bool:
        return bool(self.visible_questions(answers))


@dataclass(frozen=True)
class Questionnaire:
    topics: tuple[TopicSpec, ...]
    pages: tuple[Page, ...]

    def page(self, page_id: str) -> Page | None:
        return next((p for p in self.pages if p.id == page_id), None)

    def visible_pages(self, answers: dict[str, Any]) -> list[Page]:
        return [p for p in self.pages if p.is_shown(answers)]

    def next_page(self, page: Page, answers: dict[str, Any]) -> Page | None:
        return next((p for p in self.pages[page.number + 1:] if p.is_shown(answers)), None)

    def previous_page(self, page: Page, answers: dict[str, Any]) -> Page | None:
        earlier = [p for p in self.pages[:page.number] if p.is_shown(answers)]
        return earlier[-1] if earlier else None

    def first_unanswered(self, answers: dict[str, Any]) -> Page | None:
        """The first shown page with a question not yet answered (None: all answered)."""
        for page in self.visible_pages(answers):
            if any(q.field not in answers for q in page.visible_questions(answers)):
                return page
        return None

    def prune(self, answers: dict[str, Any]) -> dict[str, Any]:
        """Keep only the answers to questions still shown, deciding in page order."""
        kept: dict[str, Any] = {}
        for page in self.pages:
            for question in page.questions:
                if question.field in answers:
                    # Later questions depend only on earlier ones, so `kept` decides.
                    candidate = {**kept, question.field: answers[question.field]}
                    if question.is_shown(candidate):
                        kept[question.field] = answers[question.field]
        return kept

    def answered_questions(self, answers: dict[str, Any]) -> list[tuple[Page, Question]]:
        return [(page, q) for page in self.visible_pages(answers)
                for q in page.visible_questions(answers) if q.field in answers]


def load_questionnaire(path: str | Path, pumps: Mapping[str, str] | None = None) -> Questionnaire:
    """Read and check the questions file; raise QuestionnaireInvalid naming every problem.

    `pumps` (id -> name, from the rules' pump catalogue) fills questions with `options_from: pumps`;
    by default the project's own catalogue."""
    if pumps is None:
        from navigator.engine.loader import default_rulebook
        pumps = default_rulebook().pump_names
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionnaireInvalid([f"{path.name}: cannot be read: {exc}"]) from exc
    return _parse(path.name, text, tuple(pumps.items()))


@lru_cache(maxsize=4)
def _parse(name: str, text: str, pumps: tuple[tuple[str, str], ...]) -> Questionnaire:
    """The same file text gives the same (frozen) questionnaire: a second app in one process
    (each test builds one) does not parse and check it again. Problems are raised, not cached."""
    try:
        raw = yamlfile.safe_load(text)
    except yaml.YAMLError as exc:
        raise QuestionnaireInvalid([f"{name}: cannot be read: {exc}"]) from exc
    try:
        data = QuestionsFile.model_validate(raw)
    except ValidationError as exc:
        raise QuestionnaireInvalid([_pydantic_problem(name, raw, err) for err in exc.errors()]) from exc
    problems: list[str] = []
    questionnaire = _build(name, data, dict(pumps), problems)
    if problems:
        raise QuestionnaireInvalid(problems)
    return questionnaire


def _pydantic_problem(name: str, raw: Any, error: dict) -> str:
    location = list(error["loc"])
    where = name
    if len(location) >= 2 and location[0] == "pages" and isinstance(location[1], int):
        try:
            where += f": page {raw['pages'][location[1]].get('id', location[1])}"
        except (KeyError, IndexError, TypeError, AttributeError):
            pass
        location = location[2:]
        if len(location) >= 2 and location[0] == "questions" and isinstance(location[1], int):
            where += f": question {location[1] + 1}"
            location = location[2:]
    field = ".".join(str(part) for part in location) or "(file)"
    message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
    return f"{where}: {field}: {message}"


def _build(name: str, data: QuestionsFile, pumps: dict[str, str],
           problems: list[str]) -> Questionnaire:
    pump_ids = tuple(pumps)
    answer_types = {field: FactType(spec.kind, spec.choices(pump_ids))
                    for field, spec in FIELDS.items()}
    topics = {t.id: (i, t) for i, t in enumerate(data.topics)}
    seen_pages: set[str] = set()
    asked: set[str] = set()
    pages: list[Page] = []
    for number, page_spec in enumerate(data.pages):
        where = f"{name}: page {page_spec.id}"
        if page_spec.id in seen_pages:
            problems.append(f"{where}: id: used by an earlier page")
        seen_pages.add(page_spec.id)
        if page_spec.topic not in topics:
            problems.append(f"{where}: topic: unknown topic {page_spec.topic!r}; known: "
                            + ", ".join(topics))
            continue
        if not page_spec.questions:
            problems.append(f"{where}: questions: a page needs at least one question")
        questions = []
        for spec in page_spec.questions:
            if spec.options_from == "pumps":
                spec = spec.model_copy(update={"options": [
                    *(OptionSpec(value=pid, label=label) for pid, label in pumps.items()),
                    *spec.options]})
            question = _build_question(f"{where}: question {spec.field}", spec, asked,
                                       answer_types, problems)
            if question is not None:
                questions.append(question)
        asked.update(q.field for q in page_spec.questions)
        topic_number, topic = topics[page_spec.topic]
        pages.append(Page(page_spec.id, number, topic, topic_number + 1, page_spec.title,
                          page_spec.intro, tuple(questions)))
    for field, spec in FIELDS.items():
        if spec.required is not None and field not in asked:
            problems.append(f"{name}: answer field {field!r} is required by the engine but "
                            "no question asks it")
    return Questionnaire(tuple(data.topics), tuple(pages))


def _build_question(where: str, spec: QuestionSpec, asked: set[str],
                    answer_types: dict[str, FactType], problems: list[str]) -> Question | None:
    field_spec = FIELDS.get(spec.field)
    if field_spec is None:
        problems.append(f"{where}: field: {spec.field!r} is not an answer field; known: "
                        + ", ".join(FIELDS))
        return None
    if spec.field in asked:
        problems.append(f"{where}: field: asked on an earlier page already")
    kind = field_spec.kind
    widget = spec.widget or DEFAULT_WIDGET[kind]
    if widget not in WIDGETS_FOR_KIND[kind]:
        problems.append(f"{where}: widget: {widget!r} does not fit a {kind} field; use one of: "
                        + ", ".join(WIDGETS_FOR_KIND[kind]))
    _check_options(where, spec, kind, answer_types[spec.field].allowed, problems)
    if spec.prefer_not_label and not field_spec.nullable:
        problems.append(f"{where}: prefer_not_label: {spec.field!r} cannot be left unsaid")
    if spec.optional and field_spec.required is not None:
        problems.append(f"{where}: optional: the engine requires {spec.field!r}")
    shown = None
    if spec.show_if is not None:
        earlier = {f: t for f, t in answer_types.items() if f in asked}
        try:
            shown = compile_condition(spec.show_if, earlier, "show_if")
        except ConditionError as exc:
            problems.append(f"{where}: {exc} (show_if may name only fields asked on earlier pages)")
    return Question(spec, kind, widget, field_spec.nullable, shown)


def _check_options(where: str, spec: QuestionSpec, kind: str, allowed: tuple,
                   problems: list[str]) -> None:
    if kind not in ("enum", "bool"):
        if spec.options:
            problems.append(f"{where}: options: a {kind} field takes no options")
        return
    if not spec.options:
        problems.append(f"{where}: options: list the choices for this field")
        return
    values = [option.value for option in spec.options]
    for index, value in enumerate(values):
        ok = isinstance(value, bool) if kind == "bool" else (
            isinstance(value, str) and value in allowed)
        if not ok:
            expected = "true or false" if kind == "bool" else ", ".join(allowed)
            problems.append(f"{where}: options[{index}].value: {value!r} is not allowed by the "
                            f"answers contract; allowed: {expected}")
    if len(set(map(repr, values))) != len(values):
        problems.append(f"{where}: options: a value is listed twice")


def default_questions_path(rules_dir: str | Path) -> Path:
    return Path(rules_dir) / "questions.yaml"
