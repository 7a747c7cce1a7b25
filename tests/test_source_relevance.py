"""Sources chosen for the situation: what a step cites, and the rules check that enforces it."""
import itertools
import shutil
from datetime import date

import pytest
import yaml

from navigator.engine import RulesInvalid, evaluate, load_rulebook
from navigator.engine.answers import COVERAGES
from navigator.engine.facts import state_facts
from navigator.engine.loader import DEFAULT_RULES_DIR
from navigator.engine.relevance import (
    UNDECIDED,
    SourceChecker,
    _fields,
    _with_second_coverage,
    coverage_facts,
    fits,
    person_coverages,
    pump_facts,
    step_when,
    truth,
)
from tests.answers import answers

AS_OF = date(2026, 11, 23)
MEDICARE_ONLY = {"cfr_42_405_942", "cfr_42_405_962", "cms_lcd_l33794", "cms_article_a52507"}


def plan_for(book, **overrides):
    return evaluate(answers(**overrides), AS_OF, book)


def sources_of(plan, step_id):
    return [s.id for s in next(s for s in plan.steps if s.id == step_id).sources]


# --- the plan cites what fits the person ---------------------------------------------------------

@pytest.mark.parametrize("denial", ["none", "prior_authorization"])
def test_a_medicaid_child_gets_no_medicare_rule_and_no_insurer_guideline(book, denial):
    extra = {"denial_date": "2026-11-10"} if denial != "none" else {}
    plan = plan_for(book, state="GA", age=9, coverage="medicaid", pump_wanted="tslim_x2",
                    denial=denial, **extra)
    cited = {s.id for step in plan.steps for s in step.sources}
    assert not cited & MEDICARE_ONLY
    assert not [s for s in cited if book.sources[s].kind in ("insurer", "secondary")
                and "medicaid" not in book.sources[s].coverages]
    if denial == "none":
        assert "cfr_42_440_70" in sources_of(plan, "prescription_and_records")
    else:
        assert sources_of(plan, "read_denial_notice") == ["cfr_42_431_221"]


def test_an_employer_plan_denial_never_cites_42_cfr_405(book):
    plan = plan_for(book, coverage="employer", employer_plan_funding="self_funded",
                    denial="claim", denial_date="2026-11-10")
    cited = {s.id for step in plan.steps for s in step.sources}
    assert not {s for s in cited if s.startswith("cfr_42_405")}
    assert "healthcare_gov_internal_appeals" in sources_of(plan, "read_denial_notice")


@pytest.mark.parametrize("pump, maker_source, other_maker", [
    ("tslim_x2", "tandem_patient_bill_of_rights", "insulet_financial_assistance"),
    ("omnipod_5", "insulet_financial_assistance", "tandem_patient_bill_of_rights"),
    ("minimed_780g", "medtronic_assurance_2020", "insulet_financial_assistance"),
])
def test_the_private_assistance_step_cites_the_wanted_pumps_maker(book, pump, maker_source,
                                                                   other_maker):
    plan = plan_for(book, coverage="employer", pump_wanted=pump)
    cited = sources_of(plan, "assistance_programs")
    assert maker_source in cited and other_maker not in cited


def test_undecided_people_see_every_makers_page(book):
    plan = plan_for(book, coverage="employer", pump_wanted="undecided")
    cited = sources_of(plan, "assistance_programs")
    assert {"tandem_patient_bill_of_rights", "insulet_financial_assistance"} <= set(cited)


def test_a_state_law_step_cites_that_states_own_pages(book):
    state = next(code for code, s in book.states.items() if s.insulin_copay_cap.law)
    plan = plan_for(book, state=state, coverage="marketplace")
    cited = sources_of(plan, "state_insulin_cap")
    assert f"{state.lower()}_insurance_regulator_home" in cited
    assert not [s for s in cited if book.sources[s].states and state not in book.sources[s].states]


def test_medicaid_sources_speak_for_a_child_with_medicaid_behind_a_parents_plan(book):
    plan = plan_for(book, coverage="employer", also_medicaid=True, age=8)
    cited = sources_of(plan, "medicaid_epsdt")
    assert "eclkc_epsdt" in cited


def test_indian_health_service_sources_speak_for_a_tribal_member_with_other_coverage(book):
    plan = plan_for(book, coverage="employer", tribal_member=True)
    assert "ihs_prc_alternate_resources" in sources_of(plan, "tribal_ihs_clinic")
    plan = plan_for(book, coverage="medicaid", tribal_member=False, age=9,
                    denial="claim", denial_date="2026-11-10")
    assert "ihs_prc_alternate_resources" not in sources_of(plan, "read_denial_notice")


def test_every_step_of_every_situation_cites_only_fitting_sources_and_an_official_one(book):
    coverages = ["employer", "marketplace", "individual", "medicare_original",
                 "medicare_advantage", "medicaid", "chip", "tricare", "va", "ihs", "uninsured"]
    pumps = ["omnipod_5", "tslim_x2", "minimed_780g", "ilet", "twiist", "undecided"]
    checked = 0
    for coverage, pump, state in itertools.product(coverages, pumps, ["CA", "TX", "NY", "WV"]):
        age = 70 if coverage.startswith("medicare") else 12
        for denial in ("none", "appeal"):
            extra = {"denial_date": "2026-11-01"} if denial != "none" else {}
            plan = plan_for(book, coverage=coverage, pump_wanted=pump, state=state, age=age,
                            denial=denial, **extra)
            for step in plan.steps:
                specs = [book.sources[s.id] for s in step.sources]
                assert all(fits(spec, (coverage,), state, pump) for spec in specs), step.id
                assert any(spec.official for spec in specs), (coverage, pump, state, step.id)
                checked += 1
    assert checked > 1000


# --- the "confirm" note names the fact --------------------------------------------------------

def test_the_confirm_note_names_the_unconfirmed_state_fact(book):
    state = next(code for code, s in book.states.items()
                 if "medicaid.phone" in s.unverified and s.medicaid.phone)
    plan = plan_for(book, state=state, coverage="medicaid", age=10)
    step = next(s for s in plan.steps if s.id == "medicaid_prior_authorization")
    assert f"{book.states[state].name}'s Medicaid phone number" in step.confirm
    assert step.confirm.startswith("Not yet confirmed in an official source: ")


def test_the_confirm_note_names_an_unverified_sources_claim(book):
    # LCD L33794 was read only in a copy, so a step citing it names its claim.
    assert not book.sources["cms_lcd_l33794"].verified
    plan = plan_for(book, state="GA", age=70, coverage="medicare_original")
    step = next(s for s in plan.steps if s.id == "prescription_and_records")
    assert "Medicare's pump coverage criteria (LCD L33794" in step.confirm


def test_a_step_resting_on_verified_official_sources_has_no_note(book):
    plan = plan_for(book, coverage="employer", employer_plan_funding="self_funded",
                    denial="claim", denial_date="2026-11-10")
    step = next(s for s in plan.steps if s.id == "read_denial_notice")
    assert step.confirm is None


# --- the rules check ----------------------------------------------------------------------------

def _broken_copy(tmp_path, relative, mutate):
    copy = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, copy)
    path = copy / relative
    data = yaml.safe_load(path.read_text())
    mutate(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(RulesInvalid) as info:
        load_rulebook(copy)
    return str(info.value)


def _rule(data, rule_id):
    return next(rule for rule in data["rules"] if rule["id"] == rule_id)


def test_a_step_without_an_official_source_fails_naming_file_rule_step_and_coverage(tmp_path):
    def mutate(data):
        _rule(data, "marketplace_eligibility_appeal")["sources"] = ["kff_marketplace_appeal_faq"]
    message = _broken_copy(tmp_path, "plan/25_marketplace.yaml", mutate)
    assert ("rules/plan/25_marketplace.yaml: rule marketplace_eligibility_appeal: "
            "steps.marketplace_eligibility_appeal: has no official source for coverage marketplace"
            in message)


def test_a_source_that_speaks_for_no_coverage_of_the_rule_fails(tmp_path):
    def mutate(data):
        _rule(data, "private_internal_appeal")["sources"].append("cfr_42_405_942")
    message = _broken_copy(tmp_path, "plan/20_employer.yaml", mutate)
    assert ("rules/plan/20_employer.yaml: rule private_internal_appeal: sources: cites "
            "cfr_42_405_942, which speaks for medicare_original, but the rule can only fire for "
            "coverage employer, marketplace, individual" in message)


def test_a_steps_own_source_is_read_against_the_steps_condition(tmp_path):
    def mutate(data):
        step = next(s for s in _rule(data, "pump_replacement")["steps"]
                    if s["id"] == "replacement_private_plan")
        step["sources"] = ["cfr_42_405_942"]
    message = _broken_copy(tmp_path, "plan/05_stage.yaml", mutate)
    assert ("rule pump_replacement: steps.replacement_private_plan: cites cfr_42_405_942, which "
            "speaks for medicare_original, but the step can only fire for coverage employer, "
            "marketplace, individual" in message)


def test_a_shared_step_must_have_an_official_source_for_each_coverage(tmp_path):
    def mutate(data):
        _rule(data, "common_prescription")["sources"] = ["healthcare_gov_internal_appeals",
                                                         "cms_lcd_l33794"]
    message = _broken_copy(tmp_path, "plan/00_common.yaml", mutate)
    for coverage in ("medicaid", "chip", "tricare", "ihs", "uninsured"):
        assert f"steps.prescription_and_records: has no official source for coverage {coverage}" in message
    assert "coverage employer" not in message and "coverage medicare_original" not in message


def test_a_pump_makers_page_alone_leaves_other_pumps_without_an_official_source(tmp_path):
    def mutate(data):
        rule = _rule(data, "programs_step_commercial")
        rule["sources"] = ["insulet_financial_assistance"]
    message = _broken_copy(tmp_path, "plan/60_programs.yaml", mutate)
    assert "steps.assistance_programs: has no official source for coverage employer (pump " in message
    assert "tslim_x2" in message and "omnipod_5" not in message.split("(pump ")[1].split(")")[0]


def test_a_step_cannot_excuse_itself_from_an_official_source(tmp_path):
    """No `no_official_source` escape: the key is unknown, and a step of practical advice left
    with only secondary sources fails the check like any other."""
    def excuse(data):
        step = _rule(data, "private_network_gap")["steps"][0]
        step["no_official_source"] = "a network gap exception is only a request"
    assert "no_official_source" in _broken_copy(tmp_path / "a", "plan/20_employer.yaml", excuse)

    def strip(data):
        _rule(data, "private_network_gap")["steps"][0].pop("sources")
    message = _broken_copy(tmp_path / "b", "plan/20_employer.yaml", strip)
    for coverage in ("employer", "marketplace", "individual"):
        assert (f"steps.private_network_gap: has no official source for coverage {coverage}"
                in message)


def test_the_cgm_step_rests_on_each_makers_page(tmp_path):
    def strip(data):
        _rule(data, "pump_needs_compatible_cgm")["sources"] = ["medtronic_smartguard"]
    message = _broken_copy(tmp_path, "plan/62_cgm.yaml", strip)
    assert "steps.compatible_cgm: has no official source for coverage employer (pump ilet, mobi, omnipod_5, tslim_x2, twiist)" in message


def test_a_source_must_declare_its_kind_and_coverages(tmp_path):
    def mutate(data):
        del data["sources"]["healthcare_gov_internal_appeals"]["kind"]
        data["sources"]["healthcare_gov_external_review"]["coverages"] = ["employer", "medicar"]
    message = _broken_copy(tmp_path, "sources/federal.yaml", mutate)
    assert "source healthcare_gov_internal_appeals: kind: missing (required)" in message
    assert "source healthcare_gov_external_review: coverages" in message


def test_a_source_scoped_to_an_unknown_state_or_pump_fails(tmp_path):
    def mutate(data):
        data["sources"]["twiist_faq"]["states"] = ["ZZ"]
        data["sources"]["twiist_faq"]["pumps"] = ["twist"]
    message = _broken_copy(tmp_path, "sources/pumps.yaml", mutate)
    assert "source twiist_faq: states: 'ZZ' is not a state or DC" in message
    assert "source twiist_faq: pumps: 'twist' is not a pump in rules/pumps.yaml" in message


def test_an_engine_text_with_an_unknown_slot_fails(tmp_path):
    def mutate(data):
        data["confirm"]["ask"] = "Confirm with {whom}."
    message = _broken_copy(tmp_path, "texts.yaml", mutate)
    assert "rules/texts.yaml: confirm.ask: unknown slot {whom}; allowed here: {who}" in message


# --- reading a condition for the check --------------------------------------------------------

def test_truth_is_three_valued():
    when = {"all": [{"field": "coverage", "equals": "employer"},
                    {"field": "denial", "not_equals": "none"}]}
    assert truth(when, {"coverage": "medicaid"}) is False
    assert truth(when, {"coverage": "employer"}) is None
    assert truth(when, {"coverage": "employer", "denial": "claim"}) is True
    assert truth({"not": when}, {"coverage": "medicaid"}) is True
    assert truth({"any": [when, {"field": "age", "lt": 21}]}, {"coverage": "medicaid"}) is None


def test_a_medicare_users_other_coverage_brings_its_sources_and_only_for_them(book):
    with_va = plan_for(book, coverage="medicare_original", age=70, other_coverage="va")
    assert "va_pressrelease_5599" in sources_of(with_va, "medicare_or_va_route")
    plain = plan_for(book, coverage="medicare_original", age=70, denial="claim",
                     denial_date="2026-11-10")
    cited = {s.id for step in plain.steps for s in step.sources}
    assert not cited & {"va_pressrelease_5599", "tricare_diabetic_supplies"}


# --- the check's walk takes each situation once, and misses none ----------------------------------

def _every_situation(checker, when, source_ids, state_section):
    """The walk without shortcuts: every second-coverage answer, state and pump, each tested."""
    specs = [checker.sources[s] for s in source_ids if s in checker.sources]
    by_state = (bool(state_section) or any(s.states for s in specs)
                or bool(_fields(when) & checker.state_fact_names))
    by_pump = any(s.pumps for s in specs)
    found = set()
    for coverage in COVERAGES:
        federal = coverage in checker.coverages and checker.coverages[coverage].federal_program
        for known in _with_second_coverage(coverage_facts(coverage, federal)):
            for state in (checker.states.values() if by_state else (None,)):
                for pump in ((*checker.pumps, UNDECIDED) if by_pump else (None,)):
                    facts = {**known, **(state_facts(state) if state else {}),
                             **(pump_facts(pump, checker.pumps) if pump else {})}
                    if truth(when, facts, checker.types) is not False:
                        found.add((person_coverages(known), state.code if state else None, pump))
    return found


def test_the_checks_walk_finds_the_same_situations_as_trying_every_answer(book):
    """The walk skips answers its condition cannot tell apart (for speed at every start-up): for
    a sample of the rules' own conditions, with their sources and with every source (so states
    and pumps are told apart), it finds exactly what trying every answer finds."""
    checker = SourceChecker(book.sources, book.states, book.pumps, [], book.coverages)
    by_id = {rule.id: rule for rule in book.rules}
    sample = ["medicare_savings_program_screen", "tribal_member_indian_health", "georgia_pathways",
              "pump_needs_compatible_cgm", "private_external_review_state", "uninsured_marketplace_sep"]
    for rule in (by_id[rule_id] for rule_id in sample):
        for step in rule.steps:
            when = step_when(rule, step)
            for source_ids in (step.all_source_ids, tuple(book.sources)):
                walked = checker.situations(when, source_ids, step.state_sources)
                situations = [(s.coverages, s.state, s.pump) for s in walked]
                assert len(situations) == len(set(situations)), rule.id   # each once
                assert set(situations) == _every_situation(checker, when, source_ids,
                                                           step.state_sources), rule.id
