"""Plain US formats for dates and money, shared by pages, letters and the CLI."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from navigator.i18n import N_

# US time zones people choose from (IANA name -> label): reminders' send time, and the times on
# a worker's caseload pages.
US_TIME_ZONES: dict[str, str] = {
    "America/New_York": N_("Eastern"),
    "America/Chicago": N_("Central"),
    "America/Denver": N_("Mountain"),
    "America/Phoenix": N_("Mountain, Arizona (no daylight saving)"),
    "America/Los_Angeles": N_("Pacific"),
    "America/Anchorage": N_("Alaska"),
    "Pacific/Honolulu": N_("Hawaii"),
    "America/Puerto_Rico": N_("Atlantic (Puerto Rico, U.S. Virgin Islands)"),
    "Pacific/Guam": N_("Chamorro (Guam, Northern Mariana Islands)"),
    "Pacific/Pago_Pago": N_("Samoa (American Samoa)"),
}
# Caseload times are stored in UTC; a worker who has not chosen a zone sees UTC, said so.
TIME_ZONES: dict[str, str] = {"UTC": "UTC", **US_TIME_ZONES}


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


def local_time(moment: datetime | None, zone: str | None) -> str:
    """2026-12-01 09:14 CST: a stored UTC time (naive means UTC) in the given zone, with the
    zone's abbreviation so nobody has to guess."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(ZoneInfo(zone if zone in TIME_ZONES else "UTC"))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
