"""The plan: the engine's output contract (serialised with `plan.model_dump(mode="json")`)."""
from __future__ import annotations

import datetime
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

Eligible = bool | Literal["maybe"]
# appeal: counted from the denial; window: the last day of a yearly enrollment window;
# change: the date a policy starts; timeline: counted back from the Medicare start date.
DeadlineKind = Literal["appeal", "window", "change", "timeline"]
CoverageRoute = Literal["dme", "pharmacy", "both", "none"]


class _Out(BaseModel):
    # Frozen: plans share Source and Program objects.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Out):
    id: str
    title: str
    url: str
    checked: date
    verified: bool


class Contact(_Out):
    name: str
    phone: str | None = None
    url: str | None = None


class Step(_Out):
    id: str
    rule_id: str
    title: str
    detail: str
    why: str
    sources: list[Source]
    deadline: date | None = None
    contacts: list[Contact] = []
    documents: list[str] = []
    confirm: str | None = None      # set when the step rests on a fact not yet verified
    deadline_kind: DeadlineKind | None = None
    deadline_opens: date | None = None   # a window not yet open: its first day
    deadline_passed: str | None = None   # the deadline has passed: what can still be done
    urgent: bool = False                 # gets insulin or supplies now: first, in the urgent box
    programs: list[str] = []             # ids of the plan's programs an urgent step points to


class Program(_Out):
    id: str
    name: str
    sponsor: str
    kind: Literal["free_device", "discount", "payment_plan", "copay_card", "insulin_cap",
                  "charity", "public_program"]
    covers: list[str]
    eligible: Eligible
    reason: str
    how_to_apply: str
    contact: Contact | None = None
    sources: list[Source]
    verified: bool
    status: Literal["open", "closed", "unknown"] = "open"


class Resource(_Out):
    """A directory or tool that helps find help; it has no eligibility of its own."""
    id: str
    name: str
    sponsor: str
    what: str
    contact: Contact | None = None
    sources: list[Source]
    verified: bool


class Letter(_Out):
    id: str
    title: str
    why: str


class Deadline(_Out):
    id: str
    title: str
    date: datetime.date     # (the module: a field named `date` hides the type)
    source: Source
    kind: DeadlineKind = "appeal"
    opens: datetime.date | None = None   # a window that has not opened yet: its first day
    passed: str | None = None       # set when the date is before the plan date: what can still be done


class Plan(_Out):
    rules_version: str
    reviewed: date
    as_of: date
    fpl_percent: float | None
    coverage_route: CoverageRoute
    steps: list[Step]
    programs: list[Program]
    resources: list[Resource] = []
    letters: list[Letter]
    deadlines: list[Deadline]
    warnings: list[str]
    trace: list[str]            # ids of the rules that fired, in order
