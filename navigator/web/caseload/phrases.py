"""Words the caseload pages put on data: status and step labels, "5 days left", how a case's
history reads."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

STATUS_LABELS = {"active": _l("Active"), "waiting": _l("Waiting"), "closed": _l("Closed")}
STEP_STATE_LABELS = {"done": _l("Done"), "not_applicable": _l("Not applicable"),
                     "": _l("Not yet")}


def days_phrasebook():
    """days_phrase(n): "5 days left", "today" or "3 days ago", each number translated once per
    page (a caseload page can show a thousand of them)."""
    cache: dict[int, str] = {}

    def days_phrase(days: int) -> str:
        if days not in cache:
            if days < 0:
                cache[days] = ngettext("%(num)d day ago", "%(num)d days ago", -days)
            elif days == 0:
                cache[days] = _("today")
            else:
                cache[days] = ngettext("%(num)d day left", "%(num)d days left", days)
        return cache[days]
    return days_phrase


def coverage_label(value: str | None) -> str:
    return value.replace("_", " ").capitalize() if value else ""


def eligibility_word(value) -> str:
    if value is True:
        return _("likely eligible")
    if value == "maybe":
        return _("maybe eligible")
    if value is False:
        return _("not eligible")
    return _("not in the plan")


def describe_event(event, who: str) -> str:
    """One line of a case's history, in words."""
    who = who or (_("the rules update") if event.kind == "plan_changed" else _("a former member"))
    detail = event.detail or {}
    words = {
        "created": lambda: _("%(who)s created the case", who=who),
        "claimed": lambda: _("%(who)s took over the family's case", who=who),
        "renamed": lambda: _("%(who)s changed the client's name", who=who),
        "status_changed": lambda: _("%(who)s changed the status to %(status)s", who=who,
                                    status=STATUS_LABELS.get(detail.get("new"), "")),
        "owner_changed": lambda: _("%(who)s handed the case to %(to)s", who=who,
                                   to=detail.get("to", "")),
        "shared": lambda: _("%(who)s shared the case with %(to)s", who=who,
                            to=detail.get("to", "")),
        "unshared": lambda: _("%(who)s stopped sharing the case with %(to)s", who=who,
                              to=detail.get("to", "")),
        "step": lambda: _("%(who)s marked “%(step)s” %(state)s", who=who, step=detail.get("step", ""),
                          state=STEP_STATE_LABELS.get(detail.get("state"), _("Not yet")).lower()),
        "note": lambda: _("%(who)s added a note", who=who),
        "plan_changed": lambda: _("The plan changed with rules version %(version)s",
                                  version=detail.get("to_version", "")),
        "reviewed": lambda: _("%(who)s reviewed the plan change", who=who),
    }
    return words.get(event.kind, lambda: event.kind)()
