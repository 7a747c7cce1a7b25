"""The plan as a versioned JSON document for batch use: each source listed once, cited by id.

Shape `navigator.plan/2` (docs/API.md): the fields of `Plan`, plus `format` and `sources`
(id -> source); in steps, programs and resources `sources` is a list of source ids, and a deadline's
`source` is a source id. The full shape (`Plan.model_dump`) repeats a source wherever it is
cited; this one is what the CLI's jsonl/compact output and the API's batch endpoint return.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from navigator.engine.plan import Deadline, Plan, Program, Resource, Source, Step

DOCUMENT_FORMAT = "navigator.plan/2"


def plan_document(plan: Plan) -> dict[str, Any]:
    data = plan.model_dump(mode="json")
    sources: dict[str, dict] = {}
    for group in ("steps", "programs", "resources"):
        for item in data[group]:
            item["sources"] = [_cite(source, sources) for source in item["sources"]]
    for deadline in data["deadlines"]:
        deadline["source"] = _cite(deadline["source"], sources)
    return {"format": DOCUMENT_FORMAT, **data, "sources": sources}


def _cite(source: dict, sources: dict[str, dict]) -> str:
    sources.setdefault(source["id"], source)
    return source["id"]


# The document's shape as models, for its JSON Schema (the OpenAPI document); `plan_document`
# (The ignores: the document deliberately narrows Source objects to their ids.)
# builds the same shape directly, which is several times faster than going through these.
class DocumentStep(Step):
    sources: list[str]  # type: ignore[assignment]


class DocumentProgram(Program):
    sources: list[str]  # type: ignore[assignment]


class DocumentResource(Resource):
    sources: list[str]  # type: ignore[assignment]


class DocumentDeadline(Deadline):
    source: str  # type: ignore[assignment]


class PlanDocument(Plan):
    format: Literal["navigator.plan/2"]
    steps: list[DocumentStep]  # type: ignore[assignment]
    programs: list[DocumentProgram]  # type: ignore[assignment]
    resources: list[DocumentResource] = Field(default_factory=list)  # type: ignore[assignment]
    deadlines: list[DocumentDeadline]  # type: ignore[assignment]
    sources: dict[str, Source]
