"""Realistic answers for tests, built from a valid base with overrides."""
from __future__ import annotations

from typing import Any

BASE: dict[str, Any] = {
    "state": "OH",
    "age": 34,
    "diabetes_type": "type1",
    "coverage": "employer",
    "employer_plan_funding": "self_funded",
    "also_medicaid": False,
    "household_size": 3,
    "annual_income": 62000,
    "current_therapy": "injections",
    "pump_wanted": "tslim_x2",
    "uses_cgm": True,
    "denial": "none",
}


def answers(**overrides: Any) -> dict[str, Any]:
    """Valid answers; conditional fields are filled or dropped to match the coverage."""
    data = {**BASE, **overrides}
    coverage = data["coverage"]
    if coverage != "employer" and "employer_plan_funding" not in overrides:
        data.pop("employer_plan_funding", None)
    if coverage == "medicare_original":
        data.setdefault("medigap", False)
    private_or_medicare = ("employer", "marketplace", "individual", "medicare_original",
                           "medicare_advantage")
    if coverage not in private_or_medicare and "also_medicaid" not in overrides:
        data.pop("also_medicaid", None)
    if data.get("current_therapy") == "pump":
        data.setdefault("current_pump_years", 3)
    if data.get("denial", "none") != "none":
        data.setdefault("denial_date", "2026-11-02")
    return data
