"""The rule files: they load cleanly, the YAML cases pass, and broken files fail loudly."""
import shutil
from pathlib import Path

import pytest
import yaml

from navigator.engine import RulesInvalid, load_rulebook
from navigator.engine.answers import STATES
from navigator.engine.casecheck import check_case
from navigator.engine.loader import DEFAULT_RULES_DIR, load_cases, rules_version

CASES = load_cases(DEFAULT_RULES_DIR)


@pytest.mark.parametrize("file, case", CASES, ids=[f"{f}: {c.name}" for f, c in CASES])
def test_rule_case(book, file, case):
    result = check_case(book, file, case)
    assert result.failures == [], "\n".join(result.failures)


def test_there_are_rule_cases():
    assert len(CASES) >= 10


def test_every_jurisdiction_has_a_complete_entry(book):
    assert sorted(book.states) == sorted(STATES) and len(book.states) == 51
    for code, state in book.states.items():
        assert state.medicaid.program_name, code
        assert state.name and state.sources, code


def test_everything_cites_a_known_source_with_a_checked_date(book):
    cited = []
    for rule in book.rules:
        cited += rule.source_ids
        for step in rule.steps:
            cited += step.source_ids
    for collection in (book.parameters, book.states, book.programs, book.pumps):
        for entry in collection.values():
            assert entry.sources
            cited += entry.sources
    for source_id in cited:
        source = book.sources[source_id]
        assert source.url.startswith("http") and source.checked


def test_version_is_a_hash_of_the_files(tmp_path):
    copy = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, copy)
    before = rules_version(copy)
    assert before == rules_version(DEFAULT_RULES_DIR)
    path = copy / "plan" / "00_common.yaml"
    path.write_text(path.read_text() + "\n# a reviewer's note\n")
    assert rules_version(copy) != before


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


def test_misspelt_field_in_a_condition_names_file_rule_and_field(tmp_path):
    def mutate(data):
        data["rules"][0]["when"] = {"field": "coverag", "equals": "employer"}
    message = _broken_copy(tmp_path, "plan/00_common.yaml", mutate)
    assert "plan/00_common.yaml" in message
    assert "rule common_prescription" in message
    assert "unknown field 'coverag'" in message


def test_wrong_value_type_in_a_condition(tmp_path):
    def mutate(data):
        data["rules"][0]["when"] = {"field": "coverage", "equals": "medicare"}
    message = _broken_copy(tmp_path, "plan/00_common.yaml", mutate)
    assert "'medicare' is not a value of 'coverage'" in message


def test_comparison_on_a_text_field_is_refused(tmp_path):
    def mutate(data):
        data["rules"][0]["when"] = {"field": "state", "lt": 3}
    assert "only numbers and dates compare" in _broken_copy(tmp_path, "plan/00_common.yaml", mutate)


def test_misplaced_key_fails_loudly(tmp_path):
    def mutate(data):
        data["rules"][0]["step"] = data["rules"][0].pop("steps")
    message = _broken_copy(tmp_path, "plan/00_common.yaml", mutate)
    assert "rule common_prescription" in message and "step" in message and "unknown key" in message


def test_unknown_source_id(tmp_path):
    def mutate(data):
        data["rules"][0]["sources"] = ["no_such_source"]
    assert "unknown source id 'no_such_source'" in _broken_copy(tmp_path, "plan/00_common.yaml", mutate)


def test_unknown_placeholder(tmp_path):
    def mutate(data):
        data["rules"][0]["steps"][0]["detail"] = "Call {state.medicaid.fax}"
    assert "{state.medicaid.fax}: names no field" in _broken_copy(tmp_path, "plan/00_common.yaml", mutate)


def test_wrong_type_in_a_state_file(tmp_path):
    def mutate(data):
        data["medicaid"]["expansion"] = "sometimes"
    message = _broken_copy(tmp_path, "states/OH.yaml", mutate)
    assert "states/OH.yaml" in message and "medicaid.expansion" in message


def test_an_emergency_refill_law_marked_verified_needs_a_verified_official_source(tmp_path):
    def mutate(data):      # Maine's section cites an unread official page and a secondary copy
        data["emergency_insulin_refill"]["verified"] = True
    message = _broken_copy(tmp_path, "states/ME.yaml", mutate)
    assert "states/ME.yaml" in message and "emergency_insulin_refill.verified" in message
    assert "no source is a verified official text" in message


def test_an_unverified_emergency_refill_law_lists_its_facts_as_unverified(tmp_path):
    def mutate(data):      # without them the plan would not say "confirm with the pharmacist"
        data["unverified"] = [e for e in data["unverified"]
                              if not e.startswith("emergency_insulin_refill")]
    message = _broken_copy(tmp_path, "states/IL.yaml", mutate)
    assert "states/IL.yaml" in message and "list emergency_insulin_refill.days" in message


def test_an_emergency_refill_law_cites_known_sources(tmp_path):
    def mutate(data):
        data["emergency_insulin_refill"]["sources"] = ["no_such_law"]
    message = _broken_copy(tmp_path, "states/OH.yaml", mutate)
    assert "emergency_insulin_refill.sources" in message and "'no_such_law'" in message


def test_a_missing_state_file_is_named(tmp_path):
    copy = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, copy)
    (copy / "states" / "WY.yaml").unlink()
    with pytest.raises(RulesInvalid, match="no file for: WY"):
        load_rulebook(copy)


def test_invalid_yaml_is_named(tmp_path):
    copy = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, copy)
    (copy / "plan" / "00_common.yaml").write_text("rules: [\n")
    with pytest.raises(RulesInvalid, match="00_common.yaml: not valid YAML"):
        load_rulebook(copy)


def test_the_rules_folder_holds_data_only():
    suffixes = {p.suffix for p in Path(DEFAULT_RULES_DIR).rglob("*") if p.is_file()}
    assert suffixes <= {".yaml", ".md"}
