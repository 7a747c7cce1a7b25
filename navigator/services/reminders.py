"""Reminders: who asked for them, what falls due when, and sending each one exactly once.
No Flask, no Redis: the queue (navigator.services.reminder_jobs) and the cron pass both call
these functions.

What a reminder is about comes from the plan and from the dates the person gave:
- each deadline of the plan, a week and a day before (not once its step is marked done);
- the dates the plan cannot know (CaseDate): Medicaid renewal, an assistance program's yearly
  re-application, the end of a prior authorization, a week and a day before; the end of the
  pump warranty a month and a week before;
- "did it work?": a week after a step's deadline, a link that marks the step done.

A message holds the first name, dates and links only: never the coverage, the pump, the
diagnosis, the state or the step's title (the link leads to the plan behind its private link
or the worker's sign-in). Reminders go out at 9 a.m. in the person's own time zone.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from itsdangerous import BadData, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import Connection, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from navigator.engine import RuleBook
from navigator.engine import plan_for as engine_plan_for
from navigator.i18n import N_
from navigator.models import (
    REMINDER_CHANNELS,
    Case,
    CaseDate,
    CaseEvent,
    Reminder,
    ReminderSubscription,
    StepProgress,
    User,
    utcnow,
)
from navigator.services import recheck
from navigator.services.messaging import Message, SendError
from navigator.textformat import US_TIME_ZONES, us_date

SEND_AT = time(9, 0)                  # local time of day reminders go out
LATE_LIMIT = timedelta(days=2)        # a reminder not sent by then is not sent at all
STALE_CLAIM = timedelta(minutes=15)   # a worker that died while sending: another may try
MAX_ATTEMPTS = 5
CHECK_IN_DAYS = 7

# The US time zones people choose from (IANA names), with the words shown for them.
TIME_ZONES = US_TIME_ZONES


@dataclass(frozen=True)
class DateKind:
    label: str               # on the sign-up page
    phrase: str              # in a message: says what kind of date, nothing about the person
    days_before: tuple[int, ...]


# Dates a person can give us for reminders; the plan itself holds none of them.
CASE_DATE_KINDS: dict[str, DateKind] = {
    "medicaid_renewal": DateKind(N_("Medicaid or CHIP renewal is due"), "a renewal date",
                                 (7, 1)),
    "program_reapplication": DateKind(N_("An assistance program must be applied for again"),
                                      "a re-application date", (7, 1)),
    "prior_auth_ends": DateKind(N_("The prior authorization (approval) ends"),
                                "an approval's end date", (7, 1)),
    "warranty_ends": DateKind(N_("The pump warranty ends"), "a warranty end date", (30, 7)),
}
DEADLINE_DAYS_BEFORE = (7, 1)


class Links(Protocol):
    """Absolute links for messages, made by the web layer (which knows the routes)."""

    def plan(self, case: Case, for_worker: bool) -> str: ...
    def unsubscribe(self, subscription: ReminderSubscription) -> str: ...
    def step_done(self, reminder: Reminder) -> str: ...


class TextSenderLike(Protocol):
    def send(self, to: str, text: str) -> None: ...


class MailerLike(Protocol):
    def send(self, to: str, message: Message) -> None: ...


class SubscriptionError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class SubscriptionErrors(ValueError):
    """Every wrong field of a sign-up: {field: message}."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


# --- signing up --------------------------------------------------------------------------------

EMAIL_PATTERN = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}$")
US_PHONE = re.compile(r"^\+?1?\D*([2-9]\d{2})\D*(\d{3})\D*(\d{4})$")
NAME_PATTERN = re.compile(r"^[^\W\d_][^\d_<>@/\\:;]{0,59}$")


def clean_first_name(value: str) -> str:
    value = (value or "").strip()
    if not value or not NAME_PATTERN.match(value) or " " in value.strip():
        raise SubscriptionError("first_name", N_("Give one first name (letters only, at most "
                                                 "60), the only personal word a reminder will "
                                                 "hold."))
    return value


def clean_email(value: str) -> str:
    value = (value or "").strip()
    if len(value) > 254 or not EMAIL_PATTERN.match(value):
        raise SubscriptionError("email", N_("Give an email address such as name@example.org."))
    return value


def clean_phone(value: str) -> str:
    """A US mobile number in E.164 (+1 and 10 digits)."""
    match = US_PHONE.match((value or "").strip())
    if not match:
        raise SubscriptionError("phone", N_("Give a US mobile number with its area code, such "
                                            "as (614) 555-0123."))
    return "+1" + "".join(match.groups())


def clean_time_zone(value: str) -> str:
    if value not in TIME_ZONES:
        raise SubscriptionError("time_zone", N_("Choose your time zone from the list."))
    return value


def subscribe(session: Session, *, first_name: str, time_zone: str, consent: bool,
              email: str = "", phone: str = "", channel: str = "email",
              case: Case | None = None, user: User | None = None,
              now: datetime | None = None) -> ReminderSubscription:
    """Record consent and the contact; any earlier sign-up for the same case or worker ends.
    Raises SubscriptionErrors naming every wrong field at once."""
    if (case is None) == (user is None):
        raise ValueError("a subscription is for one case or one worker")
    problems: dict[str, str] = {}

    def checked(clean, value):
        try:
            return clean(value)
        except SubscriptionError as exc:
            problems[exc.field] = exc.args[-1] if exc.args else str(exc)
            return None

    if channel not in REMINDER_CHANNELS:
        problems["channel"] = N_("Choose email or text message.")
    first = checked(clean_first_name, first_name)
    zone = checked(clean_time_zone, time_zone)
    wants_email = bool((email or "").strip()) or channel != "text"
    address = checked(clean_email, email) if wants_email else None
    number = checked(clean_phone, phone) if channel == "text" else None
    if not consent:
        problems["consent"] = N_("Tick the box to agree to reminders, or leave this page: "
                                 "nothing is stored without it.")
    if problems:
        raise SubscriptionErrors(problems)
    now = now or utcnow()
    for earlier in active_subscriptions(session, case=case, user=user):
        earlier.unsubscribed_at = now
        session.add(earlier)
    subscription = ReminderSubscription(
        case_id=case.id if case else None, user_id=user.id if user else None,
        first_name=first, email=address, phone=number, channel=channel, time_zone=zone,
        consent_at=now, created_at=now)
    session.add(subscription)
    session.commit()
    return subscription


def active_subscriptions(session: Session, *, case: Case | None = None,
                         user: User | None = None) -> list[ReminderSubscription]:
    query = select(ReminderSubscription).where(ReminderSubscription.unsubscribed_at.is_(None))
    if case is not None:
        query = query.where(ReminderSubscription.case_id == case.id)
    if user is not None:
        query = query.where(ReminderSubscription.user_id == user.id)
    return list(session.exec(query.order_by(ReminderSubscription.id)))


def unsubscribe(session: Session, subscription_id: int, now: datetime | None = None) -> bool:
    """Stop a subscription (no further message, even one already queued). False: unknown."""
    subscription = session.get(ReminderSubscription, subscription_id)
    if subscription is None:
        return False
    if subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = now or utcnow()
        session.add(subscription)
        session.commit()
    return True


def case_dates(session: Session, case: Case) -> dict[str, date]:
    rows = session.exec(select(CaseDate).where(CaseDate.case_id == case.id))
    return {row.kind: row.on_date for row in rows}


def save_case_dates(session: Session, case: Case, dates: dict[str, date | None]) -> None:
    """Set or clear the person's own dates (kinds of CASE_DATE_KINDS)."""
    existing = {row.kind: row for row in
                session.exec(select(CaseDate).where(CaseDate.case_id == case.id))}
    for kind, on_date in dates.items():
        if kind not in CASE_DATE_KINDS:
            raise SubscriptionError(kind, "is not a date reminders know about")
        row = existing.get(kind)
        if on_date is None:
            if row is not None:
                session.delete(row)
            continue
        row = row or CaseDate(case_id=case.id, kind=kind, on_date=on_date)
        row.on_date, row.updated_at = on_date, utcnow()
        session.add(row)
    session.commit()


# --- what falls due, and when ----------------------------------------------------------------

@dataclass(frozen=True)
class Due:
    """One reminder a subscription should get for a case."""

    kind: str               # deadline | check_in | a CASE_DATE_KINDS key
    item_id: str            # the deadline's step id, or the date kind
    event_date: date
    days: int               # days before the event (negative: after it)
    due_at: datetime        # UTC

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.item_id}:{self.event_date.isoformat()}:{self.days}"


def local_send_time(day: date, zone: str) -> datetime:
    """SEND_AT on `day` in the time zone, as an aware UTC datetime."""
    return datetime.combine(day, SEND_AT, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def plan_for(case: Case, book: RuleBook, today: date):
    """The case's plan on `today` (the subscriber's local date), or None: validated once,
    against the same rules (engine.plan_for)."""
    return engine_plan_for(case.answers or {}, today, book)[0]


def due_items(plan, own_dates: dict[str, date], finished: set[str],
              zone: str) -> Iterator[Due]:
    """Every reminder the case calls for, whether or not it is due yet."""
    if plan is not None:
        for deadline in plan.deadlines:
            if deadline.id in finished:
                continue
            for days in DEADLINE_DAYS_BEFORE:
                yield Due("deadline", deadline.id, deadline.date, days,
                          local_send_time(deadline.date - timedelta(days=days), zone))
            yield Due("check_in", deadline.id, deadline.date, -CHECK_IN_DAYS,
                      local_send_time(deadline.date + timedelta(days=CHECK_IN_DAYS), zone))
    for kind, on_date in own_dates.items():
        for days in CASE_DATE_KINDS[kind].days_before:
            yield Due(kind, kind, on_date, days,
                      local_send_time(on_date - timedelta(days=days), zone))


def _cases_of(session: Session, subscription: ReminderSubscription) -> list[Case]:
    if subscription.case_id is not None:
        case = session.get(Case, subscription.case_id)
        return [case] if case is not None else []
    return list(session.exec(select(Case).where(Case.owner_user_id == subscription.user_id)
                             .where(Case.status != "closed")))


def _finished(session: Session, case_id: int) -> set[str]:
    rows = session.exec(select(StepProgress.step_id).where(StepProgress.case_id == case_id)
                        .where(StepProgress.state.in_(("done", "not_applicable"))))
    return set(rows)


def schedule(session: Session, book: RuleBook, now: datetime | None = None) -> list[int]:
    """The scheduler pass: create every reminder that has fallen due (once: the key is unique)
    and return the ids of all reminders waiting to be sent."""
    now = now or utcnow()
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
              else sqlite.insert)
    for subscription in session.exec(select(ReminderSubscription).where(
            ReminderSubscription.unsubscribed_at.is_(None))).all():
        for case in _cases_of(session, subscription):
            today = now.astimezone(ZoneInfo(subscription.time_zone)).date()
            plan = plan_for(case, book, today)
            items = due_items(plan, case_dates(session, case), _finished(session, case.id),
                              subscription.time_zone)
            rows = [{"key": f"{subscription.id}:{case.id}:{item.key}",
                     "subscription_id": subscription.id, "case_id": case.id, "kind": item.kind,
                     "item_id": item.item_id, "event_date": item.event_date,
                     "due_at": item.due_at, "status": "pending", "attempts": 0,
                     "created_at": now}
                    for item in items if now - LATE_LIMIT < item.due_at <= now]
            if rows:
                session.execute(insert(Reminder).values(rows)
                                .on_conflict_do_nothing(index_elements=["key"]))
    session.commit()
    return waiting(session, now)


def waiting(session: Session, now: datetime) -> list[int]:
    """Reminders due and not sent: new ones, failed ones with tries left, abandoned claims."""
    query = (select(Reminder.id).where(Reminder.due_at <= now)
             .where(Reminder.due_at > now - LATE_LIMIT)
             .where(Reminder.attempts < MAX_ATTEMPTS)
             .where(or_(Reminder.status.in_(("pending", "failed")),
                        (Reminder.status == "sending") & (Reminder.claimed_at < now - STALE_CLAIM)))
             .order_by(Reminder.due_at))
    return list(session.exec(query))


# --- sending one -------------------------------------------------------------------------------

def claim(session: Session, reminder_id: int, now: datetime | None = None) -> bool:
    """Take the reminder for this worker. One UPDATE: of two workers, one gets rowcount 1."""
    now = now or utcnow()
    result = session.execute(
        update(Reminder).where(Reminder.id == reminder_id)
        .where(Reminder.attempts < MAX_ATTEMPTS)
        .where(or_(Reminder.status.in_(("pending", "failed")),
                   (Reminder.status == "sending") & (Reminder.claimed_at < now - STALE_CLAIM)))
        .values(status="sending", claimed_at=now, attempts=Reminder.attempts + 1))
    session.commit()
    return result.rowcount == 1


@dataclass
class Outcome:
    status: str        # sent | skipped | not_claimed
    channel: str | None = None


def send_one(session: Session, reminder_id: int, *, links: Links, mailer: MailerLike | None,
             texter: TextSenderLike | None, now: datetime | None = None) -> Outcome:
    """Send one reminder if this worker can claim it. A SendError marks it failed (to be tried
    again) and is raised again for the queue's retry."""
    now = now or utcnow()
    if not claim(session, reminder_id, now):
        return Outcome("not_claimed")
    reminder = session.get(Reminder, reminder_id)
    session.refresh(reminder)
    subscription = session.get(ReminderSubscription, reminder.subscription_id)
    case = session.get(Case, reminder.case_id)
    if (subscription is None or case is None or subscription.unsubscribed_at is not None
            or _settled(session, reminder)):
        _finish(session, reminder, "skipped", now)
        return Outcome("skipped")
    message = compose(reminder, subscription, case, session, links)
    try:
        channel = deliver(subscription, message, mailer, texter)
    except SendError as exc:
        reminder.status, reminder.error = "failed", str(exc)[:120]
        session.add(reminder)
        session.commit()
        raise
    _finish(session, reminder, "sent", now, channel)
    return Outcome("sent", channel)


def _settled(session: Session, reminder: Reminder) -> bool:
    """A deadline or check-in whose step has been marked meanwhile needs no message."""
    if reminder.kind not in ("deadline", "check_in"):
        return False
    return reminder.item_id in _finished(session, reminder.case_id)


def _finish(session: Session, reminder: Reminder, status: str, now: datetime,
            channel: str | None = None) -> None:
    reminder.status, reminder.channel, reminder.error = status, channel, None
    if status == "sent":
        reminder.sent_at = now
    session.add(reminder)
    session.commit()


def deliver(subscription: ReminderSubscription, message: Message, mailer: MailerLike | None,
            texter: TextSenderLike | None) -> str:
    """Text when asked for and possible, else email; returns the channel used."""
    if subscription.channel == "text" and subscription.phone and texter is not None:
        try:
            texter.send(subscription.phone, message.text)
            return "text"
        except SendError:
            if not subscription.email:
                raise
    if not subscription.email:
        raise SendError("no way to reach this person (no text provider, no email address)")
    if mailer is None:
        raise SendError("MAIL_URL is not set")
    mailer.send(subscription.email, message)
    return "email"


def compose(reminder: Reminder, subscription: ReminderSubscription, case: Case,
            session: Session, links: Links) -> Message:
    """The words of a reminder: first names, dates and links, nothing else about anyone."""
    zone = ZoneInfo(subscription.time_zone)
    local_due = reminder.due_at.astimezone(zone)
    today = local_due.date()
    for_worker = subscription.user_id is not None
    whose = (f"your client {client_first_name(case)}'s plan" if for_worker else "your plan")
    when = us_date(reminder.event_date)
    left = (reminder.event_date - today).days
    unsubscribe_url = links.unsubscribe(subscription)
    plan_url = links.plan(case, for_worker)
    where = ("Sign in to see the case" if for_worker
             else "Open your plan with the private link you saved")
    if reminder.kind == "check_in":
        subject = "Did it work? A step of your plan"
        lines = [f"The deadline of a step in {whose} was {when}.",
                 "If the step is done, mark it done with this link:",
                 links.step_done(reminder),
                 f"{where} to see which step: {plan_url}"]
    else:
        what = ("a deadline" if reminder.kind == "deadline"
                else CASE_DATE_KINDS[reminder.kind].phrase)
        days = "tomorrow" if left == 1 else f"in {left} days"
        subject = f"Reminder: {what} {days} ({when})"
        lines = [f"{what[0].upper()}{what[1:]} in {whose} is {days}: {when}.",
                 f"{where}: {plan_url}"]
    sent = f"{local_due:%I:%M %p}".lstrip("0")
    greeting = f"Hello {subscription.first_name},"
    footer = (f"You asked for these reminders on {us_date(subscription.consent_at.date())}. "
              f"They come at about {sent} your time ({local_due:%Z}).\n"
              f"Stop them with one click: {unsubscribe_url}")
    body = "\n\n".join([greeting, "\n".join(lines), footer]) + "\n"
    text = f"{greeting} {' '.join(lines)} Stop: {unsubscribe_url}"
    return Message(subject=subject, body=body, text=text, unsubscribe_url=unsubscribe_url)


def client_first_name(case: Case) -> str:
    name = (case.client_name or "").strip().split()
    return name[0] if name else "(no name)"


def history(session: Session, case: Case) -> list[Reminder]:
    return list(session.exec(select(Reminder).where(Reminder.case_id == case.id)
                             .order_by(Reminder.due_at.desc()).limit(50)))


def send_due(session: Session, book: RuleBook, *, links: Links, mailer: MailerLike | None,
             texter: TextSenderLike | None, now: datetime | None = None) -> dict[str, int]:
    """One whole pass without a queue (for cron): schedule, then send each in turn."""
    counts = {"sent": 0, "skipped": 0, "failed": 0, "not_claimed": 0}
    for reminder_id in schedule(session, book, now):
        try:
            outcome = send_one(session, reminder_id, links=links, mailer=mailer, texter=texter,
                               now=now)
            counts[outcome.status] += 1
        except SendError:
            counts["failed"] += 1
    return counts


def subscriptions_for_export(session: Session, case: Case) -> Iterable[dict]:
    for sub in session.exec(select(ReminderSubscription)
                            .where(ReminderSubscription.case_id == case.id)):
        yield {"first_name": sub.first_name, "email": sub.email, "phone": sub.phone,
               "channel": sub.channel, "time_zone": sub.time_zone,
               "consent_at": sub.consent_at.isoformat(),
               "unsubscribed_at": sub.unsubscribed_at.isoformat() if sub.unsubscribed_at
               else None}


# --- signed links in messages --------------------------------------------------------------------

UNSUBSCRIBE_SALT = "reminders.unsubscribe"
STEP_DONE_SALT = "reminders.step-done"
STEP_DONE_MAX_AGE = 120 * 24 * 3600     # a "did it work?" link works for 120 days


def unsubscribe_token(secret: str, subscription_id: int) -> str:
    """Never expires: an old message's link must still stop the reminders."""
    return URLSafeSerializer(secret, salt=UNSUBSCRIBE_SALT).dumps({"s": subscription_id})


def subscription_from_token(secret: str, token: str) -> int | None:
    try:
        data = URLSafeSerializer(secret, salt=UNSUBSCRIBE_SALT).loads(token)
    except BadData:
        return None
    return data.get("s") if isinstance(data, dict) and isinstance(data.get("s"), int) else None


def step_done_token(secret: str, reminder_id: int) -> str:
    """Names the "did it work?" reminder only: the link says nothing about the step or case."""
    return URLSafeTimedSerializer(secret, salt=STEP_DONE_SALT).dumps({"r": reminder_id})


def step_from_token(session: Session, secret: str, token: str) -> tuple[Case, str] | None:
    """(case, step id) the token's reminder asks about, or None for a wrong, altered or expired
    token, or one whose case is gone."""
    try:
        data = URLSafeTimedSerializer(secret, salt=STEP_DONE_SALT).loads(
            token, max_age=STEP_DONE_MAX_AGE)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int):
        return None
    reminder = session.get(Reminder, data["r"])
    if reminder is None or reminder.kind != "check_in":
        return None
    case = session.get(Case, reminder.case_id)
    return (case, reminder.item_id) if case is not None else None


def mark_step_done_by_link(session: Session, case: Case, step_id: str, book: RuleBook,
                           today: date) -> bool:
    """Mark the step done, as the family said through the link. False: the step is no longer
    in the case's plan."""
    plan = plan_for(case, book, today)
    if plan is None or step_id not in {step.id for step in plan.steps}:
        return False
    existing = session.exec(select(StepProgress).where(StepProgress.case_id == case.id)
                            .where(StepProgress.step_id == step_id)).first()
    if existing is None or existing.state != "done":
        existing = existing or StepProgress(case_id=case.id, step_id=step_id, state="done",
                                            on_date=today)
        existing.state, existing.on_date, existing.via = "done", today, "link"
        existing.user_id, existing.updated_at = None, utcnow()
        session.add(existing)
        session.add(CaseEvent(case_id=case.id, kind="step", detail={
            "step": next(s.title for s in plan.steps if s.id == step_id), "state": "done",
            "via": "link"}))
        session.flush()
        finished = recheck.finished_steps(session, [case.id])[case.id]
        case.next_deadline = recheck.next_deadline(case.plan_snapshot, finished)
        session.add(case)
        session.commit()
    return True


def step_marks(connection: Connection, case_public_id: str) -> dict[str, tuple[str, date]]:
    """step id -> (state, date) of the case's marked steps, for the plan page."""
    rows = connection.execute(
        select(StepProgress.step_id, StepProgress.state, StepProgress.on_date)
        .join(Case, Case.id == StepProgress.case_id).where(Case.public_id == case_public_id))
    return {step_id: (state, on_date) for step_id, state, on_date in rows}
