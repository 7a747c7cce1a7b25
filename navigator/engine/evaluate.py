"""evaluate(answers, as_of) -> Plan: the pure function every page, API, CLI and letter shares."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from navigator.engine import memo
from navigator.engine.answers import Answers, AnswersInvalid, FieldError, validate_answers
from navigator.engine.facts import FACT_TYPES, derive, marketplace_window, next_window
from navigator.engine.loader import (
    CompiledDeadline,
    CompiledRule,
    CompiledStep,
    RuleBook,
    default_rulebook,
)
from navigator.engine.plan import (
    Contact,
    CoverageRoute,
    Deadline,
    DeadlineKind,
    Letter,
    Plan,
    Program,
    Resource,
    Source,
    Step,
)
from navigator.engine.programs import assess
from navigator.engine.relevance import fits, person_coverages, state_source_ids
from navigator.engine.rules_i18n import N_, RulesTranslation, format_date, translations
from navigator.engine.text import PARAMETER_ROOTS, Placeholder, Text, lookup
from navigator.textformat import usd

# What a plan says under a date that has passed, when the rule gives nothing more specific.
PASSED_DEFAULT = {
    "appeal": N_("This date has passed. Ask anyway: a late request is often accepted when you "
                 "show a good reason (good cause), such as illness or a notice that reached you "
                 "late; or ask your doctor to send a new request, which starts a new decision "
                 "and a new deadline."),
    "timeline": N_("This date has passed: do it now, before your Medicare starts."),
}


def evaluate(answers: dict[str, Any], as_of: date, book: RuleBook | None = None,
             lang: str | RulesTranslation | None = None) -> Plan:
    """The access plan for valid answers on a date. Raises AnswersInvalid for invalid answers.

    Answers from validate_answers for this date and these rules (an `Answers`) are used as
    they are; anything else (a raw dict) is validated first, so answers are checked once.

    `book` defaults to the rules shipped in the project's rules/ folder. `lang` ("en", "es"; a
    tag like "es-US" works too) is the language of the plan's texts: the rules' words are looked
    up in the `rules` catalogue of that language (navigator/translations) before their
    placeholders are filled, and dates in them are written the language's way. Ids, keys and
    values such as dates and urls are the same in every language. A loaded RulesTranslation
    (rules_i18n.translations(lang, folder)) may be given instead of a language code.
    """
    book = book or default_rulebook()
    if isinstance(answers, Answers) and answers.valid_for(as_of, book.version):
        clean: dict[str, Any] = answers
    else:
        checked, errors = validate_answers(answers, as_of, book)
        if checked is None:
            raise AnswersInvalid(errors)
        clean = checked
    tr = lang if isinstance(lang, RulesTranslation) else translations(lang)
    return _evaluate(clean, as_of, book, tr)


def plan_for(raw: Any, as_of: date, book: RuleBook | None = None,
             lang: str | RulesTranslation | None = None) -> tuple[Plan | None, list[FieldError]]:
    """Raw answers in: (the plan, []) or (None, the field errors). Validates once."""
    book = book or default_rulebook()
    answers, errors = validate_answers(raw, as_of, book)
    if answers is None:
        return None, errors
    return evaluate(answers, as_of, book, lang), []


def _evaluate(answers: dict[str, Any], as_of: date, book: RuleBook,
              tr: RulesTranslation | None = None) -> Plan:
    facts = derive(answers, as_of, book)
    context = _Context(answers, facts, as_of, book, tr or translations(None))
    tr = context.tr
    fired = [rule for rule in book.rules_for(answers["coverage"]) if rule.applies(facts)]

    route = "none"
    placed: list[tuple[int, int, int, Step, CompiledStep, CompiledRule]] = []
    program_ids: dict[str, None] = {}
    resource_ids: dict[str, None] = {}
    letters: dict[str, Letter] = {}
    warnings: list[str] = []
    for rule_index, rule in enumerate(fired):
        route = rule.sets.get("coverage_route", route)
        for step in rule.steps:
            if step.applies is not None and not step.applies(facts):
                continue
            placed.append((step.order, rule_index, step.position,
                           context.step(rule, step), step, rule))
            for program_id in step.program_ids:
                program_ids.setdefault(program_id)
        for program_id in rule.programs:
            program_ids.setdefault(program_id)
        for resource_id in rule.resources:
            resource_ids.setdefault(resource_id)
        for letter_id in rule.letters:
            if letter_id not in letters:
                letters[letter_id] = Letter(id=letter_id,
                                            title=tr.gettext(book.letters[letter_id].title),
                                            why=tr.gettext(rule.why))
        warnings.extend(context.render(text) for text in rule.warnings)

    placed.sort(key=lambda item: item[:3])
    steps = [item[3] for item in placed]
    deadlines = [Deadline(id=step.id, title=context.deadline_title(compiled, rule, step),
                          date=step.deadline, source=step.sources[0],
                          kind=step.deadline_kind or "appeal", opens=step.deadline_opens,
                          passed=step.deadline_passed)
                 for _o, _r, _p, step, compiled, rule in placed if step.deadline is not None]
    # Open deadlines first, soonest first; those already passed after them.
    deadlines.sort(key=lambda d: (d.passed is not None, d.date))
    programs = [context.program(program_id) for program_id in program_ids]
    order = {True: 0, "maybe": 1, False: 2}
    programs.sort(key=lambda p: order[p.eligible])
    # An urgent step points to the programs that can help now: those not ruled out or closed,
    # the likely ones first.
    usable = [p.id for p in programs if p.eligible is not False and p.status != "closed"]
    steps = [_with_programs(step, compiled, usable) if compiled.urgent else step
             for step, compiled in zip(steps, (item[4] for item in placed), strict=True)]
    return Plan(
        rules_version=book.version, reviewed=book.reviewed, as_of=as_of,
        fpl_percent=facts["fpl_percent"], steps=steps, programs=programs,
        coverage_route=cast(CoverageRoute, route),      # the rule schema allows only these
        resources=[context.resource(resource_id) for resource_id in resource_ids],
        letters=list(letters.values()), deadlines=deadlines, warnings=list(dict.fromkeys(warnings)),
        trace=[rule.id for rule in fired])


def _with_programs(step: Step, compiled: CompiledStep, usable: list[str]) -> Step:
    wanted = set(compiled.program_ids)
    programs = [p for p in usable if p in wanted]
    return memo.derived(("urgent", *programs), step, lambda: step.model_copy(
        update={"urgent": True, "programs": programs}))


class _Context:
    """What one evaluation renders with: answers, the state and pump entries, parameters."""

    def __init__(self, answers: dict, facts: dict, as_of: date, book: RuleBook,
                 tr: RulesTranslation):
        self.tr = tr
        self.facts = facts
        self.as_of = as_of
        self.book = book
        self.state = book.states[answers["state"]]
        self.pump = book.pumps.get(answers["pump_wanted"])
        self.values = {
            "answers": facts,
            "state": book.state_dicts[answers["state"]],
            "pump": book.pump_dicts.get(answers["pump_wanted"]),
            "param": _Parameters(book, as_of),
            "param_next_year": _Parameters(book, date(as_of.year + 1, 1, 1), since=as_of),
            "fpl_percent": facts["fpl_percent"],
            "_format": self._format,
        }
        # What every step output of this plan is built from besides its own answers (memo.py).
        self.coverages = person_coverages(facts)
        self.shape = ("step", book.version, tr, as_of, self.coverages)

    def _format(self, placeholder: Placeholder, value: Any) -> str:
        if placeholder.root == "fpl_percent":
            return f"{value:g}%"
        if placeholder.root in PARAMETER_ROOTS:
            unit = self._parameter_spec(placeholder.path).unit
            if unit.startswith("USD"):
                return usd(value)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, bool):
            return self.tr.gettext(N_("yes") if value else N_("no"))
        if isinstance(value, date):
            return format_date(value, self.tr.lang)
        if isinstance(value, list):
            return ", ".join(map(str, value))
        if isinstance(value, str):          # a state file's words (e.g. when counting starts)
            return self.tr.gettext(value)
        return str(value)

    def render(self, text: Text) -> str:
        """The text in the plan's language, its placeholders filled after translation."""
        return self.tr.text(text).render(self.values)

    def source(self, source_id: str) -> Source:
        return self.book.source_output(source_id)

    def step(self, rule: CompiledRule, step: CompiledStep) -> Step:
        """The step's output, shared by the plans that give it the same inputs (memo.py): the
        same plan date and coverages, and the same state, pump and facts where it reads them."""
        inputs = memo.shared(("inputs", self.book.version, self.tr, rule.id, step.id),
                             lambda: _step_inputs(step, self.tr, self.book.sources))
        if inputs is None:
            return self._build_step(rule, step)
        facts = self.facts
        key = (self.shape, rule.id, step.id, inputs.state and facts["state"],
               inputs.pump and facts["pump_wanted"], *(facts.get(name) for name in inputs.facts))
        return memo.shared(key, lambda: self._build_step(rule, step))

    def _build_step(self, rule: CompiledRule, step: CompiledStep) -> Step:
        contacts = []
        for contact in step.contacts:
            name = self.render(contact.name)
            phone = self.render(contact.phone) if contact.phone else ""
            url = self.render(contact.url) if contact.url else ""
            if name and (phone or url):
                contacts.append(Contact(name=name, phone=phone or None, url=url or None))
        due = self.deadline(step.deadline) if step.deadline else None
        source_ids = self._source_ids(step)
        return Step(
            id=step.id, rule_id=rule.id, title=self.render(step.title),
            detail=_tidy(self.render(step.detail)), why=self.tr.gettext(rule.why),
            sources=[self.source(s) for s in source_ids],
            deadline=due.day if due else None,
            deadline_kind=cast(DeadlineKind, due.kind) if due else None,
            deadline_opens=due.opens if due else None,
            deadline_passed=due.passed if due else None,
            contacts=contacts, documents=[self.render(d) for d in step.documents],
            confirm=self.confirm(step, source_ids))

    def deadline_title(self, compiled: CompiledStep, rule: CompiledRule, step: Step) -> str:
        spec = compiled.deadline
        return self.render(spec.title) if spec is not None and spec.title else step.title

    def _source_ids(self, step: CompiledStep) -> tuple[str, ...]:
        """The step's sources that speak for this person's coverage, state and pump."""
        ids = step.all_source_ids
        if step.state_sources:
            ids = tuple(dict.fromkeys(
                (*ids, *state_source_ids(self.state, step.state_sources, self.book.sources))))
        facts = self.facts
        has = tuple(dict.fromkeys((*self.coverages, *step.speaks_for)))
        return tuple(s for s in ids
                     if fits(self.book.sources[s], has, facts["state"], facts["pump_wanted"]))

    def confirm(self, step: CompiledStep, source_ids: tuple[str, ...]) -> str | None:
        """A note naming each fact of the step that is not confirmed in an official source."""
        texts = self.book.texts.confirm
        t = self.tr.gettext
        facts = [self._fact_label(p) for p in step.checked_placeholders if self._unverified(p)]
        for source_id in source_ids:
            spec = self.book.sources[source_id]
            if not spec.verified:
                facts.append(t(spec.claim) if spec.claim
                             else t(texts.source).format(source=f"“{spec.title}”"))
        if not facts:
            return None
        who = self.render(step.confirm_with) if step.confirm_with else t(texts.default_who)
        listed = texts.separator.join(dict.fromkeys(facts))
        return f"{t(texts.lead).format(facts=listed)} {t(texts.ask).format(who=who)}"

    def _fact_label(self, placeholder: Placeholder) -> str:
        dotted = ".".join(placeholder.path)
        texts = self.book.texts
        t = self.tr.gettext
        if placeholder.root in PARAMETER_ROOTS:
            return t(self._parameter_spec(placeholder.path).label)
        if placeholder.root == "state":
            label = texts.state_fields.get(dotted)
            owner = self.state.name
            return t(label).format(state=owner) if label else t(texts.field_fallback).format(
                owner=owner, field=dotted.replace("_", " "))
        owner = self.pump.name if self.pump else ""
        label = texts.pump_fields.get(dotted)
        return t(label).format(pump=owner) if label else t(texts.field_fallback).format(
            owner=owner, field=dotted.replace("_", " "))

    def _unverified(self, placeholder: Placeholder) -> bool:
        dotted = ".".join(placeholder.path)
        if placeholder.root == "state":
            return dotted in self.state.unverified and lookup(placeholder, self.values) is not None
        if placeholder.root == "pump":
            return self.pump is not None and dotted in self.pump.unverified
        if placeholder.root in PARAMETER_ROOTS:
            return not self._parameter_spec(placeholder.path).verified
        return False

    def _parameter_spec(self, path: tuple[str, ...]):
        """The parameter a {param.…} placeholder names; the last key may be a table's entry."""
        name = ".".join(path)
        return self.book.parameters.get(name) or self.book.parameters[".".join(path[:-1])]

    def deadline(self, spec: CompiledDeadline) -> _Due | None:
        """The step's date on this plan date, or None when the case has no date to count from
        (no denial, no birth date) or a policy date is already in force."""
        if spec.window is not None:
            window = marketplace_window(self.state, spec.window) if spec.state_window else spec.window
            if window is None:
                return None
            opens, closes = next_window(self.book, window, self.as_of)
            return _Due(closes, "window", opens if opens > self.as_of else None)
        if spec.change is not None:
            day = self.book.parameter(spec.change, self.as_of)
            if spec.day_before:
                day -= timedelta(days=1)
            return _Due(day, "change") if day >= self.as_of else None
        if spec.start == "medicare_start":
            start, kind = self.facts.get("medicare_start_date"), "timeline"
        else:
            start, kind = self.facts.get("denial_date"), "appeal"
        if start is None:
            return None
        day = self._counted(spec, start)
        passed = None
        if day < self.as_of:
            passed = (self.render(spec.if_passed) if spec.if_passed
                      else self.tr.gettext(PASSED_DEFAULT[kind]))
        return _Due(day, kind, None, passed)

    def _counted(self, spec: CompiledDeadline, start: date) -> date:
        if spec.days is not None:
            return start + timedelta(days=spec.days)
        if spec.months is not None:
            return add_months(start, spec.months)
        if spec.state_path is not None:
            section: Any = self.state
            for key in spec.state_path[:-1]:
                section = getattr(section, key, None)
            # A state section may give its window in calendar months or in days: a path ending in
            # "months" (external_review.months, chip.external_review_months) falls back to the
            # matching "days" field.
            last = spec.state_path[-1]
            months = getattr(section, last, None) if last.endswith("months") else None
            if months is not None:
                return add_months(start, months)
            days = getattr(section, last[:-len("months")] + "days" if last.endswith("months") else last, None)
            if days is not None:
                return start + timedelta(days=days)
            return self._from_parameter(spec.default_parameter, start)
        return self._from_parameter(spec.parameter, start)

    def _from_parameter(self, name: str | None, start: date) -> date:
        if name is None:     # the rules check requires a parameter where this is reached
            raise ValueError("a deadline without a parameter")
        value = self.book.parameter(name, start)
        if self.book.parameters[name].unit == "months":
            return add_months(start, int(value))
        return start + timedelta(days=int(value))

    def program(self, program_id: str) -> Program:
        """The program's output: its assessment is memoised as a decision over the facts it
        reads, and plans share Program objects (frozen): memo.py says why."""
        spec = self.book.programs[program_id]
        return memo.decided(("assess", self.book.version, self.tr, program_id), self.facts,
                            lambda facts: self._assessed(spec, facts))

    def _assessed(self, spec, facts) -> Program:
        eligible, reason = assess(spec, facts, self.book.pump_names, self.book.cgms,
                                  self.book.program_reasons, coverages=self.book.coverages,
                                  tr=self.tr)
        return memo.shared(("program", self.book.version, self.tr, spec.id, eligible, reason),
                           lambda: self._build_program(spec, eligible, reason))

    def _build_program(self, spec, eligible, reason) -> Program:
        apply = spec.how_to_apply
        contact = None
        if apply.phone or apply.url:
            contact = Contact(name=spec.sponsor, phone=apply.phone, url=apply.url)
        return Program(
            id=spec.id, name=spec.name, sponsor=spec.sponsor, kind=spec.kind,
            covers=list(spec.covers), eligible=eligible, reason=reason,
            how_to_apply=self.tr.gettext(apply.text),
            contact=contact, sources=[self.source(s) for s in spec.sources], verified=spec.verified,
            status=spec.status)

    def resource(self, resource_id: str) -> Resource:
        return memo.shared(("resource", self.book.version, self.tr, resource_id),
                           lambda: self._build_resource(resource_id))

    def _build_resource(self, resource_id: str) -> Resource:
        spec = self.book.resources[resource_id]
        contact = None
        if spec.phone or spec.url:
            contact = Contact(name=spec.sponsor, phone=spec.phone, url=spec.url)
        return Resource(id=spec.id, name=spec.name, sponsor=spec.sponsor,
                        what=self.tr.gettext(spec.what),
                        contact=contact, sources=[self.source(s) for s in spec.sources],
                        verified=spec.verified)


@dataclass(frozen=True)
class _StepInputs:
    """What a step's output reads of its person, besides the plan date and the coverages every
    step's sources are chosen by: the state, the pump, and the facts its placeholders name."""
    state: bool
    pump: bool
    facts: tuple[str, ...]


def _step_inputs(step: CompiledStep, tr: RulesTranslation,
                 sources: dict[str, Any]) -> _StepInputs | None:
    """What the step's output reads, in the plan's language (a translation may word a
    placeholder differently); None when that cannot be told, and the step is then built for
    every plan. {param.…} and {param_next_year.…} values follow from the plan date. (A new
    way for a step to read the person must be added here: tests/test_engine_memo.py and
    scripts/plan_fingerprints.py compare plans made with and without the memo.)"""
    texts = [step.title, step.detail, *step.documents, step.confirm_with]
    for contact in step.contacts:
        texts += [contact.name, contact.phone, contact.url]
    cited = [sources[s] for s in step.all_source_ids]
    state = bool(step.state_sources) or any(spec.states is not None for spec in cited)
    pump = any(spec.pumps is not None for spec in cited)
    facts: dict[str, None] = {}
    deadline = step.deadline
    if deadline is not None:
        texts.append(deadline.if_passed)
        state = state or deadline.state_path is not None or deadline.state_window
        if deadline.window is None and deadline.change is None:   # counted from a person's date
            facts["medicare_start_date" if deadline.start == "medicare_start" else "denial_date"] = None
    placeholders = [*step.checked_placeholders]
    for text in texts:
        if text is not None:
            placeholders += [*text.placeholders, *tr.text(text).placeholders]
    for placeholder in placeholders:
        if placeholder.root == "state":
            state = True
        elif placeholder.root == "pump":
            pump = True
        elif placeholder.root == "fpl_percent":
            facts["fpl_percent"] = None
        elif placeholder.root == "answers" and placeholder.path and (
                placeholder.path[0] in FACT_TYPES):         # a single value, so a key part
            facts[placeholder.path[0]] = None
        elif placeholder.root not in PARAMETER_ROOTS:
            return None
    return _StepInputs(state, pump, tuple(facts))


@dataclass(frozen=True)
class _Due:
    day: date
    kind: str
    opens: date | None = None
    passed: str | None = None


class _Parameters:
    """`{param.a.b}` looks up a.b on the plan date; nested dict access goes a key at a time.
    With `since` (`{param_next_year.a.b}`) only a value dated after `since` counts: a value
    merely carried over from this year is not next year's figure, so the text's default shows."""

    def __init__(self, book: RuleBook, on: date, prefix: str = "", since: date | None = None):
        self._book, self._on, self._prefix, self._since = book, on, prefix, since

    def get(self, key: str) -> Any:
        name = f"{self._prefix}.{key}" if self._prefix else key
        if name in self._book.parameters:
            if self._since is not None and not any(
                    self._since < day <= self._on for day in self._book.parameters[name].values):
                return None
            return self._book.parameter(name, self._on)
        return _Parameters(self._book, self._on, name, self._since)


def add_months(start: date, months: int) -> date:
    """Calendar months; when the day does not exist, the first day of the following month
    (the federal external-review rule)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    if start.day > calendar.monthrange(year, month)[1]:
        return date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, start.day)


_SPACES = re.compile(r"(?<=\S) {2,}(?=\S)")


def _tidy(text: str) -> str:
    """A step's detail without the double spaces an optional placeholder leaves when empty
    (`... {state.emergency_insulin_refill.how_often|} ...`)."""
    return _SPACES.sub(" ", text).rstrip()
