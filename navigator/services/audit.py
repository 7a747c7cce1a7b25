"""The audit log: who did what to which case, and when. No Flask.

Entries name the action and the case's public id only, never anything from the case (no names,
answers or notes), so the log can be kept after the case itself is deleted.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, func, select

from navigator import clock
from navigator.models import AuditEntry, Case, User

# action -> the words shown on the audit page
ACTIONS: dict[str, str] = {
    "login": "signed in",
    "logout": "signed out",
    # Security events (review L15): on the account's organisation's log, never the email typed.
    "login.failed": "sign-in failed (wrong password)",
    "login.throttled": "sign-ins slowed after repeated failures",
    "access.refused": "was refused a page",
    "csrf.refused": "sent a form without a valid security token",
    "rate.limited": "was slowed down (too many requests)",
    "case.create": "created a case",
    "case.claim": "took over a family's case",
    "case.view": "viewed a case",
    "case.update": "changed a case",
    "case.step": "marked a step",
    "case.note": "added a note",
    "case.review": "reviewed a plan change",
    "case.questionnaire": "opened the questionnaire",
    "case.letters": "opened the letters",
    "case.export": "downloaded the case (JSON)",
    "case.pdf": "downloaded the plan (PDF)",
    "case.delete": "deleted a case",
    "member.create": "added a member",
    "member.update": "changed a member",
    "feed.issue": "made a calendar feed link",
    "feed.revoke": "turned off the calendar feed",
    "feed.read": "calendar feed read",
}
PAGE_SIZE = 100


def record(session: Session, user: User | None, action: str, case_public_id: str | None = None,
           organisation_id: int | None = None, commit: bool = True) -> AuditEntry:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(user_id=user.id if user else None, action=action,
                       organisation_id=user.organisation_id if user else organisation_id,
                       case_public_id=case_public_id)
    session.add(entry)
    if commit:
        session.commit()
    return entry


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    who: str
    action: str
    words: str
    case_public_id: str | None
    client_name: str | None = None      # None: no case, or the case was deleted


def entries(session: Session, organisation_id: int, page: int = 1,
            case_public_id: str | None = None) -> tuple[list[AuditRow], int]:
    """One page of the organisation's log, newest first, and the total number of entries."""
    query = select(AuditEntry, User.name, Case.client_name)\
        .join(User, col(User.id) == col(AuditEntry.user_id), isouter=True)\
        .join(Case, (col(Case.public_id) == col(AuditEntry.case_public_id))
              & (col(Case.organisation_id) == organisation_id), isouter=True)\
        .where(AuditEntry.organisation_id == organisation_id)
    count = select(func.count()).select_from(AuditEntry)\
        .where(AuditEntry.organisation_id == organisation_id)
    if case_public_id:
        query = query.where(AuditEntry.case_public_id == case_public_id)
        count = count.where(AuditEntry.case_public_id == case_public_id)
    query = query.order_by(col(AuditEntry.created_at).desc(), col(AuditEntry.id).desc())\
        .offset((max(page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    rows = [AuditRow(entry.created_at, name or "", entry.action, ACTIONS[entry.action],
                     entry.case_public_id, client_name)
            for entry, name, client_name in session.exec(query)]
    return rows, session.exec(count).one()


def purge_older_than(session: Session, days: int, now: datetime | None = None) -> int:
    """Delete audit entries older than `days` days (the audit retention); returns how many."""
    cutoff = (now or clock.utc_now()) - timedelta(days=days)
    result = session.exec(delete(AuditEntry).where(col(AuditEntry.created_at) < cutoff))
    session.commit()
    return result.rowcount or 0
