"""The access plan of the current case: page, PDF and deadlines calendar.

The plan comes from the engine alone (validate_answers, then evaluate); this module only
presents it.
"""
from __future__ import annotations

import json
import re
import threading
from datetime import date
from pathlib import Path

from cachetools import LRUCache
from flask import Blueprint, Response, current_app, redirect, render_template, session, url_for
from flask_login import current_user

from navigator import clock, db, i18n, rulebook
from navigator.engine import evaluate, validate_answers
from navigator.engine.plan import Plan
from navigator.extensions import pdf_limit, select_locale
from navigator.services import pumps as pumps_service
from navigator.services.calendar import deadlines_calendar
from navigator.services.plan_pdf import plan_pdf, plan_sources
from navigator.services.reminders import step_marks
from navigator.web.questionnaire import resume_target
from navigator.web.session_case import case_route, case_to_read

bp = Blueprint("plan", __name__)

# Whole plan pages by (rules version, date, language, answers), kept for the usual request:
# nobody signed in and no message waiting, so nothing else on the page can differ. The same
# inputs give the same page, and people come back to their plan again and again. Bounded per
# process; nothing personal beyond what the answers key already holds. Speed-up
# (docs/BENCHMARKS.md): in-process CPU per plan page 2.3 -> 1.0 ms.
_pages: LRUCache = LRUCache(maxsize=512)
_pages_lock = threading.Lock()


@bp.app_template_filter("tel_href")
def tel_href(phone: str) -> str | None:
    """A tel: link for a US number written with digits; None when it is not one (say, text)."""
    if re.search(r"[A-Za-z]", phone):
        return None
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 10:
        return f"tel:+1{digits}"
    if len(digits) == 11 and digits.startswith("1"):
        return f"tel:+{digits}"
    return None


def _current_plan(as_of: date | None = None) -> Plan | Response:
    """The plan for this session's answers, or a redirect to where answers are missing."""
    case = case_to_read()
    if case is None:
        return redirect(url_for("questionnaire.start"))
    as_of = as_of or clock.plan_date(case, rulebook.current())
    answers, errors = validate_answers(case.answers, as_of, rulebook.current())
    if errors:
        return redirect(resume_target(case.answers))
    # The plan's own texts (the rules' words) in the page's language.
    return evaluate(answers, as_of, rulebook.current(), lang=select_locale())


def _context(plan: Plan) -> dict:
    open_deadlines = sorted((d for d in plan.deadlines if not d.passed and not d.opens),
                            key=lambda d: d.date)
    return {
        "plan": plan,
        "urgent_steps": [step for step in plan.steps if step.urgent],
        "programs_by_id": {program.id: program for program in plan.programs},
        "step_letters": step_letters(plan, rulebook.current()),
        "next_deadline": open_deadlines[0] if open_deadlines else None,
        "likely": [p for p in plan.programs if p.eligible is True],
        "maybe": [p for p in plan.programs if p.eligible == "maybe"],
        "not_eligible": [p for p in plan.programs if p.eligible is False],
        "sources": plan_sources(plan),
        "days_left": lambda deadline: (deadline - plan.as_of).days,
    }


def _compare_pumps(answers: dict, plan: Plan) -> dict | None:
    """A link to the pump comparison where the choice of pump is open or changes what the plan
    pays through (issue 17): no pump chosen yet, or a plan that may pay for pumps both as
    medical equipment and at the pharmacy. Filtered by the case's age, diabetes type and CGM
    (a worker's client is not the browser's case, so the answers travel in the address)."""
    wanted = answers.get("pump_wanted")
    undecided = wanted in (None, "undecided")
    if not (undecided or plan.coverage_route == "both"):
        return None
    filters = pumps_service.filters_from_answers(answers, rulebook.current())
    params = {"age": filters.age, "diabetes_type": filters.diabetes_type, "cgm": filters.cgm}
    return {"undecided": undecided,
            "url": url_for("pumps.index", **{k: v for k, v in params.items() if v is not None})}


def step_letters(plan: Plan, book) -> dict[str, list]:
    """The letters each step's rule calls for (those in this plan), so a step links to them."""
    in_plan = {letter.id: letter for letter in plan.letters}
    by_rule = {rule.id: rule.letters for rule in book.rules}
    return {step.id: [in_plan[i] for i in by_rule.get(step.rule_id, ()) if i in in_plan]
            for step in plan.steps}


@case_route(bp, "/plan", methods=["GET"])
@db.reads_only
def show():
    case = case_to_read()
    if case is None:
        return redirect(url_for("questionnaire.start"))
    as_of = clock.plan_date(case, rulebook.current())
    usual = not current_user.is_authenticated and "_flashes" not in session
    # select_locale, not get_locale: the same choice, without building a babel Locale (a disk
    # lookup) on a request that may need nothing else.
    with db.reading_connection() as connection:
        marks = step_marks(connection, case.public_id)   # steps marked done show as done
    key = (rulebook.current().version, as_of, select_locale(),
           json.dumps(case.answers, sort_keys=True, default=str), tuple(sorted(marks.items())))
    if usual:
        with _pages_lock:
            page = _pages.get(key)
        if page is not None:
            return page
    plan = _current_plan(as_of)   # only a valid plan is cached: a redirect is decided afresh
    if not isinstance(plan, Plan):
        return plan
    page = render_template("plan/show.html", marks=marks, **_context(plan),
                           compare_pumps=_compare_pumps(case.answers or {}, plan))
    if usual:
        with _pages_lock:
            _pages[key] = page
    return page


@case_route(bp, "/plan.pdf", methods=["GET"])
@pdf_limit
@db.reads_only
def pdf():
    plan = _current_plan()
    if not isinstance(plan, Plan):
        return plan
    # Inlined: the shared PDF fetcher serves static files without a CSS media type.
    stylesheet = Path(current_app.static_folder, "css", "plan_pdf.css").read_text("utf-8")
    html = render_template("plan/document.html", stylesheet=stylesheet,
                           page_counter=i18n.css_page_counter(select_locale()), **_context(plan))
    return Response(plan_pdf(html, plan, select_locale()), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="pump-access-plan-{plan.as_of}.pdf"',
        "Cache-Control": "no-store"})


@case_route(bp, "/plan.ics", methods=["GET"])
@db.reads_only
def calendar():
    plan = _current_plan()
    if not isinstance(plan, Plan):
        return plan
    return Response(deadlines_calendar(plan, lang=select_locale()), mimetype="text/calendar",
                    headers={
        "Content-Disposition": f'attachment; filename="pump-access-deadlines-{plan.as_of}.ics"',
        "Cache-Control": "no-store"})
