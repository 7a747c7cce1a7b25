"""Plain language: every step's title and action at about grade 8 or below (the measure, the
thresholds and the names not counted are in navigator/engine/readability.py)."""
import statistics

import pytest

from navigator.engine import readability as R
from navigator.engine.loader import DEFAULT_RULES_DIR

pytest.importorskip("textstat")


def test_the_measure_can_fail():
    hard = ("Notwithstanding the aforementioned considerations, beneficiaries demonstrating "
            "medical necessity documentation substantiating eligibility determinations should "
            "communicate expeditiously with administrative representatives.")
    assert R.grade(hard) > R.MAX_GRADE
    assert R.grade("Call the plan today. Ask for the form.") < R.MAX_GRADE


def test_every_step_title_and_action_is_plain():
    texts = R.step_texts(DEFAULT_RULES_DIR)
    assert len(texts) > 100
    too_hard = [f"{R.grade(text):.1f} {step_id}: {text}" for step_id, text in texts
                if R.grade(text) > R.MAX_GRADE]
    assert not too_hard, "\n".join(sorted(too_hard, reverse=True))


def test_steps_read_at_about_grade_8_on_average():
    average = statistics.mean(R.grade(text) for _id, text in R.step_texts(DEFAULT_RULES_DIR))
    assert average <= R.MAX_AVERAGE, f"average grade {average:.2f}"


def test_rules_check_names_a_step_written_too_hard(tmp_path):
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / "x.yaml").write_text(
        "rules:\n  - id: r\n    steps:\n      - id: hard_step\n        title: Consider it\n"
        "        detail: Notwithstanding the aforementioned considerations, beneficiaries "
        "demonstrating medical necessity documentation should communicate expeditiously.\n"
        "      - id: easy_step\n        title: Call the plan\n        detail: Ask for the form.\n")
    found = R.problems(tmp_path)
    assert any("step hard_step reads at grade" in p for p in found)
    assert not any("easy_step" in p for p in found)
    assert R.problems(DEFAULT_RULES_DIR) == []
