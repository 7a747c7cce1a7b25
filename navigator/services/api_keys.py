"""Organisations' keys for the batch API: made, looked up by hash, revoked. No Flask."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, col, select

from navigator.models import ApiKey, Organisation, utcnow

KEY_PREFIX = "pan_"             # lets secret scanners and log filters recognise a key
NAME_MAX = 100
# Writing last_used_at on every request would make each API call a write; once a minute is
# enough to tell an operator which keys are still in use.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyError(ValueError):
    """A key cannot be made or revoked; the message says why."""


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, organisation_id: int, name: str) -> tuple[ApiKey, str]:
    """A new key for the organisation: the record and the key itself (shown once, never kept)."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise ApiKeyError(f"name: give the key a name of 1 to {NAME_MAX} characters")
    if session.get(Organisation, organisation_id) is None:
        raise ApiKeyError(f"organisation: there is no organisation with id {organisation_id}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(organisation_id=organisation_id, name=name, key_hash=_hash(key))
    session.add(record)
    session.commit()
    session.refresh(record)
    return record, key


def find_active_key(session: Session, key: str) -> ApiKey | None:
    """The live key record for a presented key, or None (unknown or revoked)."""
    if not key.startswith(KEY_PREFIX):
        return None
    record = session.exec(select(ApiKey).where(ApiKey.key_hash == _hash(key))).first()
    if record is None or record.revoked_at is not None:
        return None
    now = utcnow()
    last = record.last_used_at
    if last is not None and last.tzinfo is None:       # SQLite returns naive UTC
        last = last.replace(tzinfo=now.tzinfo)
    if last is None or now - last >= LAST_USED_RESOLUTION:
        record.last_used_at = now
        session.add(record)
        session.commit()
    return record


def revoke_key(session: Session, key_id: int) -> ApiKey:
    record = session.get(ApiKey, key_id)
    if record is None:
        raise ApiKeyError(f"id: there is no API key with id {key_id}")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.add(record)
        session.commit()
    return record


def list_keys(session: Session, organisation_id: int | None = None) -> list[ApiKey]:
    query = select(ApiKey).order_by(col(ApiKey.id))
    if organisation_id is not None:
        query = query.where(ApiKey.organisation_id == organisation_id)
    return list(session.exec(query))
