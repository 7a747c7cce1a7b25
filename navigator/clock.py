"""The one clock: the current instant, and the person's local date (the plan date).

A plan's dates ("12 days left", "this date has passed") are counted from the date where the
person is, not where the server is: at 23:30 on December 1 in California it is already
December 2 in UTC, and a UTC date would show every deadline a day closer than it is.

The zone is, in order: the person's own `time_zone` answer (optional, for the few who live in
a state's other zone), else their state's `time_zone` in rules/states/XX.yaml (a state with
several zones gives its most populous one), else DEFAULT_ZONE. The engine itself never reads a
clock: it is given the plan date (`as_of`).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from navigator.textformat import US_TIME_ZONES

if TYPE_CHECKING:
    from navigator.engine.loader import RuleBook
    from navigator.models import Case

# Before the state is answered: the zone most Americans live in (Eastern).
DEFAULT_ZONE = "America/New_York"


def utc_now() -> datetime:
    """Now, as an aware UTC datetime. Tests move time by patching this one function."""
    return datetime.now(UTC)


def today_in(zone: str | None, now: datetime | None = None) -> date:
    """The date in `zone` (an IANA name; None or unknown: DEFAULT_ZONE) at `now`."""
    name = zone if zone in US_TIME_ZONES or zone == "UTC" else DEFAULT_ZONE
    return (now or utc_now()).astimezone(ZoneInfo(name)).date()


def zone_for(answers: Mapping[str, Any] | None, book: RuleBook) -> str:
    """The person's zone from their answers (raw or validated): their own choice, else their
    state's, else DEFAULT_ZONE."""
    answers = answers if isinstance(answers, Mapping) else {}
    chosen = answers.get("time_zone")
    if isinstance(chosen, str) and chosen in US_TIME_ZONES:
        return chosen
    state = answers.get("state")
    spec = book.states.get(state) if isinstance(state, str) else None
    return spec.time_zone if spec is not None else DEFAULT_ZONE


def today_for(answers: Mapping[str, Any] | None, book: RuleBook,
              now: datetime | None = None) -> date:
    """The person's local date: the plan date for these answers now."""
    return today_in(zone_for(answers, book), now)


def plan_date(case: Case, book: RuleBook, now: datetime | None = None) -> date:
    """A saved case's plan date: the person's local date, never before `Case.as_of` (the local
    date its answers were last saved and checked on: a date answered as "today" must not be
    later than the plan date, even if the state answered since has an earlier clock)."""
    today = today_for(case.answers, book, now)
    return max(today, case.as_of) if case.as_of else today
