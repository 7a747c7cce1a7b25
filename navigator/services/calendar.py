"""Plan deadlines as an iCalendar file (RFC 5545): one all-day event per deadline.

The `icalendar` package does the escaping, line folding and CRLF line endings.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from navigator import clock, i18n
from navigator.engine.plan import Plan
from navigator.i18n import N_

PRODUCT_ID = "-//Pump Access Navigator//Access plan deadlines//EN"
UID_DOMAIN = "pump-access-navigator"
# Reminders a week and a day before each date: enough time to act, and a last call.
ALARM_DAYS_BEFORE = (7, 1)
NOTICE = N_("Guidance, not legal or medical advice. If the date on your own notice gives a "
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
                  url: str | None = None, lang: str = i18n.DEFAULT_LANGUAGE) -> Event:
    """A deadline as a free (transparent) all-day event; DTEND is the next day (RFC 5545).
    Its reminders' words are in `lang`."""
    _ = i18n.translations(lang)
    event = Event()
    event.add("uid", f"{uid}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    # RFC 5545's LANGUAGE parameter names the text's language when it is not English.
    language = {"LANGUAGE": f"{lang}-US"} if lang != i18n.DEFAULT_LANGUAGE else None
    # (icalendar's type hint leaves out None, its own default: hence the two ignores.)
    event.add("summary", summary, parameters=language)  # type: ignore[arg-type]
    if url:
        event.add("url", url)
    event.add("description", description, parameters=language)  # type: ignore[arg-type]
    event.add("transp", "TRANSPARENT")
    for days in ALARM_DAYS_BEFORE:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", timedelta(days=-days))
        alarm.add("description", _.ngettext("In %(num)d day: %(summary)s",
                                            "In %(num)d days: %(summary)s", days)
                  % {"num": days, "summary": summary})
        event.add_component(alarm)
    return event


def deadlines_calendar(plan: Plan, now: datetime | None = None,
                       lang: str = i18n.DEFAULT_LANGUAGE) -> bytes:
    """The plan's open deadlines; words in `lang` (the plan's own texts come in the language
    the plan was evaluated in). Dates inside the text are ISO (2026-11-23) in every language."""
    _ = i18n.translations(lang).gettext
    calendar = new_calendar(PRODUCT_ID)
    stamp = now or clock.utc_now()
    for deadline in plan.deadlines:
        if deadline.passed:      # a date already gone is not put in a calendar as if open
            continue
        source = deadline.source
        prefix = _("Starts") if deadline.kind == "change" else _("Last day")
        opens = ("\n" + _("Opens %(date)s.") % {"date": deadline.opens.isoformat()}
                 if deadline.opens else "")
        source_line = _("Source: %(title)s (%(url)s), checked %(date)s.") % {
            "title": source.title, "url": source.url, "date": source.checked.isoformat()}
        calendar.add_component(all_day_event(
            f"{deadline.id}-{deadline.date.isoformat()}", deadline.date,
            f"{prefix}: {deadline.title}",
            f"{deadline.title}{opens}\n{source_line}\n{_(NOTICE)}", stamp, lang=lang))
    return calendar.to_ical()
