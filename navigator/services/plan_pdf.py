"""The access plan as a tagged PDF on US Letter. No Flask: the caller renders the HTML.

Rendering goes through navigator.services.pdf, whose URL fetcher refuses everything but the
app's own static folder.
"""
from __future__ import annotations

from navigator.engine.plan import Plan
from navigator.services.pdf import render_pdf

AUTHOR = "Pump Access Navigator"


def plan_pdf(html: str, plan: Plan) -> bytes:
    """PDF bytes of the plan document HTML (templates/plan/document.html)."""
    return render_pdf(html, title=f"Insulin pump access plan, {plan.as_of.isoformat()}",
                      author=AUTHOR)


def plan_sources(plan: Plan) -> list:
    """Every source the plan cites (steps, programs, deadlines), once each, in order of use."""
    seen: dict[str, object] = {}
    for step in plan.steps:
        for source in step.sources:
            seen.setdefault(source.id, source)
    for program in plan.programs:
        for source in program.sources:
            seen.setdefault(source.id, source)
    for resource in plan.resources:
        for source in resource.sources:
            seen.setdefault(source.id, source)
    for deadline in plan.deadlines:
        seen.setdefault(deadline.source.id, deadline.source)
    return list(seen.values())
