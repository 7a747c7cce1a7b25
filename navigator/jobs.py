"""Background jobs on RQ over Redis (REDIS_URL): the scheduler pass and sending each reminder.

`navigator worker` runs a worker on the "reminders" queue with RQ's scheduler on (it moves
retries and the next scheduler pass back onto the queue when their time comes). The scheduler
pass enqueues itself again REMINDER_SCAN_SECONDS later under one fixed job id, so however many
workers start, one chain of passes runs. Sending is idempotent in the database (see
services.reminders.claim): a reminder enqueued twice, or taken by two workers, is sent once.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from redis import Redis
from rq import Queue, Retry, SimpleWorker
from sqlmodel import Session

# Back-off between tries of one message: 1 minute, 5 minutes, 30 minutes, 2 hours.
SEND_RETRY = Retry(max=4, interval=[60, 300, 1800, 7200])


_apps: dict[str, Flask] = {}


def worker_app() -> Flask:
    """The app this worker process runs jobs with (settings, database, rules): the one
    `navigator worker` started with, else one built once from the environment."""
    if "app" not in _apps:
        from navigator import create_app
        _apps["app"] = create_app({"RECHECK_ON_START": False})
    return _apps["app"]


def redis_connection(app: Flask) -> Redis:
    url = app.config.get("REDIS_URL")
    if not url:
        raise RuntimeError("REDIS_URL is not set: the queue needs Redis (without it, run "
                           "`navigator reminders send` from cron instead)")
    return Redis.from_url(url)


def queue(app: Flask) -> Queue:
    return Queue(app.config["REMINDER_QUEUE"], connection=redis_connection(app))


def scan_job_id(app: Flask) -> str:
    return f"{app.config['REMINDER_QUEUE']}-scan"


def senders(app: Flask):
    """(links, mailer, texter) from the app's settings."""
    from navigator.services.messaging import Mailer, text_sender_from_settings
    from navigator.web.followup import AppLinks

    mail_url = app.config.get("MAIL_URL")
    mailer = Mailer(mail_url, app.config["MAIL_FROM"]) if mail_url else None
    return AppLinks(app), mailer, text_sender_from_settings(app.config)


def send_reminder(reminder_id: int) -> str:
    """Job: send one reminder (a SendError makes RQ try again with back-off)."""
    from navigator.services import reminders

    app = worker_app()
    links, mailer, texter = senders(app)
    with app.app_context(), Session(app.extensions["db_engine"]) as session:
        outcome = reminders.send_one(session, reminder_id, links=links, mailer=mailer,
                                     texter=texter)
    return outcome.status


def scan(reschedule: bool = True) -> int:
    """Job: the scheduler pass. Creates the reminders that fell due, enqueues them, and
    (normally) puts the next pass on the schedule. Returns how many were enqueued."""
    from navigator.services import reminders

    app = worker_app()
    with app.app_context(), Session(app.extensions["db_engine"]) as session:
        waiting = reminders.schedule(session, app.extensions["rulebook"])
    reminders_queue = queue(app)
    for reminder_id in waiting:
        reminders_queue.enqueue(send_reminder, reminder_id, retry=SEND_RETRY)
    if reschedule:
        reminders_queue.enqueue_in(timedelta(seconds=int(app.config["REMINDER_SCAN_SECONDS"])),
                                   scan, job_id=scan_job_id(app))
    return len(waiting)


def recheck_rules() -> str:
    """Job: re-evaluate every saved case against this worker's rules, once per rules version
    (the version is claimed in the database, so a second run or a second worker does nothing)."""
    from navigator.services.recheck import recheck_if_rules_changed

    app = worker_app()
    book = app.extensions["rulebook"]
    with app.app_context(), Session(app.extensions["db_engine"]) as session:
        report = recheck_if_rules_changed(session, book)
    if report is None:
        return f"rules {book.version}: already rechecked"
    return f"rules {book.version}: rechecked {report.checked} case(s), {report.flagged} changed"


def enqueue_recheck(app: Flask) -> None:
    """Put the rules recheck on the queue unless this rules version's job is already there,
    running or done (two processes starting at the same instant may both add it: the second
    run then finds the version claimed and does nothing)."""
    version = app.extensions["rulebook"].version
    jobs_queue = queue(app)
    job_id = f"recheck-{version}"
    existing = jobs_queue.fetch_job(job_id)
    if existing is not None and existing.get_status() not in ("failed", "stopped", "canceled"):
        return
    jobs_queue.enqueue(recheck_rules, job_id=job_id, result_ttl=86400,
                       description=f"rules recheck for {version}")


def run_worker(app: Flask, burst: bool = False, scan_now: bool = True) -> None:
    """Start a worker in this process (SimpleWorker: jobs run here, on the app built once)."""
    _apps["app"] = app
    reminders_queue = queue(app)
    if scan_now:
        reminders_queue.enqueue(scan, job_id=scan_job_id(app), kwargs={"reschedule": not burst})
    SimpleWorker([reminders_queue], connection=reminders_queue.connection).work(
        burst=burst, with_scheduler=True)
