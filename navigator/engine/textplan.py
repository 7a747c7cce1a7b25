"""A plan as plain text, for the CLI (`navigator plan --format text`)."""
from __future__ import annotations

from datetime import date

from navigator.engine.plan import Plan, Step
from navigator.textformat import us_date

ELIGIBLE_WORDS = {True: "likely eligible", "maybe": "maybe", False: "not eligible"}


def plan_as_text(plan: Plan) -> str:
    lines = [
        (f"ACCESS PLAN (as of {us_date(plan.as_of)}; rules {plan.rules_version}, "
         f"reviewed {us_date(plan.reviewed)})"),
        "Guidance, not legal or medical advice.",
        f"Coverage route: {plan.coverage_route}",
    ]
    if plan.fpl_percent is not None:
        lines.append(f"Household income: about {plan.fpl_percent:g}% of the federal poverty level")
    for warning in plan.warnings:
        lines.append(f"! {warning}")
    lines.append("")
    lines.append("STEPS")
    for number, step in enumerate(plan.steps, 1):
        lines.append(f"{number}. {step.title}")
        lines.append(f"   {step.detail}")
        if step.deadline:
            lines.append("   " + _step_deadline(step, plan.as_of))
        for contact in step.contacts:
            parts = [contact.name] + [p for p in (contact.phone, contact.url) if p]
            lines.append("   Contact: " + " | ".join(parts))
        for document in step.documents:
            lines.append(f"   - {document}")
        if step.confirm:
            lines.append(f"   Note: {step.confirm}")
        lines.append(f"   Why: {step.why}")
        lines.append("   Sources: " + "; ".join(f"{s.title} <{s.url}> (checked {s.checked})"
                                              for s in step.sources))
    if plan.programs:
        lines += ["", "PROGRAMS"]
        for program in plan.programs:
            word = "closed" if program.status == "closed" else ELIGIBLE_WORDS[program.eligible]
            lines.append(f"- {program.name} ({program.sponsor}): {word}."
                         f" {program.reason}")
    if plan.resources:
        lines += ["", "DIRECTORIES AND TOOLS (not programs: they help you find more)"]
        for resource in plan.resources:
            link = f" <{resource.contact.url}>" if resource.contact and resource.contact.url else ""
            lines.append(f"- {resource.name} ({resource.sponsor}){link}: {resource.what}")
    if plan.letters:
        lines += ["", "LETTERS"]
        lines += [f"- {letter.title}" for letter in plan.letters]
    if plan.deadlines:
        lines += ["", "DEADLINES AND DATES"]
        lines += [f"- {us_date(d.date)}: {'Starts: ' * (d.kind == 'change')}{d.title} "
                  f"({_when(d.date, d.opens, d.passed, plan.as_of, d.kind)})" for d in plan.deadlines]
    return "\n".join(lines)


def _when(day: date, opens: date | None, passed: str | None, as_of: date,
          kind: str | None = None) -> str:
    """Days left, the opening day of a window not yet open, or "passed"."""
    if passed:
        return "passed"
    if opens:
        return f"opens {us_date(opens)}"
    left = (day - as_of).days
    if kind == "change":
        return "today" if left == 0 else f"in {left} day{'s' * (left != 1)}"
    return "today is the last day" if left == 0 else f"{left} day{'s' * (left != 1)} left"


def _step_deadline(step: Step, as_of: date) -> str:
    label = "Starts" if step.deadline_kind == "change" else "Deadline"
    when = _when(step.deadline, step.deadline_opens, step.deadline_passed, as_of, step.deadline_kind)
    line = f"{label}: {us_date(step.deadline)} ({when})"
    if step.deadline_passed:
        line += f". {step.deadline_passed}"
    return line
