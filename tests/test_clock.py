"""The plan date is the person's local date (navigator/clock.py), and Case.as_of is kept."""
from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session

from navigator import clock
from navigator.services import cases
from navigator.textformat import US_TIME_ZONES
from tests.answers import answers

# 23:30 on December 1 in California is 07:30 on December 2 in UTC (and in New York, 02:30).
LATE_IN_CALIFORNIA = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)


def test_a_californian_late_in_the_evening_is_still_on_december_1(book):
    assert clock.today_in("America/Los_Angeles", LATE_IN_CALIFORNIA) == date(2026, 12, 1)
    assert clock.today_for({"state": "CA"}, book, LATE_IN_CALIFORNIA) == date(2026, 12, 1)
    assert clock.today_for({"state": "NY"}, book, LATE_IN_CALIFORNIA) == date(2026, 12, 2)
    assert clock.today_for({"state": "HI"}, book, LATE_IN_CALIFORNIA) == date(2026, 12, 1)


def test_the_persons_own_zone_wins_over_their_states(book):
    # El Paso is in Texas but keeps Mountain time.
    texan = {"state": "TX", "time_zone": "America/Denver"}
    assert clock.zone_for(texan, book) == "America/Denver"
    assert clock.zone_for({"state": "TX"}, book) == "America/Chicago"
    # A zone that is not offered, or no state yet: the default zone, never the server's.
    assert clock.zone_for({"state": "TX", "time_zone": "Europe/Paris"}, book) == "America/Chicago"
    assert clock.zone_for({}, book) == clock.DEFAULT_ZONE
    assert clock.zone_for({"state": "ZZ"}, book) == clock.DEFAULT_ZONE
    assert clock.zone_for(["not", "answers"], book) == clock.DEFAULT_ZONE   # type: ignore[arg-type]


def test_every_state_has_a_us_time_zone(book):
    assert len(book.states) == 51
    assert {spec.time_zone for spec in book.states.values()} <= set(US_TIME_ZONES)
    assert book.states["AZ"].time_zone == "America/Phoenix"      # no daylight saving time


def test_the_time_zone_answer_is_checked_like_any_other(book):
    from navigator.engine import validate_answers

    good, errors = validate_answers(answers(time_zone="America/Denver"), date(2026, 12, 1), book)
    assert errors == [] and good["time_zone"] == "America/Denver"
    _none, errors = validate_answers(answers(time_zone="Mars/Olympus"), date(2026, 12, 1), book)
    assert [e.field for e in errors] == ["time_zone"]
    assert "one of: America/New_York" in errors[0].message


def test_the_plan_page_and_the_api_use_the_persons_date(app, client, monkeypatch):
    monkeypatch.setattr(clock, "utc_now", lambda: LATE_IN_CALIFORNIA)
    californian = answers(state="CA")
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = cases.create_case(session, californian)
    with client.session_transaction() as flask_session:
        flask_session["case_public_id"] = case.public_id
    page = client.get("/plan").get_data(as_text=True)
    assert "Worked out on December 1, 2026" in page

    api = client.post("/api/v1/plan", json=californian).get_json()
    assert api["as_of"] == "2026-12-01"
    new_yorker = client.post("/api/v1/plan", json=answers(state="NY")).get_json()
    assert new_yorker["as_of"] == "2026-12-02"


def test_a_date_typed_as_today_is_today_where_the_person_is(app, client, monkeypatch):
    """At 23:30 in California a denial dated December 2 is in the future (refused) and one
    dated December 1 is today (accepted); Case.as_of keeps the date the answers were checked on."""
    monkeypatch.setattr(clock, "utc_now", lambda: LATE_IN_CALIFORNIA)
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        unsaid = dict.fromkeys(("disability_benefit", "immigration_status", "tribal_member",
                                "cgm_in_use", "injections_per_day", "a1c_percent",
                                "severe_lows_past_year", "diabetes_education",
                                "supplies_days_left", "pregnant"))
        case = cases.create_case(session, {**answers(state="CA", denial="claim"), **unsaid})
    with client.session_transaction() as flask_session:
        flask_session["case_public_id"] = case.public_id
    url = "/questions/denial_details"
    tomorrow = client.post(url, data={"denial_date": "12/02/2026", "health_at_risk": "false"})
    assert tomorrow.status_code == 200, tomorrow.headers.get("Location")
    assert "must be today or in the past" in tomorrow.get_data(as_text=True)
    today = client.post(url, data={"denial_date": "12/01/2026", "health_at_risk": "false"})
    assert today.status_code == 302, today.get_data(as_text=True)
    with Session(app.extensions["db_engine"]) as session:
        saved = cases.get_case(session, case.public_id)
        assert saved.answers["denial_date"] == "2026-12-01"
        assert saved.as_of == date(2026, 12, 1)


def test_the_plan_date_is_never_before_the_day_the_answers_were_saved(book):
    from navigator.models import Case

    # Answered in New York on December 2; the state changed since to California, where it is
    # still December 1: the plan keeps December 2, so the December 2 answers stay valid.
    case = Case(answers={"state": "CA"}, as_of=date(2026, 12, 2))
    assert clock.plan_date(case, book, LATE_IN_CALIFORNIA) == date(2026, 12, 2)
    later = datetime(2026, 12, 9, 20, 0, tzinfo=UTC)
    assert clock.plan_date(case, book, later) == date(2026, 12, 9)
    assert clock.plan_date(Case(answers={"state": "CA"}), book, LATE_IN_CALIFORNIA) == \
        date(2026, 12, 1)


def test_no_module_reads_the_servers_date_or_clock_itself():
    """Only navigator/clock.py asks the machine for the time (models.utcnow stamps rows in UTC,
    never a date a person sees)."""
    import re
    from pathlib import Path

    package = Path(clock.__file__).resolve().parent
    reading = re.compile(r"\b(date\.today|datetime\.now|datetime\.utcnow|datetime\.today|"
                         r"time\.localtime)\(")
    found = sorted(str(path.relative_to(package)) for path in package.rglob("*.py")
                   if reading.search(path.read_text(encoding="utf-8")))
    assert found == ["clock.py", "models.py"]
