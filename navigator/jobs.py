"""Background jobs on RQ over Redis (REDIS_URL): the scheduler pass, sending each reminder, the
rules recheck, and letter packets (PDF).

`navigator worker` runs a worker on the "reminders" and "pdf" queues (REMINDER_QUEUE, PDF_QUEUE;
`--queues` picks) with RQ's scheduler on (it moves
retries and the next scheduler pass back onto the queue when their time comes). The scheduler
pass enqueues itself again REMINDER_SCAN_SECONDS later under one fixed job id, so however many
workers start, one chain of passes runs. Sending is idempotent in the database (see
services.reminders.claim): a reminder enqueued twice, or taken by two workers, is sent once.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from redis import Redis
from rq import Queue, Retry, SimpleWorker, get_current_job
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


# --- letter packets (see navigator.services.packets) --------------------------------------------

PACKET_TIMEOUT_SECONDS = 180    # a packet job running longer than this is stopped (and fails)


def pdf_queue(app: Flask) -> Queue:
    return Queue(app.config["PDF_QUEUE"], connection=redis_connection(app))


def packet_store(app: Flask, connection: Redis | None = None):
    from navigator.services.packets import PacketStore

    return PacketStore(connection or redis_connection(app), app.config["PDF_QUEUE"],
                       str(app.config["SECRET_KEY"]), int(app.config["PDF_KEEP_SECONDS"]))


def render_packet(case_public_id: str, letter_ids: list[str], lang: str = "en") -> str:
    """Job: make a case's letter packet and keep it (encrypted, PDF_KEEP_SECONDS) for that case.
    Any failure is kept as "failed" for the waiting page; the log and the job's result name
    the failure's class only (the case's data never leaves the database and the PDF)."""
    from navigator.services.packets import case_packet

    app = worker_app()
    job = get_current_job()
    store = packet_store(app, job.connection)
    try:
        with app.app_context(), Session(app.extensions["db_engine"]) as session:
            body, filename = case_packet(session, app.extensions["rulebook"], case_public_id,
                                         list(letter_ids), lang)
    except Exception as exc:    # rendering, the database, a case gone: all mean "no packet"
        app.logger.error("letter packet job %s failed: %s", job.id, type(exc).__name__)
        store.fail(job.id, type(exc).__name__)
        return f"failed: {type(exc).__name__}"
    store.put(job.id, body, filename)
    return f"packet of {len(letter_ids)} letter(s), {len(body)} bytes"


_ACTIVE = ("queued", "started", "deferred", "scheduled")


def enqueue_packet(app: Flask, case_public_id: str, letter_ids: list[str],
                   fingerprint: str, lang: str = "en") -> str:
    """The packet job's id, enqueued unless the same packet is already waiting, being made or
    made (a double submit, or the same packet asked again while it is kept). `lang`: the page's
    language (the letters written in the family's language use it)."""
    from navigator.services.packets import job_id_for

    job_id = job_id_for(str(app.config["SECRET_KEY"]), case_public_id, letter_ids,
                        f"{lang}:{fingerprint}")
    jobs_queue = pdf_queue(app)
    store = packet_store(app, jobs_queue.connection)
    store.bind(job_id, case_public_id)
    if not store.claim(job_id):
        return job_id               # another request is enqueueing it this moment
    try:
        existing = jobs_queue.fetch_job(job_id)
        if existing is not None:
            status = existing.get_status(refresh=False)
            if status in _ACTIVE or (status == "finished" and store.has_pdf(job_id)):
                return job_id
            existing.delete()       # failed, or made and no longer kept: make it again
        store.forget_failure(job_id)
        keep = int(app.config["PDF_KEEP_SECONDS"])
        jobs_queue.enqueue(render_packet, case_public_id, list(letter_ids), lang, job_id=job_id,
                           job_timeout=PACKET_TIMEOUT_SECONDS, result_ttl=keep,
                           failure_ttl=keep, ttl=keep, description="letter packet")
    finally:
        store.release(job_id)
    return job_id


def packet_state(app: Flask, job_id: str, case_public_id: str | None) -> str:
    """waiting, ready, failed, expired (the case's, but no longer kept) or not found (unknown,
    or another case's: the two look the same)."""
    from navigator.services import packets

    store = packet_store(app)
    if not store.belongs_to(job_id, case_public_id):
        return packets.NOT_FOUND
    if store.has_pdf(job_id):
        return packets.READY
    if store.failed(job_id):
        return packets.FAILED
    job = pdf_queue(app).fetch_job(job_id)
    if job is None:
        return packets.EXPIRED
    status = job.get_status(refresh=False)
    if status in _ACTIVE:
        return packets.WAITING
    if status == "finished":
        return packets.EXPIRED      # made, and kept for less long than the job's record
    return packets.FAILED           # failed, stopped or cancelled without a word from the job


def packet_download(app: Flask, job_id: str, case_public_id: str | None) -> tuple[bytes, str] | None:
    store = packet_store(app)
    if not store.belongs_to(job_id, case_public_id):
        return None
    return store.get(job_id)


QUEUE_ROLES = ("reminders", "pdf")


def run_worker(app: Flask, burst: bool = False, scan_now: bool = True,
               roles: tuple[str, ...] = QUEUE_ROLES) -> None:
    """Start a worker in this process (SimpleWorker: jobs run here, on the app built once) on
    the queues of `roles`, in that order (reminders first, then PDF packets)."""
    _apps["app"] = app
    queues = []
    if "reminders" in roles:
        reminders_queue = queue(app)
        if scan_now:
            reminders_queue.enqueue(scan, job_id=scan_job_id(app),
                                    kwargs={"reschedule": not burst})
        queues.append(reminders_queue)
    if "pdf" in roles:
        queues.append(pdf_queue(app))
    SimpleWorker(queues, connection=queues[0].connection).work(burst=burst, with_scheduler=True)
