"""Choosing a pump: the catalogue (rules/pumps.yaml) filtered and ordered by a family's answers,
and a first-year out-of-pocket estimate for each route a pump is paid through. No Flask.

Nothing here knows a pump by name: every fact, code and price comes from the rules. A price is
used only when the catalogue gives it with a source; otherwise the estimate says which number to
ask the plan for, and gives the most the year can cost when the out-of-pocket maximum is known.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from navigator import i18n
from navigator.engine.answers import MEDICARE
from navigator.engine.loader import RuleBook
from navigator.engine.schema import PriceSpec, PumpSpec
from navigator.i18n import N_

CHANNEL_OF_MEDICARE_ROUTE: dict[str, str] = {"part_b_dme": "dme", "part_d": "pharmacy"}
CHANNEL_LABELS = {"dme": N_("medical equipment (DME) benefit"),
                  "pharmacy": N_("pharmacy benefit")}
MEDICARE_CHANNEL_LABELS = {"dme": N_("Medicare Part B, as medical equipment (DME)"),
                           "pharmacy": N_("Part D drug plan, at a pharmacy")}
DIABETES_LABELS = {"type1": N_("type 1 diabetes"), "type2": N_("type 2 diabetes")}


class _Words:
    """The words of one language: `_("... %(name)s ...", name=value)` as in the templates, and
    money written that language's way. Every text this module returns goes through one."""

    def __init__(self, lang: str):
        self.lang = lang
        self._gettext = i18n.translations(lang).gettext

    def __call__(self, message: str, **values: Any) -> str:
        text = self._gettext(message)
        return text % values if values else text

    def usd(self, amount: float) -> str:
        return i18n.format_money(amount, self.lang)
MEDICARE_COINSURANCE = "medicare.part_b_coinsurance_percent"
PART_D_CAP = "part_d.oop_cap"


def known_cgms(book: RuleBook, lang: str = i18n.DEFAULT_LANGUAGE) -> dict[str, str]:
    """The CGM answers the catalogue can filter by: answer value -> the sensors' names in words."""
    return {value: _either(names, _Words(lang)) for value, names in book.cgm_answers.items()}


def _either(names: list[str], _: _Words) -> str:
    if len(names) == 1:
        return names[0]
    return _("%(names)s or %(last)s", names=", ".join(names[:-1]), last=names[-1])


# --- filtering and ordering ---------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """What the family told us (or chose on the page). None = not given."""
    coverage: str | None = None
    channel: str | None = None          # dme | pharmacy: how their plan pays for pumps
    age: int | None = None
    diabetes_type: str | None = None    # type1 | type2 | other
    cgm: str | None = None              # a key of known_cgms()

    def any(self) -> bool:
        return any(value is not None for value in (self.channel, self.age, self.diabetes_type,
                                                   self.cgm))


def filters_from_answers(answers: Mapping[str, Any], book: RuleBook) -> Filters:
    """The filters a case's answers imply (a CGM only when the catalogue maps the answer)."""
    cgm = answers.get("cgm_in_use")
    cgm = cgm if cgm in book.cgm_answers else None
    age = answers.get("age")
    return Filters(coverage=answers.get("coverage"), age=age if isinstance(age, int) else None,
                   diabetes_type=answers.get("diabetes_type"), cgm=cgm)


def channels_for(pump: PumpSpec, coverage: str | None) -> list[str]:
    """The channels (dme, pharmacy) this pump is paid through for this coverage, usual first;
    empty when no source says."""
    if coverage in MEDICARE:
        channel = CHANNEL_OF_MEDICARE_ROUTE.get(pump.medicare_route)
        return [channel] if channel else []
    # (mypy: the keys are the Coverage literals; any other coverage simply gives None.)
    usual = pump.channel_by_coverage.get(coverage) if coverage else None  # type: ignore[call-overload]
    found = [usual or pump.channel, *pump.other_channels]
    return list(dict.fromkeys(c for c in found if c))


@dataclass(frozen=True)
class Match:
    pump: PumpSpec
    channels: list[str]
    fits: list[str] = field(default_factory=list)       # what matches the family, in words
    misfits: list[str] = field(default_factory=list)    # why it may not suit them
    unknown: list[str] = field(default_factory=list)    # what no source says, for them

    @property
    def suitable(self) -> bool:
        return not self.misfits


def assess_pump(pump: PumpSpec, filters: Filters, cgm_answers: Mapping[str, list[str]],
                lang: str = i18n.DEFAULT_LANGUAGE) -> Match:
    """How `pump` suits the filters, each reason in `lang`."""
    _ = _Words(lang)
    match = Match(pump, channels_for(pump, filters.coverage))
    _check_channel(match, filters, _)
    _check_age_and_type(match, filters, _)
    _check_cgm(match, filters, cgm_answers, _)
    return match


def _check_channel(match: Match, filters: Filters, _: _Words) -> None:
    if filters.channel is None:
        return
    wanted = _(CHANNEL_LABELS[filters.channel])
    if not match.channels:
        match.unknown.append(_("Whether plans pay for it through the %(benefit)s was not found.",
                               benefit=wanted))
    elif filters.channel in match.channels:
        match.fits.append(_("Sold through the %(benefit)s.", benefit=wanted))
    else:
        match.misfits.append(_("Not sold through the %(benefit)s in any source we have.",
                               benefit=wanted))


def _check_age_and_type(match: Match, filters: Filters, _: _Words) -> None:
    pump, age, kind = match.pump, filters.age, filters.diabetes_type
    if kind in DIABETES_LABELS:
        diabetes = _(DIABETES_LABELS[kind])
        if not pump.diabetes_types:
            match.unknown.append(_("Whether it is cleared for %(diabetes)s was not found.",
                                   diabetes=diabetes))
        elif kind not in pump.diabetes_types:
            match.misfits.append(_("Not cleared for %(diabetes)s.", diabetes=diabetes))
        else:
            match.fits.append(_("Cleared for %(diabetes)s.", diabetes=diabetes))
    if age is None:
        return
    limit = pump.type2_min_age_years if kind == "type2" and pump.type2_min_age_years else \
        pump.min_age_years
    if limit is None:
        match.unknown.append(_("The youngest age it is cleared for was not found."))
    elif age < limit:
        match.misfits.append(_("Cleared from age %(limit)s, not for someone aged %(age)s.",
                               limit=f"{limit:g}", age=age))
    else:
        match.fits.append(_("Cleared for age %(age)s (from age %(limit)s).", age=age,
                            limit=f"{limit:g}"))


def _check_cgm(match: Match, filters: Filters, cgm_answers: Mapping[str, list[str]],
               _: _Words) -> None:
    if filters.cgm is None or filters.cgm not in cgm_answers:
        return
    sensors = cgm_answers[filters.cgm]
    name = _either(sensors, _)
    pump = match.pump
    if not pump.compatible_cgms:
        match.unknown.append(_("Whether it works with the %(cgm)s was not found.", cgm=name))
    elif set(sensors) & set(pump.compatible_cgms):
        if pump.is_verified("compatible_cgms"):
            match.fits.append(_("Works with the %(cgm)s you use.", cgm=name))
        else:
            match.fits.append(_("Works with the %(cgm)s you use (confirm with the maker).",
                                cgm=name))
    else:
        match.misfits.append(_("Does not work with the %(cgm)s in any source we have.",
                               cgm=name))


def choose(book: RuleBook, filters: Filters, lang: str = i18n.DEFAULT_LANGUAGE) -> list[Match]:
    """Every pump, the ones that suit the family first (fewest unknowns first), each with why."""
    matches = [assess_pump(pump, filters, book.cgm_answers, lang) for pump in book.pumps.values()]
    order = {pump_id: index for index, pump_id in enumerate(book.pumps)}
    return sorted(matches, key=lambda m: (not m.suitable, len(m.unknown), order[m.pump.id]))


def route_labels(coverage: str | None, lang: str = i18n.DEFAULT_LANGUAGE) -> dict[str, str]:
    """How each channel is called for this coverage."""
    _ = _Words(lang)
    labels = MEDICARE_CHANNEL_LABELS if coverage in MEDICARE else CHANNEL_LABELS
    return {channel: _(label) for channel, label in labels.items()}


def describe_filters(filters: Filters, cgm_names: Mapping[str, str],
                     lang: str = i18n.DEFAULT_LANGUAGE) -> list[str]:
    """The filters in plain words, for the page heading."""
    _ = _Words(lang)
    words = []
    if filters.channel:
        words.append(_("Your plan pays for pumps through the %(benefit)s: pumps sold that way "
                       "come first.", benefit=_(CHANNEL_LABELS[filters.channel])))
    if filters.age is not None:
        words.append(_("For a child of %(age)s.", age=filters.age) if filters.age < 18
                     else _("For someone aged %(age)s.", age=filters.age))
    if filters.diabetes_type in DIABETES_LABELS:
        words.append(_("For %(diabetes)s.", diabetes=_(DIABETES_LABELS[filters.diabetes_type])))
    if filters.cgm:
        words.append(_("Works with the %(cgm)s you use.",
                       cgm=cgm_names.get(filters.cgm, filters.cgm)))
    return words


# --- the first-year estimate --------------------------------------------------------------------

@dataclass(frozen=True)
class PlanNumbers:
    """What the family's plan says, all optional. Percentages are 0-100."""
    deductible_left: float | None = None
    dme_coinsurance: float | None = None
    pharmacy_copay: float | None = None
    pharmacy_coinsurance: float | None = None
    oop_max_left: float | None = None

    def any(self) -> bool:
        return any(value is not None for value in (
            self.deductible_left, self.dme_coinsurance, self.pharmacy_copay,
            self.pharmacy_coinsurance, self.oop_max_left))


@dataclass(frozen=True)
class Estimate:
    channel: str                  # dme | pharmacy
    amount: float | None          # the first-year estimate, when every number is known
    at_most: float | None         # the most the year can cost (the out-of-pocket maximum left)
    formula: str                  # the rule of the arithmetic, in words
    working: list[str]            # the arithmetic with the numbers used
    ask_for: list[str]            # the numbers still needed, and whom to ask
    prices: list[PriceSpec]       # the catalogue prices used (each an estimate with sources)
    notes: list[str] = field(default_factory=list)


def share_after_deductible(total: float, deductible_left: float, coinsurance: float) -> float:
    """What a person pays on `total` allowed dollars: the rest of the deductible first, then the
    coinsurance percentage of the remainder."""
    first = min(deductible_left, total)
    return round(first + coinsurance / 100 * max(total - deductible_left, 0.0), 2)


def capped(amount: float, oop_max_left: float | None) -> float:
    return amount if oop_max_left is None else round(min(amount, oop_max_left), 2)


def _price(pump: PumpSpec, item: str) -> PriceSpec | None:
    return next((price for price in pump.prices if price.item == item), None)


def dme_estimate(pump: PumpSpec, numbers: PlanNumbers, book: RuleBook,
                 coinsurance_note: str | None = None,
                 lang: str = i18n.DEFAULT_LANGUAGE) -> Estimate:
    """Pump and a year of supplies on the medical equipment benefit; its words in `lang`."""
    _ = _Words(lang)
    formula = _("The rest of your deductible, then your DME coinsurance on the rest of the "
                "plan's allowed amount for the pump and a year of supplies, never more than your "
                "out-of-pocket maximum left")
    prices = [p for p in (_price(pump, "pump"), _price(pump, "supplies_year")) if p]
    ask = _missing_numbers(numbers, ("deductible_left", "dme_coinsurance", "oop_max_left"), _)
    if len(prices) < 2:
        ask.insert(0, _ask_allowed_amounts(pump, "dme", book, _))
    notes = [coinsurance_note] if coinsurance_note else []
    notes.append(_("A CGM is billed on its own and is not counted here."))
    total = sum(p.usd for p in prices) if len(prices) == 2 else None
    if total is None or numbers.deductible_left is None or numbers.dme_coinsurance is None:
        return Estimate("dme", None, numbers.oop_max_left, formula, [], ask, prices, notes)
    paid = share_after_deductible(total, numbers.deductible_left, numbers.dme_coinsurance)
    working = [_("Allowed amount: %(sum)s = %(total)s",
                 sum=" + ".join(_.usd(p.usd) for p in prices), total=_.usd(total)),
               _deductible_line(total, numbers.deductible_left, numbers.dme_coinsurance, paid, _)]
    amount = capped(paid, numbers.oop_max_left)
    if amount < paid:
        working.append(_("Capped at your out-of-pocket maximum left: %(amount)s",
                         amount=_.usd(amount)))
    return Estimate("dme", amount, numbers.oop_max_left, formula, working, ask, prices, notes)


def pharmacy_estimate(pump: PumpSpec, numbers: PlanNumbers, book: RuleBook,
                      lang: str = i18n.DEFAULT_LANGUAGE) -> Estimate:
    """A year of 30-day fills on the pharmacy benefit; its words in `lang`."""
    _ = _Words(lang)
    if book.pump_estimate is None:
        raise ValueError("the rules have no pump estimate (rules/pumps.yaml estimate)")
    fills = book.pump_estimate.pharmacy_fills_per_year
    notes = [_("A year is counted as %(fills)s fills of a 30-day supply; your plan may count the "
               "starter kit as one more fill, or fill 90 days at a time.", fills=fills),
             _("A CGM is filled on its own and is not counted here.")]
    if numbers.pharmacy_copay is not None:
        formula = _("Your copay for each fill times %(fills)s fills, never more than your "
                    "out-of-pocket maximum left", fills=fills)
        paid = round(numbers.pharmacy_copay * fills, 2)
        working = [_("%(copay)s × %(fills)s fills = %(paid)s", copay=_.usd(numbers.pharmacy_copay),
                     fills=fills, paid=_.usd(paid))]
        amount = capped(paid, numbers.oop_max_left)
        if amount < paid:
            working.append(_("Capped at your out-of-pocket maximum left: %(amount)s",
                             amount=_.usd(amount)))
        notes.insert(0, _("If your plan makes you meet the deductible before the copay applies, "
                          "ask what a fill costs until then."))
        ask = _missing_numbers(numbers, ("oop_max_left",), _)
        return Estimate("pharmacy", amount, numbers.oop_max_left, formula, working, ask, [], notes)
    formula = _("The rest of your deductible, then your pharmacy coinsurance on the rest of the "
                "plan's price for %(fills)s fills, never more than your out-of-pocket maximum "
                "left", fills=fills)
    fill = _price(pump, "fill_30_day")
    ask = _missing_numbers(numbers, ("pharmacy_copay", "deductible_left", "oop_max_left"), _)
    if fill is None:
        ask.insert(0, _("the plan's price for a 30-day fill of %(pump)s (ask the plan's pharmacy "
                        "benefit manager, or the pharmacy)", pump=pump.name))
    if fill is None or numbers.pharmacy_coinsurance is None or numbers.deductible_left is None:
        return Estimate("pharmacy", None, numbers.oop_max_left, formula, [], ask,
                        [fill] if fill else [], notes)
    total = round(fill.usd * fills, 2)
    paid = share_after_deductible(total, numbers.deductible_left, numbers.pharmacy_coinsurance)
    working = [_("Price for the year: %(fill)s × %(fills)s fills = %(total)s", fill=_.usd(fill.usd),
                 fills=fills, total=_.usd(total)),
               _deductible_line(total, numbers.deductible_left, numbers.pharmacy_coinsurance,
                                paid, _)]
    amount = capped(paid, numbers.oop_max_left)
    if amount < paid:
        working.append(_("Capped at your out-of-pocket maximum left: %(amount)s",
                         amount=_.usd(amount)))
    return Estimate("pharmacy", amount, numbers.oop_max_left, formula, working, ask, [fill], notes)


def _deductible_line(total: float, deductible_left: float, coinsurance: float, paid: float,
                     _: _Words) -> str:
    first = min(deductible_left, total)
    rest = max(total - deductible_left, 0.0)
    return _("%(first)s (deductible) + %(percent)s%% × %(rest)s = %(paid)s", first=_.usd(first),
             percent=f"{coinsurance:g}", rest=_.usd(rest), paid=_.usd(paid))


NUMBER_QUESTIONS = {
    "deductible_left": N_("how much of your deductible is left this year"),
    "dme_coinsurance": N_("your coinsurance for durable medical equipment (DME), in percent"),
    "pharmacy_copay": N_("your copay for a 30-day fill on the pharmacy benefit (or the "
                         "coinsurance)"),
    "oop_max_left": N_("how much of your out-of-pocket maximum is left this year"),
}


def _missing_numbers(numbers: PlanNumbers, names: Iterable[str], _: _Words) -> list[str]:
    missing = []
    for name in names:
        given = getattr(numbers, name) is not None
        if name == "pharmacy_copay":
            given = given or numbers.pharmacy_coinsurance is not None
        if not given:
            missing.append(_("%(number)s (ask your plan)", number=_(NUMBER_QUESTIONS[name])))
    return missing


def _ask_allowed_amounts(pump: PumpSpec, channel: str, book: RuleBook, _: _Words) -> str:
    codes = [code for code in pump.codes if channel in book.billing_codes[code].routes
             and book.billing_codes[code].in_letters]
    if not codes:
        return _("the plan's allowed amount for %(pump)s and a year of its supplies (ask the "
                 "plan, or the maker's insurance team)", pump=pump.name)
    # The codes' descriptions are the official HCPCS wording, in English in every language.
    listed = ", ".join(f"{code} ({book.billing_codes[code].description.lower()})" for code in codes)
    return _("the plan's allowed amount for %(pump)s and a year of supplies, billed as "
             "%(codes)s (ask the plan, or the maker's insurance team)", pump=pump.name,
             codes=listed)


def estimates_for(pump: PumpSpec, numbers: PlanNumbers, book: RuleBook,
                  coverage: str | None, on: date,
                  lang: str = i18n.DEFAULT_LANGUAGE) -> list[Estimate]:
    """One estimate per channel the pump is paid through for this coverage, in `lang`."""
    result = []
    for channel in channels_for(pump, coverage):
        if channel == "dme":
            result.append(_dme_for_coverage(pump, numbers, book, coverage, on, lang))
        elif coverage in MEDICARE:
            result.append(_part_d(pump, numbers, book, on, lang))
        else:
            result.append(pharmacy_estimate(pump, numbers, book, lang))
    return result


def _part_d(pump: PumpSpec, numbers: PlanNumbers, book: RuleBook, on: date,
            lang: str = i18n.DEFAULT_LANGUAGE) -> Estimate:
    """Medicare's pharmacy route is the Part D plan, whose yearly out-of-pocket cap is known."""
    if numbers.oop_max_left is not None or PART_D_CAP not in book.parameters:
        return pharmacy_estimate(pump, numbers, book, lang)
    _ = _Words(lang)
    cap = float(book.parameter(PART_D_CAP, on))
    numbers = PlanNumbers(numbers.deductible_left, numbers.dme_coinsurance, numbers.pharmacy_copay,
                          numbers.pharmacy_coinsurance, cap)
    estimate = pharmacy_estimate(pump, numbers, book, lang)
    note = _("Part D caps what you pay in a year for covered drugs and supplies at %(cap)s in "
             "%(year)s; pods the plan covers count toward it.", cap=_.usd(cap), year=on.year)
    oop_question = _(NUMBER_QUESTIONS["oop_max_left"])
    ask = [line for line in estimate.ask_for if not line.startswith(oop_question)]
    return dataclasses.replace(estimate, notes=[note, *estimate.notes], ask_for=ask)


def _dme_for_coverage(pump: PumpSpec, numbers: PlanNumbers, book: RuleBook,
                      coverage: str | None, on: date,
                      lang: str = i18n.DEFAULT_LANGUAGE) -> Estimate:
    """Original Medicare's Part B coinsurance is known from the rules when not given."""
    if coverage == "medicare_original" and numbers.dme_coinsurance is None \
            and MEDICARE_COINSURANCE in book.parameters:
        _ = _Words(lang)
        percent = float(book.parameter(MEDICARE_COINSURANCE, on))
        numbers = PlanNumbers(numbers.deductible_left, percent, numbers.pharmacy_copay,
                              numbers.pharmacy_coinsurance, numbers.oop_max_left)
        return dme_estimate(pump, numbers, book, _(
            "Medicare Part B coinsurance: %(percent)s%% of the Medicare-approved amount after "
            "the Part B deductible.", percent=f"{percent:g}"), lang)
    return dme_estimate(pump, numbers, book, lang=lang)
