"""Plain language: every step's title and action (the first sentence of its detail, the part a
plan shows before folding the rest) reads at about grade 8 or below.

Measure: Flesch-Kincaid grade (textstat) of "title. action" for each step in rules/plan/.
Thresholds: each step at most grade 9, the average at most grade 8.
Before measuring, the names below are replaced by one short word: a program, an agency or a
form is called what it is called, and its syllables say nothing about how plainly we write.
Placeholders are replaced by their fallback text, or by a short sample value.

textstat is a test dependency: without it `problems` returns None (not checked).
"""
from __future__ import annotations

import re
import statistics
from pathlib import Path

import yaml

from navigator.textformat import split_lead

MAX_GRADE = 9.0
MAX_AVERAGE = 8.0

# Proper names (programs, agencies, offices, forms, laws): measured as one word.
NAMES = (
    "Beneficiary Counseling and Assistance Coordinator", "Qualified Independent Contractor",
    "Qualified Medicare Beneficiary", "independent review entity", "independent review organization",
    "administrative law judge", "Medicare Advantage", "Medicare Savings Program",
    "Medicare Appeals Council", "Medicare Summary Notice", "Original Medicare",
    "Summary Plan Description", "Social Security", "State Health Insurance Assistance Program",
    "Consumer Assistance Program", "Department of Labor", "Defense Health Agency",
    "Employee Benefits Security Administration", "Office of Personnel Management",
    "Indian Health Service", "Purchased/Referred Care", "Veterans Affairs", "Express Scripts",
    "Extra Help", "Marketplace", "Medicaid", "Medicare", "TRICARE", "EPSDT", "FEHB",
    "Georgia Pathways to Coverage", "Georgia Pathways",
    "Omnipod", "C-peptide", "autoantibody", "formulary", "letter of medical necessity",
)
_NAME = re.compile("|".join(re.escape(n) for n in sorted(NAMES, key=len, reverse=True)),
                   re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{([^{}|]*)(?:\|([^{}]*))?\}")
_SAMPLES = {"param": "60", "param_next_year": "60", "state": "Texas", "answers": "3",
            "pump": "the pump"}


def _fill(text: str) -> str:
    def sample(match: re.Match) -> str:
        if match.group(2):
            return match.group(2)
        return _SAMPLES.get(match.group(1).split(".")[0], "it")
    return _PLACEHOLDER.sub(sample, text)


def step_texts(rules_dir: Path) -> list[tuple[str, str]]:
    """(step id, "title. action") for every step in the rule files."""
    texts = []
    for path in sorted((Path(rules_dir) / "plan").glob("*.yaml")):
        for rule in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules", []):
            for step in rule.get("steps", []):
                action, _rest = split_lead(_fill(step["detail"]))
                texts.append((step["id"], f"{_fill(step['title']).rstrip('.:')}. {action}"))
    return texts


def grade(text: str) -> float:
    import textstat

    return textstat.flesch_kincaid_grade(_NAME.sub("Name", text))


def problems(rules_dir: Path) -> list[str] | None:
    """The steps above the thresholds, hardest first, or None when textstat is not installed."""
    try:
        import textstat  # noqa: F401
    except ImportError:
        return None
    graded = [(grade(text), step_id, text) for step_id, text in step_texts(rules_dir)]
    found = [f"readability: step {step_id} reads at grade {value:.1f} (at most {MAX_GRADE:g}): "
             f"{text}" for value, step_id, text in sorted(graded, reverse=True)
             if value > MAX_GRADE]
    average = statistics.mean(value for value, _id, _text in graded) if graded else 0
    if average > MAX_AVERAGE:
        found.append(f"readability: the steps average grade {average:.2f} "
                     f"(at most {MAX_AVERAGE:g})")
    return found
