"""Choosing a pump: every pump of the catalogue, filtered and ordered by the family's answers
(/pumps), two or three side by side with a first-year out-of-pocket estimate (/pumps/compare).

Thin routes over navigator.services.pumps. Both pages are GET forms: the filters and the plan
numbers live in the address, so nothing is stored and the page works without JavaScript.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup

from navigator import clock, db, i18n, rulebook
from navigator.engine.answers import FIELDS
from navigator.extensions import current_language
from navigator.i18n import N_
from navigator.questionnaire.forms import data_text
from navigator.services import pumps as service
from navigator.web.session_case import case_to_read

bp = Blueprint("pumps", __name__)

MAX_COMPARED = 3
MONEY_LIMIT = 1_000_000
DIABETES_CHOICES = ("type1", "type2", "other")
CHANNEL_CHOICES = ("dme", "pharmacy")


@dataclass
class FormInput:
    """The query string read as a form: typed values kept as typed, one message per bad field."""
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str:
        value = request.args.get(name, "").strip()[:40]
        self.values[name] = value
        return value

    def number(self, name: str, label: str, low: float, high: float, example: str,
               whole: bool = False) -> float | None:
        text = self.text(name).replace(",", "").removeprefix("$").removesuffix("%").strip()
        if not text:
            return None
        if not re.fullmatch(r"\d+(\.\d{1,2})?", text) or not low <= float(text) <= high \
                or (whole and not float(text).is_integer()):
            self.errors[name] = _("%(label)s must be a number from %(low)s to %(high)s, such as "
                                  "%(example)s", label=label, low=f"{low:g}", high=f"{high:,.0f}",
                                  example=example)
            return None
        return float(text)

    def choice(self, name: str, label: str, allowed: tuple[str, ...] | list[str]) -> str | None:
        value = self.text(name)
        if not value:
            return None
        if value not in allowed:
            self.errors[name] = _("%(label)s must be one of the choices listed", label=label)
            return None
        return value


MEDICARE_ROUTE_LABELS = {
    "part_b_dme": N_("Medicare Part B, as medical equipment (DME)"),
    "part_d": N_("Medicare Part D, the drug plan, through a pharmacy"),
}
DIABETES_LABELS = {"type1": N_("type 1"), "type2": N_("type 2"), "other": N_("other types")}


def _sentence(text: str) -> str:
    """First letter in capitals, the rest as written (DME, TRICARE stay as they are)."""
    return text[:1].upper() + text[1:]


@bp.app_template_filter("channel_label")
def channel_label(channel: str) -> str:
    return _sentence(_(service.CHANNEL_LABELS[channel]))


@bp.app_template_global("fact_text")
def fact_text(pump, field: str) -> str:
    """One fact of a pump in plain words; empty when no source gives it."""
    value = getattr(pump, field)
    if not pump.is_known(field):
        return ""
    if isinstance(value, bool):
        if field == "tubed":
            return _("Tubed: insulin goes through tubing") if value else _("Tubeless: a patch on the skin")
        return _("Yes") if value else _("No")
    if field in ("channel", "other_channels"):
        values = value if isinstance(value, list) else [value]
        return "; ".join(channel_label(v) for v in values)
    if field == "channel_by_coverage":
        labels = rulebook.current().coverages
        return "; ".join(f"{_sentence(labels[c].label)}: {_(service.CHANNEL_LABELS[v])}"
                         for c, v in value.items())
    if field == "medicare_route":
        return _(MEDICARE_ROUTE_LABELS[value])
    if field == "reservoir_units":
        return _("%(units)s units", units=value)
    if field in ("min_age_years", "type2_min_age_years"):
        return _("%(age)s and older", age=f"{value:g}")
    if field == "warranty_years":
        return _("%(years)s years", years=f"{value:g}")
    if field == "diabetes_types":
        return _sentence(", ".join(_(DIABETES_LABELS[v]) for v in value))
    if isinstance(value, list):
        text = ", ".join(value)         # names (sensors, insulins), as their makers write them
    else:
        # The catalogue's own descriptions (water rating, controls, alarms, ...) are rule texts.
        text = str(value)
        said = data_text(text)
        if said != text:
            return said
    if current_language() != i18n.DEFAULT_LANGUAGE:
        # Not in the rules' catalogue: in English as its sources give it, and marked so
        # (WCAG 3.1.2) on a page in another language.
        return Markup('<span lang="en">{}</span>').format(text)
    return text


def _case_answers() -> dict[str, Any]:
    case = case_to_read()
    return dict(case.answers or {}) if case else {}


def _filters(form: FormInput, answers: dict[str, Any]) -> service.Filters:
    """The filters from the form; a field left out of the address falls back on the answers."""
    book = rulebook.current()
    defaults = service.filters_from_answers(answers, book)
    given = request.args.get("filtered") == "1"
    channel = form.choice("channel", _("How your plan pays for pumps"), CHANNEL_CHOICES)
    age = form.number("age", _("Age"), 0, 120, "8", whole=True)
    kind = form.choice("diabetes_type", _("Diabetes type"), DIABETES_CHOICES)
    cgm = form.choice("cgm", _("CGM in use"), list(service.known_cgms(book)))
    if not given:
        age = defaults.age if age is None else age
        kind = kind or defaults.diabetes_type
        cgm = cgm or defaults.cgm
        form.values.update({"age": "" if age is None else f"{age:g}", "diabetes_type": kind or "",
                            "cgm": cgm or ""})
    return service.Filters(coverage=defaults.coverage, channel=channel,
                           age=None if age is None else int(age), diabetes_type=kind, cgm=cgm)


def _back_link(answers: dict[str, Any]) -> str | None:
    """The question page the person came from (only a page of the questionnaire), or, for a case
    still undecided, the pump question."""
    from navigator.web.questionnaire import page_url, questionnaire

    wanted = request.args.get("back") or (
        "pump_wanted" if answers.get("pump_wanted") == "undecided" else None)
    if wanted not in FIELDS:
        return None
    page = next((p for p in questionnaire().pages if any(q.field == wanted for q in p.questions)),
                None)
    return page_url(page, change=request.args.get("change") == "1") if page else None


@bp.get("/pumps")
@db.reads_only
def index():
    book = rulebook.current()
    answers = _case_answers()
    form = FormInput()
    filters = _filters(form, answers)
    lang = current_language()
    cgm_names = service.known_cgms(book, lang)
    matches = service.choose(book, filters, lang)
    return render_template(
        "pumps/index.html", form=form, filters=filters, has_case=bool(answers),
        described=service.describe_filters(filters, cgm_names, lang), cgm_names=cgm_names,
        suitable=[m for m in matches if m.suitable], others=[m for m in matches if not m.suitable],
        back_url=_back_link(answers), back=request.args.get("back", "")[:40],
        book=book), 400 if form.errors else 200


def _compared_ids(form: FormInput, known: list[str]) -> list[str]:
    raw = [part for value in request.args.getlist("ids") for part in value.split(",")]
    ids = list(dict.fromkeys(part.strip() for part in raw if part.strip()))[:10]
    form.values["ids"] = ",".join(ids)[:200]
    unknown = [pump_id for pump_id in ids if pump_id not in known]
    if unknown:
        form.errors["ids"] = _("Choose pumps from the list: %(ids)s is not one of them",
                               ids=", ".join(unknown[:3]))
    elif not 2 <= len(ids) <= MAX_COMPARED:
        form.errors["ids"] = _("Choose two or three pumps to compare (you chose %(count)s)",
                               count=len(ids))
    return [pump_id for pump_id in ids if pump_id in known][:MAX_COMPARED]


def _plan_numbers(form: FormInput) -> service.PlanNumbers:
    money = lambda name, label, example: form.number(name, label, 0, MONEY_LIMIT, example)
    percent = lambda name, label: form.number(name, label, 0, 100, "20")
    return service.PlanNumbers(
        deductible_left=money("deductible_left", _("Deductible left this year"), "1500"),
        dme_coinsurance=percent("dme_coinsurance", _("Coinsurance for medical equipment (DME)")),
        pharmacy_copay=money("pharmacy_copay", _("Pharmacy copay for a 30-day fill"), "50"),
        pharmacy_coinsurance=percent("pharmacy_coinsurance", _("Pharmacy coinsurance")),
        oop_max_left=money("oop_max_left", _("Out-of-pocket maximum left this year"), "4000"),
    )


@bp.get("/pumps/compare")
@db.reads_only
def compare():
    book = rulebook.current()
    answers = _case_answers()
    form = FormInput()
    ids = _compared_ids(form, list(book.pumps))
    numbers = _plan_numbers(form)
    coverage = answers.get("coverage")
    today = clock.today_for(answers, book)
    columns = [(book.pumps[pump_id],
                service.estimates_for(book.pumps[pump_id], numbers, book, coverage, today,
                                      current_language()))
               for pump_id in ids]
    if form.errors:
        current_app.logger.info("pump comparison: invalid fields %s", ", ".join(form.errors))
    return render_template(
        "pumps/compare.html", form=form, columns=columns, numbers=numbers, coverage=coverage,
        has_case=bool(answers), book=book, back=request.args.get("back", "")[:40],
        channel_labels=service.route_labels(coverage, current_language())), \
        400 if form.errors else 200
