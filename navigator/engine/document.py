"""The plan as a versioned JSON document for batch use: each source listed once, cited by id.

Shape `navigator.plan/2` (docs/API.md): the fields of `Plan`, plus `format` and `sources`
(id -> source); in steps and programs `sources` is a list of source ids, and a deadline's
`source` is a source id. The full shape (`Plan.model_dump`) repeats a source wherever it is
cited; this one is what the CLI's jsonl/compact output and the API's batch endpoint return.
"""
from __future__ import annotations

from typing import Any

from navigator.engine.plan import Plan

DOCUMENT_FORMAT = "navigator.plan/2"


def plan_document(plan: Plan) -> dict[str, Any]:
    data = plan.model_dump(mode="json")
    sources: dict[str, dict] = {}
    for group in ("steps", "programs"):
        for item in data[group]:
            item["sources"] = [_cite(source, sources) for source in item["sources"]]
    for deadline in data["deadlines"]:
        deadline["source"] = _cite(deadline["source"], sources)
    return {"format": DOCUMENT_FORMAT, **data, "sources": sources}


def _cite(source: dict, sources: dict[str, dict]) -> str:
    sources.setdefault(source["id"], source)
    return source["id"]
