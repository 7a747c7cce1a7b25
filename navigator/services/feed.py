"""A worker's deadlines across the caseload as an iCalendar feed (RFC 5545). No Flask.

The feed leaves the app for a calendar provider, so each event names the deadline and only the
client's initials; the link in it opens the case page, which needs a signed-in worker.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable

from icalendar import Calendar, Event

from navigator.services.calendar import UID_DOMAIN
from navigator.services.caseload import DueItem

PRODUCT_ID = "-//Pump Access Navigator//Caseload deadlines//EN"


def initials(name: str) -> str:
    return "".join(part[0].upper() + "." for part in name.split() if part[:1].isalpha()) or "?"


def worker_calendar(items: Iterable[DueItem], case_url: Callable[[str], str],
                    now: datetime | None = None) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Caseload deadlines")
    stamp = now or datetime.now(timezone.utc)
    for item in items:
        event = Event()
        event.add("uid", f"{item.public_id}-{item.step_id}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.due)
        event.add("dtend", item.due + timedelta(days=1))
        event.add("summary", f"Last day: {item.title} ({initials(item.client_name)})")
        event.add("url", case_url(item.public_id))
        event.add("description", f"{item.title}\nOpen the case: {case_url(item.public_id)}")
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
