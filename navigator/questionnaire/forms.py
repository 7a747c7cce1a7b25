"""WTForms forms built from the questionnaire data: one form class per page.

Every field keeps what the person typed, so a page with an error shows their input again.
A validated field carries `.answer`: the value in the answers contract's type.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import NumberInput, TextInput

from navigator.engine.answers import FIELDS, ValueProblem, parse_typed
from navigator.questionnaire import Page, Question

UNSAID = "prefer_not"          # the radio value meaning "prefer not to say" / "not sure"
PREFER_NOT_SUFFIX = "_prefer_not"
MAX_TYPED_LENGTH = 40          # numbers, money and dates: anything longer is a mistake


def data_text(text: str) -> str:
    """Words from the questions file in the request's language: the rules' catalogue (the
    `rules` domain, navigator/translations/<lang>/LC_MESSAGES/rules.po), else the app's own."""
    from navigator.engine.rules_i18n import translations
    from navigator.extensions import select_locale

    rules_text = translations(select_locale())
    return rules_text.gettext(text) if text in rules_text else gettext(text)


def _allowed_numbers(spec) -> str:
    """"Age must be a whole number from 0 to 120", in the request's language."""
    label = gettext(spec.label)
    low, high = (None if bound is None else str(int(bound)) if float(bound).is_integer()
                 else str(bound) for bound in (spec.minimum, spec.maximum))
    if spec.kind == "int":
        if high is None:
            return gettext("%(label)s must be a whole number of at least %(low)s", label=label,
                           low=low)
        return gettext("%(label)s must be a whole number from %(low)s to %(high)s", label=label,
                       low=low, high=high)
    if high is None:
        return gettext("%(label)s must be a number of at least %(low)s", label=label, low=low)
    return gettext("%(label)s must be a number from %(low)s to %(high)s", label=label, low=low,
                   high=high)


def _say(message: str) -> str:
    """A message of the engine (a Phrase) in the request's language."""
    from navigator.extensions import select_locale
    from navigator.i18n import say

    return say(select_locale(), message)


def token_for(value: Any) -> str:
    """The form value of an answer: booleans as true/false, null as UNSAID."""
    if value is None:
        return UNSAID
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class AnswerCheck:
    """Turns the submitted text into the contract's value, or fails with a message that says
    what to do and names the field."""

    def __init__(self, question: Question, as_of: date):
        self.question = question
        self.as_of = as_of

    def __call__(self, form: FlaskForm, field) -> None:
        question = self.question
        raw = (field.data or "").strip() if isinstance(field.data, str) else field.data
        prefer_not = getattr(form, question.field + PREFER_NOT_SUFFIX, None)
        if prefer_not is not None and prefer_not.data:
            field.answer = None
            return
        if isinstance(raw, str) and len(raw) > MAX_TYPED_LENGTH:
            raise ValidationError(gettext(
                "%(label)s is too long: type at most %(count)s characters",
                label=gettext(FIELDS[question.field].label), count=MAX_TYPED_LENGTH))
        if raw in ("", None):
            if question.spec.optional:
                field.answer = None
                return
            raise ValidationError(data_text(question.spec.error))
        if question.kind in ("enum", "bool"):
            field.answer = self._choice(raw)
        elif question.kind == "date":
            field.answer = self._date(raw)
        else:
            field.answer = self._number(raw)

    def _choice(self, raw: str) -> Any:
        if raw == UNSAID and self.question.spec.prefer_not_label:
            return None
        for option in self.question.spec.options:
            if token_for(option.value) == raw:
                return option.value
        raise ValidationError(data_text(self.question.spec.error))

    # Numbers, money and dates are parsed and checked by the answers contract (parse_typed),
    # exactly as a JSON answer is; only the wording of its refusal is chosen here.
    def _number(self, raw: str) -> int | float:
        spec = FIELDS[self.question.field]
        try:
            return parse_typed(spec.name, raw, self.as_of, money=self.question.widget == "money")
        except ValueProblem:
            raise ValidationError(_allowed_numbers(spec)) from None

    def _date(self, raw: str) -> str:
        spec = FIELDS[self.question.field]
        label = gettext(spec.label)
        try:
            return parse_typed(spec.name, raw, self.as_of)
        except ValueProblem as problem:
            if problem.reason == "after_plan_date":
                message = gettext("%(label)s must be today or in the past", label=label)
            elif problem.reason == "before_earliest":
                message = gettext("%(label)s must be in %(year)s or later", label=label,
                                  year=spec.earliest_year)
            else:
                message = gettext("%(label)s %(problem)s", label=label,
                                  problem=_say(problem.args[0]))
            raise ValidationError(message) from None


def _make_field(question: Question, as_of: date):
    spec = question.spec
    check = [AnswerCheck(question, as_of)]
    label = data_text(spec.question)
    if question.widget in ("radios", "select"):
        choices = [SelectChoice(token_for(o.value), data_text(o.label)) for o in spec.options]
        if spec.prefer_not_label:
            choices.append(SelectChoice(UNSAID, data_text(spec.prefer_not_label)))
        field_class = RadioField if question.widget == "radios" else SelectField
        if field_class is SelectField:
            choices.insert(0, SelectChoice("", gettext("Select one")))
        return field_class(label, choices=choices, validators=check, validate_choice=False)
    if question.widget == "date":
        # A text box, not the browser's date picker: a picker blanks a date it cannot read
        # (02/30/2026) and the person is told nothing was typed.
        return StringField(label, validators=check, widget=TextInput(),
                           render_kw={"maxlength": MAX_TYPED_LENGTH, "inputmode": "numeric",
                                      "autocomplete": "off", "spellcheck": "false"})
    if question.widget == "money":
        return StringField(label, validators=check, widget=TextInput(),
                           render_kw={"inputmode": "decimal", "spellcheck": "false",
                                      "maxlength": MAX_TYPED_LENGTH})
    step = "1" if question.kind == "int" else "any"
    return StringField(label, validators=check, widget=NumberInput(step=step),
                       render_kw={"inputmode": "numeric" if step == "1" else "decimal",
                                  "maxlength": MAX_TYPED_LENGTH})


def build_form(page: Page, answers: dict[str, Any], as_of: date, formdata=None,
               csrf: bool = True) -> FlaskForm:
    """The form for the questions of `page` shown for these answers, filled with them.
    csrf=False only for a submission whose CSRF token was already checked."""

    class PageForm(FlaskForm):
        pass

    questions = page.visible_questions(answers)
    initial: dict[str, Any] = {}
    for question in questions:
        setattr(PageForm, question.field, _make_field(question, as_of))
        if question.widget == "money" and question.spec.prefer_not_label:
            setattr(PageForm, question.field + PREFER_NOT_SUFFIX,
                    BooleanField(data_text(question.spec.prefer_not_label)))
        if question.field in answers:
            initial.update(_initial(question, answers[question.field]))
    form = PageForm(formdata=formdata, data=initial, **({} if csrf else {"meta": {"csrf": False}}))
    form.questions = questions
    return form


def _initial(question: Question, value: Any) -> dict[str, Any]:
    if question.widget == "money" and question.spec.prefer_not_label:
        if value is None:
            return {question.field + PREFER_NOT_SUFFIX: True}
        return {question.field: _plain_number(value)}
    if question.widget in ("radios", "select"):
        return {question.field: token_for(value)}
    if value is None:
        return {}
    if question.widget == "date":
        return {question.field: date.fromisoformat(value).strftime("%m/%d/%Y")}
    return {question.field: _plain_number(value) if isinstance(value, (int, float)) else value}


def _plain_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def form_answers(form: FlaskForm) -> dict[str, Any]:
    """The validated answers of a page form, in the contract's types."""
    return {q.field: getattr(form, q.field).answer for q in form.questions}
