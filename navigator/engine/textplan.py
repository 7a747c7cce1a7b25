"""A plan as plain text, for the CLI (`navigator plan --format text`)."""
from __future__ import annotations

from navigator.engine.plan import Plan
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
            lines.append(f"   Deadline: {us_date(step.deadline)}")
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
            lines.append(f"- {program.name} ({program.sponsor}): {ELIGIBLE_WORDS[program.eligible]}."
                         f" {program.reason}")
    if plan.letters:
        lines += ["", "LETTERS"]
        lines += [f"- {letter.title}" for letter in plan.letters]
    if plan.deadlines:
        lines += ["", "DEADLINES"]
        lines += [f"- {us_date(d.date)}: {d.title}" for d in plan.deadlines]
    return "\n".join(lines)
