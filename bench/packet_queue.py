"""Letter packets on the queue (issue 19): what the person waits for with and without REDIS_URL.

One saved case whose plan calls for six letters (bench.letters' answers and details), SQLite in
a temporary folder, Redis at BENCH_REDIS_URL (default 127.0.0.1:6379, a queue name of this run's
own, removed afterwards). Measured through the app (Flask's test client):

- the packet POST rendering in the request (no REDIS_URL; PDF_PROCESSES=0, one thread);
- the packet POST enqueueing the job (REDIS_URL set; the answer is the 303 to the waiting page);
- from that POST to the PDF downloaded, with one `navigator worker --queues pdf --no-scan`
  process already running (polling the waiting page every 50 ms, where a browser reloads it
  every 2 s).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlmodel import Session

from bench.harness import Result, summary
from bench.letters import ANSWERS, DETAILS

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def _case(app) -> str:
    from navigator.services import cases

    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = cases.create_case(session, dict(ANSWERS))
        case.details = dict(DETAILS)
        session.add(case)
        session.commit()
        return case.public_id


def run() -> list[Result]:
    os.environ.setdefault("NAVIGATOR_ENV", "testing")
    import redis

    from navigator import create_app, db, jobs

    folder = Path(tempfile.mkdtemp(prefix="bench-packet-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    db.upgrade(url)
    queue_name = f"bench-pdf-{uuid.uuid4().hex[:8]}"
    app = create_app({"DATABASE_URL": url, "RECHECK_ON_START": False,
                      "PDF_RATE_LIMIT": "100000 per minute", "PDF_QUEUE": queue_name})
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["case_public_id"] = _case(app)
    index = client.get("/letters/").get_data(as_text=True)
    chosen = re.findall(r'name="letter" value="([^"]+)"', index)[:6]
    connection = redis.Redis.from_url(REDIS_URL)

    def forget() -> None:
        jobs.pdf_queue(app).delete(delete_jobs=True)
        keys = list(connection.scan_iter(match=f"*{queue_name}*", count=1000))
        if keys:
            connection.delete(*keys)

    client.post("/letters/packet", data={"letter": chosen})     # warm-up (fonts, templates)
    in_request = []
    for _ in range(8):
        started = time.perf_counter()
        response = client.post("/letters/packet", data={"letter": chosen})
        in_request.append((time.perf_counter() - started) * 1000)
        assert response.data.startswith(b"%PDF")

    app.config["REDIS_URL"] = REDIS_URL
    environment = {**os.environ, "NAVIGATOR_ENV": "testing", "DATABASE_URL": url,
                   "REDIS_URL": REDIS_URL, "PDF_QUEUE": queue_name}
    worker = subprocess.Popen(
        [sys.executable, "-c", "import sys; from navigator.cli import main; "
         "sys.argv[0] = 'navigator'; main()", "worker", "--queues", "pdf", "--no-scan"],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    enqueue, until_pdf = [], []
    try:
        time.sleep(3)       # the worker's start-up (rules, app) is not part of a request
        for _ in range(15):
            forget()
            started = time.perf_counter()
            response = client.post("/letters/packet", data={"letter": chosen})
            enqueue.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 303, response.status_code
            while True:
                download = client.get(response.location + ".pdf")
                if download.status_code == 200:
                    break
                assert time.perf_counter() - started < 60, "no packet within 60 s"
                time.sleep(0.05)
            until_pdf.append((time.perf_counter() - started) * 1000)
            assert download.data.startswith(b"%PDF")
    finally:
        worker.terminate()
        worker.wait(10)
        forget()
    results = summary(f"{len(chosen)}-letter packet POST, rendered in the request", in_request)
    results += summary("packet POST with REDIS_URL (enqueue, 303 to the waiting page)", enqueue,
                       target_p50="<= 50 ms")
    results += summary("packet POST to PDF downloaded, one worker process", until_pdf)
    return results
