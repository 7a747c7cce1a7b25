"""Issue 13: one rule case per coverage asserts the exact order of the plan's steps."""
from pathlib import Path

import yaml

RULES = Path(__file__).resolve().parent.parent / "rules"


def _coverages_with_exact_order() -> set[str]:
    cases = yaml.safe_load((RULES / "tests" / "order_by_coverage.yaml").read_text())["cases"]
    return {case["answers"]["coverage"] for case in cases if case["expect"].get("steps_exact")}


def test_every_coverage_has_a_case_asserting_step_order():
    coverages = set(yaml.safe_load((RULES / "coverages.yaml").read_text())["coverages"])
    missing = coverages - _coverages_with_exact_order()
    assert not missing, f"rules/tests/order_by_coverage.yaml has no steps_exact case for: {sorted(missing)}"


def test_order_cases_name_only_known_coverages():
    coverages = set(yaml.safe_load((RULES / "coverages.yaml").read_text())["coverages"])
    assert _coverages_with_exact_order() <= coverages
