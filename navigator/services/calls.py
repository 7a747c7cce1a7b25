"""The call and evidence log of a case: who was spoken to, when, the reference number, what was
said, the next step and the papers kept (by name). No Flask.

Entries marked for letters are quoted in the appeal letters ("On November 3, 2026 I spoke with
..."). Text is kept as typed and escaped wherever it is shown.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from navigator.i18n import N_, Phrase
from navigator.models import CallLogEntry, Case, utcnow

LIMITS = {"spoke_with": 200, "organisation": 200, "reference": 80, "what_was_said": 4000,
          "next_step": 1000}
MAX_ATTACHMENTS = 20
MAX_ATTACHMENT_NAME = 120
EARLIEST = date(2000, 1, 1)


class CallLogError(ValueError):
    """One problem per field: {field: message}."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class CallFacts:
    """What a letter quotes of one entry (plain text; the letter template escapes it)."""

    on_date: date
    spoke_with: str
    organisation: str | None
    reference: str | None
    what_was_said: str


def _text(raw: Any, name: str, required: bool, problems: dict[str, str],
          multiline: bool = False) -> str | None:
    value = (raw or "").strip().replace("\r\n", "\n") if isinstance(raw, str) else ""
    if not value:
        if required:
            problems[name] = N_("is required")
        return None
    if len(value) > LIMITS[name]:
        problems[name] = Phrase(N_("must be at most %(max)s characters (you gave %(given)s)"),
                                max=LIMITS[name], given=len(value))
    elif any(unicodedata.category(c) == "Cc" and not (multiline and c in "\n\t") for c in value):
        problems[name] = N_("must not contain control characters")
    return value


def attachment_names(raw: str) -> list[str]:
    """One file name a line; blank lines dropped."""
    return [line.strip() for line in (raw or "").splitlines() if line.strip()]


def clean_entry(raw: dict[str, Any], today: date) -> dict[str, Any]:
    """Check a new entry; raise CallLogError naming each wrong field."""
    problems: dict[str, str] = {}
    on_date = None
    try:
        on_date = date.fromisoformat(str(raw.get("on_date") or ""))
    except ValueError:
        problems["on_date"] = N_("must be a date written as YYYY-MM-DD")
    if on_date is not None and not EARLIEST <= on_date <= today:
        problems["on_date"] = Phrase(N_("must be between 2000-01-01 and today (%(today)s)"),
                                     today=today.isoformat())
    clean: dict[str, Any] = {
        "on_date": on_date,
        "spoke_with": _text(raw.get("spoke_with"), "spoke_with", True, problems),
        "organisation": _text(raw.get("organisation"), "organisation", False, problems),
        "reference": _text(raw.get("reference"), "reference", False, problems),
        "what_was_said": _text(raw.get("what_was_said"), "what_was_said", True, problems,
                               multiline=True),
        "next_step": _text(raw.get("next_step"), "next_step", False, problems, multiline=True),
        "use_in_letters": bool(raw.get("use_in_letters")),
    }
    names = raw.get("attachments") or []
    if len(names) > MAX_ATTACHMENTS:
        problems["attachments"] = Phrase(N_("list at most %(count)s papers"),
                                         count=MAX_ATTACHMENTS)
    elif any(len(n) > MAX_ATTACHMENT_NAME or any(unicodedata.category(c) == "Cc" for c in n)
             for n in names):
        problems["attachments"] = Phrase(N_("each name must be one line of at most %(max)s "
                                            "characters"), max=MAX_ATTACHMENT_NAME)
    clean["attachments"] = list(names)
    if problems:
        raise CallLogError(problems)
    return clean


def add_entry(session: Session, case: Case, raw: dict[str, Any], today: date,
              user_id: int | None = None) -> CallLogEntry:
    if case.id is None:
        raise ValueError("a call is logged on a saved case")
    entry = CallLogEntry(case_id=case.id, user_id=user_id, **clean_entry(raw, today))
    session.add(entry)
    case.updated_at = utcnow()
    session.add(case)
    session.commit()
    return entry


def entries(session: Session, case_id: int) -> list[CallLogEntry]:
    """Newest call first."""
    return list(session.exec(select(CallLogEntry).where(col(CallLogEntry.case_id) == case_id)
                             .order_by(col(CallLogEntry.on_date).desc(),
                                       col(CallLogEntry.id).desc())))


def delete_entry(session: Session, case: Case, entry_id: int) -> bool:
    result = session.execute(delete(CallLogEntry).where(col(CallLogEntry.case_id) == case.id)
                             .where(col(CallLogEntry.id) == entry_id))
    session.commit()
    return bool(getattr(result, "rowcount", 0))     # a CursorResult for a DELETE


def facts_for_letters(session: Session, case_public_id: str) -> list[CallFacts]:
    """The entries marked for letters, oldest first (the order a reader follows)."""
    rows = session.exec(select(CallLogEntry)
                        .join(Case, col(Case.id) == col(CallLogEntry.case_id))
                        .where(col(Case.public_id) == case_public_id)
                        .where(col(CallLogEntry.use_in_letters).is_(True))
                        .order_by(col(CallLogEntry.on_date), col(CallLogEntry.id)))
    return [CallFacts(e.on_date, e.spoke_with, e.organisation, e.reference, e.what_was_said)
            for e in rows]


def export(session: Session, case_id: int) -> list[dict[str, Any]]:
    return [{"on_date": e.on_date.isoformat(), "spoke_with": e.spoke_with,
             "organisation": e.organisation, "reference": e.reference,
             "what_was_said": e.what_was_said, "next_step": e.next_step,
             "attachments": list(e.attachments), "use_in_letters": e.use_in_letters}
            for e in reversed(entries(session, case_id))]
