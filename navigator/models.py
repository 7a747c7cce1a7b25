"""Database tables. Every change here comes with an Alembic migration in navigator/migrations."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Aware UTC: SQLModel's datetime columns store and return UTC."""
    return datetime.now(timezone.utc)


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
