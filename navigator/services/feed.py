"""A worker's deadlines across the caseload as an iCalendar feed (RFC 5545). No Flask.

The feed leaves the app for a calendar provider, so each event names the deadline and only the
client's initials; the link in it opens the case page, which needs a signed-in worker.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from navigator import clock
from navigator.services.calendar import all_day_event, new_calendar
from navigator.services.caseload import DueItem

PRODUCT_ID = "-//Pump Access Navigator//Caseload deadlines//EN"


def initials(name: str) -> str:
    return "".join(part[0].upper() + "." for part in name.split() if part[:1].isalpha()) or "?"


def worker_calendar(items: Iterable[DueItem], case_url: Callable[[str], str],
                    now: datetime | None = None) -> bytes:
    calendar = new_calendar(PRODUCT_ID, "Caseload deadlines")
    stamp = now or clock.utc_now()
    for item in items:
        link = case_url(item.public_id)
        calendar.add_component(all_day_event(
            f"{item.public_id}-{item.step_id}", item.due,
            f"Last day: {item.title} ({initials(item.client_name)})",
            f"{item.title}\nOpen the case: {link}", stamp, url=link))
    return calendar.to_ical()
