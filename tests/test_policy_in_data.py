"""Age limits are rule data (dated parameters with their sources), not constants in Python:
changing the parameter in a copy of the rules changes the plan."""
import shutil
from datetime import date

import pytest
import yaml

from navigator.engine import RulesInvalid, evaluate, load_rulebook
from navigator.engine.facts import derive
from navigator.engine.loader import DEFAULT_RULES_DIR
from navigator.services.letters import device_for
from tests.answers import answers

AS_OF = date(2026, 12, 1)


def _book_with(tmp_path, name, values):
    copy = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, copy)
    path = copy / "parameters" / "medicaid.yaml"
    data = yaml.safe_load(path.read_text())
    data["parameters"][name]["values"] = values
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_rulebook(copy)


def _step_ids(book, **overrides):
    return {s.id for s in evaluate(answers(**overrides), AS_OF, book).steps}


def test_the_age_limits_are_dated_parameters_with_a_real_start_and_a_verified_source(book):
    epsdt = book.parameters["epsdt.age_limit"]
    child = book.parameters["medicaid.child_age_limit"]
    assert book.parameter("epsdt.age_limit", AS_OF) == 21
    assert book.parameter("medicaid.child_age_limit", AS_OF) == 19
    assert min(epsdt.values) == date(1968, 1, 2)      # Public Law 90-248
    assert min(child.values) == date(2014, 1, 1)      # 42 CFR 435.118 as revised in 2012
    for spec in (epsdt, child):
        assert spec.verified
        assert any(book.sources[s].official and book.sources[s].verified for s in spec.sources)


def test_epsdt_follows_its_parameter(book, tmp_path):
    medicaid_20 = {"coverage": "medicaid", "state": "OH", "age": 20, "household_size": 3,
                   "annual_income": 20000}
    assert "medicaid_epsdt" in _step_ids(book, **medicaid_20)
    assert "medicaid_epsdt" not in _step_ids(book, **{**medicaid_20, "age": 21})
    lowered = _book_with(tmp_path, "epsdt.age_limit", {date(1968, 1, 2): 19})
    assert "medicaid_epsdt" not in _step_ids(lowered, **medicaid_20)
    assert derive(answers(**medicaid_20), AS_OF, lowered)["under_epsdt_age"] is False


def test_the_childrens_income_limit_follows_its_parameter(book, tmp_path):
    # An 18-year-old is screened against the state's children's limit (OH: far above adults').
    person = answers(coverage="employer", state="OH", age=18, household_size=3,
                     annual_income=50000)
    limits = book.states["OH"].medicaid.income_limits_pct_fpl
    assert limits.children > limits.parents
    facts = derive(person, AS_OF, book)
    assert limits.parents < facts["fpl_percent"] <= limits.children
    assert facts["medicaid_income_screen"] == "likely"
    lowered = _book_with(tmp_path, "medicaid.child_age_limit", {date(2014, 1, 1): 18})
    assert derive(person, AS_OF, lowered)["medicaid_income_screen"] == "unlikely"


def test_no_age_limit_constant_is_left_in_the_engine():
    from navigator.engine import facts
    assert not hasattr(facts, "CHILD_AGE_LIMIT")


def test_a_letters_billing_note_is_rule_text(book, tmp_path):
    medicare_omnipod = answers(coverage="medicare_original", age=70, pump_wanted="omnipod_5")
    assert device_for(medicare_omnipod, book, AS_OF).billing_note == (
        book.texts.billing_notes.part_d.format(pump=book.pumps["omnipod_5"].name))
    copy = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, copy)
    data = yaml.safe_load((copy / "texts.yaml").read_text())
    data["billing_notes"]["part_d"] = "{pump}: ask the Part D plan."
    (copy / "texts.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    changed = load_rulebook(copy)
    assert device_for(medicare_omnipod, changed, AS_OF).billing_note == (
        f"{book.pumps['omnipod_5'].name}: ask the Part D plan.")
    data["billing_notes"]["dme"] = "{supplier} bills it."
    (copy / "texts.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(RulesInvalid, match=r"billing_notes.dme: unknown slot \{supplier\}"):
        load_rulebook(copy)
