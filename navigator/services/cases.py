"""Cases: a person's saved answers, resumable by a private link.

The resume token is shown once and only its SHA-256 hash is stored, so a database leak does
not leak working links. Lookups compare hashes in the database index; the token itself has
256 bits of entropy, so it cannot be guessed or enumerated.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, bindparam
from sqlmodel import Session, col, delete, select

from navigator import clock
from navigator.models import Case, ReminderSubscription, utcnow

TOKEN_BYTES = 32
PUBLIC_ID_PATTERN = re.compile(r"[0-9a-f]{32}")      # models.new_public_id: uuid4().hex
# Built once: nearly every page asks for it, and building the expression costs more than the
# lookup itself on SQLite.
CASE_BY_PUBLIC_ID = select(Case).where(Case.public_id == bindparam("public_id"))


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """What the pages that only show a case read of it (plan, letters, check your answers),
    with the same names as on Case. Speed-up (docs/BENCHMARKS.md, "the case read with one plain
    SELECT"): with db.py's reading engine, in-process CPU per plan page 730 -> 540 us; the ORM
    object cost twice as much for the same row."""

    public_id: str
    organisation_id: int | None
    answers: dict[str, Any]
    details: dict[str, Any]
    as_of: date | None


# One plain SELECT of those columns, without the ORM: a plan page reloaded again and again is
# little more than this lookup, and the ORM object costs twice as much to build.
CASE_RECORD_BY_PUBLIC_ID = sa.select(     # Core's select: sqlmodel's takes at most 4 columns
    col(Case.public_id), col(Case.organisation_id), col(Case.answers), col(Case.details),
    col(Case.as_of),
).where(col(Case.public_id) == bindparam("public_id"))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_case(session: Session, answers: dict[str, Any] | None = None) -> Case:
    case = Case(answers=dict(answers or {}))
    session.add(case)
    session.commit()
    return case


def get_case(session: Session, public_id: str | None) -> Case | None:
    if not public_id or not PUBLIC_ID_PATTERN.fullmatch(public_id):
        return None     # also keeps NUL and other odd characters away from PostgreSQL
    # (A per-session memo of these lookups was dropped: no benchmark showed its one saved
    # SELECT, and SQLAlchemy's identity map already returns the same object.)
    return session.exec(CASE_BY_PUBLIC_ID, params={"public_id": public_id}).first()


def read_case(connection: Connection, public_id: str | None) -> CaseRecord | None:
    """The case to show, read on `connection`: no ORM object, nothing to save back."""
    if not public_id or not PUBLIC_ID_PATTERN.fullmatch(public_id):
        return None
    row = connection.execute(CASE_RECORD_BY_PUBLIC_ID, {"public_id": public_id}).first()
    return None if row is None else CaseRecord(*row)


def save_answers(session: Session, case: Case, answers: dict[str, Any],
                 as_of: date | None = None) -> Case:
    """Keep the answers; `as_of` is the person's local date they were checked on (kept in
    Case.as_of: the plan date is never before it, see clock.plan_date)."""
    case.answers = dict(answers)
    if as_of is not None:
        case.as_of = as_of
    case.updated_at = utcnow()
    session.add(case)
    session.commit()
    return case


def save_details(session: Session, case: Case, details: dict[str, Any]) -> Case:
    case.details = dict(details)
    case.updated_at = utcnow()
    session.add(case)
    session.commit()
    return case


class OrganisationCase(ValueError):
    """Resume links are for a family's own case: an organisation's client is reached through
    the caseload, never through a link that works without signing in."""


def issue_resume_token(session: Session, case: Case) -> str:
    """A new private resume token for the case (any earlier link stops working)."""
    if case.organisation_id is not None:
        raise OrganisationCase("an organisation's case has no resume link")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    case.resume_token_hash = hash_token(token)
    case.updated_at = utcnow()
    session.add(case)
    session.commit()
    return token


def find_by_token(session: Session, token: str) -> Case | None:
    """The case a resume token opens, or None; every kind of wrong token gets the same None."""
    if not token or len(token) > 100:
        return None
    wanted = hash_token(token)
    case = session.exec(select(Case).where(Case.resume_token_hash == wanted)).first()
    # The index lookup finds the candidate; the final check takes the same time for any
    # mismatch, so response timing says nothing about how close a guess was.
    if case is None or not hmac.compare_digest(case.resume_token_hash or "", wanted):
        return None
    return case


def delete_case(session: Session, case: Case) -> None:
    session.delete(case)
    session.commit()


def purge_older_than(session: Session, days: int, now: datetime | None = None) -> int:
    """Delete anonymous cases not updated for `days` days; returns how many went.
    An organisation's cases are never purged: a worker deletes them. Nor is a case whose
    family gets reminders."""
    cutoff = (now or clock.utc_now()) - timedelta(days=days)
    # A family that asked for reminders keeps its case while they are on: the reminders need
    # its plan (the sign-up page says so). Stopping them lets the case age out as usual.
    reminded = (select(ReminderSubscription.id)
                .where(col(ReminderSubscription.case_id) == col(Case.id))
                .where(col(ReminderSubscription.unsubscribed_at).is_(None)).exists())
    result = session.exec(delete(Case).where(col(Case.updated_at) < cutoff)
                          .where(col(Case.organisation_id).is_(None)).where(~reminded))
    session.commit()
    return result.rowcount or 0


def export(case: Case, plan: dict[str, Any] | None) -> dict[str, Any]:
    """Everything held about a family's case, for the person to keep (the resume token's
    hash is left out: it opens nothing and means nothing to them)."""
    return {
        "case": case.public_id,
        "created_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
        "answers": dict(case.answers or {}),
        "letter_details": dict(case.details or {}),
        "has_resume_link": case.resume_token_hash is not None,
        "plan": plan,
    }

