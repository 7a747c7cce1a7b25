"""An organisation's client cases: the caseload, progress on steps, notes, history, hand-over,
export and deletion. No Flask.

A client case is the same Case a family's questionnaire fills in, with an organisation and an
owner. Every lookup goes through `case_for_user`, which returns None for any case outside the
user's organisation, so the web layer answers 404 whether the case exists or not.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from rapidfuzz.distance import OSA
from sqlalchemy import delete as sql_delete
from sqlalchemy import or_
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from navigator import clock
from navigator.engine import Plan, RuleBook, plan_for
from navigator.models import (
    CASE_STATUSES,
    AuditEntry,
    Case,
    CaseEvent,
    CaseNote,
    CaseShare,
    StepProgress,
    User,
    utcnow,
)
from navigator.services import calls, recheck
from navigator.services import cases as case_store

STEP_STATES = ("done", "not_applicable")
MAX_NOTE_LENGTH = 5000
DUE_WINDOW_DAYS = 14
DUE_WINDOWS = (14, 30, 60)
SORT_KEYS = ("name", "coverage", "state", "status", "deadline", "owner", "updated")
TOKEN_PATTERN = re.compile(r"([A-Za-z0-9_-]{20,100})/?$")


class CaseloadError(ValueError):
    """Bad input: `field` names the form field, the message says what is allowed."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


# --- finding cases ---------------------------------------------------------------------------
# An admin reaches every case of the organisation; a member reaches the cases they own and
# those a colleague shared with them. Handing a case over moves it: the old owner loses it.

def can_access(session: Session, user: User, case: Case) -> bool:
    if case.organisation_id is None or case.organisation_id != user.organisation_id:
        return False
    if user.is_admin or case.owner_user_id == user.id:
        return True
    return session.exec(select(CaseShare.id).where(CaseShare.case_id == case.id)
                        .where(CaseShare.user_id == user.id)).first() is not None


def can_manage(user: User, case: Case) -> bool:
    """Hand over, share and delete: the owner and the organisation's admins only."""
    return case.organisation_id == user.organisation_id and (
        user.is_admin or case.owner_user_id == user.id)


def case_for_user(session: Session, user: User, public_id: str | None) -> Case | None:
    case = case_store.get_case(session, public_id)
    if case is None or not can_access(session, user, case):
        return None
    return case


def _scope(user: User, everyone: bool):
    """The user's own and shared cases; with `everyone`, an admin's whole organisation."""
    query = select(Case).where(Case.organisation_id == user.organisation_id)
    if not (everyone and user.is_admin):
        shared = select(CaseShare.case_id).where(CaseShare.user_id == user.id)
        query = query.where(or_(Case.owner_user_id == user.id, Case.id.in_(shared)))
    return query


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c)).split()


def _word_matches(wanted: str, word: str) -> bool:
    """Part of the word, or the word (or its start) with a small typo: one wrong, missing or
    extra letter (or two swapped) from four letters on, two from eight."""
    if wanted in word:
        return True
    allowed = 2 if len(wanted) >= 8 else 1 if len(wanted) >= 4 else 0
    return allowed > 0 and min(OSA.distance(wanted, word),
                               OSA.distance(wanted, word[:len(wanted)])) <= allowed


def name_matches(search: str, name: str) -> bool:
    """Each word searched for is in the name, in any order, allowing small typos: "gomez
    alicia" and "Alicia Gomes" both find Alicia Gomez."""
    if search.casefold() in name.casefold():
        return True
    words = _words(name)
    return all(any(_word_matches(wanted, word) for word in words) for wanted in _words(search))


@dataclass(frozen=True)
class CaseRow:
    """One line of the caseload."""

    public_id: str
    client_name: str
    owner_name: str
    coverage: str | None
    state: str | None
    status: str
    next_deadline: date | None
    days_left: int | None
    flagged: bool
    complete: bool
    updated_at: Any

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


def caseload(session: Session, user: User, book: RuleBook, today: date, sort: str = "deadline",
             descending: bool = False, search: str = "", everyone: bool = False) -> list[CaseRow]:
    """The user's clients (an admin may ask for the whole organisation's), with each plan's
    next deadline. Snapshots older than the rules or the answers are refreshed first."""
    query = _scope(user, everyone)
    search = (search or "").strip()[:200]
    found = list(session.exec(query.options(defer(Case.plan_snapshot), defer(Case.details),
                                            defer(Case.plan_changes))))
    if search:
        found = [case for case in found if name_matches(search, case.client_name or "")]
    _refresh_stale(session, found, book, today, user)
    owners = _owner_names(session, user.organisation_id)
    rows = [_row(case, owners, today) for case in found]
    return sort_rows(rows, sort, descending)


def _refresh_stale(session: Session, found: list[Case], book: RuleBook, today: date,
                   user: User) -> None:
    stale = [case for case in found if recheck.needs_refresh(case, book)]
    for case in stale:
        # Each client's plan is dated their own local date (clock.plan_date), not `today`.
        recheck.refresh_case(session, case, book, None, user_id=user.id, commit=False)
    if stale:
        session.commit()


def _owner_names(session: Session, organisation_id: int) -> dict[int, str]:
    return dict(session.exec(select(User.id, User.name)
                             .where(User.organisation_id == organisation_id)).all())


def _row(case: Case, owners: dict[int, str], today: date) -> CaseRow:
    answers = case.answers or {}
    deadline = case.next_deadline
    return CaseRow(
        public_id=case.public_id, client_name=case.client_name or "",
        owner_name=owners.get(case.owner_user_id, ""), coverage=answers.get("coverage"),
        state=answers.get("state"), status=case.status, next_deadline=deadline,
        days_left=(deadline - today).days if deadline else None,
        flagged=case.flagged_at is not None, complete=case.plan_key is not None,
        updated_at=case.updated_at)


def sort_rows(rows: list[CaseRow], sort: str, descending: bool = False) -> list[CaseRow]:
    """Sorted by the column; cases without a value (no deadline yet) always come last."""
    sort = sort if sort in SORT_KEYS else "deadline"
    attribute = {"name": "client_name", "deadline": "next_deadline", "owner": "owner_name",
                 "updated": "updated_at"}.get(sort, sort)

    def value(row: CaseRow):
        item = getattr(row, attribute)
        return item.lower() if isinstance(item, str) else item

    present = [row for row in rows if value(row) not in (None, "")]
    missing = [row for row in rows if value(row) in (None, "")]
    present.sort(key=lambda row: (value(row), row.client_name.lower()), reverse=descending)
    missing.sort(key=lambda row: row.client_name.lower())
    return present + missing


@dataclass(frozen=True)
class DueItem:
    public_id: str
    client_name: str
    step_id: str
    title: str
    due: date
    days_left: int


def due_items(session: Session, user: User, book: RuleBook, today: date,
              days: int = DUE_WINDOW_DAYS, everyone: bool = False,
              include_overdue: bool = True, refresh: bool = True) -> list[DueItem]:
    """Every unfinished deadline of the user's open cases up to `days` days ahead, soonest
    first; overdue ones too unless asked not to. `refresh=False` when the caller has just
    refreshed the same cases (the dashboard)."""
    horizon = today + timedelta(days=days)
    open_cases = _scope(user, everyone).where(Case.status != "closed")
    if refresh:
        _refresh_stale(session, list(session.exec(open_cases.options(
            defer(Case.plan_snapshot)))), book, today, user)
    # next_deadline is each case's earliest unfinished deadline: later ones cannot be due.
    found = list(session.exec(open_cases.where(Case.next_deadline <= horizon).options(
        defer(Case.answers), defer(Case.details))))
    finished = recheck.finished_steps(session, [case.id for case in found])
    items = []
    for case in found:
        for step_id, title, day in (case.plan_snapshot or {}).get("deadlines", []):
            due = date.fromisoformat(day)
            if step_id in finished[case.id] or due > horizon:
                continue
            if due < today and not include_overdue:
                continue
            items.append(DueItem(case.public_id, case.client_name or "", step_id, title, due,
                                 (due - today).days))
    return sorted(items, key=lambda item: (item.due, item.client_name.lower()))


# --- creating and handing over cases ---------------------------------------------------------

def check_client_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise CaseloadError("client_name", "Enter the client's name, 1 to 200 characters.")
    return name


def create_client_case(session: Session, user: User, client_name: str) -> Case:
    case = Case(organisation_id=user.organisation_id, owner_user_id=user.id,
                client_name=check_client_name(client_name))
    session.add(case)
    session.flush()
    log_event(session, case, user, "created")
    session.commit()
    return case


def token_from_link(text: str) -> str | None:
    """The resume token in a pasted resume link (…/resume/<token>) or a bare token."""
    match = TOKEN_PATTERN.search((text or "").strip().split("?")[0].split("#")[0])
    return match.group(1) if match else None


def claim_case(session: Session, user: User, link: str, client_name: str) -> Case:
    """Move a family's own case into the user's organisation; its resume link stops working."""
    name = check_client_name(client_name)
    token = token_from_link(link)
    case = case_store.find_by_token(session, token) if token else None
    if case is None or case.organisation_id is not None:
        raise CaseloadError("link", "That resume link does not work. Check it is the whole "
                                    "link the family saved, or ask them for their newest one.")
    case.organisation_id = user.organisation_id
    case.owner_user_id = user.id
    case.client_name = name
    case.resume_token_hash = None
    case.updated_at = utcnow()
    session.add(case)
    log_event(session, case, user, "claimed")
    session.commit()
    return case


# --- changing a case -------------------------------------------------------------------------

def log_event(session: Session, case: Case, user: User | None, kind: str,
              **detail: Any) -> None:
    session.add(CaseEvent(case_id=case.id, user_id=user.id if user else None, kind=kind,
                          detail=detail))


def update_case(session: Session, user: User, case: Case, client_name: str, status: str,
                owner_user_id: int | None = None) -> Case:
    name = check_client_name(client_name)
    if status not in CASE_STATUSES:
        raise CaseloadError("status", "Choose active, waiting or closed.")
    if owner_user_id is not None and owner_user_id != case.owner_user_id:
        if not can_manage(user, case):
            raise CaseloadError("owner", "Only the case's worker or an admin can hand it over.")
        owner = session.get(User, owner_user_id)
        if owner is None or owner.organisation_id != case.organisation_id or not owner.active:
            raise CaseloadError("owner", "Choose a member of your organisation.")
        log_event(session, case, user, "owner_changed", to=owner.name)
        case.owner_user_id = owner.id
        # The new owner no longer needs a share; the old owner keeps none (access moves).
        session.execute(sql_delete(CaseShare).where(CaseShare.case_id == case.id)
                        .where(CaseShare.user_id == owner.id))
    if name != case.client_name:
        log_event(session, case, user, "renamed")
        case.client_name = name
    if status != case.status:
        log_event(session, case, user, "status_changed", old=case.status, new=status)
        case.status = status
    case.updated_at = utcnow()
    session.add(case)
    session.commit()
    return case


def shared_with(session: Session, case: Case) -> list[User]:
    return list(session.exec(select(User).join(CaseShare, CaseShare.user_id == User.id)
                             .where(CaseShare.case_id == case.id).order_by(User.name)))


def share_case(session: Session, user: User, case: Case, member_id: int) -> User:
    """Let a colleague see and work on the case too (the owner or an admin decides)."""
    if not can_manage(user, case):
        raise CaseloadError("member", "Only the case's worker or an admin can share it.")
    member = session.get(User, member_id)
    if member is None or member.organisation_id != case.organisation_id or not member.active:
        raise CaseloadError("member", "Choose a member of your organisation.")
    if member.id == case.owner_user_id:
        raise CaseloadError("member", "That colleague already has the case: it is theirs.")
    if member not in shared_with(session, case):
        session.add(CaseShare(case_id=case.id, user_id=member.id))
        log_event(session, case, user, "shared", to=member.name)
        session.commit()
    return member


def unshare_case(session: Session, user: User, case: Case, member_id: int) -> None:
    if not can_manage(user, case):
        raise CaseloadError("member", "Only the case's worker or an admin can stop sharing it.")
    member = session.get(User, member_id)
    removed = session.execute(sql_delete(CaseShare).where(CaseShare.case_id == case.id)
                              .where(CaseShare.user_id == member_id)).rowcount
    if removed and member is not None:
        log_event(session, case, user, "unshared", to=member.name)
    session.commit()


BY_LINK = "the family, by the link in a reminder"


def progress(session: Session, case: Case) -> dict[str, tuple[StepProgress, str]]:
    """step id -> (progress, name of who marked it)."""
    rows = session.exec(select(StepProgress, User.name)
                        .join(User, User.id == StepProgress.user_id, isouter=True)
                        .where(StepProgress.case_id == case.id))
    return {item.step_id: (item, name or (BY_LINK if item.via == "link" else ""))
            for item, name in rows}


EARLIEST_STEP_DATE = date(1990, 1, 1)      # as for denial dates (review L21)


def mark_step(session: Session, user: User, case: Case, plan: Plan, step_id: str, state: str,
              on_date: date | None, today: date) -> None:
    """Mark a step of the case's current plan done or not applicable; state "" clears it."""
    titles = {step.id: step.title for step in plan.steps}
    if step_id not in titles:
        raise CaseloadError("step", "That step is not in this case's plan any more.")
    if state not in (*STEP_STATES, ""):
        raise CaseloadError("state", "Choose done, not applicable, or not yet.")
    if on_date is not None and on_date > today:
        raise CaseloadError("on_date", "The date cannot be in the future.")
    if on_date is not None and on_date < EARLIEST_STEP_DATE:    # a typo, such as year 1
        raise CaseloadError("on_date", "Enter a date from 1990 on.")
    existing = session.exec(select(StepProgress).where(StepProgress.case_id == case.id)
                            .where(StepProgress.step_id == step_id)).first()
    if state == "":
        if existing is not None:
            session.delete(existing)
    else:
        existing = existing or StepProgress(case_id=case.id, step_id=step_id, state=state,
                                            on_date=today)
        existing.state, existing.on_date = state, on_date or today
        existing.user_id, existing.updated_at = user.id, utcnow()
        session.add(existing)
    log_event(session, case, user, "step", step=titles[step_id], state=state or "open")
    session.flush()
    finished = recheck.finished_steps(session, [case.id])[case.id]
    case.next_deadline = recheck.next_deadline(case.plan_snapshot, finished)
    case.updated_at = utcnow()
    session.add(case)
    session.commit()


def add_note(session: Session, user: User, case: Case, body: str) -> CaseNote:
    body = (body or "").strip()
    if not body or len(body) > MAX_NOTE_LENGTH:
        raise CaseloadError("body", f"Write a note of 1 to {MAX_NOTE_LENGTH:,} characters.")
    note = CaseNote(case_id=case.id, user_id=user.id, body=body)
    session.add(note)
    log_event(session, case, user, "note")
    case.updated_at = utcnow()
    session.add(case)
    session.commit()
    return note


def notes(session: Session, case: Case) -> list[tuple[CaseNote, str]]:
    rows = session.exec(select(CaseNote, User.name)
                        .join(User, User.id == CaseNote.user_id, isouter=True)
                        .where(CaseNote.case_id == case.id)
                        .order_by(CaseNote.created_at.desc(), CaseNote.id.desc()))
    return [(note, name or "") for note, name in rows]


def history(session: Session, case: Case, limit: int = 200) -> list[tuple[CaseEvent, str]]:
    rows = session.exec(select(CaseEvent, User.name)
                        .join(User, User.id == CaseEvent.user_id, isouter=True)
                        .where(CaseEvent.case_id == case.id)
                        .order_by(CaseEvent.created_at.desc(), CaseEvent.id.desc()).limit(limit))
    return [(event, name or "") for event, name in rows]


def mark_reviewed(session: Session, user: User, case: Case) -> None:
    """The worker has seen the plan change the rules update made."""
    if case.flagged_at is None:
        return
    log_event(session, case, user, "reviewed",
              to_version=(case.plan_changes or {}).get("to_version"))
    case.flagged_at = None
    case.plan_changes = None
    session.add(case)
    session.commit()


def plan_changes(case: Case) -> recheck.PlanDiff | None:
    if case.flagged_at is None or not case.plan_changes:
        return None
    return recheck.PlanDiff.from_dict(case.plan_changes.get("diff") or {})


# --- the plan, export and deletion ------------------------------------------------------------

def current_plan(case: Case, book: RuleBook, today: date | None = None,
                 lang: str | None = None) -> tuple[Plan | None, list]:
    """The plan from the engine for the case's answers (its texts in `lang`), or the answer
    problems. Dated `today` when given, else the client's local date (clock.plan_date)."""
    return plan_for(case.answers or {}, today or clock.plan_date(case, book), book, lang)


def export(session: Session, case: Case, book: RuleBook, today: date) -> dict[str, Any]:
    """Everything the case holds, with its current plan, as JSON-ready data: also its history,
    its plan-change flag and the organisation's audit entries about it (review L19)."""
    plan, errors = current_plan(case, book, today)
    marked = progress(session, case)
    owner = session.get(User, case.owner_user_id) if case.owner_user_id else None
    return {
        "format": "pump-access-navigator.case/1",
        "exported_on": today.isoformat(),
        "case": {"id": case.public_id, "client_name": case.client_name, "status": case.status,
                 "owner": owner.name if owner else None,
                 "created_at": case.created_at.isoformat(),
                 "updated_at": case.updated_at.isoformat(),
                 "plan_changed_at": case.flagged_at.isoformat() if case.flagged_at else None,
                 "plan_changes": case.plan_changes},
        "history": [{"at": event.created_at.isoformat(), "by": name, "kind": event.kind,
                     "detail": event.detail}
                    for event, name in reversed(history(session, case, limit=100_000))],
        "audit": _audit_entries(session, case),
        "answers": case.answers,
        "details": case.details,
        "answer_problems": [error.as_dict() for error in errors],
        "plan": plan.model_dump(mode="json") if plan else None,
        "progress": [{"step_id": step_id, "state": item.state,
                      "on_date": item.on_date.isoformat(), "by": name}
                     for step_id, (item, name) in marked.items()],
        "notes": [{"at": note.created_at.isoformat(), "by": name, "text": note.body}
                  for note, name in notes(session, case)],
        "call_log": calls.export(session, case.id),
    }


def _audit_entries(session: Session, case: Case) -> list[dict[str, Any]]:
    rows = session.exec(select(AuditEntry, User.name)
                        .join(User, User.id == AuditEntry.user_id, isouter=True)
                        .where(AuditEntry.case_public_id == case.public_id)
                        .where(AuditEntry.organisation_id == case.organisation_id)
                        .order_by(AuditEntry.created_at, AuditEntry.id))
    return [{"at": entry.created_at.isoformat(), "by": name or "", "action": entry.action}
            for entry, name in rows]


def delete_case(session: Session, case: Case) -> None:
    """Delete the case and everything attached to it, for real."""
    for table in (StepProgress, CaseNote, CaseEvent, CaseShare):
        session.execute(sql_delete(table).where(table.case_id == case.id))
    session.delete(case)
    session.commit()
