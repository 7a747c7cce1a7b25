"""Operational hardening from the security review's low findings (issue 14 item 8): database
files only the app's account can read, lock waits shorter than the worker timeout, deleted data
overwritten, PDF timeout inside the worker timeout."""
import runpy
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from navigator import db
from navigator.services import pdf

GUNICORN_SETTINGS = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))


def test_a_new_sqlite_database_and_its_wal_are_readable_by_the_owner_only(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh' / 'navigator.db'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        with engine.begin() as connection:        # a write, so the -wal and -shm files exist
            connection.execute(sa.text("INSERT INTO app_state (name, value) VALUES ('x', 'y')"))
            folder = tmp_path / "fresh"
            modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in folder.iterdir()}
    finally:
        engine.dispose()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert modes["navigator.db"] == 0o600
    assert modes.get("navigator.db-wal") == 0o600 and modes.get("navigator.db-shm") == 0o600


def test_sqlite_lock_wait_is_well_below_the_worker_timeout_and_deletes_overwrite(sqlite_url):
    engine = db.make_engine(sqlite_url)
    try:
        with engine.connect() as connection:
            busy_ms = connection.execute(sa.text("PRAGMA busy_timeout")).scalar()
            secure_delete = connection.execute(sa.text("PRAGMA secure_delete")).scalar()
    finally:
        engine.dispose()
    assert busy_ms == db.LOCK_WAIT_SECONDS * 1000
    assert busy_ms / 1000 + 5 <= GUNICORN_SETTINGS["timeout"]
    assert secure_delete == 1


def test_postgresql_lock_wait_is_well_below_the_worker_timeout(postgresql_url):
    engine = db.make_engine(postgresql_url)
    try:
        with engine.connect() as connection:
            lock_timeout = connection.execute(sa.text("SHOW lock_timeout")).scalar()
    finally:
        db.dispose(engine)
    assert lock_timeout == f"{db.LOCK_WAIT_SECONDS}s"
    assert db.LOCK_WAIT_SECONDS + 5 <= GUNICORN_SETTINGS["timeout"]


def test_a_pdf_gives_up_before_gunicorn_kills_its_worker():
    assert pdf.PDF_TIMEOUT_SECONDS + 5 <= GUNICORN_SETTINGS["timeout"]


# --- inputs that ended in a 500 (review L2); every test runs on SQLite and PostgreSQL ----------

def test_json_nested_thousands_deep_is_a_400_not_a_500(app, client):
    for body in ("[" * 20000 + "]" * 20000, '{"a":' * 5000 + "1" + "}" * 5000):
        response = client.post("/api/v1/plan", data=body, content_type="application/json")
        assert response.status_code == 400 and response.get_json()["errors"][0]["field"] == "body"


def test_line_breaks_in_next_are_ignored_and_the_sign_in_works(client, worker):
    from tests.conftest import WORKER_PASSWORD
    response = client.post("/auth/login?next=/%0D%0AX-Injected:%201",
                           data={"email": worker.email, "password": WORKER_PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/caseload/")
    assert "X-Injected" not in response.headers


def test_a_nul_in_the_sign_in_email_is_a_message_not_a_500(client, worker):
    response = client.post("/auth/login", data={"email": "a\x00@clinic.example",
                                                "password": "whatever it is"})
    assert response.status_code == 400
    assert "control characters" in response.get_data(as_text=True)


def test_ids_too_large_for_the_database_are_not_found(app, worker_client):
    rules = [rule for rule in app.url_map.iter_rules() if "<int:" in rule.rule]
    assert rules, "no route takes a number"
    for rule in rules:
        for huge in (2**31, 2**63, 10**23):
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<int:{argument}>", str(huge))
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                response = worker_client.open(path, method=method)
                assert response.status_code == 404, (method, path, response.status_code)


def test_case_ids_with_a_nul_are_not_found(app, worker_client):
    nul_id = "0" * 31 + "\x00"
    for rule in app.url_map.iter_rules():
        string_arguments = [a for a in rule.arguments if f"<int:{a}>" not in rule.rule]
        if not string_arguments or "GET" not in (rule.methods or ()):
            continue
        path = rule.rule
        for argument in string_arguments:
            path = path.replace(f"<path:{argument}>", nul_id).replace(f"<{argument}>", nul_id)
        response = worker_client.get(path)
        assert response.status_code < 500, (path, response.status_code)


# --- PDF processes end with the web worker that started them (review L10) ----------------------

ORPHAN_SCRIPT = """
import os
from navigator.services import pdf
pdf.use_processes(1)
pdf.render_pdf("<p>x</p>", "t", "a")
print(" ".join(str(pid) for pid in pdf._executor()._processes), flush=True)
os.kill(os.getpid(), 9)          # as gunicorn's timeout or the OOM killer would
"""


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status      # a zombie has ended; only its exit code is left


def test_pdf_processes_end_when_their_web_worker_is_killed():
    import subprocess  # nosec B404
    import sys
    import time
    result = subprocess.run([sys.executable, "-c", ORPHAN_SCRIPT], capture_output=True,  # nosec B603
                            timeout=120, cwd=Path(__file__).resolve().parent.parent, check=False)
    pids = [int(pid) for pid in result.stdout.split()]
    assert pids, result.stderr.decode()[-2000:]
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in pids)


# --- input hygiene (review L21) ------------------------------------------------------------------

def test_direction_overrides_and_invisible_names_are_refused_by_name(app, worker_client):
    for name, message in (("\u202eyrneH", "override characters"),
                          ("\u200b\u200b", "letters or digits you can see"),
                          ("\u200b \u2060", "letters or digits you can see")):
        response = worker_client.post("/caseload/cases", data={"client_name": name})
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and message in html, (name, response.status_code)
    ok = worker_client.post("/caseload/cases", data={"client_name": "\u0633\u0627\u0631\u0627 Smith"})
    assert ok.status_code == 302        # right-to-left script itself is fine


def test_letter_details_refuse_direction_overrides(app):
    from navigator.services.letters import validate_details
    details, errors = validate_details({"patient_name": "\u202eyrneH", "member_id": "\u200b"})
    assert details is None
    assert {e.field: e.message for e in errors} == {
        "patient_name": "must not contain right-to-left or left-to-right override characters",
        "member_id": "must contain letters or digits you can see, not only invisible characters"}


def test_a_step_cannot_be_marked_done_before_1990():
    from datetime import date

    from navigator.services import caseload
    with pytest.raises(caseload.CaseloadError) as info:
        caseload.mark_step(None, None, None, type("P", (), {"steps": [
            type("S", (), {"id": "s", "title": "S"})()]})(), "s", "done", date(1, 1, 1),
            date(2026, 11, 23))
    assert info.value.field == "on_date" and "1990" in str(info.value)


# --- the organisation's case export holds everything about the case (review L19) ----------------

def test_the_case_export_has_its_history_owner_flags_and_audit_entries(app, worker, book):
    from datetime import date

    from sqlmodel import Session

    from navigator.models import User
    from navigator.services import audit, caseload
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        user = session.get(User, worker.id)
        case = caseload.create_client_case(session, user, "Exported Client")
        caseload.update_case(session, user, case, "Exported Client", "waiting", user.id)
        audit.record(session, user, "case.view", case.public_id)
        audit.record(session, user, "case.export", case.public_id)
        data = caseload.export(session, case, book, date(2026, 11, 23))
    assert data["case"]["owner"] == user.name
    assert "plan_changed_at" in data["case"] and "plan_changes" in data["case"]
    assert data["history"][0]["kind"] == "created"
    assert len(data["history"]) >= 2
    assert [entry["action"] for entry in data["audit"]] == ["case.view", "case.export"]
    assert all(entry["by"] == user.name for entry in data["audit"])


def test_an_old_world_readable_database_is_named_in_a_warning(tmp_path, caplog):
    from navigator import create_app
    folder = tmp_path / "old"
    folder.mkdir(mode=0o755)
    database = folder / "navigator.db"
    database.touch(mode=0o644)
    database.chmod(0o644)
    url = f"sqlite:///{database}"
    db.upgrade(url)
    create_app({"DATABASE_URL": url, "RECHECK_ON_START": False})
    warned = [r.getMessage() for r in caplog.records if "other accounts" in r.getMessage()]
    assert any(str(database) in line for line in warned)
    assert db.readable_by_others(f"sqlite:///{tmp_path / 'fresh' / 'n.db'}") == []
