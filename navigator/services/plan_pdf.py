"""The access plan as a tagged PDF on US Letter. No Flask: the caller renders the HTML.

Rendering goes through navigator.services.pdf, whose URL fetcher refuses everything but the
app's own static folder.
"""
from __future__ import annotations

from navigator import i18n
from navigator.engine.plan import Plan
from navigator.services.pdf import render_pdf

AUTHOR = "Pump Access Navigator"


def plan_pdf(html: str, plan: Plan, lang: str = i18n.DEFAULT_LANGUAGE) -> bytes:
    """PDF bytes of the plan document HTML (templates/plan/document.html), its title in `lang`
    (the document's own language, which its <html lang> gives the PDF)."""
    title = i18n.gettext(lang, "Insulin pump access plan")
    return render_pdf(html, title=f"{title}, {i18n.format_day(plan.as_of, lang)}"
                      if lang != i18n.DEFAULT_LANGUAGE else f"{title}, {plan.as_of.isoformat()}",
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
