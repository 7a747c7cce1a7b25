"""Plain US formats for dates and money, shared by pages, letters and the CLI."""
from __future__ import annotations

import re
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


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"(])")
# A full stop after these ends a word, not the sentence ("Dr. Ortiz", "U.S. law").
_ABBREVIATIONS = ("Dr.", "Mr.", "Mrs.", "Ms.", "St.", "Inc.", "No.", "vs.", "e.g.", "i.e.",
                  "U.S.", "etc.")


def split_lead(text: str) -> tuple[str, str]:
    """(first sentence, the rest): a step shows its first sentence and folds the rest."""
    text = text.strip()
    for match in _SENTENCE_END.finditer(text):
        head = text[:match.start()]
        if not head.endswith(_ABBREVIATIONS):
            return head, text[match.end():]
    return text, ""
