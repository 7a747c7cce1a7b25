"""The plan as a versioned JSON document for batch use: each source listed once, cited by id.

Shape `navigator.plan/2` (docs/API.md): the fields of `Plan`, plus `format` and `sources`
(id -> source); in steps, programs and resources `sources` is a list of source ids, and a deadline's
`source` is a source id. The full shape (`Plan.model_dump`) repeats a source wherever it is
cited; this one is what the CLI's jsonl/compact output and the API's batch endpoint return.
"""
from __future__ import annotations

from typing import Any, Literal, NamedTuple

import orjson
from pydantic import Field

from navigator.engine import memo
from navigator.engine.plan import Deadline, Plan, Program, Resource, Source, Step

DOCUMENT_FORMAT = "navigator.plan/2"


def plan_document(plan: Plan) -> dict[str, Any]:
    """The plan as a `navigator.plan/2` document. Its steps, programs, resources and sources are
    shared with the other documents the process makes (engine/memo.py): serialise the document,
    never change it."""
    sources: dict[str, dict] = {}
    data = plan.model_dump(mode="json", exclude=set(_SHARED_PARTS))
    for group in _SHARED_PARTS:
        data[group] = [_shared_item(item, sources).data for item in getattr(plan, group)]
    data["deadlines"] = _deadlines(plan, sources)
    return {"format": DOCUMENT_FORMAT, **{name: data[name] for name in Plan.model_fields},
            "sources": sources}


def plan_document_json(plan: Plan) -> bytes:
    """`orjson.dumps(plan_document(plan))`, the same bytes, put together from the JSON of each
    shared step, program and resource, made once (the batch writer's path)."""
    sources: dict[str, dict] = {}
    data: dict[str, Any] = plan.model_dump(mode="json", exclude=set(_SHARED_PARTS))
    parts = {group: b"[" + b",".join(_shared_item(item, sources).encoded
                                     for item in getattr(plan, group)) + b"]"
             for group in _SHARED_PARTS}
    data["deadlines"] = _deadlines(plan, sources)
    fields = b",".join(_KEYS[name] + (parts[name] if name in parts else orjson.dumps(data[name]))
                       for name in Plan.model_fields)
    return b"".join((b'{"format":', _FORMAT, b",", fields, b',"sources":', orjson.dumps(sources),
                     b"}"))


# The plan's parts that are shared between plans (the engine's memo), in the order their
# sources are listed; deadlines are made per plan and cite their source after them.
_SHARED_PARTS = ("steps", "programs", "resources")
_FORMAT = orjson.dumps(DOCUMENT_FORMAT)
_KEYS = {name: orjson.dumps(name) + b":" for name in Plan.model_fields}


class _Item(NamedTuple):
    data: dict              # the item's JSON value, sources by id
    cited: list[dict]       # its sources
    encoded: bytes          # `data` as JSON text


def _shared_item(item: Step | Program | Resource, sources: dict[str, dict]) -> _Item:
    """The item's JSON with its sources by id; the sources join the document's list."""
    found = memo.derived("document", item, lambda: _with_source_ids(item))
    for source in found.cited:
        sources.setdefault(source["id"], source)
    return found


def _with_source_ids(item: Step | Program | Resource) -> _Item:
    data = item.model_dump(mode="json")
    cited = data["sources"]
    data["sources"] = [source["id"] for source in cited]
    return _Item(data, cited, orjson.dumps(data))


def _deadlines(plan: Plan, sources: dict[str, dict]) -> list[dict]:
    deadlines = []
    for deadline in plan.deadlines:
        item = deadline.model_dump(mode="json")
        sources.setdefault(item["source"]["id"], item["source"])
        item["source"] = item["source"]["id"]
        deadlines.append(item)
    return deadlines


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
