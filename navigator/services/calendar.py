"""Plan deadlines as an iCalendar file (RFC 5545): one all-day event per deadline.

The `icalendar` package does the escaping, line folding and CRLF line endings.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from navigator import clock
from navigator.engine.plan import Plan

PRODUCT_ID = "-//Pump Access Navigator//Access plan deadlines//EN"
UID_DOMAIN = "pump-access-navigator"
# Reminders a week and a day before each date: enough time to act, and a last call.
ALARM_DAYS_BEFORE = (7, 1)
NOTICE = ("Guidance, not legal or medical advice. If the date on your own notice gives a "
          "different deadline, use that one.")


def new_calendar(product_id: str, name: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", product_id)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def all_day_event(uid: str, day: date, summary: str, description: str, stamp: datetime,
                  url: str | None = None) -> Event:
    """A deadline as a free (transparent) all-day event; DTEND is the next day (RFC 5545)."""
    event = Event()
    event.add("uid", f"{uid}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    if url:
        event.add("url", url)
    event.add("description", description)
    event.add("transp", "TRANSPARENT")
    for days in ALARM_DAYS_BEFORE:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", timedelta(days=-days))
        alarm.add("description", f"In {days} day{'s' if days > 1 else ''}: {summary}")
        event.add_component(alarm)
    return event


def deadlines_calendar(plan: Plan, now: datetime | None = None) -> bytes:
    calendar = new_calendar(PRODUCT_ID)
    stamp = now or clock.utc_now()
    for deadline in plan.deadlines:
        if deadline.passed:      # a date already gone is not put in a calendar as if open
            continue
        source = deadline.source
        prefix = "Starts" if deadline.kind == "change" else "Last day"
        opens = f"\nOpens {deadline.opens.isoformat()}." if deadline.opens else ""
        calendar.add_component(all_day_event(
            f"{deadline.id}-{deadline.date.isoformat()}", deadline.date,
            f"{prefix}: {deadline.title}",
            f"{deadline.title}{opens}\nSource: {source.title} ({source.url}), "
            f"checked {source.checked.isoformat()}.\n{NOTICE}", stamp))
    return calendar.to_ical()
