"""Reminders end to end: a real SMTP server (aiosmtpd) on 127.0.0.1 receives what is sent,
and a real Redis queue with two worker processes sends each reminder once."""
from __future__ import annotations

import base64
import os
import re
import socket
import subprocess  # nosec B404 - starts this project's own worker command
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import pytest
from sqlmodel import Session, select

from navigator.models import Case, Reminder, ReminderSubscription, StepProgress
from navigator.services import cases, reminders
from navigator.services.messaging import Mailer, SendError
from tests.answers import answers

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


# --- a real SMTP server -----------------------------------------------------------------------

class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, _server, _session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def bodies(self) -> list[str]:
        return [m.get_content() for m in self.messages]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{controller.port}"
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def mail_app(app, smtp):
    app.config["MAIL_URL"] = smtp.url
    app.config["PUBLIC_BASE_URL"] = "https://navigator.example.org"
    return app


@pytest.fixture
def redis_url():
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable ({type(exc).__name__}): "
                    "the queue tests need a real Redis")
    return REDIS_URL


# --- helpers ------------------------------------------------------------------------------------

def _family_case(app, first_name="Zelda", zone="America/Chicago", denial_date="2026-06-20"):
    """An employer-plan case with a denied claim (internal appeal deadline 180 days later: in
    December for the default date) and a family subscription; returns (case, subscription,
    the appeal deadline)."""
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = cases.create_case(session, answers(coverage="employer", denial="claim",
                                                  denial_date=denial_date))
        cases.save_details(session, case, {"patient_name": f"{first_name} Quixote-Marsh",
                                           "member_id": "MBR7741209"})
        subscription = reminders.subscribe(
            session, case=case, first_name=first_name, email="zelda@family.example",
            time_zone=zone, consent=True, now=datetime(2026, 11, 25, tzinfo=UTC))
        plan = reminders.plan_for(case, app.extensions["rulebook"], date(2026, 11, 25))
    deadline = plan.deadlines[0]
    return case, subscription, deadline


def _links(app):
    from navigator.web.followup import AppLinks
    return AppLinks(app)


def _send_pass(app, now):
    mailer = Mailer(app.config["MAIL_URL"], app.config["MAIL_FROM"])
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        return reminders.send_due(session, app.extensions["rulebook"], links=_links(app),
                                  mailer=mailer, texter=None, now=now)


def _at(day: date, hour_utc: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour_utc, 5, tzinfo=UTC)


def _reminders(app) -> list[Reminder]:
    with Session(app.extensions["db_engine"]) as session:
        return list(session.exec(select(Reminder).order_by(Reminder.id)))


# --- what falls due, and when -----------------------------------------------------------------

@pytest.mark.parametrize("zone, denial_date, utc_hour, abbreviation", [
    ("America/Chicago", "2026-06-20", 15, "CST"), ("America/Los_Angeles", "2026-06-20", 17, "PST"),
    ("Pacific/Honolulu", "2026-06-20", 19, "HST"), ("America/New_York", "2026-06-20", 14, "EST"),
    ("America/Chicago", "2026-11-20", 14, "CDT")])     # a May deadline: daylight saving time
def test_reminders_go_out_at_nine_in_the_persons_time_zone(mail_app, smtp, zone, denial_date,
                                                           utc_hour, abbreviation):
    _case, _sub, deadline = _family_case(mail_app, zone=zone, denial_date=denial_date)
    week_before = deadline.date - timedelta(days=7)
    # An hour before nine local time nothing is due; just after, the reminder goes.
    assert _send_pass(mail_app, _at(week_before, utc_hour - 1))["sent"] == 0
    assert _send_pass(mail_app, _at(week_before, utc_hour))["sent"] == 1
    sent = _reminders(mail_app)[0]
    due = sent.due_at if sent.due_at.tzinfo else sent.due_at.replace(tzinfo=UTC)
    assert due.astimezone(UTC).hour == utc_hour
    body = smtp.bodies()[0]
    assert f"9:00 AM your time ({abbreviation})" in body
    assert "in 7 days" in body and f"{deadline.date:%B} {deadline.date.day}, " in body


def test_a_week_and_a_day_before_then_did_it_work(mail_app, smtp):
    _case, _sub, deadline = _family_case(mail_app)
    for days in (7, 1):
        _send_pass(mail_app, _at(deadline.date - timedelta(days=days), 15))
    _send_pass(mail_app, _at(deadline.date + timedelta(days=7), 15))
    kinds = [(r.kind, r.status) for r in _reminders(mail_app)]
    assert kinds == [("deadline", "sent"), ("deadline", "sent"), ("check_in", "sent")]
    subjects = [m["Subject"] for m in smtp.messages]
    assert subjects[1].startswith("Reminder: a deadline tomorrow")
    assert subjects[2] == "Did it work? A step of your plan"
    # Every message carries the one-click unsubscribe headers (RFC 8058).
    for message in smtp.messages:
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["List-Unsubscribe"].strip().startswith("<https://navigator.example.org/r/stop/")


def test_a_pass_run_twice_sends_once(mail_app, smtp):
    _case, _sub, deadline = _family_case(mail_app)
    now = _at(deadline.date - timedelta(days=7), 15)
    _send_pass(mail_app, now)
    _send_pass(mail_app, now + timedelta(minutes=5))
    assert len(smtp.messages) == 1


def test_a_stale_reminder_is_not_sent_late(mail_app, smtp):
    _case, _sub, deadline = _family_case(mail_app)
    # The cron did not run for three days after the week-before reminder fell due.
    _send_pass(mail_app, _at(deadline.date - timedelta(days=4), 15))
    assert smtp.messages == []


def test_unsubscribe_link_stops_the_next_reminder(mail_app, smtp, client):
    _case, _sub, deadline = _family_case(mail_app)
    _send_pass(mail_app, _at(deadline.date - timedelta(days=7), 15))
    link = smtp.messages[0]["List-Unsubscribe"].strip().strip("<>")
    path = urlsplit(link).path
    assert link in smtp.bodies()[0]
    page = client.get(path)
    assert page.status_code == 200 and "Stop reminders" in page.get_data(as_text=True)
    response = client.post(path)       # what a mail program's one-click button does
    assert response.status_code == 200
    assert "Reminders stopped" in response.get_data(as_text=True)
    assert _send_pass(mail_app, _at(deadline.date - timedelta(days=1), 15))["sent"] == 0
    assert len(smtp.messages) == 1


def test_unsubscribing_after_a_reminder_was_queued_skips_it(mail_app, smtp):
    _case, subscription, deadline = _family_case(mail_app)
    with Session(mail_app.extensions["db_engine"], expire_on_commit=False) as session:
        waiting = reminders.schedule(session, mail_app.extensions["rulebook"],
                                     _at(deadline.date - timedelta(days=7), 15))
        reminders.unsubscribe(session, subscription.id)
        outcome = reminders.send_one(session, waiting[0], links=_links(mail_app),
                                     mailer=Mailer(smtp.url, "x@example.org"), texter=None)
    assert outcome.status == "skipped" and smtp.messages == []


def test_a_wrong_unsubscribe_token_is_refused(client):
    assert client.post("/r/stop/not-a-token").status_code == 404
    assert client.get("/r/done/not-a-token").status_code == 404


FORBIDDEN_IN_BODIES = ("Quixote", "Marsh", "MBR7741209", "zelda@family.example", "employer",
                       "Ohio", "OH ", "pump", "Pump", "insulin", "diabetes", "Medicaid",
                       "appeal", "denial", "tslim", "t:slim", "warranty")


def test_no_personal_data_beyond_first_name_in_any_message(mail_app, smtp):
    case, _sub, deadline = _family_case(mail_app)
    with Session(mail_app.extensions["db_engine"], expire_on_commit=False) as session:
        case = session.get(Case, case.id)
        reminders.save_case_dates(session, case, {
            "medicaid_renewal": deadline.date + timedelta(days=20),
            "prior_auth_ends": deadline.date + timedelta(days=40),
            "program_reapplication": deadline.date + timedelta(days=60)})
    moments = [deadline.date - timedelta(days=7), deadline.date - timedelta(days=1),
               deadline.date + timedelta(days=7)]
    moments += [deadline.date + timedelta(days=d) for d in (13, 19, 33, 39, 53, 59)]
    for day in moments:
        _send_pass(mail_app, _at(day, 15))
    assert len(smtp.messages) == 9
    for message in smtp.messages:
        text = message["Subject"] + "\n" + message.get_content()
        assert "Zelda" in text or message["Subject"]
        for word in FORBIDDEN_IN_BODIES:
            assert word not in text, f"{word!r} in a message: {text}"
        # The links' tokens carry numbers only (an itsdangerous payload is readable).
        for token in re.findall(r"/r/(?:stop|done)/([^\s.]+)", text):
            payload = token.split(".")[0] + "=="
            decoded = base64.urlsafe_b64decode(payload).decode()
            assert re.fullmatch(r'\{"[rs]":\d+\}', decoded), decoded


def test_a_worker_gets_reminders_for_the_clients_they_own(mail_app, smtp, worker):
    from navigator.models import User

    with Session(mail_app.extensions["db_engine"], expire_on_commit=False) as session:
        case = cases.create_case(session, answers(coverage="employer", denial="claim",
                                                  denial_date="2026-06-20"))
        case.organisation_id, case.owner_user_id = worker.organisation_id, worker.id
        case.client_name = "Rosalind Okonkwo-Baptiste"
        session.add(case)
        session.commit()
        user = session.get(User, worker.id)
        reminders.subscribe(session, user=user, first_name="Ada", email=user.email,
                            time_zone="America/Denver", consent=True)
        plan = reminders.plan_for(case, mail_app.extensions["rulebook"], date(2026, 11, 25))
    deadline = plan.deadlines[0]
    assert _send_pass(mail_app, _at(deadline.date - timedelta(days=7), 16))["sent"] == 1
    body = smtp.bodies()[0]
    assert "Hello Ada," in body and "your client Rosalind's plan" in body
    assert "Okonkwo" not in body
    assert "/caseload/" in body and "9:00 AM your time (MST)" in body


def test_text_message_first_and_email_when_the_text_fails(mail_app, smtp):
    class FakeTexter:          # the Twilio sender is never called in tests
        def __init__(self, fail):
            self.fail, self.sent = fail, []

        def send(self, to, text):
            if self.fail:
                raise SendError("text not sent (TwilioRestException)")
            self.sent.append((to, text))

    case, subscription, deadline = _family_case(mail_app)
    with Session(mail_app.extensions["db_engine"], expire_on_commit=False) as session:
        case = session.get(Case, case.id)
        subscription = reminders.subscribe(
            session, case=case, first_name="Zelda", email="zelda@family.example",
            phone="(614) 555-0123", channel="text", time_zone="America/New_York", consent=True)
        assert subscription.phone == "+16145550123"
        ids = reminders.schedule(session, mail_app.extensions["rulebook"],
                                 _at(deadline.date - timedelta(days=7), 15))
        working = FakeTexter(fail=False)
        outcome = reminders.send_one(session, ids[0], links=_links(mail_app), mailer=None,
                                     texter=working)
        assert outcome.channel == "text" and working.sent[0][0] == "+16145550123"
        assert "Stop: https://navigator.example.org/r/stop/" in working.sent[0][1]
        ids = reminders.schedule(session, mail_app.extensions["rulebook"],
                                 _at(deadline.date - timedelta(days=1), 15))
        outcome = reminders.send_one(session, ids[0], links=_links(mail_app),
                                     mailer=Mailer(smtp.url, "r@example.org"),
                                     texter=FakeTexter(fail=True))
    assert outcome.channel == "email" and len(smtp.messages) == 1


def test_a_failed_send_is_tried_again(app, smtp):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{_free_port()}"      # nobody listens there
    _case, _sub, deadline = _family_case(app)
    now = _at(deadline.date - timedelta(days=7), 15)
    assert _send_pass(app, now)["failed"] == 1
    failed = _reminders(app)[0]
    assert (failed.status, failed.attempts, failed.error) == (
        "failed", 1, "email not sent (SMTPConnectError)")
    app.config["MAIL_URL"] = smtp.url
    assert _send_pass(app, now + timedelta(minutes=10))["sent"] == 1
    assert _reminders(app)[0].attempts == 2 and len(smtp.messages) == 1


def test_did_it_work_link_marks_the_step_on_the_plan(mail_app, smtp, client):
    case, _sub, deadline = _family_case(mail_app)
    _send_pass(mail_app, _at(deadline.date + timedelta(days=7), 15))
    link = re.search(r"https://\S+/r/done/\S+", smtp.bodies()[0]).group(0)
    path = urlsplit(link).path
    assert "Yes, mark the step done" in client.get(path).get_data(as_text=True)
    assert "Marked done" in client.post(path).get_data(as_text=True)
    with Session(mail_app.extensions["db_engine"]) as session:
        marks = session.exec(select(StepProgress)).all()
    assert [(m.step_id, m.state, m.via) for m in marks] == [(deadline.id, "done", "link")]
    with client.session_transaction() as flask_session:
        flask_session["case_public_id"] = case.public_id
    page = client.get("/plan").get_data(as_text=True)
    step = page[page.index(f'id="step-{deadline.id}"'):][:600]
    assert "Done" in step and "marked on" in step


def test_family_signs_up_with_consent_from_the_plan(client, app):
    from tests.conftest import case_in_session

    case_in_session(app, client, "Zelda Quixote")
    assert "/reminders" in client.get("/plan").get_data(as_text=True)
    refused = client.post("/reminders", data={"first_name": "Zelda", "channel": "email",
                                              "email": "zelda@family.example",
                                              "time_zone": "America/Chicago"})
    assert refused.status_code == 400
    assert "Tick the box to agree" in refused.get_data(as_text=True)
    bad = client.post("/reminders", data={"first_name": "<b>Zelda</b>", "channel": "email",
                                          "email": "not an address", "time_zone": "Mars/Base",
                                          "consent": "y"})
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "<b>Zelda" not in page
    # Every wrong field is named at once, and what was typed stays in the form.
    for message in ("Give one first name", "Give an email address", "Choose your time zone"):
        assert message in page
    assert 'value="not an address"' in page
    ok = client.post("/reminders", data={"first_name": "Zelda", "channel": "email",
                                         "email": "zelda@family.example",
                                         "time_zone": "America/Chicago", "consent": "y"},
                     follow_redirects=True)
    assert "Reminders are on." in ok.get_data(as_text=True)
    with Session(app.extensions["db_engine"]) as session:
        subscription = session.exec(select(ReminderSubscription)).one()
    assert subscription.consent_at is not None and subscription.email == "zelda@family.example"
    exported = client.get("/export.json").get_json()
    assert exported["reminders"][0]["email"] == "zelda@family.example"
    stopped = client.post("/reminders/stop", follow_redirects=True)
    assert "Reminders are off" in stopped.get_data(as_text=True)


def test_dates_the_plan_cannot_know(client, app):
    from tests.conftest import case_in_session

    case_in_session(app, client, "Zelda Quixote")
    response = client.post("/reminders/dates", data={"warranty_ends": "2027-03-01",
                                                     "medicaid_renewal": "not a date"})
    assert response.status_code == 400
    client.post("/reminders/dates", data={"warranty_ends": "2027-03-01"})
    page = client.get("/reminders").get_data(as_text=True)
    assert 'value="2027-03-01"' in page


def test_a_pump_under_warranty_asks_for_the_end_date(client, app):
    from tests.conftest import case_in_session

    public_id = case_in_session(app, client, "Zelda Quixote")
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = session.exec(select(Case).where(Case.public_id == public_id)).one()
        cases.save_answers(session, case, {**case.answers, "current_therapy": "pump",
                                           "current_pump_years": 3,
                                           "pump_warranty": "in_warranty"})
    assert "Add the date the warranty ends" in client.get("/reminders").get_data(as_text=True)
    client.post("/reminders/dates", data={"warranty_ends": "2027-03-01"})
    assert "Add the date the warranty ends" not in client.get("/reminders").get_data(as_text=True)


def test_worker_signs_up_for_their_clients(worker_client, app):
    page = worker_client.get("/reminders/worker")
    assert page.status_code == 200 and 'aria-current="page">Reminders' in page.get_data(as_text=True)
    response = worker_client.post("/reminders/worker", data={"time_zone": "America/Denver",
                                                             "consent": "y"},
                                  follow_redirects=True)
    assert "Reminders are on" in response.get_data(as_text=True)


# --- the real queue: RQ on Redis, two worker processes -----------------------------------------

def _worker_process(db_url, redis_url, queue_name, mail_url):
    env = {**os.environ, "NAVIGATOR_ENV": "testing", "DATABASE_URL": db_url,
           "REDIS_URL": redis_url, "REMINDER_QUEUE": queue_name, "MAIL_URL": mail_url,
           "PUBLIC_BASE_URL": "https://navigator.example.org", "RULES_RELOAD_SECONDS": "0"}
    navigator = os.path.join(os.path.dirname(sys.executable), "navigator")
    return subprocess.Popen([navigator, "worker", "--burst", "--no-scan"], env=env,  # nosec B603
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_two_workers_on_the_redis_queue_send_a_reminder_once(mail_app, smtp, redis_url,
                                                             db_url):
    from redis import Redis
    from rq import Queue

    from navigator import jobs

    _case, _sub, deadline = _family_case(mail_app)
    with Session(mail_app.extensions["db_engine"]) as session:
        ids = reminders.schedule(session, mail_app.extensions["rulebook"],
                                 _at(deadline.date - timedelta(days=7), 15))
    assert len(ids) == 1
    queue_name = f"test-reminders-{uuid.uuid4().hex[:8]}"
    connection = Redis.from_url(redis_url)
    queue = Queue(queue_name, connection=connection)
    try:
        # As if two scheduler passes had each enqueued it, three times over.
        for _ in range(6):
            queue.enqueue(jobs.send_reminder, ids[0], retry=jobs.SEND_RETRY)
        workers = [_worker_process(db_url, redis_url, queue_name, smtp.url) for _ in range(2)]
        outputs = [w.communicate(timeout=120)[0].decode() for w in workers]
        assert [w.returncode for w in workers] == [0, 0], outputs
        assert len(smtp.messages) == 1, outputs
        sent = _reminders(mail_app)[0]
        assert (sent.status, sent.attempts) == ("sent", 1)
        assert "Zelda" in smtp.bodies()[0]
    finally:
        queue.delete(delete_jobs=True)


def test_the_scheduler_job_enqueues_due_reminders(mail_app, smtp, redis_url, db_url,
                                                  monkeypatch):
    """The scan job itself (as `navigator worker` runs it) finds a reminder due now."""
    from navigator import jobs

    queue_name = f"test-reminders-{uuid.uuid4().hex[:8]}"
    mail_app.config.update(REDIS_URL=redis_url, REMINDER_QUEUE=queue_name)
    monkeypatch.setitem(jobs._apps, "app", mail_app)
    with Session(mail_app.extensions["db_engine"], expire_on_commit=False) as session:
        case = cases.create_case(session, answers(coverage="employer", denial="claim",
                                                  denial_date="2026-11-20"))
        reminders.subscribe(session, case=case, first_name="Zelda", email="z@family.example",
                            time_zone="America/Chicago", consent=True)
        # A date the person gave, a week from today: its reminder is due today at 9 a.m.
        today = datetime.now(UTC).astimezone(reminders.ZoneInfo("America/Chicago")).date()
        reminders.save_case_dates(session, case, {"prior_auth_ends": today + timedelta(days=7)})
    queue = jobs.queue(mail_app)
    try:
        due_now = datetime.now(UTC) >= reminders.local_send_time(today, "America/Chicago")
        assert jobs.scan(reschedule=True) == (1 if due_now else 0)
        assert len(queue) == (1 if due_now else 0)
        assert jobs.scan_job_id(mail_app) in queue.scheduled_job_registry.get_job_ids()
    finally:
        queue.delete(delete_jobs=True)
        queue.scheduled_job_registry.remove(jobs.scan_job_id(mail_app), delete_job=True)


def test_worker_command_needs_redis(runner, app):
    app.config["REDIS_URL"] = ""
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 2 and "REDIS_URL" in result.output


def test_worker_command_warns_when_no_email_can_be_sent(runner, app, monkeypatch):
    from navigator import jobs

    started = []
    monkeypatch.setattr(jobs, "run_worker", lambda *args, **kwargs: started.append(kwargs))
    app.config.update(REDIS_URL="redis://127.0.0.1:6379/0", MAIL_URL="")
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0 and started
    assert "MAIL_URL: not set; reminders cannot be sent by email" in result.output
    app.config["MAIL_URL"] = "smtp://127.0.0.1:2525"
    assert "MAIL_URL" not in runner.invoke(args=["worker", "--burst"]).output


def test_reminders_send_command_runs_one_pass(runner, mail_app, smtp):
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    assert "0 sent" in result.output


def test_a_step_marked_by_link_shows_in_the_caseload(mail_app, smtp, worker, worker_client):
    from flask import url_for

    from navigator.models import User

    with Session(mail_app.extensions["db_engine"], expire_on_commit=False) as session:
        case = cases.create_case(session, answers(coverage="employer", denial="claim",
                                                  denial_date="2026-06-20"))
        case.organisation_id, case.owner_user_id = worker.organisation_id, worker.id
        case.client_name = "Rosalind Okonkwo"
        session.add(case)
        session.commit()
        reminders.subscribe(session, user=session.get(User, worker.id), first_name="Ada",
                            email=worker.email, time_zone="America/Denver", consent=True)
        plan = reminders.plan_for(case, mail_app.extensions["rulebook"], date(2026, 11, 25))
    deadline = plan.deadlines[0]
    _send_pass(mail_app, _at(deadline.date + timedelta(days=7), 16))
    link = re.search(r"https://\S+/r/done/\S+", smtp.bodies()[0]).group(0)
    mail_app.test_client().post(urlsplit(link).path)
    with mail_app.test_request_context():
        case_url = url_for("caseload.case_page", public_id=case.public_id)
    page = worker_client.get(case_url).get_data(as_text=True)
    step = page[page.index(f'id="step-{deadline.id}"'):][:800]
    assert "Done" in step and "the family, by the link in a reminder" in step


def test_a_failed_send_on_the_queue_is_retried_with_back_off(app, redis_url, monkeypatch):
    """SMTP down: the job fails, RQ puts it back on the schedule (one minute later, then
    five, thirty, 120) and the reminder waits as failed with its error."""
    from rq import SimpleWorker

    from navigator import jobs

    queue_name = f"test-reminders-{uuid.uuid4().hex[:8]}"
    app.config.update(REDIS_URL=redis_url, REMINDER_QUEUE=queue_name,
                      MAIL_URL=f"smtp://127.0.0.1:{_free_port()}")        # nobody listens
    monkeypatch.setitem(jobs._apps, "app", app)
    _case, _sub, deadline = _family_case(app)
    with Session(app.extensions["db_engine"]) as session:
        [reminder_id] = reminders.schedule(session, app.extensions["rulebook"],
                                           _at(deadline.date - timedelta(days=7), 15))
    queue = jobs.queue(app)
    try:
        job = queue.enqueue(jobs.send_reminder, reminder_id, retry=jobs.SEND_RETRY)
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        job.refresh()
        assert job.retries_left == 3 and job.retry_intervals == [60, 300, 1800, 7200]
        assert job.id in queue.scheduled_job_registry.get_job_ids()
        failed = _reminders(app)[0]
        assert (failed.status, failed.attempts) == ("failed", 1)
    finally:
        queue.scheduled_job_registry.remove(job.id, delete_job=True)
        queue.delete(delete_jobs=True)


def test_a_case_with_reminders_on_is_kept_past_the_retention_time(app):
    old = datetime(2026, 1, 1, tzinfo=UTC)
    kept, _sub, _deadline = _family_case(app)
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        stopped, subscription, _ = _family_case(app)
        reminders.unsubscribe(session, subscription.id)
        plain = cases.create_case(session, answers())
        for case in (kept, stopped, plain):
            case = session.get(Case, case.id)
            case.updated_at = old
            session.add(case)
        session.commit()
        assert cases.purge_older_than(session, 30) == 2
        assert [c.id for c in session.exec(select(Case))] == [kept.id]


def test_deleting_a_case_deletes_its_reminders_dates_and_calls(client, app):
    from navigator.models import CallLogEntry, CaseDate
    from tests.conftest import case_in_session

    case_in_session(app, client, "Zelda Quixote")
    client.post("/reminders", data={"first_name": "Zelda", "channel": "email",
                                    "email": "z@family.example", "time_zone": "America/Chicago",
                                    "consent": "y"})
    client.post("/reminders/dates", data={"prior_auth_ends": "2027-01-10"})
    client.post("/calls", data={"on_date": "2026-11-03", "spoke_with": "Dana",
                                "what_was_said": "No."})
    client.post("/delete", data={"confirm": "y"})
    with Session(app.extensions["db_engine"]) as session:
        for table in (Case, ReminderSubscription, CaseDate, CallLogEntry, Reminder):
            assert session.exec(select(table)).all() == [], table.__name__


def test_message_links_follow_the_sites_own_address(app):
    from navigator.web.followup import AppLinks

    app.config.update(PUBLIC_BASE_URL="", SERVER_NAME="navigator.example.org",
                      PREFERRED_URL_SCHEME="https")
    subscription = ReminderSubscription(id=7, first_name="Zelda", time_zone="America/Chicago",
                                        consent_at=datetime.now(UTC))
    assert AppLinks(app).unsubscribe(subscription).startswith(
        "https://navigator.example.org/r/stop/")
    app.config["PUBLIC_BASE_URL"] = "https://reminders.example.org/"
    assert AppLinks(app).unsubscribe(subscription).startswith(
        "https://reminders.example.org/r/stop/")
