"""Plain US formats for dates and money, shared by pages, letters and the CLI."""
from __future__ import annotations

from datetime import date


def us_date(value: date | str | None) -> str:
    """November 23, 2026 — the format letters and pages use."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value:%B} {value.day}, {value.year}"


def usd(amount: float | None) -> str:
    if amount is None:
        return ""
    return f"${amount:,.0f}" if float(amount).is_integer() else f"${amount:,.2f}"
