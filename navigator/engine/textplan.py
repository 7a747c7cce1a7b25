"""A plan as plain text, for the CLI (`navigator plan --format text [--lang es]`)."""
from __future__ import annotations

from datetime import date

from navigator.engine.plan import Plan, Step
from navigator.engine.rules_i18n import N_, format_date, translations

ELIGIBLE_WORDS = {True: N_("likely eligible"), "maybe": N_("maybe"), False: N_("not eligible")}
ROUTE_WORDS = {"dme": N_("the medical equipment (DME) benefit"),
               "pharmacy": N_("the pharmacy benefit"),
               "both": N_("the medical equipment (DME) or the pharmacy benefit, by plan"),
               "none": N_("none found for these answers")}


def plan_as_text(plan: Plan, lang: str | None = None) -> str:
    """The plan for reading; `lang` names the language of the headings and dates (the plan's
    own texts are in the language it was made in)."""
    t = translations(lang).gettext

    def day(value: date) -> str:
        return format_date(value, lang)

    lines = [
        t(N_("ACCESS PLAN (as of {date}; rules {version}, reviewed {reviewed})")).format(
            date=day(plan.as_of), version=plan.rules_version, reviewed=day(plan.reviewed)),
        t(N_("Guidance, not legal or medical advice.")),
        t(N_("Coverage route: {route}")).format(route=t(ROUTE_WORDS[plan.coverage_route])),
    ]
    if plan.fpl_percent is not None:
        lines.append(t(N_("Household income: about {percent}% of the federal poverty level"))
                     .format(percent=f"{plan.fpl_percent:g}"))
    for warning in plan.warnings:
        lines.append(f"! {warning}")
    lines.append("")
    lines.append(t(N_("STEPS")))
    for number, step in enumerate(plan.steps, 1):
        lines.append(f"{number}. {step.title}")
        lines.append(f"   {step.detail}")
        if step.deadline:
            lines.append("   " + _step_deadline(step, plan.as_of, lang))
        for contact in step.contacts:
            parts = [contact.name] + [p for p in (contact.phone, contact.url) if p]
            lines.append("   " + t(N_("Contact: {contact}")).format(contact=" | ".join(parts)))
        for document in step.documents:
            lines.append(f"   - {document}")
        if step.confirm:
            lines.append("   " + t(N_("Note: {note}")).format(note=step.confirm))
        lines.append("   " + t(N_("Why: {why}")).format(why=step.why))
        lines.append("   " + t(N_("Sources: {sources}")).format(sources="; ".join(
            t(N_("{title} <{url}> (checked {checked})")).format(
                title=s.title, url=s.url, checked=s.checked) for s in step.sources)))
    if plan.programs:
        lines += ["", t(N_("PROGRAMS"))]
        for program in plan.programs:
            word = t(N_("closed") if program.status == "closed"
                     else ELIGIBLE_WORDS[program.eligible])
            lines.append(f"- {program.name} ({program.sponsor}): {word}."
                         f" {program.reason}")
    if plan.resources:
        lines += ["", t(N_("DIRECTORIES AND TOOLS (not programs: they help you find more)"))]
        for resource in plan.resources:
            link = f" <{resource.contact.url}>" if resource.contact and resource.contact.url else ""
            lines.append(f"- {resource.name} ({resource.sponsor}){link}: {resource.what}")
    if plan.letters:
        lines += ["", t(N_("LETTERS"))]
        lines += [f"- {letter.title}" for letter in plan.letters]
    if plan.deadlines:
        lines += ["", t(N_("DEADLINES AND DATES"))]
        starts = t(N_("Starts: {title}"))
        lines += [f"- {day(d.date)}: "
                  f"{starts.format(title=d.title) if d.kind == 'change' else d.title} "
                  f"({_when(d.date, d.opens, d.passed, plan.as_of, d.kind, lang)})"
                  for d in plan.deadlines]
    return "\n".join(lines)


def _when(day: date, opens: date | None, passed: str | None, as_of: date,
          kind: str | None = None, lang: str | None = None) -> str:
    """Days left, the opening day of a window not yet open, or "passed"."""
    t = translations(lang).gettext
    if passed:
        return t(N_("passed"))
    if opens:
        return t(N_("opens {date}")).format(date=format_date(opens, lang))
    left = (day - as_of).days
    if kind == "change":
        if left == 0:
            return t(N_("today"))
        return t(N_("in 1 day") if left == 1 else N_("in {n} days")).format(n=left)
    if left == 0:
        return t(N_("today is the last day"))
    return t(N_("1 day left") if left == 1 else N_("{n} days left")).format(n=left)


def _step_deadline(step: Step, as_of: date, lang: str | None = None) -> str:
    t = translations(lang).gettext
    label = t(N_("Starts: {date} ({when})") if step.deadline_kind == "change"
              else N_("Deadline: {date} ({when})"))
    if step.deadline is None:
        raise ValueError(f"step {step.id} has no deadline")
    when = _when(step.deadline, step.deadline_opens, step.deadline_passed, as_of,
                 step.deadline_kind, lang)
    line = label.format(date=format_date(step.deadline, lang), when=when)
    if step.deadline_passed:
        line += f". {step.deadline_passed}"
    return line
