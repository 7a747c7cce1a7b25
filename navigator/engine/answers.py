"""The answers contract: the typed input of the plan engine.

The questionnaire, the JSON API and the CLI all produce this object. `validate_answers` returns
the normalised answers or one error per field (the field's name and what is allowed); it never
raises on bad input. Fields that do not apply (an employer-plan question for a Medicare user)
are dropped, so a plan never depends on a stale answer.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from navigator.engine.loader import RuleBook

from navigator.engine.datetext import DateTextError, parse_date_text
from navigator.i18n import N_, Phrase
from navigator.textformat import US_TIME_ZONES

STATES = (
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY",
)
COVERAGES = ("employer", "marketplace", "individual", "medicare_original", "medicare_advantage",
             "medicaid", "chip", "tricare", "va", "ihs", "uninsured")
MEDICARE = ("medicare_original", "medicare_advantage")
PRIVATE = ("employer", "marketplace", "individual")
# The pumps themselves come from rules/pumps.yaml; this is the answer for "not chosen yet".
UNDECIDED = "undecided"
YES_NO_UNKNOWN = ("yes", "no", "unknown")
# Coverage a Medicare user may have besides Medicare (Medicaid is asked apart: also_medicaid).
OTHER_COVERAGE = ("none", "employer_current", "employer_retiree", "cobra", "tricare_for_life", "va",
                  "unknown")
MEDICARE_SAVINGS_PROGRAMS = ("qmb", "slmb", "qi", "none", "unknown")
DRUG_COVERAGE = ("standalone", "medicare_advantage", "employer_retiree", "none", "unknown")
DISABILITY_BENEFITS = ("ssdi", "ssi", "ssdi_and_ssi", "none", "unknown")
# The reasons a denial notice gives, in the words families find on it (issue 13 item 7).
DENIAL_REASONS = ("missing_records", "not_medically_necessary", "lab_test", "not_on_formulary",
                  "out_of_network", "no_prior_authorization", "too_soon_to_replace",
                  "not_a_covered_benefit", "other", "unknown")
# The CGM in use (names and pump compatibility in rules/cgms.yaml).
CGMS = ("dexcom_g6", "dexcom_g7", "libre_2_plus", "libre_3_plus", "libre_other", "medtronic",
        "eversense", "other")
IMMIGRATION_STATUSES = ("citizen", "lpr_or_equivalent", "humanitarian", "other_lawful", "daca",
                        "no_lawful_status")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str                      # enum | int | number | bool | date
    allowed: tuple = ()            # enum values
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False         # null is a real answer ("prefer not to say")
    required: Callable[[dict], bool] | None = None   # None = optional
    applies: Callable[[dict], bool] = field(default=lambda a: True)
    label: str = ""
    earliest_year: int = 1990      # dates: the first year allowed
    pump_choice: bool = False      # the pump ids of the rules' catalogue are allowed as well

    def choices(self, pump_ids: tuple[str, ...] = ()) -> tuple:
        """The enum values allowed, given the pump ids of the rules in use."""
        return (*pump_ids, *self.allowed) if self.pump_choice else self.allowed

    def describe(self, pump_ids: tuple[str, ...] = ()) -> str:
        """What is allowed, in words, for error messages."""
        if self.kind == "enum":
            return "one of: " + ", ".join(self.choices(pump_ids))
        if self.kind == "bool":
            return "true or false"
        if self.kind == "date":
            return "a date as YYYY-MM-DD, not after the plan date"
        low, high = _plain(self.minimum), _plain(self.maximum)
        noun = "a whole number" if self.kind == "int" else "a number"
        text = f"{noun} from {low} to {high}" if high is not None else f"{noun} of at least {low}"
        return text + (", or null for prefer not to say" if self.nullable else "")


def _plain(value: float | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else str(value)


def _always(_a: dict) -> bool:
    return True


def _coverage_in(*values: str) -> Callable[[dict], bool]:
    def applies(a: dict) -> bool:
        return a.get("coverage") in values
    # Read by the rules check: the field is always empty for any other coverage.
    applies.coverages = frozenset(values)  # type: ignore[attr-defined]
    return applies


FIELDS: dict[str, FieldSpec] = {spec.name: spec for spec in (
    FieldSpec("state", "enum", STATES, required=_always, label=N_("State")),
    FieldSpec("age", "int", minimum=0, maximum=120, required=_always, label=N_("Age")),
    FieldSpec("diabetes_type", "enum", ("type1", "type2", "other"), required=_always,
              label=N_("Diabetes type")),
    FieldSpec("coverage", "enum", COVERAGES, required=_always, label=N_("Coverage")),
    FieldSpec("employer_plan_funding", "enum",
              ("fully_insured", "self_funded", "government", "unknown"),
              required=_coverage_in("employer"), applies=_coverage_in("employer"),
              label=N_("Employer plan funding")),
    FieldSpec("medigap", "bool", required=_coverage_in("medicare_original"),
              applies=_coverage_in("medicare_original"), label=N_("Medigap")),
    FieldSpec("also_medicaid", "bool", required=_coverage_in(*MEDICARE, *PRIVATE),
              applies=_coverage_in(*MEDICARE, *PRIVATE), label=N_("Also has Medicaid")),
    # Medicare: other coverage, help with Medicare costs, drug plan (optional: families may not know).
    FieldSpec("other_coverage", "enum", OTHER_COVERAGE, nullable=True,
              applies=_coverage_in(*MEDICARE), label=N_("Other coverage besides Medicare")),
    FieldSpec("medicare_savings_program", "enum", MEDICARE_SAVINGS_PROGRAMS, nullable=True,
              applies=_coverage_in(*MEDICARE), label=N_("Medicare Savings Program (QMB, SLMB, QI)")),
    FieldSpec("extra_help", "enum", YES_NO_UNKNOWN, nullable=True,
              applies=_coverage_in(*MEDICARE), label=N_("Extra Help with Medicare drug costs")),
    FieldSpec("part_d_plan", "enum", DRUG_COVERAGE, nullable=True,
              applies=_coverage_in(*MEDICARE), label=N_("Medicare drug coverage in use")),
    FieldSpec("savings", "number", minimum=0, maximum=100_000_000, nullable=True,
              applies=_coverage_in(*MEDICARE), label=N_("Savings and other countable resources")),
    # Counted only under the Medicare age (parameter medicare.entitlement_age, read in facts.derive);
    # the questionnaire asks it only then.
    FieldSpec("disability_benefit", "enum", DISABILITY_BENEFITS, nullable=True,
              label=N_("Social Security disability benefits (SSDI or SSI)")),
    FieldSpec("household_size", "int", minimum=1, maximum=20, required=_always,
              label=N_("Household size")),
    FieldSpec("annual_income", "number", minimum=0, maximum=100_000_000, nullable=True,
              required=_always, label=N_("Household income")),
    FieldSpec("current_therapy", "enum", ("injections", "pump", "none"), required=_always,
              label=N_("Current therapy")),
    FieldSpec("current_pump_years", "number", minimum=0, maximum=30,
              required=lambda a: a.get("current_therapy") == "pump",
              applies=lambda a: a.get("current_therapy") == "pump", label=N_("Years on current pump")),
    FieldSpec("pump_wanted", "enum", (UNDECIDED,), required=_always, label=N_("Pump wanted"),
              pump_choice=True),
    FieldSpec("uses_cgm", "bool", required=_always, label=N_("Uses a CGM")),
    FieldSpec("denial", "enum", ("none", "prior_authorization", "claim", "appeal"),
              required=_always, label=N_("Denial")),
    FieldSpec("denial_date", "date", required=lambda a: a.get("denial") not in (None, "none"),
              applies=lambda a: a.get("denial") not in (None, "none"), label=N_("Denial date")),
    # Optional clinical facts for the Medicare criteria and the letters.
    FieldSpec("injections_per_day", "int", minimum=0, maximum=30, nullable=True,
              label=N_("Insulin injections per day")),
    FieldSpec("a1c_percent", "number", minimum=3, maximum=25, nullable=True, label=N_("A1c (%)")),
    FieldSpec("severe_lows_past_year", "int", minimum=0, maximum=365, nullable=True,
              label=N_("Severe lows in the past year")),
    FieldSpec("diabetes_education", "bool", nullable=True, label=N_("Diabetes education completed")),
    FieldSpec("c_peptide_qualifies", "enum", YES_NO_UNKNOWN, nullable=True,
              label=N_("C-peptide test meets Medicare's limit")),
    FieldSpec("autoantibody_positive", "enum", YES_NO_UNKNOWN, nullable=True,
              label=N_("Positive beta-cell autoantibody test")),
    FieldSpec("health_at_risk", "bool", nullable=True,
              label=N_("Waiting the standard time could seriously harm health")),
    # The stage of the case (all optional): who denied and why, urgency, pregnancy, the pump in use.
    FieldSpec("denied_by", "enum", ("plan", "pharmacy_benefit_manager", "state_agency",
                                    "supplier", "unknown"), nullable=True,
              applies=lambda a: a.get("denial") not in (None, "none"), label=N_("Who denied it")),
    FieldSpec("denial_reason", "enum", DENIAL_REASONS, nullable=True,
              applies=lambda a: a.get("denial") not in (None, "none"),
              label=N_("The reason given for the denial")),
    FieldSpec("supplies_days_left", "int", minimum=0, maximum=365, nullable=True,
              label=N_("Days of insulin or pump supplies left")),
    FieldSpec("pregnant", "bool", nullable=True, label=N_("Pregnant now")),
    FieldSpec("pump_warranty", "enum", ("in_warranty", "expired", "unknown"), nullable=True,
              applies=lambda a: a.get("current_therapy") == "pump",
              label=N_("Current pump's warranty")),
    FieldSpec("pump_condition", "enum", ("working", "malfunctioning", "damaged",
                                         "lost_or_stolen"), nullable=True,
              applies=lambda a: a.get("current_therapy") == "pump",
              label=N_("Current pump's condition")),
    FieldSpec("birth_date", "date", nullable=True, earliest_year=1900, label=N_("Date of birth")),
    # Optional situation details (each may be left unanswered).
    FieldSpec("cgm_in_use", "enum", CGMS, nullable=True,
              applies=lambda a: a.get("uses_cgm") is True, label=N_("CGM in use")),
    FieldSpec("government_employer", "enum", ("federal", "state_or_local"), nullable=True,
              applies=lambda a: (a.get("coverage") == "employer"
                                 and a.get("employer_plan_funding") == "government"),
              label=N_("Government employer")),
    FieldSpec("immigration_status", "enum", IMMIGRATION_STATUSES, nullable=True,
              label=N_("Immigration status")),
    FieldSpec("tribal_member", "bool", nullable=True,
              label=N_("American Indian or Alaska Native (tribal member or descendant)")),
    # The person's own clock, when it is not their state's usual zone (navigator/clock.py).
    FieldSpec("time_zone", "enum", tuple(US_TIME_ZONES), nullable=True, label=N_("Time zone")),
)}

OPTIONAL_FIELDS = tuple(name for name, spec in FIELDS.items() if spec.required is None)


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class Answers(dict):
    """Answers that validate_answers accepted for one plan date and one rules version:
    `evaluate` takes them as they are instead of checking them again. Read-only (a change
    would bypass the checks): `dict(answers)` gives a copy to change, which is checked again.
    A copy or pickle is a plain dict, for the same reason."""

    __slots__ = ("as_of", "rules_version")

    def __init__(self, values: dict[str, Any], as_of: date, rules_version: str):
        super().__init__(values)
        self.as_of = as_of
        self.rules_version = rules_version

    def _read_only(self, *_args: Any, **_kwargs: Any) -> Any:
        raise TypeError("validated answers are read-only: change a copy, dict(answers), "
                        "and validate it again")

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = _read_only
    __ior__ = _read_only

    def __reduce__(self) -> tuple:
        return (dict, (dict(self),))

    def valid_for(self, as_of: date, rules_version: str) -> bool:
        return self.as_of == as_of and self.rules_version == rules_version


class AnswersInvalid(ValueError):
    """Raised by callers that prefer an exception; carries the field errors."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


class ValueProblem(ValueError):
    """One value the contract refuses. The message follows the field's name ("must be a whole
    number from 1 to 20"); `reason` says which check failed, so a page can word it its own way:
    type | range | date_text | after_plan_date | before_earliest | required."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def parse_value(spec: FieldSpec, value: Any, as_of: date, pump_ids: tuple[str, ...] = ()) -> Any:
    """The contract's value for one answer (JSON types; dates also as typed text), or raises
    ValueProblem. The one place answers' types and ranges are checked."""
    if value is None:
        if spec.nullable:
            return None
        raise ValueProblem(f"is required: give {spec.describe(pump_ids)}", "required")
    if spec.kind == "enum":
        if isinstance(value, str) and value in spec.choices(pump_ids):
            return value
        raise ValueProblem(f"must be {spec.describe(pump_ids)}", "type")
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value
        raise ValueProblem("must be true or false", "type")
    if spec.kind == "date":
        return _parse_date(spec, value, as_of)
    # Numbers: JSON booleans are not numbers.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueProblem(f"must be {spec.describe()}", "type")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueProblem(f"must be {spec.describe()}", "type")
    if spec.kind == "int" and isinstance(value, float):
        if not value.is_integer():
            raise ValueProblem(f"must be {spec.describe()}", "type")
        value = int(value)
    if (spec.minimum is not None and value < spec.minimum) or (
            spec.maximum is not None and value > spec.maximum):
        raise ValueProblem(f"must be {spec.describe()}", "range")
    return value


def _parse_date(spec: FieldSpec, value: Any, as_of: date) -> str:
    if isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = parse_date_text(value)
        except DateTextError as exc:
            raise ValueProblem(exc.args[0], "date_text") from None   # a Phrase
    else:
        raise ValueProblem("must be a date written as YYYY-MM-DD or MM/DD/YYYY", "type")
    if parsed > as_of:
        raise ValueProblem(f"cannot be after the plan date ({as_of.isoformat()})",
                           "after_plan_date")
    if parsed.year < spec.earliest_year:
        raise ValueProblem(Phrase(N_("must be %(year)s or later"), year=spec.earliest_year),
                           "before_earliest")
    return parsed.isoformat()


NUMBER_TEXT = re.compile(r"\d+(\.\d+)?")


def parse_typed(name: str, text: str, as_of: date, money: bool = False) -> Any:
    """What a person typed into a number, money or date box, as the contract's value (or raises
    ValueProblem): "62,000" and "$62,000" (money) are 62000; dates as MM/DD/YYYY or YYYY-MM-DD.
    Question pages call this, so a typed value is checked exactly as a JSON answer is."""
    spec = FIELDS[name]
    if spec.kind == "date":
        return parse_value(spec, text, as_of)
    digits = text.strip().replace(",", "").replace(" ", "")
    if money:
        digits = digits.removeprefix("$")
    if not NUMBER_TEXT.fullmatch(digits):
        raise ValueProblem(f"must be {spec.describe()}", "type")
    return parse_value(spec, float(digits), as_of)


def _parse(spec: FieldSpec, value: Any, as_of: date,
           pump_ids: tuple[str, ...]) -> tuple[Any, str | None]:
    """(normalised value, None) or (None, message)."""
    try:
        return parse_value(spec, value, as_of, pump_ids), None
    except ValueProblem as problem:
        return None, str(problem)


def validate_answers(raw: Any, as_of: date, book: RuleBook | None = None
                     ) -> tuple[Answers | None, list[FieldError]]:
    """Check raw answers against the contract: (answers, []) or (None, errors).

    The pump answer is checked against the pump catalogue of `book` (the project's own rules when
    no book is given)."""
    if book is None:
        from navigator.engine.loader import default_rulebook
        book = default_rulebook()
    pump_ids = tuple(book.pumps)
    if not isinstance(raw, dict):
        return None, [FieldError("answers", "must be a JSON object of answer fields")]
    errors: list[FieldError] = []
    for name in raw:
        if name not in FIELDS:
            errors.append(FieldError(str(name)[:64], "is not an answer field"))
    parsed: dict[str, Any] = {}
    # Unconditional fields first: the conditional ones depend on them.
    for spec in FIELDS.values():
        if spec.name in raw:
            value, message = _parse(spec, raw[spec.name], as_of, pump_ids)
            if message:
                errors.append(FieldError(spec.name, message))
            else:
                parsed[spec.name] = value
    answers: dict[str, Any] = {}
    for spec in FIELDS.values():
        if not spec.applies(parsed):
            continue
        if spec.name in parsed:
            answers[spec.name] = parsed[spec.name]
        elif spec.name not in raw and spec.required is not None and spec.required(parsed):
            errors.append(FieldError(spec.name, f"is required: give {spec.describe(pump_ids)}"))
    errors.extend(_cross_checks(answers, as_of))
    if errors:
        return None, errors
    for name in OPTIONAL_FIELDS:
        answers.setdefault(name, None)
    return Answers(answers, as_of, book.version), []


def _cross_checks(answers: dict[str, Any], as_of: date) -> list[FieldError]:
    """Answers that contradict each other: the birth date must give the age answered."""
    birth, age = answers.get("birth_date"), answers.get("age")
    if birth is None or age is None:
        return []
    born = date.fromisoformat(birth)
    years = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
    if years != age:
        return [FieldError("birth_date", f"gives age {years} on {as_of.isoformat()}, "
                                         f"but the age answered is {age}; correct one of them")]
    return []
