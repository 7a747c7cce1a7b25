"""Database tables. Every change here comes with an Alembic migration in navigator/migrations."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Aware UTC: SQLModel's datetime columns store and return UTC."""
    return datetime.now(UTC)


def new_public_id() -> str:
    return uuid.uuid4().hex


class Case(SQLModel, table=True):
    """One person's answers. The plan is recomputed from answers + as_of + rules, never stored."""

    __tablename__ = "cases"

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=new_public_id, max_length=32, unique=True, index=True)
    # Only a hash of the private resume token is kept; the token itself is shown once.
    resume_token_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)
    # Answers so far (partial while the questionnaire is in progress).
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Letter details (names, member ID, prescriber...), entered once for all letters; optional.
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    as_of: date | None = Field(default=None)
    rules_version: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, nullable=False, index=True)
    updated_at: datetime = Field(default_factory=utcnow, nullable=False)
    # Caseload: set when a worker's organisation holds the case (null = a family's own case).
    organisation_id: int | None = Field(default=None, sa_column=Column(
        ForeignKey("organisations.id"), nullable=True, index=True))
    owner_user_id: int | None = Field(default=None, sa_column=Column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True))
    client_name: str | None = Field(default=None, max_length=200)
    status: str = Field(default="active", max_length=16)
    # Compact plan (step ids, program eligibility, deadlines) the rules recheck diffs against.
    plan_snapshot: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    last_plan_version: str | None = Field(default=None, max_length=64)
    # Fingerprint of the answers the snapshot was made for (null: no plan, answers unfinished).
    plan_key: str | None = Field(default=None, max_length=16)
    next_deadline: date | None = Field(default=None, index=True)
    flagged_at: datetime | None = Field(default=None)
    plan_changes: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


# --- caseload: organisations, their members, client cases' progress, notes and history -------

ROLES = ("member", "admin")
CASE_STATUSES = ("active", "waiting", "closed")


class Organisation(SQLModel, table=True):
    __tablename__ = "organisations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, nullable=False)


class User(SQLModel, table=True):
    """A worker. Passwords are argon2 hashes; `login_id` goes in the session cookie and changes
    when the password does, so a password change ends every other session."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=200)
    role: str = Field(default="member", max_length=16)
    password_hash: str | None = Field(default=None, max_length=255)
    login_id: str = Field(default_factory=new_public_id, max_length=32, unique=True, index=True)
    active: bool = Field(default=True)
    # Invitations and calendar feeds are secret links: only their SHA-256 hashes are kept.
    invite_token_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)
    invite_expires_at: datetime | None = Field(default=None)
    feed_token_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, nullable=False)
    last_login_at: datetime | None = Field(default=None)
    # A password an admin typed is known to the admin: the member must choose their own.
    must_change_password: bool = Field(default=False)
    # When the account was deactivated: `navigator purge` deletes it after the retention time.
    deactivated_at: datetime | None = Field(default=None)
    # IANA zone for the times on caseload pages; None shows UTC (and says so).
    time_zone: str | None = Field(default=None, max_length=64)

    # What Flask-Login asks of a user object.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def get_id(self) -> str:
        return self.login_id


class StepProgress(SQLModel, table=True):
    """A plan step marked done or not applicable for one case."""

    __tablename__ = "step_progress"
    __table_args__ = (UniqueConstraint("case_id", "step_id", name="uq_step_progress_case_step"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(sa_column=Column(ForeignKey("cases.id", ondelete="CASCADE"),
                                          nullable=False, index=True))
    step_id: str = Field(max_length=120)
    state: str = Field(max_length=16)          # done | not_applicable
    on_date: date
    # "link": marked through the signed "did it work?" link of a reminder, not by a worker.
    via: str | None = Field(default=None, max_length=16)
    user_id: int | None = Field(default=None, sa_column=Column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, nullable=False)


class CaseShare(SQLModel, table=True):
    """A colleague the case is shared with: a member sees and works on their own clients and
    those shared with them (an admin sees every client of the organisation)."""

    __tablename__ = "case_shares"
    __table_args__ = (UniqueConstraint("case_id", "user_id", name="uq_case_shares_case_user"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(sa_column=Column(ForeignKey("cases.id", ondelete="CASCADE"),
                                          nullable=False, index=True))
    user_id: int = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"),
                                          nullable=False, index=True))
    created_at: datetime = Field(default_factory=utcnow, nullable=False)


class CaseNote(SQLModel, table=True):
    __tablename__ = "case_notes"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(sa_column=Column(ForeignKey("cases.id", ondelete="CASCADE"),
                                          nullable=False, index=True))
    user_id: int | None = Field(default=None, sa_column=Column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True))
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, nullable=False)


class CaseEvent(SQLModel, table=True):
    """The case's own history, shown on its page and deleted with it."""

    __tablename__ = "case_events"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(sa_column=Column(ForeignKey("cases.id", ondelete="CASCADE"),
                                          nullable=False, index=True))
    user_id: int | None = Field(default=None, sa_column=Column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True))
    kind: str = Field(max_length=40)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, nullable=False)


class AuditEntry(SQLModel, table=True):
    """Who did what to which case, when. Never case content; outlives the case."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int | None = Field(default=None, index=True)
    user_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=40)
    case_public_id: str | None = Field(default=None, max_length=32, index=True)
    created_at: datetime = Field(default_factory=utcnow, nullable=False, index=True)


class AppState(SQLModel, table=True):
    """Small named values the app keeps between runs (the last rules version rechecked)."""

    __tablename__ = "app_state"

    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=255)


class ApiKey(SQLModel, table=True):
    """An organisation's key for the batch API. Only the key's SHA-256 hash is kept; the key is
    shown once when it is made. A revoked key stays listed (with its date) for the record."""

    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    name: str = Field(max_length=100)
    key_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, nullable=False)
    revoked_at: datetime | None = Field(default=None)
    last_used_at: datetime | None = Field(default=None)


# --- follow-through: reminders, key dates, the call and evidence log (issue 18) -------------

REMINDER_CHANNELS = ("email", "text")


class ReminderSubscription(SQLModel, table=True):
    """Who gets reminders, given with consent: a family for its own case (case_id) or a worker
    for every client case they own (user_id). Unsubscribing keeps the row (with the date) so
    nothing more is sent; signing up again makes a new row with a new consent date."""

    __tablename__ = "reminder_subscriptions"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, sa_column=Column(
        ForeignKey("cases.id", ondelete="CASCADE"), nullable=True, index=True))
    user_id: int | None = Field(default=None, sa_column=Column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True))
    first_name: str = Field(max_length=60)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=16)      # E.164, for text messages
    channel: str = Field(default="email", max_length=8)          # email | text
    time_zone: str = Field(max_length=64)                        # IANA name
    consent_at: datetime = Field(nullable=False)
    created_at: datetime = Field(default_factory=utcnow, nullable=False)
    unsubscribed_at: datetime | None = Field(default=None)


class CaseDate(SQLModel, table=True):
    """A date the plan cannot know but a reminder needs (Medicaid renewal, prior authorization
    end, pump warranty end, an assistance program's yearly re-application), as given."""

    __tablename__ = "case_dates"
    __table_args__ = (UniqueConstraint("case_id", "kind", name="uq_case_dates_case_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(sa_column=Column(ForeignKey("cases.id", ondelete="CASCADE"),
                                          nullable=False, index=True))
    kind: str = Field(max_length=32)
    on_date: date
    updated_at: datetime = Field(default_factory=utcnow, nullable=False)


class Reminder(SQLModel, table=True):
    """One message to send. `key` is unique, so a reminder is created once however many
    scheduler passes run, and `status` is claimed by a single UPDATE, so two workers holding
    the same job send it once."""

    __tablename__ = "reminders"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True, index=True)
    subscription_id: int = Field(sa_column=Column(
        ForeignKey("reminder_subscriptions.id", ondelete="CASCADE"), nullable=False, index=True))
    case_id: int = Field(sa_column=Column(ForeignKey("cases.id", ondelete="CASCADE"),
                                          nullable=False, index=True))
    kind: str = Field(max_length=24)
    item_id: str = Field(max_length=120)
    event_date: date
    due_at: datetime = Field(nullable=False, index=True)
    # pending | sending (claimed by a worker) | sent | failed (tried again) | skipped
    status: str = Field(default="pending", max_length=12, index=True)
    attempts: int = Field(default=0)
    claimed_at: datetime | None = Field(default=None)
    sent_at: datetime | None = Field(default=None)
    channel: str | None = Field(default=None, max_length=8)
    error: str | None = Field(default=None, max_length=120)
    created_at: datetime = Field(default_factory=utcnow, nullable=False)


class CallLogEntry(SQLModel, table=True):
    """A call or contact about the case, as the family or worker wrote it down."""

    __tablename__ = "call_log"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(sa_column=Column(ForeignKey("cases.id", ondelete="CASCADE"),
                                          nullable=False, index=True))
    user_id: int | None = Field(default=None, sa_column=Column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True))
    on_date: date
    spoke_with: str = Field(max_length=200)
    organisation: str | None = Field(default=None, max_length=200)
    reference: str | None = Field(default=None, max_length=80)
    what_was_said: str = Field(sa_column=Column(Text, nullable=False))
    next_step: str | None = Field(default=None, max_length=1000)
    attachments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    use_in_letters: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, nullable=False)
