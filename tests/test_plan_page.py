"""The access plan page, its PDF and its deadlines calendar, for a case built through the pages."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from icalendar import Calendar
from markupsafe import escape
from pypdf import PdfReader

from navigator import rulebook
from navigator.engine import evaluate, validate_answers
from navigator.services.calendar import deadlines_calendar
from navigator.services.pdf import RefusedURL, StaticOnlyFetcher
from navigator.web.plan import tel_href
from tests.test_questionnaire import MEDICAID_CHILD_JOURNEY, MEDICARE_JOURNEY, stored_answers, walk


def engine_plan(app, client):
    with app.app_context():
        answers, errors = validate_answers(stored_answers(app, client), date.today())
        assert errors == []
        return evaluate(answers, date.today(), rulebook.current())


@pytest.fixture
def medicare_client(client):
    walk(client, MEDICARE_JOURNEY)
    return client


def test_plan_page_shows_the_engines_steps_in_order(app, medicare_client):
    plan = engine_plan(app, medicare_client)
    page = medicare_client.get("/plan").data.decode()
    positions = [page.index(f'id="step-{step.id}"') for step in plan.steps]
    assert positions == sorted(positions) and len(positions) >= 3
    for step in plan.steps:
        assert re.sub(r"[&<>\"']", "", step.title)[:20] in re.sub(r"&[#\w]+;", "", page)


def test_plan_page_shows_deadline_with_days_left_and_why_with_sources(app, medicare_client):
    plan = engine_plan(app, medicare_client)
    page = medicare_client.get("/plan").data.decode()
    deadline = plan.deadlines[0]
    days = (deadline.date - date.today()).days
    assert f"Deadline: {deadline.date:%B} {deadline.date.day}, {deadline.date.year}" in page
    assert f"({days} days left)" in page
    assert "<summary>Why this step?</summary>" in page
    assert deadline.source.url in page and "checked " in page


def test_plan_page_groups_programs_and_links_letters(app, medicare_client):
    plan = engine_plan(app, medicare_client)
    page = medicare_client.get("/plan").data.decode()
    likely = page.index("Likely eligible")
    maybe = page.index("Maybe: ask the program")
    not_eligible = page.index("Not eligible — and why")
    assert likely < maybe < not_eligible
    refused = next(p for p in plan.programs if p.eligible is False)
    assert page.index(refused.name.split(" (")[0]) > not_eligible
    for letter in plan.letters:
        assert f'href="/letters/{letter.id}"' in page
    assert "Guidance, not legal or medical advice." in page
    assert "from rules last reviewed on" in page


def test_phone_numbers_are_tel_links(app, client):
    walk(client, MEDICAID_CHILD_JOURNEY)
    plan = engine_plan(app, client)
    page = client.get("/plan").data.decode()
    phones = [c.phone for s in plan.steps for c in s.contacts if c.phone]
    assert phones, "the Medicaid plan names at least one phone number"
    digits = re.sub(r"\D", "", phones[0])
    assert f'href="tel:+{"1" if len(digits) == 10 else ""}{digits}"' in page


def test_confirm_text_is_shown_as_a_note(app, client):
    walk(client, MEDICAID_CHILD_JOURNEY)
    plan = engine_plan(app, client)
    page = client.get("/plan").data.decode()
    confirms = [s.confirm for s in plan.steps if s.confirm]
    assert confirms
    for text in confirms:
        assert str(escape(text)) in page


def test_incomplete_answers_send_you_back_to_the_gap(client):
    walk(client, MEDICARE_JOURNEY[:3])
    assert client.get("/plan").location.endswith("/questions/coverage_details")
    assert client.get("/plan.pdf").location.endswith("/questions/coverage_details")


def test_plan_pdf_has_the_steps_and_the_sources(app, medicare_client):
    plan = engine_plan(app, medicare_client)
    response = medicare_client.get("/plan.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    page = reader.pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (612.0, 792.0)
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
    for step in plan.steps:
        assert " ".join(step.title.split()[:4]) in text
    assert "Sources" in text
    assert plan.deadlines[0].source.title.split(" —")[0] in text


def test_pdf_fetcher_refuses_the_network_and_files_outside_static():
    fetcher = StaticOnlyFetcher()
    for url in ("http://127.0.0.1/x.css", "https://example.org/a.png", "file:///etc/passwd"):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)


def test_plan_calendar_has_one_all_day_event_per_deadline(app, medicare_client):
    plan = engine_plan(app, medicare_client)
    response = medicare_client.get("/plan.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.data
    assert b"\r\n" in body and b"\n" not in body.replace(b"\r\n", b"")
    events = Calendar.from_ical(body).walk("VEVENT")
    assert len(events) == len(plan.deadlines) >= 1
    first = events[0]
    assert first.decoded("dtstart") == plan.deadlines[0].date
    assert b"DTSTART;VALUE=DATE:" in body
    assert plan.deadlines[0].title in str(first["summary"])


def test_calendar_escapes_text(app, medicare_client):
    plan = engine_plan(app, medicare_client)
    deadline = plan.deadlines[0].model_copy(update={"title": "Appeal; level 1, part B\\C"})
    body = deadlines_calendar(plan.model_copy(update={"deadlines": [deadline]})).decode()
    assert "SUMMARY:Last day: Appeal\\; level 1\\, part B\\\\C" in body


def test_a_plan_without_a_denial_offers_no_calendar(client):
    walk(client, MEDICAID_CHILD_JOURNEY)
    page = client.get("/plan").data.decode()
    assert "/plan.ics" not in page
    events = Calendar.from_ical(client.get("/plan.ics").data).walk("VEVENT")
    assert events == []


def test_plan_page_follows_changed_answers_not_a_stale_cache(app, medicare_client):
    first = medicare_client.get("/plan").get_data(as_text=True)
    assert medicare_client.get("/plan").get_data(as_text=True) == first  # served again
    with app.app_context():
        from navigator import db
        from navigator.services import cases
        with medicare_client.session_transaction() as session:
            case = cases.get_case(db.get_session(), session["case_public_id"])
        cases.save_answers(db.get_session(), case, {**case.answers, "pump_wanted": "omnipod_5"})
    changed = medicare_client.get("/plan").get_data(as_text=True)
    assert changed != first
    assert "Part D" in changed


def test_directories_are_listed_apart_from_programs_and_closed_funds_say_closed(medicare_client):
    page = medicare_client.get("/plan").data.decode()
    resources = page.index('id="programs-resources"')
    assert page.index("GetInsulin.org") > resources and page.index("RxAssist") > resources
    likely = page[page.index('id="programs-likely"'):page.index('id="programs-maybe"')]
    assert "GetInsulin" not in likely and "RxAssist" not in likely
    fund = page.index("Co-Pay Relief Program")
    assert 'class="tag tag-no">Closed<' in page[fund:fund + 400]


def test_plan_top_says_what_to_do_first_the_next_deadline_and_the_letters(app, medicare_client):
    plan = engine_plan(app, medicare_client)
    page = medicare_client.get("/plan").get_data(as_text=True)
    top = page[page.index('id="do-first"'):page.index('id="steps"')]
    first_two = [step.id for step in plan.steps[:2]]
    assert [re.findall(r'href="#step-([\w-]+)"', top)[i] for i in (0, 1)] == first_two
    upcoming = min((d for d in plan.deadlines if not d.passed and not d.opens),
                   key=lambda d: d.date)
    assert "Next deadline:" in top and f'href="#step-{upcoming.id}"' in top
    for letter in plan.letters:
        assert f'class="button button-secondary" href="/letters/{letter.id}"' in top


def test_a_step_done_gives_its_place_at_the_top_to_the_next(app, medicare_client):
    from navigator import db
    plan = engine_plan(app, medicare_client)
    with medicare_client.session_transaction() as flask_session:
        public_id = flask_session["case_public_id"]
    with app.app_context():
        from navigator.services import cases, reminders
        case = cases.get_case(db.get_session(), public_id)
        assert reminders.mark_step_done_by_link(db.get_session(), case, plan.steps[0].id,
                                                app.extensions["rulebook"], date.today())
    page = medicare_client.get("/plan").get_data(as_text=True)
    top = page[page.index('id="do-first"'):page.index('id="steps"')]
    assert re.findall(r'href="#step-([\w-]+)"', top)[:2] == [s.id for s in plan.steps[1:3]]


def test_each_step_shows_its_first_sentence_and_folds_the_rest(app, medicare_client):
    from markupsafe import escape

    from navigator.textformat import split_lead
    plan = engine_plan(app, medicare_client)
    page = medicare_client.get("/plan").get_data(as_text=True)
    step = next(s for s in plan.steps if split_lead(s.detail)[1])
    lead, rest = split_lead(step.detail)
    block = page[page.index(f'id="step-{step.id}"'):]
    assert f'<p class="step-lead">{escape(lead)}</p>' in block
    folded = block.index('<details class="step-more"')
    assert folded < block.index(str(escape(rest))[:40]) < block.index("</details>", folded)


def test_steps_link_to_the_letters_their_rule_calls_for(app, medicare_client):
    plan = engine_plan(app, medicare_client)
    page = medicare_client.get("/plan").get_data(as_text=True)
    book = app.extensions["rulebook"]
    letters_of = {rule.id: rule.letters for rule in book.rules}
    linked = [(s, lid) for s in plan.steps for lid in letters_of.get(s.rule_id, ())
              if lid in {letter.id for letter in plan.letters}]
    assert linked
    step, letter_id = linked[0]
    block = page[page.index(f'id="step-{step.id}"'):]
    assert block.index(f'href="/letters/{letter_id}">Get the letter:') < block.index("</li>")


def test_programs_not_eligible_are_folded_away(app, medicare_client):
    page = medicare_client.get("/plan").get_data(as_text=True)
    start = page.index('<details class="programs-folded">')
    assert start < page.index("Not eligible — and why") < page.index("</details>", start)


def test_calendar_reminds_a_week_and_a_day_before(app, medicare_client):
    events = Calendar.from_ical(medicare_client.get("/plan.ics").data).walk("VEVENT")
    assert events
    for event in events:
        triggers = sorted(alarm.decoded("trigger").days for alarm in event.walk("VALARM"))
        assert triggers == [-7, -1]


URGENT_CHILD_JOURNEY = [(page, {"supplies_days_left": "3"} if page == "urgency" else data)
                        for page, data in MEDICAID_CHILD_JOURNEY]


def test_out_of_insulin_soon_puts_the_urgent_box_first(app, client):
    walk(client, URGENT_CHILD_JOURNEY)
    plan = engine_plan(app, client)
    urgent = [step for step in plan.steps if step.urgent]
    # Medicaid: the emergency supply it must pay for while an approval is pending, not the makers'
    # programs (which rule Medicaid out).
    assert [s.id for s in urgent] == ["urgent_medicaid_emergency_supply", "urgent_request"]
    assert plan.steps[:2] == urgent
    page = client.get("/plan").get_data(as_text=True)
    box_start = page.index('class="callout callout-urgent"')
    box = page[box_start:page.index("</section>", box_start)]
    # The urgent box comes before "Do this first" and the steps, and names the steps in order.
    assert box_start < page.index('id="do-first"') < page.index('id="steps"')
    assert re.findall(r'href="#step-([\w-]+)"', box) == ["urgent_medicaid_emergency_supply",
                                                          "urgent_request"]
    assert "emergency room or call 911" in box and "ask for a 3-day emergency supply" in box
    # Each program a step points to is in the box with a tap-to-call number; Medicaid rules out
    # the makers' copay, price-cap and free-medicine offers, so none is named for this child.
    programs = {p.id: p for p in plan.programs}
    named = urgent[0].programs
    assert all(programs[p].eligible is not False for p in named)
    for program_id in named:
        program = programs[program_id]
        assert str(escape(program.name)) in box
        if program.contact and program.contact.phone:
            assert f'href="{tel_href(program.contact.phone)}"' in box
    ruled_out = [p for p in plan.programs if p.eligible is False and "insulin" in p.covers]
    assert ruled_out and not any(str(escape(p.name)) in box for p in ruled_out)
    # "Do this first" then points to the plan's next steps, not again to the urgent ones.
    top = page[page.index('id="do-first"'):page.index('id="steps"')]
    first = re.findall(r'href="#step-([\w-]+)"', top)[:2]
    assert first == [s.id for s in plan.steps if not s.urgent][:2]


def test_no_urgent_box_without_urgency(app, client):
    walk(client, MEDICAID_CHILD_JOURNEY)
    page = client.get("/plan").get_data(as_text=True)
    assert "callout-urgent" not in page
    assert not any(step.urgent for step in engine_plan(app, client).steps)
