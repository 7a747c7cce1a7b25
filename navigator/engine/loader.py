"""Load, validate and compile the rules folder into a RuleBook.

Every problem is collected and reported together, each naming the file, the rule (or entry) id
and the field. A RuleBook is immutable once built; reloading builds a new one.
"""
from __future__ import annotations

import bisect
import dataclasses
import functools
import hashlib
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from navigator import yamlfile
from navigator.engine import schema
from navigator.engine.answers import CGMS, COVERAGES, FIELDS, STATES
from navigator.engine.conditions import ConditionError, Predicate, compile_condition
from navigator.engine.facts import FACT_TYPES, fact_types
from navigator.engine.relevance import SourceChecker
from navigator.engine.text import PARAMETER_ROOTS, Placeholder, Text, parse_text
from navigator.textformat import US_TIME_ZONES

DEFAULT_RULES_DIR = Path(__file__).resolve().parent.parent.parent / "rules"
LIST_KEYS = ("rules", "programs", "resources", "cgms", "pumps", "letters", "cases")
MAPPING_KEYS = ("sources", "parameters", "billing_codes")
# The parameters behind the derived facts extra_help_status and msp_screen.
LOW_INCOME_PARAMETERS = ("lis.income_limit_pct_fpl", "lis.resource_limit_single_usd",
                         "lis.resource_limit_couple_usd", "msp.income_disregard_usd_month",
                         "msp.qmb_income_pct_fpl", "msp.slmb_income_pct_fpl", "msp.qi_income_pct_fpl")
# The parameters the engine reads for every plan, and what for.
ENGINE_PARAMETERS = {
    "fpl.contiguous": "to work out % of poverty level",
    "fpl.alaska": "to work out % of poverty level",
    "fpl.hawaii": "to work out % of poverty level",
    "medicaid.child_age_limit": "the age under which a state's Medicaid limit for children applies",
    "epsdt.age_limit": "the age under which the derived fact under_epsdt_age is true",
    "medicare.entitlement_age": "the age Medicare starts (turning-65 timeline, Medicaid screen, "
                                "disability answer)",
}
# Files that do not change a plan are left out of the version hash.
NOT_IN_VERSION = ("tests/", "questions.yaml")


@dataclass(frozen=True)
class Problem:
    file: str
    item: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.item:
            where += f": {self.item}"
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.message}"


class RulesInvalid(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the rules:\n{lines}{more}")


@dataclass(frozen=True)
class CompiledContact:
    name: Text
    phone: Text | None
    url: Text | None


@dataclass(frozen=True)
class CompiledDeadline:
    days: int | None
    months: int | None
    parameter: str | None
    state_path: tuple[str, ...] | None
    default_parameter: str | None
    title: Text | None
    start: str | None = None             # denial_date | medicare_start (None: window or change)
    window: str | None = None
    change: str | None = None
    day_before: bool = False
    if_passed: Text | None = None
    state_window: bool = False


@dataclass(frozen=True)
class CompiledStep:
    id: str
    order: int
    position: int
    title: Text
    detail: Text
    contacts: tuple[CompiledContact, ...]
    documents: tuple[Text, ...]
    deadline: CompiledDeadline | None
    source_ids: tuple[str, ...]
    confirm_with: Text | None
    # Placeholders whose value may be unverified (state, pump, parameter), for "confirm with".
    checked_placeholders: tuple[Placeholder, ...]
    all_source_ids: tuple[str, ...] = ()     # the rule's sources, then the step's own
    state_sources: tuple[str, ...] = ()      # state-file sections whose sources the step cites
    applies: Predicate | None = None         # the step's own condition, if any
    when: Any = None                         # that condition as written, for the rules check
    urgent: bool = False
    program_ids: tuple[str, ...] = ()        # the programs an urgent step points to
    speaks_for: tuple[str, ...] = ()         # coverages whose sources fit the step for everyone


@dataclass(frozen=True)
class CompiledRule:
    id: str
    title: str
    why: str
    reviewed: date
    file: str
    applies: Predicate
    source_ids: tuple[str, ...]
    sets: dict[str, str]
    steps: tuple[CompiledStep, ...]
    programs: tuple[str, ...]
    resources: tuple[str, ...]
    letters: tuple[str, ...]
    warnings: tuple[Text, ...]
    when: Any = None            # the condition as written, for the rules check and --stats


@dataclass
class RuleBook:
    root: Path
    version: str
    reviewed: date
    sources: dict[str, schema.SourceSpec]
    parameters: dict[str, schema.ParameterSpec]
    states: dict[str, schema.StateSpec]
    programs: dict[str, schema.ProgramSpec]
    resources: dict[str, schema.ResourceSpec]
    cgms: dict[str, schema.CgmSpec]
    program_reasons: dict[str, str]
    pumps: dict[str, schema.PumpSpec]
    letters: dict[str, schema.LetterSpec]
    texts: schema.TextsFile
    coverages: dict[str, schema.CoverageSpec]
    diagnosis_codes: dict[str, str]
    rules: tuple[CompiledRule, ...]
    uses_open_enrollment: bool
    uses_low_income_screens: bool = False
    by_coverage: dict[str, tuple[CompiledRule, ...]] = field(default_factory=dict)
    sources_out: dict[str, Any] = field(default_factory=dict)
    state_dicts: dict[str, dict] = field(default_factory=dict)
    pump_dicts: dict[str, dict] = field(default_factory=dict)
    billing_codes: dict[str, schema.BillingCodeSpec] = field(default_factory=dict)
    cgm_answers: dict[str, list[str]] = field(default_factory=dict)
    pump_estimate: schema.EstimateSpec | None = None
    representatives: dict[str, Any] = field(default_factory=dict)   # letters' senders, by coverage
    # Each parameter's dates in order, made at load time (lookups bisect it).
    parameter_dates: dict[str, list[date]] = field(default_factory=dict)

    def parameter(self, name: str, on: date) -> Any:
        """The value of a parameter in force on a date (the latest dated value not after it)."""
        spec = self.parameters[name]
        dates = self.parameter_dates.get(name) or sorted(spec.values)
        # A date before the first dated value gets the first value.
        return spec.values[dates[max(bisect.bisect_right(dates, on) - 1, 0)]]

    @functools.cached_property
    def pump_names(self) -> dict[str, str]:
        """Pump id -> name, in catalogue order."""
        return {pump_id: pump.name for pump_id, pump in self.pumps.items()}

    def rules_for(self, coverage: str) -> tuple[CompiledRule, ...]:
        """The rules that can fire for this coverage, in file order (see coverage_values)."""
        return self.by_coverage[coverage]

    def source_output(self, source_id: str) -> Any:
        return self.sources_out[source_id]

    def counts(self) -> dict[str, int]:
        return {"rules": len(self.rules), "steps": sum(len(r.steps) for r in self.rules),
                "sources": len(self.sources), "parameters": len(self.parameters),
                "states": len(self.states), "programs": len(self.programs),
                "resources": len(self.resources),
                "pumps": len(self.pumps), "letters": len(self.letters)}


def _read_yaml(path: Path, root: Path, problems: list[Problem]) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yamlfile.safe_load(handle)
    except yaml.YAMLError as exc:
        problems.append(Problem(_rel(path, root), None, None, f"not valid YAML: {exc}"))
    except UnicodeDecodeError as exc:
        problems.append(Problem(_rel(path, root), None, None,
                                f"not UTF-8 text (byte {exc.start}: {exc.reason})"))
    except OSError as exc:
        problems.append(Problem(_rel(path, root), None, None,
                                f"cannot be read ({exc.strerror or type(exc).__name__})"))
    return None


def _rel(path: Path, root: Path) -> str:
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


def _item_name(data: Any, loc: tuple) -> str | None:
    """For a pydantic error location like ('rules', 3, 'when'), the id of item 3."""
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(data, dict) and loc[0] in LIST_KEYS:
        items = data.get(loc[0])
        if isinstance(items, list) and loc[1] < len(items) and isinstance(items[loc[1]], dict):
            return f"{loc[0].removesuffix('s')} {items[loc[1]].get('id', f'#{loc[1] + 1}')}"
    if len(loc) >= 2 and loc[0] in MAPPING_KEYS and isinstance(data, dict):
        return f"{loc[0][:-1]} {loc[1]}"
    return None


def _validate(model: type[BaseModel], data: Any, rel: str, problems: list[Problem]) -> Any:
    if data is None:
        problems.append(Problem(rel, None, None, "the file is empty"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            item = _item_name(data, loc)
            skip = 2 if item else 0
            field_path = ".".join(str(part) for part in loc[skip:]) or None
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown key (not part of the format; check its spelling and indentation)"
            elif error["type"] == "missing":
                message = "missing (required)"
            problems.append(Problem(rel, item, field_path, message))
        return None


def _files(root: Path, pattern: str) -> list[Path]:
    return sorted(root.glob(pattern))


def rules_version(root: Path) -> str:
    """A hash of the files that can change a plan (rule cases and questions left out)."""
    return _yaml_hash(root, skip=NOT_IN_VERSION)


def files_fingerprint(root: Path) -> str:
    """A hash of every YAML file under `root`, rule cases and questions included: unlike
    rules_version it changes when only a rule case changes."""
    return _yaml_hash(root, skip=())


def _yaml_hash(root: Path, skip: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(skip):
            continue
        try:
            content = path.read_bytes()
        except OSError:         # e.g. a folder named like a file: load_rulebook names it
            content = b"\0unreadable"
        digest.update(relative.encode() + b"\0" + content + b"\0")
    return digest.hexdigest()[:12]


def load_rulebook(root: str | Path) -> RuleBook:
    """Read and check every rule file under `root`; raise RulesInvalid listing all problems."""
    root = Path(root)
    problems: list[Problem] = []
    if not root.is_dir():
        raise RulesInvalid([Problem(str(root), None, None, "the rules folder does not exist")])

    sources = {name: spec for name, (_rel_path, spec)
               in _load_mapping(root, "sources/*.yaml", schema.SourcesFile, "sources", problems).items()}
    checker = _Checker(root, sources, problems)

    parameters: dict[str, schema.ParameterSpec] = {}
    for name, (rel, spec) in _load_mapping(root, "parameters/*.yaml", schema.ParametersFile,
                                           "parameters", problems).items():
        parameters[name] = spec
        checker.sources(rel, f"parameter {name}", spec.sources)
        _check_parameter_values(rel, name, spec, problems)
    checker.parameters = parameters

    states = _load_states(root, checker, problems)
    programs = _load_list(root, "programs/*.yaml", schema.ProgramsFile, "programs", checker, problems)
    for program in programs.values():
        for code in program.eligibility.states or ():
            if code not in STATES:
                problems.append(Problem("rules/programs", f"program {program.id}",
                                        "eligibility.states", f"{code!r} is not a state or DC"))
    pumps, billing_codes, cgm_answers, pump_estimate = _load_pumps(root, checker, problems)
    for program in programs.values():
        for pump_id in program.eligibility.pumps or ():
            if pump_id not in pumps:
                problems.append(Problem("rules/programs", f"program {program.id}",
                                        "eligibility.pumps", f"unknown pump {pump_id!r}; known: "
                                        + ", ".join(pumps)))
    resources = _load_list(root, "resources.yaml", schema.ResourcesFile, "resources", checker,
                           problems)
    cgms = _load_list(root, "cgms.yaml", schema.CgmsFile, "cgms", checker, problems)
    program_reasons = _load_program_reasons(root, problems)
    _check_cgms(cgms, programs, problems)
    letters = _load_list(root, "letters.yaml", schema.LettersFile, "letters", checker, problems)
    diagnosis_codes = _diagnosis_codes(root)
    representatives = _representatives(root, checker, problems)
    checker.states, checker.pumps = states, pumps
    checker.fact_types = fact_types(tuple(pumps))
    texts = _load_texts(root, problems)
    coverages = _load_coverages(root, checker, problems)

    rules: list[CompiledRule] = []
    rule_whens: dict[str, Any] = {}
    for file_index, path in enumerate(_files(root, "plan/*.yaml")):
        rel = _rel(path, root)
        parsed = _validate(schema.RulesFile, _read_yaml(path, root, problems), rel, problems)
        for spec in (parsed.rules if parsed else ()):
            compiled = checker.rule(rel, file_index, spec, programs, letters, resources)
            if compiled:
                rules.append(compiled)
                rule_whens[compiled.id] = spec.when
    _check_unique(rules, problems)
    rule_ids = {rule.id for rule in rules}
    for letter in letters.values():
        for rule_id in letter.with_rules:
            if rule_id not in rule_ids:
                problems.append(Problem("rules/letters.yaml", f"letter {letter.id}", "with_rules",
                                        f"unknown rule {rule_id!r}"))
    _check_source_scopes(sources, pumps, problems)
    if not problems:
        source_checker = SourceChecker(sources, states, pumps, problems, coverages)
        for rule in rules:
            source_checker.check(rule)

    for required, why in ENGINE_PARAMETERS.items():
        if required not in parameters:
            problems.append(Problem("rules/parameters", f"parameter {required}", None,
                                    f"missing: the engine needs it ({why})"))
    uses_open_enrollment = checker.fields_used.__contains__("open_enrollment")
    if uses_open_enrollment and "marketplace.open_enrollment" not in parameters:
        problems.append(Problem("rules/plan", None, "open_enrollment",
                                "is used but parameter marketplace.open_enrollment is missing"))
    uses_low_income_screens = bool(checker.fields_used & {"extra_help_status", "msp_screen"})
    for required in LOW_INCOME_PARAMETERS if uses_low_income_screens else ():
        if required not in parameters:
            problems.append(Problem("rules/parameters", f"parameter {required}", None,
                                    "missing: the Extra Help and Medicare Savings Program screens need it"))
    if problems:
        raise RulesInvalid(problems)

    reviewed = max([r.reviewed for r in rules] + [s.checked for s in states.values()]
                   + [p.checked for p in programs.values()] or [date(2000, 1, 1)])
    from navigator.engine.plan import Source

    sources_out = {key: Source(id=key, title=spec.title, url=spec.url, checked=spec.checked,
                               verified=spec.verified) for key, spec in sources.items()}
    return RuleBook(
        root=root, version=rules_version(root), reviewed=reviewed, sources=sources,
        sources_out=sources_out, by_coverage=_bucket_by_coverage(rules, rule_whens),
        parameters=parameters, states=states, programs=programs, pumps=pumps, letters=letters,
        billing_codes=billing_codes, cgm_answers=cgm_answers, pump_estimate=pump_estimate,
        resources=resources, cgms=cgms, program_reasons=program_reasons,
        texts=texts, coverages=coverages, diagnosis_codes=diagnosis_codes, rules=tuple(rules),
        representatives=representatives,
        uses_open_enrollment=uses_open_enrollment,
        uses_low_income_screens=uses_low_income_screens,
        state_dicts={code: s.model_dump() for code, s in states.items()},
        pump_dicts={pid: p.model_dump() for pid, p in pumps.items()},
        parameter_dates={name: sorted(spec.values) for name, spec in parameters.items()},
    )


WINDOW_KEYS = {"start_month", "start_day", "end_month", "end_day", "start_year_offset"}


def _check_parameter_values(rel: str, name: str, spec: schema.ParameterSpec,
                            problems: list[Problem]) -> None:
    """Table and window values are mappings, date values dates, every other unit a number."""
    item = f"parameter {name}"
    for value in spec.values.values():
        if spec.unit in ("table", "window"):
            if not isinstance(value, dict):
                problems.append(Problem(rel, item, "values",
                                        f"a {spec.unit} parameter needs a mapping for every date"))
                return
            if spec.unit == "window" and set(value) != WINDOW_KEYS:
                problems.append(Problem(rel, item, "values",
                                        "a window needs exactly " + ", ".join(sorted(WINDOW_KEYS))))
                return
        elif spec.unit == "date":
            if not isinstance(value, date):
                problems.append(Problem(rel, item, "values", "unit date takes a date (YYYY-MM-DD)"))
                return
        elif isinstance(value, (dict, date)):
            problems.append(Problem(rel, item, "values",
                                    f"unit {spec.unit} takes a number, not a mapping or a date"))
            return


def coverage_values(when: Any) -> set[str] | None:
    """The coverages a condition can be true for, read from its top level; None = any.

    Only a `coverage` test at the top, or inside a top-level `all`, narrows it: enough to skip
    most rules before evaluating them, and always safe (the condition still runs)."""
    if not isinstance(when, dict):
        return None
    if when.get("field") == "coverage":
        if "equals" in when:
            return {when["equals"]}
        if "in" in when:
            return set(when["in"])
        if "not_equals" in when:
            return set(COVERAGES) - {when["not_equals"]}
        if "not_in" in when:
            return set(COVERAGES) - set(when["not_in"])
        return None
    if "all" in when and isinstance(when["all"], list):
        narrowed: set[str] | None = None
        for part in when["all"]:
            values = coverage_values(part)
            if values is not None:
                narrowed = values if narrowed is None else narrowed & values
        return narrowed
    return None


def _bucket_by_coverage(rules: list[CompiledRule], whens: dict[str, Any]) -> dict:
    buckets: dict[str, list[CompiledRule]] = {coverage: [] for coverage in COVERAGES}
    for rule in rules:
        values = coverage_values(whens.get(rule.id))
        for coverage in COVERAGES:
            if values is None or coverage in values:
                buckets[coverage].append(rule)
    return {coverage: tuple(bucket) for coverage, bucket in buckets.items()}


def _load_mapping(root: Path, pattern: str, model: type[BaseModel], key: str,
                  problems: list[Problem]) -> dict[str, tuple[str, Any]]:
    """Entries keyed by name across several files: name -> (file, entry); a name twice is a problem."""
    items: dict[str, tuple[str, Any]] = {}
    for path in _files(root, pattern):
        rel = _rel(path, root)
        parsed = _validate(model, _read_yaml(path, root, problems), rel, problems)
        for name, spec in (getattr(parsed, key).items() if parsed else ()):
            if name in items:
                problems.append(Problem(rel, f"{key[:-1]} {name}", None, "defined twice"))
            items[name] = (rel, spec)
    return items


def _load_pumps(root: Path, checker: _Checker,
                problems: list[Problem]) -> tuple[dict, dict, dict, Any]:
    """The pump catalogue, its billing codes, CGM answers and estimate settings, cross-checked."""
    path = root / "pumps.yaml"
    rel = _rel(path, root)
    if not path.is_file():
        problems.append(Problem(rel, None, None, "missing: the pump catalogue is required"))
        return {}, {}, {}, None
    parsed = _validate(schema.PumpsFile, _read_yaml(path, root, problems), rel, problems)
    if parsed is None:
        return {}, {}, {}, None
    for code, spec in parsed.billing_codes.items():
        checker.sources(rel, f"billing_code {code}", spec.sources)
    checker.sources(rel, "estimate", parsed.estimate.sources)
    pumps: dict[str, schema.PumpSpec] = {}
    for pump in parsed.pumps:
        item = f"pump {pump.id}"
        if pump.id in pumps or pump.id == "undecided":
            problems.append(Problem(rel, item, "id", "defined twice" if pump.id in pumps
                                    else "'undecided' is the answer for no pump yet"))
        pumps[pump.id] = pump
        _check_pump(rel, item, pump, parsed.billing_codes, checker, problems)
    _check_cgm_answers(rel, parsed.cgm_answers, pumps, problems)
    return pumps, parsed.billing_codes, parsed.cgm_answers, parsed.estimate


def _check_cgm_answers(rel: str, cgm_answers: dict[str, list[str]], pumps: dict,
                       problems: list[Problem]) -> None:
    answer = FIELDS.get("cgm_in_use")
    listed = {name for pump in pumps.values() for name in pump.compatible_cgms}
    for value, names in cgm_answers.items():
        if answer is not None and value not in answer.allowed:
            problems.append(Problem(rel, f"cgm_answer {value}", None,
                                    "is not a value of the cgm_in_use answer; allowed: "
                                    + ", ".join(answer.allowed)))
        for name in names:
            if name not in listed:
                problems.append(Problem(rel, f"cgm_answer {value}", None,
                                        f"{name!r} is in no pump's compatible_cgms"))


def _check_pump(rel: str, item: str, pump: schema.PumpSpec, codes: dict, checker: _Checker,
                problems: list[Problem]) -> None:
    """Every known fact has a source; a fact not marked unverified cites a verified source."""
    for name, ids in pump.fact_sources.items():
        if name not in schema.PUMP_FACT_FIELDS:
            problems.append(Problem(rel, item, f"sources.{name}", "names no fact field of a pump"))
        elif not ids:
            problems.append(Problem(rel, item, f"sources.{name}", "list at least one source id"))
        checker.sources(rel, item, ids, f"sources.{name}")
    for name in pump.unverified:
        if name not in schema.PUMP_FACT_FIELDS:
            problems.append(Problem(rel, item, f"unverified: {name}", "names no fact field of a pump"))
    for name in schema.PUMP_FACT_FIELDS:
        if not pump.is_known(name):
            continue
        fact_ids = pump.fact_sources.get(name)
        if not fact_ids:
            problems.append(Problem(rel, item, name, "has a value but no source: add it under "
                                    "sources, or set it to null when it is not known"))
        elif name not in pump.unverified and not any(
                checker.known_sources[sid].verified for sid in fact_ids
                if sid in checker.known_sources):
            problems.append(Problem(rel, item, name, "cites only unverified sources: list it "
                                    "under unverified, or cite a verified source"))
    for code in pump.codes:
        if code not in codes:
            problems.append(Problem(rel, item, "codes", f"unknown billing code {code!r}; add it "
                                    "under billing_codes"))
    for index, price in enumerate(pump.prices):
        checker.sources(rel, item, price.sources, f"prices[{index}].sources")
        if price.verified and not any(checker.known_sources[sid].verified
                                      for sid in price.sources if sid in checker.known_sources):
            problems.append(Problem(rel, item, f"prices[{index}]", "is marked verified but "
                                    "cites only unverified sources: set verified: false, or cite "
                                    "the page the price was read on"))


def _load_states(root: Path, checker: _Checker, problems: list[Problem]) -> dict:
    states: dict[str, schema.StateSpec] = {}
    files = _files(root, "states/*.yaml")
    for path in files:
        rel = _rel(path, root)
        spec = _validate(schema.StateSpec, _read_yaml(path, root, problems), rel, problems)
        if spec is None:
            continue
        if path.stem != spec.code:
            problems.append(Problem(rel, f"state {spec.code}", "code",
                                    f"does not match the file name {path.name}"))
        if spec.code not in STATES:
            problems.append(Problem(rel, f"state {spec.code}", "code", "not a state or DC"))
        if spec.time_zone not in US_TIME_ZONES:
            problems.append(Problem(rel, f"state {spec.code}", "time_zone",
                                    "must be one of: " + ", ".join(US_TIME_ZONES)))
        checker.sources(rel, f"state {spec.code}", spec.sources)
        for section in ("fair_hearing", "insulin_copay_cap", "chip", "external_review", "marketplace",
                        "emergency_insulin_refill"):
            part = getattr(spec, section)
            if part is not None:
                checker.sources(rel, f"state {spec.code}", part.sources, f"{section}.sources")
        _check_emergency_refill(rel, spec, checker, problems)
        _check_marketplace_window(rel, spec, checker.parameters, problems)
        _check_unverified(root, rel, f"state {spec.code}", spec, spec.unverified, problems)
        states[spec.code] = spec
    missing = sorted(set(STATES) - {path.stem for path in files})
    if missing and (root / "states").is_dir():
        problems.append(Problem("rules/states", None, None,
                                "no file for: " + ", ".join(missing)))
    return states


def _check_marketplace_window(rel: str, spec: schema.StateSpec, parameters: dict,
                              problems: list[Problem]) -> None:
    name = spec.marketplace.open_enrollment if spec.marketplace else None
    if name is None:
        return
    if name not in parameters:
        problems.append(Problem(rel, f"state {spec.code}", "marketplace.open_enrollment",
                                f"unknown parameter {name!r}"))
    elif parameters[name].unit != "window":
        problems.append(Problem(rel, f"state {spec.code}", "marketplace.open_enrollment",
                                f"parameter {name!r} is in {parameters[name].unit}, not window"))


def _representatives(root: Path, checker, problems: list[Problem]) -> dict[str, Any]:
    """letters.yaml's representatives, by coverage (each coverage once)."""
    rel = "rules/letters.yaml"
    path = root / "letters.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    if not isinstance(data, dict):
        return {}
    try:
        parsed = schema.LettersFile.model_validate(data)
    except ValueError:
        return {}           # the letters' own load reports the problem
    by_coverage: dict[str, Any] = {}
    for spec in parsed.representatives:
        checker.sources(rel, f"representative {spec.id}", spec.sources)
        for coverage in spec.coverages:
            if coverage in by_coverage:
                problems.append(Problem(rel, f"representative {spec.id}", "coverages",
                                        f"{coverage} is already given by {by_coverage[coverage].id}"))
            by_coverage[coverage] = spec
    return by_coverage


def _diagnosis_codes(root: Path) -> dict[str, str]:
    """letters.yaml's diagnosis_codes (its shape was checked with the letters)."""
    path = root / "letters.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    return dict(data.get("diagnosis_codes") or {}) if isinstance(data, dict) else {}


def _load_list(root, pattern, model, key, checker, problems) -> dict:
    items: dict[str, Any] = {}
    for path in _files(root, pattern):
        rel = _rel(path, root)
        parsed = _validate(model, _read_yaml(path, root, problems), rel, problems)
        for spec in (getattr(parsed, key) if parsed else ()):
            if spec.id in items:
                problems.append(Problem(rel, f"{key[:-1]} {spec.id}", "id", "defined twice"))
            items[spec.id] = spec
            if checker and getattr(spec, "sources", None) is not None:
                checker.sources(rel, f"{key[:-1]} {spec.id}", spec.sources)
    return items


def _load_program_reasons(root: Path, problems: list[Problem]) -> dict[str, str]:
    """The wording of the programs' eligibility reasons: every reason present, each with only
    its own placeholders."""
    from navigator.engine.programs import REASON_FIELDS
    rel = "rules/program_reasons.yaml"
    parsed = _validate(schema.ProgramReasonsFile,
                       _read_yaml(root / "program_reasons.yaml", root, problems), rel, problems)
    if parsed is None:
        return {}
    for key in sorted(set(REASON_FIELDS) - set(parsed.reasons)):
        problems.append(Problem(rel, f"reason {key}", None, "missing: the engine gives this reason"))
    for key, text in parsed.reasons.items():
        if key not in REASON_FIELDS:
            problems.append(Problem(rel, f"reason {key}", None, "the engine has no such reason"))
            continue
        used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        for name in sorted(used - REASON_FIELDS[key]):
            problems.append(Problem(rel, f"reason {key}", None,
                                    f"{{{name}}} is not a placeholder of this reason; allowed: "
                                    + (", ".join(sorted(REASON_FIELDS[key])) or "none")))
    return dict(parsed.reasons)


def _check_cgms(cgms: dict, programs: dict, problems: list[Problem]) -> None:
    """The CGM names match the answer values, and programs name only known CGMs. Which pumps
    work with which CGM answer is the pump catalogue's cgm_answers."""
    if not cgms:
        return
    if set(cgms) != set(CGMS):
        problems.append(Problem("rules/cgms.yaml", None, "id",
                                f"the CGM ids must be exactly the answer values {', '.join(CGMS)}"))
    for program in programs.values():
        for cgm_id in program.eligibility.cgms or ():
            if cgm_id not in cgms:
                problems.append(Problem("rules/programs", f"program {program.id}",
                                        "eligibility.cgms", f"unknown CGM {cgm_id!r}"))


def _check_emergency_refill(rel, spec, checker, problems) -> None:
    """An emergency insulin refill law marked verified cites a verified official source; one not
    verified lists its facts under the state's `unverified`, so the plan says to confirm them."""
    refill = spec.emergency_insulin_refill
    if refill is None:
        return
    item = f"state {spec.code}"
    if refill.verified:
        official = [s for s in refill.sources if s in checker.known_sources
                    and checker.known_sources[s].verified
                    and checker.known_sources[s].kind != "secondary"]
        if not official:
            problems.append(Problem(rel, item, "emergency_insulin_refill.verified",
                                    "true, but no source is a verified official text: set "
                                    "verified: false, or cite the official text"))
    elif not any(e == "emergency_insulin_refill" or e.startswith("emergency_insulin_refill.")
                 for e in spec.unverified):
        problems.append(Problem(rel, item, "emergency_insulin_refill.verified",
                                "false: list emergency_insulin_refill.days (and the other facts "
                                "not confirmed) under unverified"))


def _check_unverified(root, rel, item, spec, paths, problems) -> None:
    data = spec.model_dump()
    for dotted in paths:
        value: Any = data
        for key in dotted.split("."):
            if not isinstance(value, dict) or key not in value:
                problems.append(Problem(rel, item, f"unverified: {dotted}",
                                        "names no field of this entry"))
                break
            value = value[key]


def _load_coverages(root: Path, checker: _Checker, problems: list[Problem]) -> dict:
    """rules/coverages.yaml: one entry for every answer value of `coverage`."""
    rel = "rules/coverages.yaml"
    path = root / "coverages.yaml"
    if not path.is_file():
        problems.append(Problem(rel, None, None, "missing: the engine needs the coverages"))
        return {}
    parsed = _validate(schema.CoveragesFile, _read_yaml(path, root, problems), rel, problems)
    if parsed is None:
        return {}
    missing = [c for c in COVERAGES if c not in parsed.coverages]
    if missing:
        problems.append(Problem(rel, None, "coverages", "no entry for: " + ", ".join(missing)))
    checker.sources(rel, "coverages", parsed.sources)
    for coverage, spec in parsed.coverages.items():
        for name in ("payer", "payer_fallback"):
            text = getattr(spec, name)
            for placeholder in parse_text(text).placeholders if text else ():
                if placeholder.root != "state" or not _model_has_path(schema.StateSpec,
                                                                      placeholder.path):
                    problems.append(Problem(rel, f"coverage {coverage}", name,
                                            f"{{{placeholder.dotted}}}: use {{state.…}} fields only"))
    return dict(parsed.coverages)


def _load_texts(root: Path, problems: list[Problem]) -> Any:
    """rules/texts.yaml: the engine's sentences; each may use only the slots of its place."""
    rel = "rules/texts.yaml"
    if not (root / "texts.yaml").is_file():
        problems.append(Problem(rel, None, None, "missing: the engine needs its sentences"))
        return None
    texts = _validate(schema.TextsFile, _read_yaml(root / "texts.yaml", root, problems), rel,
                      problems)
    if texts is None:
        return None
    places: list[tuple[str, str, str]] = [
        (f"confirm.{name}", f"confirm.{name}", value)
        for name, value in texts.confirm.model_dump().items()]
    places += [(f"state_fields.{k}", "state_fields", v) for k, v in texts.state_fields.items()]
    places += [(f"pump_fields.{k}", "pump_fields", v) for k, v in texts.pump_fields.items()]
    places.append(("field_fallback", "field_fallback", texts.field_fallback))
    places += [(f"billing_notes.{k}", "billing_notes", v)
               for k, v in texts.billing_notes.model_dump().items()]
    for where, place, text in places:
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            problems.append(Problem(rel, None, where, f"not a valid text: {exc}"))
            continue
        unknown = used - schema.TEXT_SLOTS[place]
        if unknown:
            allowed = ", ".join(f"{{{n}}}" for n in sorted(schema.TEXT_SLOTS[place])) or "none"
            problems.append(Problem(rel, None, where, "unknown slot " + ", ".join(
                f"{{{n}}}" for n in sorted(unknown)) + f"; allowed here: {allowed}"))
    for key in texts.state_fields:
        if not _model_has_path(schema.StateSpec, tuple(key.split("."))):
            problems.append(Problem(rel, None, f"state_fields.{key}", "names no field of the state files"))
    for key in texts.pump_fields:
        if not _model_has_path(schema.PumpSpec, tuple(key.split("."))):
            problems.append(Problem(rel, None, f"pump_fields.{key}", "names no field of the pump catalogue"))
    return texts


def _check_source_scopes(sources: dict, pumps: dict, problems: list[Problem]) -> None:
    """A source's states and pumps must name real ones (the file is not known here: ids are unique)."""
    for source_id, spec in sources.items():
        for code in spec.states or ():
            if code not in STATES:
                problems.append(Problem("rules/sources", f"source {source_id}", "states",
                                        f"{code!r} is not a state or DC"))
        for pump_id in spec.pumps or ():
            if pump_id not in pumps:
                problems.append(Problem("rules/sources", f"source {source_id}", "pumps",
                                        f"{pump_id!r} is not a pump in rules/pumps.yaml"))


def _check_unique(rules: list[CompiledRule], problems: list[Problem]) -> None:
    seen_rules: dict[str, str] = {}
    seen_steps: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen_rules:
            problems.append(Problem(rule.file, f"rule {rule.id}", "id",
                                    f"also defined in {seen_rules[rule.id]}"))
        seen_rules[rule.id] = rule.file
        for step in rule.steps:
            if step.id in seen_steps:
                problems.append(Problem(rule.file, f"rule {rule.id}", f"steps.{step.id}",
                                        f"step id also used by rule {seen_steps[step.id]}"))
            seen_steps[step.id] = rule.id


class _Checker:
    """Checks references (sources, parameters, fields, placeholders) and compiles rules."""

    def __init__(self, root: Path, sources: dict, problems: list[Problem]):
        self.root = root
        self.known_sources = sources
        self.problems = problems
        self.parameters: dict[str, schema.ParameterSpec] = {}
        self.states: dict[str, schema.StateSpec] = {}
        self.pumps: dict[str, schema.PumpSpec] = {}
        self.fields_used: set[str] = set()
        self.fact_types = FACT_TYPES

    def sources(self, rel: str, item: str, ids: list[str], where: str = "sources") -> None:
        for source_id in ids:
            if source_id not in self.known_sources:
                self.problems.append(Problem(rel, item, where, f"unknown source id {source_id!r}"))

    def rule(self, rel, file_index, spec: schema.RuleSpec, programs, letters,
             resources=None) -> CompiledRule | None:
        item = f"rule {spec.id}"
        before = len(self.problems)
        self.sources(rel, item, spec.sources)
        applies: Predicate = lambda facts: True
        if spec.when is not None:
            try:
                applies = compile_condition(spec.when, self.fact_types)
                self._collect_fields(spec.when)
            except ConditionError as exc:
                self.problems.append(Problem(rel, item, exc.path, str(exc).split(": ", 1)[1]))
        for program_id in spec.programs:
            if program_id not in programs:
                self.problems.append(Problem(rel, item, "programs", f"unknown program {program_id!r}"))
        for step_spec in spec.steps:
            for program_id in step_spec.programs:
                if program_id not in programs:
                    self.problems.append(Problem(rel, item, f"steps.{step_spec.id}.programs",
                                                 f"unknown program {program_id!r}"))
            if step_spec.programs and not step_spec.urgent:
                self.problems.append(Problem(rel, item, f"steps.{step_spec.id}.programs",
                                             "only an urgent step names programs"))
        for resource_id in spec.resources:
            if resource_id not in (resources or {}):
                self.problems.append(Problem(rel, item, "resources", f"unknown resource {resource_id!r}"))
        for letter_id in spec.letters:
            if letter_id not in letters:
                self.problems.append(Problem(rel, item, "letters", f"unknown letter {letter_id!r}"))
        steps = tuple(self._with_sources(self.step(rel, item, index, step), spec.sources)
                      for index, step in enumerate(spec.steps))
        warnings = tuple(self.text(rel, item, f"warnings[{i}]", w) for i, w in enumerate(spec.warnings))
        if len(self.problems) > before:
            return None
        return CompiledRule(
            id=spec.id, title=spec.title, why=spec.why, reviewed=spec.reviewed, file=rel,
            applies=applies, source_ids=tuple(spec.sources), steps=steps,
            sets={str(key): str(value) for key, value in spec.sets.items()},
            programs=tuple(spec.programs), resources=tuple(spec.resources),
            letters=tuple(spec.letters), warnings=warnings,
            when=spec.when)

    def _with_sources(self, step: CompiledStep, rule_sources: list[str]) -> CompiledStep:
        ids = tuple(dict.fromkeys((*rule_sources, *step.source_ids)))
        return dataclasses.replace(step, all_source_ids=ids)

    def _collect_fields(self, node: Any) -> None:
        if isinstance(node, dict):
            if "field" in node:
                self.fields_used.add(node["field"])
            for value in node.values():
                self._collect_fields(value)
        elif isinstance(node, list):
            for value in node:
                self._collect_fields(value)

    def step(self, rel, item, index, spec: schema.StepSpec) -> CompiledStep:
        where = f"steps.{spec.id}"
        self.sources(rel, item, spec.sources, f"{where}.sources")
        text = lambda name, value: self.text(rel, item, f"{where}.{name}", value)
        contacts = tuple(
            CompiledContact(text(f"contacts[{i}].name", c.name),
                            text(f"contacts[{i}].phone", c.phone) if c.phone else None,
                            text(f"contacts[{i}].url", c.url) if c.url else None)
            for i, c in enumerate(spec.contacts))
        documents = tuple(text(f"documents[{i}]", d) for i, d in enumerate(spec.documents))
        title, detail = text("title", spec.title), text("detail", spec.detail)
        confirm = text("confirm_with", spec.confirm_with) if spec.confirm_with else None
        deadline = self.deadline(rel, item, f"{where}.deadline", spec.deadline) if spec.deadline else None
        applies = None
        if spec.when is not None:
            try:
                applies = compile_condition(spec.when, FACT_TYPES, f"{where}.when")
                self._collect_fields(spec.when)
            except ConditionError as exc:
                self.problems.append(Problem(rel, item, exc.path, str(exc).split(": ", 1)[1]))
        texts = [title, detail, *documents]
        for contact in contacts:
            texts += [t for t in (contact.name, contact.phone, contact.url) if t]
        checked = tuple(p for t in texts for p in t.placeholders
                        if p.root in ("state", "pump", *PARAMETER_ROOTS))
        return CompiledStep(id=spec.id, order=spec.order, position=index, title=title,
                            detail=detail, contacts=contacts, documents=documents,
                            deadline=deadline, source_ids=tuple(spec.sources),
                            confirm_with=confirm, checked_placeholders=checked,
                            state_sources=_as_tuple(spec.state_sources), applies=applies,
                            when=spec.when,
                            urgent=spec.urgent, program_ids=tuple(spec.programs),
                            speaks_for=tuple(spec.speaks_for))

    def deadline(self, rel, item, where, spec: schema.DeadlineSpec) -> CompiledDeadline:
        counts = [name for name in ("days", "months", "parameter", "state")
                  if getattr(spec, name) is not None]
        dated = [name for name in ("window", "change") if getattr(spec, name) is not None]
        if spec.from_ is not None and (len(counts) != 1 or dated):
            self.problems.append(Problem(rel, item, where,
                                         "give exactly one of days, months, parameter, state"))
        if spec.from_ is None and (len(dated) != 1 or counts):
            self.problems.append(Problem(rel, item, where,
                                         "give from (with days, months, parameter or state), "
                                         "or window, or change"))
        if spec.day_before and spec.change is None:
            self.problems.append(Problem(rel, item, where, "day_before goes with change"))
        if spec.state_window and spec.window is None:
            self.problems.append(Problem(rel, item, where, "state_window goes with window"))
        if spec.from_ != "medicare_start" and any(
                (n or 0) < 0 for n in (spec.days, spec.months)):
            self.problems.append(Problem(rel, item, where,
                                         "negative days or months only count back from medicare_start"))
        for name in (spec.parameter, spec.default_parameter):
            if name is None:
                continue
            if name not in self.parameters:
                self.problems.append(Problem(rel, item, where, f"unknown parameter {name!r}"))
            elif self.parameters[name].unit not in ("days", "months"):
                self.problems.append(Problem(rel, item, where,
                                             f"parameter {name!r} is in {self.parameters[name].unit}, "
                                             "not days or months"))
        for name, unit in ((spec.window, "window"), (spec.change, "date")):
            if name is None:
                continue
            if name not in self.parameters:
                self.problems.append(Problem(rel, item, where, f"unknown parameter {name!r}"))
            elif self.parameters[name].unit != unit:
                self.problems.append(Problem(rel, item, where,
                                             f"parameter {name!r} is in {self.parameters[name].unit}, "
                                             f"not {unit}"))
        state_path = None
        if spec.state is not None:
            state_path = tuple(spec.state.split("."))
            if not _model_has_path(schema.StateSpec, state_path):
                self.problems.append(Problem(rel, item, where, f"states have no field {spec.state!r}"))
            if spec.default_parameter is None:
                self.problems.append(Problem(rel, item, where,
                                             "a state deadline needs default_parameter for states without a number"))
        title = self.text(rel, item, f"{where}.title", spec.title) if spec.title else None
        if_passed = (self.text(rel, item, f"{where}.if_passed", spec.if_passed)
                     if spec.if_passed else None)
        return CompiledDeadline(spec.days, spec.months, spec.parameter, state_path,
                                spec.default_parameter, title, start=spec.from_,
                                window=spec.window, change=spec.change, day_before=spec.day_before,
                                if_passed=if_passed, state_window=spec.state_window)

    def text(self, rel, item, where, source: str) -> Text:
        parsed = parse_text(source)
        for placeholder in parsed.placeholders:
            message = self._check_placeholder(placeholder)
            if message:
                self.problems.append(Problem(rel, item, where, f"{{{placeholder.dotted}}}: {message}"))
        return parsed

    def _check_placeholder(self, p: Placeholder) -> str | None:
        if p.root == "answers":
            if len(p.path) != 1 or p.path[0] not in FACT_TYPES:
                return "names no answer or derived field"
            self.fields_used.add(p.path[0])
            if p.path[0] not in FIELDS or FIELDS[p.path[0]].required is None or FIELDS[p.path[0]].nullable:
                return None if p.default is not None else "may be empty: add a default like {answers.x|...}"
            return None
        if p.root == "state":
            if not _model_has_path(schema.StateSpec, p.path):
                return "names no field of the state files"
            if p.default is None:
                empty = [code for code, s in self.states.items() if _get_path(s, p.path) in (None, "")]
                if empty:
                    return ("is empty for " + ", ".join(sorted(empty)[:8])
                            + ("…" if len(empty) > 8 else "") + "; add a default like {state.x|...}")
            return None
        if p.root == "pump":
            if not _model_has_path(schema.PumpSpec, p.path):
                return "names no field of the pump catalogue"
            return None if p.default is not None else "needs a default (the person may be undecided)"
        if p.root in PARAMETER_ROOTS:
            name = ".".join(p.path)
            if name not in self.parameters:
                # One entry of a table, e.g. {param.medicaid.retroactive_months.other}.
                table, _, key = name.rpartition(".")
                spec = self.parameters.get(table)
                if spec is not None and spec.unit == "table":
                    if all(isinstance(value, dict) and key in value
                           for value in spec.values.values()):
                        return None
                    return f"is not an entry of every dated value of {table}"
                return "unknown parameter"
            if self.parameters[name].unit in ("table", "window"):
                return f"a {self.parameters[name].unit} parameter cannot be printed"
            if p.root == "param_next_year" and p.default is None:
                return "needs a default (next year's value may not be known yet)"
            return None
        if p.root == "fpl_percent" and not p.path:
            return None if p.default is not None else "needs a default (income may not be given)"
        return ("unknown placeholder; use answers., state., pump., param., param_next_year. "
                "or fpl_percent")


def _as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _model_has_path(model: type[BaseModel], path: tuple[str, ...]) -> bool:
    current: Any = model
    for key in path:
        fields = getattr(current, "model_fields", None)
        if not fields or key not in fields:
            return False
        annotation = fields[key].annotation
        nested = [a for a in getattr(annotation, "__args__", (annotation,))
                  if isinstance(a, type) and issubclass(a, BaseModel)]
        current = nested[0] if nested else annotation
    return not (isinstance(current, type) and issubclass(current, BaseModel))


def _get_path(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        obj = getattr(obj, key, None)
    return obj


@functools.lru_cache(maxsize=1)
def default_rulebook() -> RuleBook:
    """The rules in the project's own rules/ folder, loaded once per process."""
    return load_rulebook(DEFAULT_RULES_DIR)


def load_cases(root: str | Path) -> list[tuple[str, schema.RuleCase]]:
    """The YAML test cases beside the rules: (file, case) pairs; invalid files raise RulesInvalid."""
    root = Path(root)
    problems: list[Problem] = []
    cases: list[tuple[str, schema.RuleCase]] = []
    for path in _files(root, "tests/*.yaml"):
        rel = _rel(path, root)
        parsed = _validate(schema.CasesFile, _read_yaml(path, root, problems), rel, problems)
        for case in (parsed.cases if parsed else ()):
            cases.append((rel, case))
    if problems:
        raise RulesInvalid(problems)
    return cases
