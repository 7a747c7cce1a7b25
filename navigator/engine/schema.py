"""The shapes of the rule files, checked by pydantic when the rules load.

Every model forbids unknown keys: a misplaced or misspelt key is an error, never ignored.
Conditions, deadlines and placeholders are checked by the loader, which knows the fields.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

Identifier = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)
DottedName = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$", max_length=120)
Number = StrictInt | float
YesNoUnknown = Literal["yes", "no", "unknown"]
ProgramKind = Literal["free_device", "discount", "payment_plan", "copay_card", "insulin_cap",
                      "charity", "public_program"]
Coverage = Literal["employer", "marketplace", "individual", "medicare_original",
                   "medicare_advantage", "medicaid", "chip", "tricare", "va", "ihs", "uninsured"]
Channel = Literal["dme", "pharmacy"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- sources -----------------------------------------------------------------------------

# What a source is. The first four are official: the law, a government body, or the program's
# or maker's own page. An insurer's policy binds only its own members; everything else
# (advocates, news, guides, directories) is secondary.
SourceKind = Literal["regulation", "agency", "program", "maker", "insurer", "secondary"]
OFFICIAL_KINDS = frozenset({"regulation", "agency", "program", "maker"})


class SourceSpec(Strict):
    title: str = Field(min_length=3)
    url: str = Field(pattern=r"^https?://\S+$")
    checked: date
    verified: StrictBool
    kind: SourceKind
    # The coverages the source speaks for; a step cites it only for people with one of them.
    coverages: list[Coverage] | Literal["all"] = Field(min_length=1)
    states: list[str] | None = None      # USPS codes of a state's own law or page; omit = any state
    pumps: list[str] | None = None       # a maker's page about these pumps; omit = any pump
    # The fact it supports, as the "confirm" note names it while the source is not verified,
    # e.g. "the 65 days to ask a Medicare Advantage plan for a reconsideration".
    claim: str | None = None
    note: str | None = None

    @property
    def official(self) -> bool:
        return self.kind in OFFICIAL_KINDS

    def fits(self, coverage: str, state: str | None = None, pump: str | None = None) -> bool:
        """Whether a step may cite this source for a person with this coverage, state and pump.

        An undecided person (pump "undecided") is weighing every pump, so every maker's page fits."""
        return ((self.coverages == "all" or coverage in self.coverages)
                and (self.states is None or state is None or state in self.states)
                and (self.pumps is None or pump in (None, "undecided") or pump in self.pumps))


class SourcesFile(Strict):
    sources: dict[str, SourceSpec]

    @field_validator("sources")
    @classmethod
    def _ids(cls, value: dict[str, SourceSpec]) -> dict[str, SourceSpec]:
        for key in value:
            if not isinstance(key, str) or not key.replace("_", "a").isalnum() or not key[0].isalpha():
                raise ValueError(f"source id {key!r} must be lower_snake_case")
        return value


# --- parameters ---------------------------------------------------------------------------

# A date value marks when a policy starts (unit `date`); a window is a table of month/day pairs.
ParameterValue = Number | dict[str, Number] | date


class ParameterSpec(Strict):
    label: str
    unit: Literal["days", "months", "hours", "USD", "USD/month", "USD/year", "percent", "count",
                  "years", "table", "window", "date"]
    values: dict[date, ParameterValue] = Field(min_length=1)
    sources: list[str] = Field(min_length=1)
    verified: StrictBool
    note: str | None = None


class ParametersFile(Strict):
    parameters: dict[str, ParameterSpec]


# --- states -------------------------------------------------------------------------------

class IncomeLimits(Strict):
    adults: Number | None = None
    parents: Number | None = None
    children: Number | None = None
    pregnant: Number | None = None


class MedicaidInfo(Strict):
    program_name: str
    agency: str | None
    agency_url: str | None
    phone: str | None
    expansion: StrictBool
    expansion_date: date | None
    income_limits_pct_fpl: IncomeLimits
    # The state's program or plan for people with both Medicare and Medicaid; null when not found.
    dual_program_name: str | None = None


class ChipInfo(Strict):
    program_name: str | None
    phone: str | None = None
    # How a CHIP coverage denial is reviewed: a Medicaid-expansion CHIP uses the Medicaid fair
    # hearing; a separate CHIP uses the health plan's appeal, then an external review.
    appeal_route: Literal["medicaid_fair_hearing", "plan_then_external_review", "unknown"] = "unknown"
    appeal_days: StrictInt | None = None          # days from the plan's notice to appeal to the CHIP health plan
    external_review_days: StrictInt | None = None  # days from the plan's appeal decision to ask for external review
    external_review_months: StrictInt | None = None  # or calendar months, where the state counts in months
    external_review_body: str | None = None       # who holds that external review, in plain words
    sources: list[str] = []          # the sources of this section's facts


class FairHearing(Strict):
    sources: list[str] = []          # the sources of this section's facts
    days: StrictInt | None
    counted_from: str | None
    managed_care_appeal_first: YesNoUnknown
    mco_appeal_days: StrictInt | None
    hearing_after_mco_days: StrictInt | None


class InsulinCap(Strict):
    sources: list[str] = []          # the sources of this section's facts
    law: StrictBool
    amount: str | None
    effective: str | None = None     # text: the start date(s) the sources give
    devices: str | None = None


class Regulator(Strict):
    name: str | None
    url: str | None
    phone: str | None = None


class StateMarketplace(Strict):
    """A state that runs its own Marketplace instead of HealthCare.gov (where a source names it)."""
    name: str
    url: str = Field(pattern=r"^https?://\S+$")
    # A window parameter with this Marketplace's own open enrollment, by plan year; null when its
    # dates were not found (the plan then names no date rather than HealthCare.gov's).
    open_enrollment: str | None = None
    sources: list[str] = Field(min_length=1)


class Ship(Strict):
    name: str | None
    phone: str | None = None


class ExternalReview(Strict):
    """The state's own external review of a state-regulated plan's final denial, where it was read.

    States without this section follow the federal floor (at least 4 months to ask)."""
    sources: list[str] = Field(min_length=1)
    name: str                        # what the state calls it, e.g. Independent Medical Review
    request_to: Literal["state", "plan"]   # where the request is sent
    agency: str
    phone: str | None = None
    url: str | None = None
    other_agency: str | None = None  # a second regulator (California: DMHC or CDI)
    other_phone: str | None = None
    other_url: str | None = None
    which_agency: str | None = None  # plain words: which agency takes which plans
    days: StrictInt | None = None
    months: StrictInt | None = None
    counted_from: str


class EmergencyInsulinRefill(Strict):
    """A state law that lets a pharmacist give an emergency supply of insulin without a current
    prescription (a "Kevin's Law"), where its text was read. States without it: no such step."""
    sources: list[str] = Field(min_length=1)
    law: str                         # the citation, e.g. "Ohio Revised Code 4729.281"
    days: StrictInt = Field(gt=0)    # the days of insulin the law names for one emergency refill
    amount: str                      # plain words, as the plan prints it: "up to 30 days"
    how_often: str | None = None     # plain words: how often, where the sources say
    supplies: str | None = None      # plain words: the diabetes supplies it also covers, if any
    verified: StrictBool             # true only where the official text itself was read
    checked: date                    # when the sources were last read


class StateSpec(Strict):
    code: str = Field(pattern=r"^[A-Z]{2}$")
    name: str
    # The state's clock for the plan date (navigator/clock.py): an IANA zone of
    # textformat.US_TIME_ZONES, from the IANA tz database (zone1970.tab); a state with
    # several zones gives its most populous one.
    time_zone: str
    checked: date
    medicaid: MedicaidInfo
    chip: ChipInfo
    fair_hearing: FairHearing
    insulin_copay_cap: InsulinCap
    copay_accumulator_ban: YesNoUnknown
    insurance_regulator: Regulator
    ship: Ship
    external_review: ExternalReview | None = None
    marketplace: StateMarketplace | None = None
    emergency_insulin_refill: EmergencyInsulinRefill | None = None
    sources: list[str] = Field(min_length=1)
    unverified: list[str] = []
    notes: str | None = None


# --- programs and pumps ---------------------------------------------------------------------

class Eligibility(Strict):
    coverage_allowed: list[Coverage] | None = None
    coverage_excluded: list[Coverage] = []
    income_limit_pct_fpl: Number | None = None
    pumps: list[str] | None = None       # pump ids from pumps.yaml (checked by the loader)
    channel: Channel | None = None
    residency: str | None = None
    states: list[str] | None = None      # USPS codes; omit = any state
    age_min: StrictInt | None = None
    age_max: StrictInt | None = None
    diabetes_types: list[Literal["type1", "type2", "other"]] | None = None
    terms_published: StrictBool = True
    # Only for these CGMs (ids in rules/cgms.yaml): not for a pump that cannot use them.
    cgms: list[str] | None = None
    extra_help_excluded: StrictBool = False       # the sponsor excludes people with Extra Help (LIS)
    medicaid_eligible_excluded: StrictBool = False  # ... or people who could get Medicaid


class HowToApply(Strict):
    text: str
    phone: str | None = None
    url: str | None = None


class ProgramSpec(Strict):
    id: str = Identifier
    name: str
    sponsor: str
    kind: ProgramKind
    covers: list[Literal["pump", "supplies", "insulin", "cgm"]] = Field(min_length=1)
    eligibility: Eligibility
    how_to_apply: HowToApply
    sources: list[str] = Field(min_length=1)
    verified: StrictBool
    checked: date
    # open | closed (never "likely"; shown as closed) | unknown (funds that open and close,
    # or a program with no current page: never better than "maybe")
    status: Literal["open", "closed", "unknown"] = "open"
    status_checked: date | None = None    # when the status was last seen
    note: str | None = None


class ProgramsFile(Strict):
    programs: list[ProgramSpec]


class PriceSpec(Strict):
    """A published price: used by the first-year estimate, always shown as an estimate with its
    source (whose url and date read are in the sources) and the period it describes: a fee
    schedule's quarter or year, or the date a list price took effect."""
    item: Literal["pump", "supplies_year", "fill_30_day", "cgm_year"]
    usd: Number = Field(ge=0)
    sources: list[str] = Field(min_length=1)
    verified: StrictBool
    period_start: date
    period_end: date | None = None      # None: no end stated (a list price until changed)
    note: str | None = None

    @model_validator(mode="after")
    def _period_in_order(self) -> PriceSpec:
        if self.period_end is not None and self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


class ResourceSpec(Strict):
    """A directory or tool (GetInsulin, RxAssist, NeedyMeds): help to find help, with no
    eligibility of its own. Shown apart from the programs, never as "likely eligible"."""
    id: str = Identifier
    name: str
    sponsor: str
    what: str
    covers: list[Literal["pump", "supplies", "insulin", "cgm"]] = Field(min_length=1)
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    phone: str | None = None
    sources: list[str] = Field(min_length=1)
    verified: StrictBool
    checked: date


class ResourcesFile(Strict):
    resources: list[ResourceSpec]


class ProgramReasonsFile(Strict):
    reasons: dict[str, str]


class CgmSpec(Strict):
    """A CGM a person may use (the answer `cgm_in_use`), named for the plan's reasons. Which pumps
    work with it is the pump catalogue's cgm_answers (rules/pumps.yaml)."""
    id: str = Identifier
    name: str
    maker: str
    sources: list[str] = []


class CgmsFile(Strict):
    cgms: list[CgmSpec]


class PumpSpec(Strict):
    """One pump. Unknown facts are None (or an empty list); `sources` maps each known fact to the
    source ids it comes from, and `unverified` names the facts not confirmed in a primary source."""
    id: str = Identifier
    name: str
    maker: str
    status: str | None = None
    tubed: StrictBool | None          # null: the maker does not say
    channel: Channel | None           # the usual channel on private plans; null: none found
    other_channels: list[Channel] = []
    channel_by_coverage: dict[Coverage, Channel] = {}
    medicare_route: Literal["part_b_dme", "part_d", "unknown"]
    reservoir_units: StrictInt | None = None
    water: str | None = None
    phone_control: StrictBool | None = None
    separate_controller: StrictBool | None = None
    controls: str | None = None
    compatible_cgms: list[str] = []
    algorithm: str | None = None
    aid_targets: str | None = None
    activity_modes: str | None = None
    min_age_years: Number | None = None
    type2_min_age_years: Number | None = None
    diabetes_types: list[Literal["type1", "type2", "other"]] = []
    alarms: str | None = None
    warranty_years: Number | None = None
    insulins: list[str] = []
    codes: list[str] = []
    prices: list[PriceSpec] = []
    # Written `sources:` in the file: fact field -> the source ids it comes from.
    fact_sources: dict[str, list[str]] = Field(alias="sources", min_length=1)
    unverified: list[str] = []
    notes: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def sources(self) -> list[str]:
        """Every source the entry cites, once, in the order first cited (as other entries have)."""
        return list(dict.fromkeys(sid for ids in self.fact_sources.values() for sid in ids))

    def is_verified(self, field: str) -> bool:
        return self.is_known(field) and field not in self.unverified

    def is_known(self, field: str) -> bool:
        value = getattr(self, field)
        return value not in (None, [], {}, "unknown")


# The facts of a pump entry (each needs a source when known); the rest names or files the entry.
PUMP_FACT_FIELDS = tuple(name for name in PumpSpec.model_fields
                         if name not in ("id", "name", "maker", "status", "prices", "fact_sources",
                                         "unverified", "notes"))


class BillingCodeSpec(Strict):
    description: str
    routes: list[Literal["dme", "pharmacy", "part_b_dme", "part_d"]] = Field(min_length=1)
    coverages: list[Coverage] | None = None      # omit = any coverage
    in_letters: StrictBool = True
    sources: list[str] = Field(min_length=1)


class EstimateSpec(Strict):
    pharmacy_fills_per_year: StrictInt = Field(ge=1, le=52)
    sources: list[str] = Field(min_length=1)
    verified: StrictBool
    note: str | None = None


class PumpsFile(Strict):
    pumps: list[PumpSpec]
    billing_codes: dict[str, BillingCodeSpec] = {}
    cgm_answers: dict[str, list[str]] = {}     # cgm_in_use answer -> CGM names the pumps list
    estimate: EstimateSpec

    @field_validator("billing_codes")
    @classmethod
    def _codes(cls, value: dict[str, BillingCodeSpec]) -> dict[str, BillingCodeSpec]:
        for key in value:
            if not re.fullmatch(r"[A-Z][0-9]{4}", key):
                raise ValueError(f"billing code {key!r} must be a HCPCS code such as E0784")
        return value


class LetterSpec(Strict):
    id: str = Identifier
    title: str
    description: str | None = None
    sources: list[str] = []          # the letter's own sources, cited where they fit the person
    with_rules: list[str] = []       # also cite these rules' sources when they are in the plan


class RepresentativeSpec(Strict):
    """What a payer asks of someone who sends a letter for the patient as their representative
    (not a parent or guardian of a child): the form to enclose, with the sources that say so."""
    id: str = Identifier
    coverages: list[Coverage] = Field(min_length=1)
    form: str | None = None          # None: the payer's own form, named by the sender (a blank)
    sources: list[str] = Field(min_length=1)


class LettersFile(Strict):
    letters: list[LetterSpec]
    representatives: list[RepresentativeSpec] = []
    # The ICD-10 family a letter names for each diabetes type (the prescriber adds the exact code).
    diagnosis_codes: dict[Literal["type1", "type2", "other"], str] = {}


# --- coverages ------------------------------------------------------------------------------

class CoverageSpec(Strict):
    label: str                       # "an employer plan": how reasons and notes name it
    payer: str                       # how a letter names the payer; may use {state.…}
    payer_fallback: str | None = None
    federal_program: StrictBool      # copay cards barred (federal Anti-Kickback Statute)
    appeal_basis: str | None = None  # the appeal rules an appeal to the plan invokes in a letter


class CoveragesFile(Strict):
    coverages: dict[Coverage, CoverageSpec]
    sources: list[str] = Field(min_length=1)


# --- the engine's own words ------------------------------------------------------------------
# Sentences the engine writes around the rule data. `{name}` slots are filled by the engine;
# the loader checks that each text uses only the slots its place offers (TEXT_SLOTS).

class ConfirmTexts(Strict):
    lead: str            # {facts}
    ask: str             # {who}
    default_who: str
    source: str          # {source}: the title of a source not verified that states no claim
    separator: str = "; "


class BillingNotes(Strict):
    """How a letter says the pump is billed, by route ({pump}: the pump's name)."""
    part_b_dme: str
    part_d: str
    dme: str
    pharmacy: str
    unknown: str
    no_pump: str         # no pump chosen yet


class TextsFile(Strict):
    confirm: ConfirmTexts
    billing_notes: BillingNotes
    # How the "confirm" note names a field of the state files or the pump catalogue.
    state_fields: dict[str, str] = {}      # {state}: the state's name
    pump_fields: dict[str, str] = {}       # {pump}: the pump's name
    field_fallback: str                    # {owner}, {field}: any field without a label above


TEXT_SLOTS: dict[str, frozenset[str]] = {
    "confirm.lead": frozenset({"facts"}), "confirm.ask": frozenset({"who"}),
    "confirm.default_who": frozenset(), "confirm.source": frozenset({"source"}),
    "confirm.separator": frozenset(),
    "state_fields": frozenset({"state"}), "pump_fields": frozenset({"pump"}),
    "field_fallback": frozenset({"owner", "field"}),
    "billing_notes": frozenset({"pump"}),
}


# --- rules --------------------------------------------------------------------------------

class ContactSpec(Strict):
    name: str
    phone: str | None = None
    url: str | None = None


class DeadlineSpec(Strict):
    # Counted from a date of the case (denial_date; medicare_start, with negative days or months
    # for a timeline before it), or a yearly window, or a policy date (see docs/RULES_FORMAT.md).
    from_: Literal["denial_date", "medicare_start"] | None = Field(default=None, alias="from")
    days: StrictInt | None = None
    months: StrictInt | None = None
    parameter: str | None = None
    state: str | None = None
    default_parameter: str | None = None
    window: str | None = None            # a parameter of unit window: the next last day
    change: str | None = None            # a parameter of unit date: the date a policy starts
    day_before: StrictBool = False       # with `change`: the last day before that date
    # With `window`: a state that runs its own Marketplace uses that Marketplace's window
    # (marketplace.open_enrollment in its state file), or gives no date when it is not known.
    state_window: StrictBool = False
    title: str | None = None
    if_passed: str | None = None         # what can still be done once the date has passed

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


StateSection = Literal["fair_hearing", "insulin_copay_cap", "external_review", "chip",
                       "emergency_insulin_refill", "marketplace", "state_pages"]


class StepSpec(Strict):
    id: str = Identifier
    order: StrictInt
    title: str
    detail: str
    contacts: list[ContactSpec] = []
    documents: list[str] = []
    deadline: DeadlineSpec | None = None
    sources: list[str] = []
    # Also cite sources from the person's state file: a section's own sources (fair_hearing,
    # insulin_copay_cap, external_review, chip), or state_pages: the file's sources that belong
    # to that state (declared with `states`).
    state_sources: StateSection | list[StateSection] | None = None
    confirm_with: str | None = None
    when: dict[str, Any] | None = None   # a condition on the step alone (the rule's still applies)
    # A step that gets insulin or supplies now: placed first, and shown in the plan's urgent box
    # with the programs named here (when the plan lists them and does not rule them out).
    urgent: StrictBool = False
    programs: list[str] = []
    # Coverages the step speaks about whatever the person has now (the Medicare someone turning
    # 65 is about to join): the sources of these coverages fit the step too.
    speaks_for: list[Coverage] = []


class RuleSpec(Strict):
    id: str = Identifier
    title: str
    reviewed: date
    when: dict[str, Any] | None = None
    why: str
    sources: list[str] = Field(min_length=1)
    sets: dict[Literal["coverage_route"], Literal["dme", "pharmacy", "both", "none"]] = {}
    steps: list[StepSpec] = []
    programs: list[str] = []
    resources: list[str] = []
    letters: list[str] = []
    warnings: list[str] = []


class RulesFile(Strict):
    rules: list[RuleSpec]


# --- test cases ---------------------------------------------------------------------------

class CaseExpect(Strict):
    coverage_route: Literal["dme", "pharmacy", "both", "none"] | None = None
    steps: list[str] = []
    steps_absent: list[str] = []
    programs: dict[str, StrictBool | Literal["maybe"]] = {}
    programs_absent: list[str] = []
    resources: list[str] = []
    letters: list[str] = []
    letters_absent: list[str] = []
    deadlines: dict[str, date] = {}
    deadlines_passed: list[str] = []     # step ids whose deadline the plan reports as passed
    deadlines_open: list[str] = []       # step ids whose deadline is still ahead
    deadlines_absent: list[str] = []     # step ids that must carry no date (e.g. a policy in force)
    deadline_opens: dict[str, date] = {} # step id -> first day of a window not yet open
    steps_exact: list[str] | None = None # the plan's steps, exactly and in this order
    fpl_percent: Number | None = None
    warnings: StrictInt | None = None
    rules: list[str] = []                # ids of rules that must fire (the plan's trace)
    rules_absent: list[str] = []         # ids of rules that must not fire (e.g. a warning's rule)
    errors: list[str] = []


class RuleCase(Strict):
    name: str
    as_of: date = date(2026, 11, 23)
    answers: dict[str, Any]
    expect: CaseExpect


class CasesFile(Strict):
    cases: list[RuleCase]
