"""Dates as people type them: the one parser the answers, the question pages and the letter
details share. Americans write 03/14/2017; the API and the date picker send 2017-03-14."""
from __future__ import annotations

import calendar
import re
from datetime import date

from navigator.i18n import N_, Phrase

EXAMPLE = "03/14/2017"
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_US = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d+)")


class DateTextError(ValueError):
    """Not a date; the message says why, in words to follow the field's name."""


def parse_date_text(text: str) -> date:
    """MM/DD/YYYY (also M/D/YYYY, with - or . between) or YYYY-MM-DD, as a date."""
    text = text.strip()
    if match := _ISO.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _US.fullmatch(text):
        month, day = int(match[1]), int(match[2])
        if len(match[3]) != 4:
            raise DateTextError(Phrase(N_("needs a 4-digit year, for example %(example)s"),
                                       example=EXAMPLE))
        year = int(match[3])
    else:
        raise DateTextError(Phrase(N_("must be a date written as MM/DD/YYYY, for example "
                                      "%(example)s"), example=EXAMPLE))
    if not 1 <= month <= 12:
        raise DateTextError(Phrase(N_("has no month %(month)s: write the month first, as "
                                      "MM/DD/YYYY, for example %(example)s"),
                                   month=month, example=EXAMPLE))
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise DateTextError(Phrase(N_("%(month_name)s %(day)s, %(year)s is not a real date"),
                                   month_name=calendar.month_name[month], month=month, day=day,
                                   year=year))
    return date(year, month, day)
