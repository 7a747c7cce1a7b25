"""The wording of program eligibility reasons is data (rules/program_reasons.yaml), checked at load."""
import shutil
from datetime import date

import pytest
import yaml

from navigator.engine import evaluate
from navigator.engine.loader import DEFAULT_RULES_DIR, RulesInvalid, load_rulebook
from tests.answers import answers


def rules_with_reasons(tmp_path, mutate):
    copy = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, copy)
    path = copy / "program_reasons.yaml"
    data = yaml.safe_load(path.read_text())
    mutate(data["reasons"])
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return copy


def test_a_reason_reworded_in_the_data_reaches_the_plan(tmp_path):
    def reword(reasons):
        reasons["closed"] = "Not taking applications{seen}."
    book = load_rulebook(rules_with_reasons(tmp_path, reword))
    plan = evaluate(answers(), date(2026, 11, 30), book)
    fund = next(p for p in plan.programs if p.id == "paf_copay_relief_diabetes")
    assert fund.eligible is False and fund.reason == "Not taking applications when last checked on November 23, 2026."


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r.pop("copay_card_federal"), "reason copay_card_federal: missing"),
    (lambda r: r.update(pumps="Only for {pump}."), "{pump} is not a placeholder of this reason"),
    (lambda r: r.update(unheard_of="x"), "reason unheard_of: the engine has no such reason"),
])
def test_missing_or_wrong_reasons_are_load_errors(tmp_path, mutate, message):
    with pytest.raises(RulesInvalid) as error:
        load_rulebook(rules_with_reasons(tmp_path, mutate))
    assert message in str(error.value)
