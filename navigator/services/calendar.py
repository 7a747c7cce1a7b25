"""Plan deadlines as an iCalendar file (RFC 5545): one all-day event per deadline.

The `icalendar` package does the escaping, line folding and CRLF line endings.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icalendar import Calendar, Event

from navigator.engine.plan import Plan

PRODUCT_ID = "-//Pump Access Navigator//Access plan deadlines//EN"
UID_DOMAIN = "pump-access-navigator"
NOTICE = ("Guidance, not legal or medical advice. If the date on your own notice gives a "
          "different deadline, use that one.")


def deadlines_calendar(plan: Plan, now: datetime | None = None) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    stamp = now or datetime.now(timezone.utc)
    for deadline in plan.deadlines:
        event = Event()
        event.add("uid", f"{deadline.id}-{deadline.date.isoformat()}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("dtstart", deadline.date)
        event.add("dtend", deadline.date + timedelta(days=1))
        event.add("summary", f"Last day: {deadline.title}")
        event.add("description", f"{deadline.title}\n"
                                 f"Source: {deadline.source.title} ({deadline.source.url}), "
                                 f"checked {deadline.source.checked.isoformat()}.\n{NOTICE}")
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
