"""Letter packets on the Redis queue (issue 19): the POST enqueues one job and redirects to a page
that waits without JavaScript; a burst worker makes the PDF; only the case that asked can open the
page or the download; failures show the PDF failure page and keep the case. Real Redis at
127.0.0.1:6379 (TEST_REDIS_URL), each test on a queue of its own, removed afterwards."""
from __future__ import annotations

import io
import re
import uuid

import pytest
from pypdf import PdfReader
from sqlmodel import Session

from navigator import jobs
from navigator.services import cases
from navigator.services.pdf import PdfRenderError
from tests.answers import answers as make_answers
from tests.conftest import AS_OF
from tests.test_reminders import REDIS_URL

PATIENT = "Rosalind Queue-Tester"
LETTERS = ["medical_necessity", "medicaid_fair_hearing"]


@pytest.fixture(autouse=True)
def _letters_dated_as_of(monkeypatch):
    from datetime import UTC, datetime, time

    from navigator import clock

    monkeypatch.setattr(clock, "utc_now", lambda: datetime.combine(AS_OF, time(17), tzinfo=UTC))


@pytest.fixture
def queued_app(app, monkeypatch):
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable ({type(exc).__name__})")
    name = f"test-pdf-{uuid.uuid4().hex[:8]}"
    app.config.update(REDIS_URL=REDIS_URL, PDF_QUEUE=name)
    monkeypatch.setitem(jobs._apps, "app", app)     # the burst worker's jobs run on this app
    app.redis = connection
    yield app
    jobs.pdf_queue(app).delete(delete_jobs=True)
    keys = list(connection.scan_iter(match=f"*{name}*", count=1000))
    if keys:
        connection.delete(*keys)


def _new_case(app, details=None) -> str:
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = cases.create_case(session, make_answers(coverage="medicaid", denial="claim",
                                                       age=12, state="NY"))
        case.details = details if details is not None else {"patient_name": PATIENT}
        session.add(case)
        session.commit()
        return case.public_id


def _family(app, public_id):
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["case_public_id"] = public_id
    return client


def _burst(app) -> None:
    from rq import SimpleWorker

    queue = jobs.pdf_queue(app)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def _job_path(response, prefix="") -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[-500:]
    match = re.fullmatch(re.escape(prefix) + r"/letters/packet/(packet-[0-9a-f]{32})",
                         response.location)
    assert match, response.location
    return response.location


def test_a_family_packet_goes_through_the_queue_and_only_that_case_downloads_it(queued_app):
    app = queued_app
    public_id = _new_case(app)
    family = _family(app, public_id)
    first = family.post("/letters/packet", data={"letter": LETTERS})
    path = _job_path(first)
    # A double submit finds the same job: one job on the queue.
    assert _job_path(family.post("/letters/packet", data={"letter": LETTERS})) == path
    queue = jobs.pdf_queue(app)
    assert len(queue) == 1
    job = queue.jobs[0]
    # The job carries ids only: the worker loads the case from the database.
    assert job.args == (public_id, ["medical_necessity", "medicaid_fair_hearing"], "en")
    assert PATIENT not in repr(job.args) + repr(job.kwargs)

    waiting = family.get(path)
    html = waiting.get_data(as_text=True)
    assert waiting.status_code == 200 and "Your letter packet is being prepared" in html
    assert f'<meta http-equiv="refresh" content="2; url={path}">' in html
    assert f'href="{path}">Check again</a>' in html
    assert waiting.headers["Cache-Control"] == "no-store"
    # The strict CSP stays, and has nothing that stops a meta refresh (no navigate-to).
    assert "script-src 'self'" in waiting.headers["Content-Security-Policy"]
    assert "navigate-to" not in waiting.headers["Content-Security-Policy"]
    early = family.get(path + ".pdf")
    assert early.status_code == 302 and early.location == path

    _burst(app)
    ready = family.get(path)
    html = ready.get_data(as_text=True)
    assert ready.status_code == 200 and "Your letter packet is ready" in html
    assert f'<meta http-equiv="refresh" content="0; url={path}.pdf">' in html
    assert f'href="{path}.pdf"' in html and ready.headers["Cache-Control"] == "no-store"
    download = family.get(path + ".pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["Content-Disposition"] == \
        f'attachment; filename="letters-{AS_OF.isoformat()}.pdf"'
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(download.data)).pages)
    assert PATIENT in text
    assert "Letter of medical necessity" in text and "Medicaid fair hearing request" in text
    # Kept encrypted in Redis: the name is not readable there.
    stored = [app.redis.get(key) for key in app.redis.scan_iter(
        match=f"navigator:{app.config['PDF_QUEUE']}:packet:*", count=1000)]
    assert stored and not any(PATIENT.encode() in (value or b"") for value in stored)
    assert not any(value and value.startswith(b"%PDF") for value in stored)

    # Another family's session, and a browser without a case, get nothing: the id is not a key.
    other = _family(app, _new_case(app, {"patient_name": "Someone Else"}))
    nobody = app.test_client()
    for stranger in (other, nobody):
        assert stranger.get(path).status_code == 404
        assert stranger.get(path + ".pdf").status_code == 404
    # A made-up or malformed job id is 404 for the owner too.
    assert family.get("/letters/packet/packet-" + "0" * 32).status_code == 404
    assert family.get("/letters/packet/../../etc").status_code == 404


def test_a_changed_case_makes_a_new_job_and_the_same_packet_again_reuses_the_made_one(queued_app):
    app = queued_app
    public_id = _new_case(app)
    family = _family(app, public_id)
    path = _job_path(family.post("/letters/packet", data={"letter": LETTERS}))
    _burst(app)
    again = _job_path(family.post("/letters/packet", data={"letter": LETTERS}))
    assert again == path and len(jobs.pdf_queue(app)) == 0     # made, kept: no new job
    one = _job_path(family.post("/letters/packet", data={"letter": ["medical_necessity"]}))
    assert one != path and len(jobs.pdf_queue(app)) == 1


def test_a_worker_s_client_packet_stays_on_the_client(queued_app, worker, worker_client):
    from navigator.models import User
    from navigator.services import caseload
    from tests.test_client_pages import _finish

    app = queued_app
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = caseload.create_client_case(session, session.get(User, worker.id), "Ben Carter")
        cases.save_answers(session, case, make_answers(denial="claim"))
        ben = case.public_id
    _finish(worker_client, ben)
    saved = worker_client.post(f"/caseload/clients/{ben}/letters/details",
                               data={"patient_name": "Benjamin Carter", "for_client": ben})
    assert saved.status_code == 302
    index = worker_client.get(f"/caseload/clients/{ben}/letters/").get_data(as_text=True)
    letter = re.search(r'name="letter" value="([^"]+)"', index).group(1)
    response = worker_client.post(f"/caseload/clients/{ben}/letters/packet",
                                  data={"letter": letter, "for_client": ben})
    path = _job_path(response, prefix=f"/caseload/clients/{ben}")
    waiting = worker_client.get(path).get_data(as_text=True)
    assert "Letters for Ben Carter" in waiting and "<title>Ben Carter – " in waiting
    assert f'url={path}"' in waiting and f'href="{path}">Check again' in waiting
    _burst(app)
    ready = worker_client.get(path).get_data(as_text=True)
    assert "Letters for Ben Carter" in ready and f'href="{path}.pdf"' in ready
    download = worker_client.get(path + ".pdf")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(download.data)).pages)
    assert "Benjamin Carter" in text
    # The same job id on the family address (no case in the session) or another client: 404.
    family_path = path.split(f"/caseload/clients/{ben}", 1)[1]
    assert worker_client.get(family_path).status_code == 404
    assert worker_client.get(family_path + ".pdf").status_code == 404
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        other = caseload.create_client_case(session, session.get(User, worker.id), "Una Other")
    other_path = path.replace(ben, other.public_id)
    assert worker_client.get(other_path).status_code == 404
    assert worker_client.get(other_path + ".pdf").status_code == 404


def test_a_failed_packet_shows_the_pdf_failure_page_and_keeps_the_case(queued_app, monkeypatch,
                                                                       caplog):
    from navigator.services import letters as letter_service

    app = queued_app
    public_id = _new_case(app)
    family = _family(app, public_id)

    def broken(*_args, **_kwargs):
        raise PdfRenderError("OSError")

    working = letter_service.packet_pdf
    monkeypatch.setattr(letter_service, "packet_pdf", broken)
    path = _job_path(family.post("/letters/packet", data={"letter": LETTERS}))
    _burst(app)
    failed = family.get(path)
    html = failed.get_data(as_text=True)
    assert failed.status_code == 503 and "The PDF could not be made" in html
    assert "Your answers and letter details are kept." in html
    assert 'href="/letters/"' in html and failed.headers["Cache-Control"] == "no-store"
    assert family.get(path + ".pdf").status_code == 302
    assert PATIENT not in caplog.text
    with Session(app.extensions["db_engine"]) as session:
        case = cases.get_case(session, public_id)
        assert case.details == {"patient_name": PATIENT} and case.answers
    # Trying again enqueues the job again, and this time it is made.
    monkeypatch.setattr(letter_service, "packet_pdf", working)
    assert _job_path(family.post("/letters/packet", data={"letter": LETTERS})) == path
    assert len(jobs.pdf_queue(app)) == 1
    _burst(app)
    assert family.get(path + ".pdf").data.startswith(b"%PDF")


def test_a_packet_no_longer_kept_says_so_to_its_owner(queued_app):
    app = queued_app
    family = _family(app, _new_case(app))
    path = _job_path(family.post("/letters/packet", data={"letter": LETTERS}))
    _burst(app)
    for key in app.redis.scan_iter(match=f"navigator:{app.config['PDF_QUEUE']}:packet:*:pdf"):
        app.redis.delete(key)
    gone = family.get(path)
    assert gone.status_code == 302 and gone.location.endswith("/letters/")
    assert "no longer kept" in family.get("/letters/").get_data(as_text=True)


def test_without_redis_the_packet_is_made_in_the_request(app):
    assert not app.config.get("REDIS_URL")
    family = _family(app, _new_case(app))
    response = family.post("/letters/packet", data={"letter": LETTERS})
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert family.get("/letters/packet/packet-" + "0" * 32).status_code == 404


def test_the_worker_command_takes_the_pdf_queue(queued_app):
    app = queued_app
    family = _family(app, _new_case(app))
    path = _job_path(family.post("/letters/packet", data={"letter": LETTERS}))
    runner = app.test_cli_runner()
    wrong = runner.invoke(args=["worker", "--burst", "--queues", "pdf,letters"])
    assert wrong.exit_code == 2 and "--queues: letters" in wrong.output
    result = runner.invoke(args=["worker", "--burst", "--queues", "pdf"])
    assert result.exit_code == 0, result.output
    assert family.get(path + ".pdf").data.startswith(b"%PDF")


def test_metrics_report_the_pdf_queue_depth(db_url):
    redis = pytest.importorskip("redis")
    from navigator import create_app

    name = f"test-pdf-depth-{uuid.uuid4().hex[:8]}"
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not reachable")
    connection.rpush(f"rq:queue:{name}", "job-1")
    try:
        app = create_app({"DATABASE_URL": db_url, "METRICS_ENABLED": True,
                          "REDIS_URL": REDIS_URL, "PDF_QUEUE": name})
        text = app.test_client().get("/metrics").get_data(as_text=True)
    finally:
        connection.delete(f"rq:queue:{name}")
    assert f'navigator_queue_depth{{queue="{name}"}} 1.0' in text


def test_the_waiting_page_speaks_spanish(queued_app):
    app = queued_app
    family = _family(app, _new_case(app))
    family.get("/?lang=es")
    path = _job_path(family.post("/letters/packet", data={"letter": LETTERS}))
    html = family.get(path).get_data(as_text=True)
    assert "Estamos preparando su paquete de cartas" in html and "Comprobar de nuevo" in html


def test_two_submits_at_the_same_moment_make_one_job(queued_app):
    """Two instances enqueueing the same packet at once: the claim in Redis lets one enqueue."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    app = queued_app
    public_id = _new_case(app)
    barrier = Barrier(8)

    def submit(_n):
        barrier.wait()
        return jobs.enqueue_packet(app, public_id, LETTERS, "same-fingerprint")

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(submit, range(8)))
    assert len(ids) == 1 and len(jobs.pdf_queue(app)) == 1
    assert jobs.pdf_queue(app).job_ids == list(ids)


def test_a_spanish_page_s_packet_from_the_queue_is_the_one_made_in_the_request(queued_app):
    """The job is given the page's language: the letters written in the family's language come
    out as the in-request packet has them."""
    app = queued_app
    family = _family(app, _new_case(app))
    family.get("/?lang=es")
    chosen = re.findall(r'name="letter" value="([^"]+)"',
                        family.get("/letters/").get_data(as_text=True))
    redis_url = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = ""
    in_request = family.post("/letters/packet", data={"letter": chosen})
    app.config["REDIS_URL"] = redis_url
    path = _job_path(family.post("/letters/packet", data={"letter": chosen}))
    assert jobs.pdf_queue(app).jobs[0].args[2] == "es"
    _burst(app)
    queued = family.get(path + ".pdf")

    def text(body):
        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)

    assert in_request.data.startswith(b"%PDF") and text(queued.data) == text(in_request.data)
