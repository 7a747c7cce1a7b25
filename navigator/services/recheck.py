"""Re-checking saved cases against the current rules. No Flask.

Each case keeps a compact snapshot of its last plan (step ids and titles, program eligibility,
deadlines). When the rules version changes, every case is evaluated again and compared with its
snapshot; a case whose plan changed is flagged with the difference until a worker reviews it.
A snapshot made for different answers is simply replaced: the change came from the answers,
and whoever changed them has seen the new plan.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from navigator import clock
from navigator.engine import Plan, RuleBook, evaluate, validate_answers
from navigator.models import AppState, Case, CaseEvent, StepProgress, utcnow

RULES_VERSION_KEY = "rules_version_checked"
BATCH_SIZE = 500
FINISHED_STATES = ("done", "not_applicable")


# --- snapshots and their difference (pure) -------------------------------------------------

def answers_key(answers: dict[str, Any]) -> str:
    """A short fingerprint of the answers, to tell an answers change from a rules change."""
    text = json.dumps(answers, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def snapshot(plan: Plan, key: str = "") -> dict[str, Any]:
    return {
        "rules_version": plan.rules_version,
        "as_of": plan.as_of.isoformat(),
        "answers_key": key,
        "route": plan.coverage_route,
        "steps": [[step.id, step.title] for step in plan.steps],
        "programs": [[program.id, program.name, program.eligible] for program in plan.programs],
        "deadlines": [[d.id, d.title, d.date.isoformat()] for d in plan.deadlines],
    }


@dataclass
class PlanDiff:
    """What changed between two plans. Programs: eligible is true, false, "maybe" or None
    (not in that plan). Deadlines: ISO dates, None when the deadline is not in that plan."""

    route: list[str] | None = None                                  # [old, new]
    steps_added: list[list[str]] = field(default_factory=list)      # [id, title]
    steps_removed: list[list[str]] = field(default_factory=list)
    programs_changed: list[list[Any]] = field(default_factory=list)  # [id, name, old, new]
    deadlines_moved: list[list[Any]] = field(default_factory=list)   # [id, title, old, new]

    def is_empty(self) -> bool:
        return not (self.route or self.steps_added or self.steps_removed
                    or self.programs_changed or self.deadlines_moved)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanDiff:
        fields: dict[str, Any] = {name: data.get(name) or ([] if name != "route" else None)
                                  for name in cls.__dataclass_fields__}
        return cls(**fields)


def diff_snapshots(old: dict[str, Any], new: dict[str, Any]) -> PlanDiff:
    diff = PlanDiff()
    if old["route"] != new["route"]:
        diff.route = [old["route"], new["route"]]
    old_steps, new_steps = dict(old["steps"]), dict(new["steps"])
    diff.steps_added = [[i, t] for i, t in new["steps"] if i not in old_steps]
    diff.steps_removed = [[i, t] for i, t in old["steps"] if i not in new_steps]
    diff.programs_changed = _value_changes(old["programs"], new["programs"])
    diff.deadlines_moved = _value_changes(old["deadlines"], new["deadlines"])
    return diff


def diff_plans(old: Plan, new: Plan) -> PlanDiff:
    """The difference between two plans: steps added or removed, program eligibility changed,
    deadlines moved, coverage route changed."""
    return diff_snapshots(snapshot(old), snapshot(new))


def _value_changes(old_rows, new_rows) -> list[list]:
    """[id, label, before, after] for each id whose value differs, appeared or went.
    Rows are [id, label, value] (programs: eligibility; deadlines: date)."""
    old_values = {i: (label, value) for i, label, value in old_rows}
    new_values = {i: (label, value) for i, label, value in new_rows}
    changes = []
    for key in _ordered_union(old_values, new_values):
        before, after = old_values.get(key), new_values.get(key)
        if before is None or after is None or before[1] != after[1]:
            label = (after or before or ("", None))[0]      # one of them is there
            changes.append([key, label, before and before[1], after and after[1]])
    return changes


def _ordered_union(first: dict, second: dict) -> list:
    return list(dict.fromkeys([*first, *second]))


def next_deadline(snap: dict[str, Any] | None, finished_step_ids: Iterable[str]) -> date | None:
    """The earliest deadline of a step not yet done or set aside (it may be past: overdue)."""
    if not snap:
        return None
    finished = set(finished_step_ids)
    days = [day for deadline_id, _title, day in snap["deadlines"] if deadline_id not in finished]
    return date.fromisoformat(min(days)) if days else None


# --- re-evaluating cases --------------------------------------------------------------------

@dataclass
class Outcome:
    """The new column values for one case, and whether its plan was flagged as changed."""

    values: dict[str, Any]
    flagged: bool = False
    changed: bool = False


def evaluate_case(case: Case, book: RuleBook, today: date | None = None,
                  finished_step_ids: Iterable[str] = ()) -> Outcome:
    """Compare the case's current plan with its snapshot; say what to store. The plan is
    dated `today` when given, else the person's local date (clock.plan_date)."""
    as_of = today or clock.plan_date(case, book)
    answers, _errors = validate_answers(case.answers or {}, as_of, book)
    values: dict[str, Any]
    if answers is None:
        values = {"plan_snapshot": None, "plan_key": None, "next_deadline": None,
                  "last_plan_version": book.version}
        return Outcome(values, changed=_differs(case, values))
    key = answers_key(case.answers or {})
    new = snapshot(evaluate(answers, as_of, book), key)
    values = {"plan_snapshot": new, "plan_key": key,
                              "last_plan_version": book.version,
                              "next_deadline": next_deadline(new, finished_step_ids)}
    old = case.plan_snapshot
    flagged = False
    if old and old.get("answers_key") == key and old.get("rules_version") != book.version:
        base = (case.plan_changes or {}).get("base") if case.flagged_at else old
        base = base or old
        diff = diff_snapshots(base, new)
        if diff.is_empty():
            values.update(flagged_at=None, plan_changes=None)
        elif not _same_diff(case, diff):
            flagged = True
            values.update({"flagged_at": utcnow(), "plan_changes": {
                "base": base, "from_version": base["rules_version"],
                "to_version": book.version, "diff": diff.as_dict()}})
    return Outcome(values, flagged=flagged, changed=_differs(case, values))


def _same_diff(case: Case, diff: PlanDiff) -> bool:
    return bool(case.flagged_at and case.plan_changes
                and case.plan_changes.get("diff") == diff.as_dict())


def _differs(case: Case, values: dict[str, Any]) -> bool:
    return any(getattr(case, name) != value for name, value in values.items())


def refresh_case(session: Session, case: Case, book: RuleBook, today: date | None,
                 user_id: int | None = None, commit: bool = True) -> Outcome:
    if case.id is None:
        raise ValueError("refresh_case needs a saved case")
    outcome = evaluate_case(case, book, today, finished_steps(session, [case.id])[case.id])
    if outcome.changed:
        for name, value in outcome.values.items():
            setattr(case, name, value)
        session.add(case)
        if outcome.flagged:
            session.add(_changed_event(case.id, outcome.values["plan_changes"], user_id))
        if commit:
            session.commit()
    return outcome


def needs_refresh(case: Case, book: RuleBook) -> bool:
    """True when the snapshot is for other rules or other answers (cheap; no evaluation)."""
    if case.last_plan_version != book.version:
        return True
    if case.plan_key is None:
        return bool(case.answers)
    return case.plan_key != answers_key(case.answers or {})


def finished_steps(session: Session, case_ids: list[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {case_id: set() for case_id in case_ids}
    if not case_ids:
        return found
    rows = session.exec(select(col(StepProgress.case_id), col(StepProgress.step_id))
                        .where(col(StepProgress.case_id).in_(case_ids))
                        .where(col(StepProgress.state).in_(FINISHED_STATES)))
    for case_id, step_id in rows:
        found[case_id].add(step_id)
    return found


def _changed_event(case_id: int, changes: dict[str, Any], user_id: int | None) -> CaseEvent:
    return CaseEvent(case_id=case_id, user_id=user_id, kind="plan_changed",
                     detail={"from_version": changes["from_version"],
                             "to_version": changes["to_version"]})


@dataclass(frozen=True)
class RecheckReport:
    checked: int
    flagged: int
    updated: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.checked / self.seconds if self.seconds else float("inf")


def recheck_all(session: Session, book: RuleBook, today: date | None = None,
                batch_size: int = BATCH_SIZE) -> RecheckReport:
    """Re-evaluate every saved case in batches; write only the cases whose values changed."""
    started = time.perf_counter()
    checked = flagged = updated = 0
    last_id = 0
    while True:
        # (defer takes the mapped attribute, which SQLModel types as its value: the ignore.)
        batch = list(session.exec(select(Case).where(col(Case.id) > last_id).options(
            defer(Case.details)).order_by(col(Case.id)).limit(batch_size)))  # type: ignore[arg-type]
        if not batch:
            break
        ids = [case.id for case in batch if case.id is not None]     # saved rows: all of them
        last_id = ids[-1]
        finished = finished_steps(session, ids)
        changes, events = [], []
        for case in batch:
            if case.id is None:       # (rows read from the table always have one)
                continue
            outcome = evaluate_case(case, book, today, finished[case.id])
            checked += 1
            if outcome.changed:
                changes.append({"id": case.id, **outcome.values})
            if outcome.flagged:
                events.append(_changed_event(case.id, outcome.values["plan_changes"], None))
        if changes:
            session.execute(update(Case), changes)
            updated += len(changes)
        session.add_all(events)
        flagged += len(events)
        session.commit()
        session.expunge_all()
    return RecheckReport(checked, flagged, updated, time.perf_counter() - started)


# --- the last rules version seen -------------------------------------------------------------

def last_checked_version(session: Session) -> str | None:
    state = session.get(AppState, RULES_VERSION_KEY)
    return state.value if state else None


def claim_version(session: Session, version: str) -> bool:
    """Record `version` as checked; True only for the one process that changed the record,
    so several app processes starting together recheck once."""
    previous = last_checked_version(session)
    if previous == version:
        return False
    try:
        if previous is None:
            session.add(AppState(name=RULES_VERSION_KEY, value=version))
            session.commit()
            return True
        result = session.execute(update(AppState)
                                 .where(col(AppState.name) == RULES_VERSION_KEY)
                                 .where(col(AppState.value) == previous).values(value=version))
        session.commit()
        return getattr(result, "rowcount", 0) == 1     # a CursorResult for an UPDATE
    except IntegrityError:
        session.rollback()
        return False


def recheck_if_rules_changed(session: Session, book: RuleBook,
                             today: date | None = None) -> RecheckReport | None:
    if not claim_version(session, book.version):
        return None
    return recheck_all(session, book, today)
