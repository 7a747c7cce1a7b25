"""Accounts: organisations and their members. No Flask.

Passwords are hashed with argon2id (argon2-cffi's defaults) and must be hard to guess by
zxcvbn's estimate (score 3 of 4 or more, with the person's own email and name counted as easy
guesses): length alone let "aaaaaaaaaaaa" and "password1234" through (review L17). Login answers the same way for an
unknown email, a wrong password and an inactive account, and spends the same hashing time on
each, so the answer does not tell whether an email has an account.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select
from zxcvbn import zxcvbn

from navigator.models import ROLES, Organisation, User, new_public_id, utcnow

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
MIN_PASSWORD_SCORE = 3      # zxcvbn: "safely unguessable", about 10^8 guesses or more
SCORED_LENGTH = 72          # zxcvbn's own limit; a longer password is scored on its start
INVITE_DAYS = 7
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,}$")

hasher = PasswordHasher()
# Verified against when the email is unknown, so that path costs the same time as a real one.
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """Bad input for an account: `field` names the form field, the message says what is allowed."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def hash_secret(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def check_email(email: str) -> str:
    email = normalise_email(email)
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise AccountError("email", "Enter an email address like name@example.org.")
    return email


def check_password(password: str, related: tuple[str | None, ...] = ()) -> str:
    """The password, if long enough and hard to guess; `related` (email, names) counts as
    easy to guess."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError("password",
                           f"Enter a password of at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError("password",
                           f"Enter a password of at most {MAX_PASSWORD_LENGTH} characters.")
    words = [part for text in related if text for part in re.split(r"[\s@._-]+", text) if part]
    if _mostly_personal(password, words):
        raise AccountError("password", "This password is too easy to guess (it is mostly your "
                           "own name or email address). Use three or four unrelated words.")
    estimate = zxcvbn(password[:SCORED_LENGTH], user_inputs=[*words, *filter(None, related)])
    if estimate["score"] < MIN_PASSWORD_SCORE:
        why = (estimate["feedback"].get("warning") or "").strip().rstrip(".")
        raise AccountError("password", "This password is too easy to guess"
                           + (f" ({why[0].lower()}{why[1:]})" if why else "")
                           + ". Use three or four unrelated words, or a longer password.")
    return password


def _mostly_personal(password: str, words: list[str]) -> bool:
    """What is left of the password without the person's own words is short."""
    rest = password.lower()
    for word in sorted((w.lower() for w in words if len(w) >= 3), key=len, reverse=True):
        rest = rest.replace(word, "")
    return len(re.sub(r"[\W_]+", "", rest)) < MIN_PASSWORD_LENGTH // 2


def check_name(name: str, field: str = "name") -> str:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise AccountError(field, "Enter a name of 1 to 200 characters.")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError("role", "Choose member or admin.")
    return role


def find_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def _email_taken(session: Session, email: str) -> None:
    if find_by_email(session, email) is not None:
        raise AccountError("email", "That email address already has an account.")


def create_organisation_with_admin(session: Session, organisation_name: str, email: str,
                                   name: str, password: str) -> User:
    """The first admin of a new organisation (the `navigator create-user` command)."""
    organisation_name = check_name(organisation_name, "organisation")
    email, name = check_email(email), check_name(name)
    password = check_password(password, (email, name, organisation_name))
    _email_taken(session, email)
    organisation = Organisation(name=organisation_name)
    session.add(organisation)
    session.flush()
    if organisation.id is None:                # given by the database at flush
        raise RuntimeError("the new organisation got no id")
    user = User(organisation_id=organisation.id, email=email, name=name, role="admin",
                password_hash=hasher.hash(password))
    session.add(user)
    session.commit()
    return user


def create_member(session: Session, admin: User, email: str, name: str, role: str,
                  password: str) -> User:
    """A member the admin gives a password to, which the member must change at first sign-in
    (the admin knows it). Invitations avoid that step."""
    email, name, role = check_email(email), check_name(name), check_role(role)
    password = check_password(password, (email, name))
    _email_taken(session, email)
    user = User(organisation_id=admin.organisation_id, email=email, name=name, role=role,
                password_hash=hasher.hash(password), must_change_password=True)
    session.add(user)
    session.commit()
    return user


@dataclass(frozen=True)
class Invitation:
    user: User
    token: str          # shown once, to be passed on to the new member


def invite_member(session: Session, admin: User, email: str, name: str, role: str,
                  now: datetime | None = None) -> Invitation:
    """A member without a password yet, and a one-time link to choose one (valid 7 days)."""
    email, name, role = check_email(email), check_name(name), check_role(role)
    _email_taken(session, email)
    token = secrets.token_urlsafe(32)
    user = User(organisation_id=admin.organisation_id, email=email, name=name, role=role,
                invite_token_hash=hash_secret(token),
                invite_expires_at=(now or utcnow()) + timedelta(days=INVITE_DAYS))
    session.add(user)
    session.commit()
    return Invitation(user, token)


def find_invitation(session: Session, token: str, now: datetime | None = None) -> User | None:
    if not token or len(token) > 100:
        return None
    user = session.exec(select(User).where(User.invite_token_hash == hash_secret(token))).first()
    if user is None or not user.active or _aware(user.invite_expires_at) < (now or utcnow()):
        return None
    return user


def accept_invitation(session: Session, user: User, password: str) -> User:
    user.password_hash = hasher.hash(check_password(password, (user.email, user.name)))
    user.must_change_password = False
    user.invite_token_hash = None
    user.invite_expires_at = None
    end_sessions(session, user)
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user for these credentials, or None, whichever part was wrong."""
    user = find_by_email(session, email) if email else None
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active or not user.password_hash:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = utcnow()
    session.add(user)
    session.commit()
    return user


def end_sessions(session: Session, user: User, commit: bool = True) -> None:
    """Sign the user out everywhere: every session cookie names the old `login_id`, which no
    longer loads a user. (A copied cookie is as dead as the one the browser deleted.)"""
    user.login_id = new_public_id()
    session.add(user)
    if commit:
        session.commit()


def change_password(session: Session, user: User, current: str, new: str) -> User:
    try:
        hasher.verify(user.password_hash or _DUMMY_HASH, current or "")
    except (VerificationError, InvalidHashError):
        raise AccountError("current_password", "The current password is not right.") from None
    user.password_hash = hasher.hash(check_password(new, (user.email, user.name)))
    user.must_change_password = False
    end_sessions(session, user)
    return user


def set_active(session: Session, admin: User, user: User, active: bool) -> User:
    if user.id == admin.id:
        raise AccountError("user", "You cannot deactivate your own account.")
    user.active = active
    user.deactivated_at = None if active else utcnow()
    end_sessions(session, user)
    return user


def purge_deactivated(session: Session, days: int, now: datetime | None = None) -> int:
    """Delete accounts deactivated more than `days` days ago; returns how many. Their cases,
    notes and history stay with the organisation (the author becomes unknown); audit entries
    keep the account's number only."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    gone = list(session.exec(select(User).where(col(User.active).is_(False))
                             .where(col(User.deactivated_at).is_not(None))
                             .where(col(User.deactivated_at) < cutoff)))
    for user in gone:
        session.delete(user)
    session.commit()
    return len(gone)


def load_by_login_id(session: Session, login_id: str) -> User | None:
    if not login_id or len(login_id) > 32:
        return None
    user = session.exec(select(User).where(User.login_id == login_id)).first()
    return user if user is not None and user.active and user.password_hash else None


def members(session: Session, organisation_id: int) -> list[User]:
    return list(session.exec(select(User).where(User.organisation_id == organisation_id)
                             .order_by(User.name)))


def member(session: Session, organisation_id: int, user_id: int) -> User | None:
    user = session.get(User, user_id)
    return user if user is not None and user.organisation_id == organisation_id else None


def organisation(session: Session, organisation_id: int) -> Organisation | None:
    return session.get(Organisation, organisation_id)


def issue_feed_token(session: Session, user: User) -> str:
    """A new secret calendar-feed token (the old feed URL stops working)."""
    token = secrets.token_urlsafe(32)
    user.feed_token_hash = hash_secret(token)
    session.add(user)
    session.commit()
    return token


def revoke_feed_token(session: Session, user: User) -> None:
    user.feed_token_hash = None
    session.add(user)
    session.commit()


def find_by_feed_token(session: Session, token: str) -> User | None:
    if not token or len(token) > 100:
        return None
    user = session.exec(select(User).where(User.feed_token_hash == hash_secret(token))).first()
    return user if user is not None and user.active else None


def _aware(moment: datetime | None) -> datetime:
    """SQLite returns naive datetimes for UTC columns."""
    if moment is None:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def set_time_zone(session: Session, user: User, zone: str) -> User:
    """The zone the worker's caseload pages show times in (one of textformat.TIME_ZONES)."""
    from navigator.textformat import TIME_ZONES
    if zone not in TIME_ZONES:
        raise AccountError("time_zone", "Choose one of the time zones listed.")
    user.time_zone = None if zone == "UTC" else zone
    session.add(user)
    session.commit()
    return user
