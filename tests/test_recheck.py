"""Rules recheck: the plan diff as a pure function, and a rule edit in a copy of the rules
flags exactly the saved cases whose plan changed."""
import re
import shutil
from datetime import date

import pytest
from sqlmodel import Session, select

from navigator import create_app
from navigator.engine import evaluate, validate_answers
from navigator.models import Case, CaseEvent
from navigator.services import caseload, recheck
from navigator.services import cases as case_store
from tests.answers import answers
from tests.conftest import AS_OF, log_in

RENAMED_STEP = "employer_erisa_rights"


def _plan(book, **overrides):
    valid, errors = validate_answers(answers(**overrides), AS_OF)
    assert not errors
    return evaluate(valid, AS_OF, book)


# --- the pure diff -------------------------------------------------------------------------------

def test_same_plan_has_no_difference(book):
    assert recheck.diff_plans(_plan(book), _plan(book)).is_empty()


def test_denial_adds_steps_and_a_deadline(book):
    diff = recheck.diff_plans(_plan(book), _plan(book, denial="claim"))
    # No reason given: the usual one for a tubed pump on a private plan is named too.
    assert [step_id for step_id, _ in diff.steps_added] == ["read_denial_notice",
                                                             "likely_reason_network",
                                                             "request_claim_file",
                                                             "private_internal_appeal"]
    # After a denial the pre-denial steps (prescription, asking how the plan covers it) drop out.
    assert [step_id for step_id, _ in diff.steps_removed] == ["prescription_and_records",
                                                               "private_dme_benefit"]
    assert diff.deadlines_moved == [["private_internal_appeal",
                                     diff.deadlines_moved[0][1], None, "2027-05-01"]]


def test_later_denial_moves_the_deadline(book):
    diff = recheck.diff_plans(_plan(book, denial="claim", denial_date="2026-11-02"),
                              _plan(book, denial="claim", denial_date="2026-11-09"))
    assert [(d[0], d[2], d[3]) for d in diff.deadlines_moved] == [
        ("private_internal_appeal", "2027-05-01", "2027-05-08")]
    assert not diff.steps_added and not diff.steps_removed


def test_uninsured_low_income_changes_program_eligibility_and_route(book):
    before = _plan(book)
    after = _plan(book, coverage="uninsured", annual_income=15000)
    diff = recheck.diff_plans(before, after)
    changed = {program_id: (old, new) for program_id, _name, old, new in diff.programs_changed}
    assert changed, "eligibility should differ between insured and uninsured"
    for program in after.programs:
        old = next((p.eligible for p in before.programs if p.id == program.id), None)
        assert (program.id in changed) == (old != program.eligible)
    assert diff.steps_removed and diff.steps_added


def test_diff_survives_a_json_round_trip(book):
    diff = recheck.diff_plans(_plan(book), _plan(book, denial="claim"))
    assert recheck.PlanDiff.from_dict(diff.as_dict()) == diff


def test_next_deadline_skips_finished_steps(book):
    snap = recheck.snapshot(_plan(book, denial="claim"))
    assert recheck.next_deadline(snap, []) == date(2027, 5, 1)
    assert recheck.next_deadline(snap, ["private_internal_appeal"]) is None


# --- a rule edit in a copy of the rules -----------------------------------------------------

@pytest.fixture
def rules_copy(tmp_path):
    target = tmp_path / "rules"
    shutil.copytree("rules", target)
    return target


def _edit_one_rule(rules_dir):
    """Give the self-funded employer plan rule's step a new id: a step removed and one added
    for self-funded employer plans only."""
    path = rules_dir / "plan" / "20_employer.yaml"
    text = path.read_text()
    assert text.count(f"- id: {RENAMED_STEP}\n") == 1
    path.write_text(text.replace(f"- id: {RENAMED_STEP}\n", f"- id: {RENAMED_STEP}_federal\n"))
    # A deliberate edit updates the rule cases with it (the app refuses rules that fail them).
    for case_file in (rules_dir / "tests").glob("*.yaml"):
        case_file.write_text(re.sub(rf"\b{RENAMED_STEP}\b", f"{RENAMED_STEP}_federal",
                                    case_file.read_text()))


def _save(session, org_user, name, data):
    if org_user is None:
        case = case_store.create_case(session, data)
    else:
        case = caseload.create_client_case(session, org_user, name)
        case_store.save_answers(session, case, data)
    return case.public_id


def test_rule_edit_flags_exactly_the_changed_plans(app, db_url, rules_copy, make_worker):
    worker = make_worker("recheck@clinic.example", role="admin")
    first = create_app({"DATABASE_URL": db_url, "RULES_DIR": str(rules_copy),
                        "RECHECK_ON_START": True})
    with Session(first.extensions["db_engine"], expire_on_commit=False) as session:
        ids = {
            "self_funded": _save(session, worker, "Sam Self", answers()),
            "self_funded_denied": _save(session, worker, "Dee Denied", answers(denial="claim")),
            "fully_insured": _save(session, worker, "Fay Full",
                                   answers(employer_plan_funding="fully_insured")),
            "medicare": _save(session, worker, "Mo Medicare",
                              answers(coverage="medicare_original", age=70)),
            "unfinished": _save(session, worker, "Una Unfinished", {"state": "OH"}),
            "anonymous_self_funded": _save(session, None, "", answers()),
        }
    result = first.test_cli_runner().invoke(args=["recheck"])
    # Other tests may leave cases in this database: count on ours only.
    assert result.exit_code == 0 and " 0 plan(s) changed" in result.output

    _edit_one_rule(rules_copy)
    second = create_app({"DATABASE_URL": db_url, "RULES_DIR": str(rules_copy),
                         "RECHECK_ON_START": True})
    assert second.extensions["rulebook"].version != first.extensions["rulebook"].version
    with Session(second.extensions["db_engine"]) as session:     # start-up did not recheck
        ours = session.exec(select(Case).where(Case.public_id.in_(list(ids.values())))).all()
        assert len(ours) == len(ids) and all(case.flagged_at is None for case in ours)
    assert second.test_cli_runner().invoke(args=["recheck"]).exit_code == 0     # the deploy step
    with Session(second.extensions["db_engine"]) as session:
        found = {case.public_id: case for case in session.exec(select(Case))}
        flagged = {name for name, public_id in ids.items()
                   if found[public_id].flagged_at is not None}
        assert flagged == {"self_funded", "self_funded_denied", "anonymous_self_funded"}
        changes = found[ids["self_funded"]].plan_changes
        assert changes["from_version"] == first.extensions["rulebook"].version
        assert changes["to_version"] == second.extensions["rulebook"].version
        assert [s[0] for s in changes["diff"]["steps_removed"]] == [RENAMED_STEP]
        assert [s[0] for s in changes["diff"]["steps_added"]] == [f"{RENAMED_STEP}_federal"]
        assert changes["diff"]["programs_changed"] == [] and changes["diff"]["route"] is None
        ours = {found[public_id].id for public_id in ids.values()}
        events = session.exec(select(CaseEvent).where(CaseEvent.kind == "plan_changed")).all()
        assert len([event for event in events if event.case_id in ours]) == 3
        assert all(found[public_id].last_plan_version == second.extensions["rulebook"].version
                   for public_id in ids.values())

    # A second run of the same rules changes nothing more.
    again = second.test_cli_runner().invoke(args=["recheck"])
    assert "0 plan(s) changed" in again.output

    # The worker sees the flag and the difference, and marks it reviewed.
    client = second.test_client()
    log_in(client, worker.email)
    dashboard = client.get("/caseload/").get_data(as_text=True)
    assert dashboard.count("Plan changed") == 2
    page = client.get(f"/caseload/cases/{ids['self_funded']}").get_data(as_text=True)
    assert "The plan changed after a rules update" in page
    assert "Step removed: Know that the US Department of Labor" in page
    assert client.post(f"/caseload/cases/{ids['self_funded']}/reviewed",
                       data={"for_client": ids["self_funded"]}).status_code == 302
    page = client.get(f"/caseload/cases/{ids['self_funded']}").get_data(as_text=True)
    assert "The plan changed after a rules update" not in page
    assert "reviewed the plan change" in page
    assert client.get("/caseload/").get_data(as_text=True).count("Plan changed") == 1


def test_answer_changes_are_not_flagged_as_rule_changes(app, worker):
    book = app.extensions["rulebook"]
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = caseload.create_client_case(session, worker, "Ann Answers")
        case_store.save_answers(session, case, answers())
        recheck.refresh_case(session, case, book, AS_OF)
        case_store.save_answers(session, case, answers(denial="claim"))
        assert recheck.needs_refresh(case, book)
        outcome = recheck.refresh_case(session, case, book, AS_OF)
        assert not outcome.flagged and case.flagged_at is None
        assert case.next_deadline == date(2027, 5, 1)


def test_without_a_queue_start_up_only_says_the_recheck_is_due(app, db_url, caplog):
    with Session(app.extensions["db_engine"]) as session:      # as if older rules were checked
        recheck.claim_version(session, "older-rules")
    started = create_app({"DATABASE_URL": db_url, "RECHECK_ON_START": True})
    version = started.extensions["rulebook"].version
    with Session(started.extensions["db_engine"]) as session:
        assert recheck.last_checked_version(session) == "older-rules"     # nothing re-evaluated
    assert f"not yet checked against rules {version}: run `navigator recheck`" in caplog.text

    result = started.test_cli_runner().invoke(args=["recheck"])
    assert result.exit_code == 0 and f"rules {version}: checked" in result.output
    with Session(started.extensions["db_engine"]) as session:
        assert recheck.last_checked_version(session) == version
        assert recheck.claim_version(session, version) is False
        assert recheck.recheck_if_rules_changed(session, started.extensions["rulebook"]) is None
    caplog.clear()
    create_app({"DATABASE_URL": db_url, "RECHECK_ON_START": True})   # checked: nothing to say
    assert "navigator recheck" not in caplog.text


def _redis_reachable() -> bool:
    import redis
    try:
        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_reachable(), reason="Redis is not running at 127.0.0.1:6379")
def test_with_a_queue_start_up_only_enqueues_the_recheck_and_a_worker_does_it(app, db_url):
    import uuid

    from rq import Queue, SimpleWorker

    from navigator import jobs

    queue_name = f"navigator-test-{uuid.uuid4().hex}"
    settings = {"DATABASE_URL": db_url, "RECHECK_ON_START": True,
                "REDIS_URL": "redis://127.0.0.1:6379/0", "REMINDER_QUEUE": queue_name}
    started = create_app(settings)
    version = started.extensions["rulebook"].version
    queued = Queue(queue_name, connection=jobs.redis_connection(started))
    try:
        with Session(started.extensions["db_engine"]) as session:
            assert recheck.last_checked_version(session) != version      # not done at start-up
        create_app(settings)                                                # a second instance
        assert queued.job_ids == [f"recheck-{version}"]                     # one job for both
        jobs._apps["app"] = started
        SimpleWorker([queued], connection=queued.connection).work(burst=True)
        with Session(started.extensions["db_engine"]) as session:
            assert recheck.last_checked_version(session) == version
    finally:
        jobs._apps.pop("app", None)
        queued.empty()
        queued.delete()
