"""The JSON API's OpenAPI 3.1 document, built from the code that defines the shapes.

The plan schemas come from the engine's pydantic models and the answers schema from the answers
contract (`FIELDS`), so the document changes with them and cannot drift; a test checks real
responses against it.
"""
from __future__ import annotations

import functools
from typing import Any

from navigator import __version__
from navigator.engine.answers import FIELDS, FieldSpec
from navigator.engine.document import PlanDocument
from navigator.engine.plan import Plan

REF = "#/components/schemas/{model}"
MAX_BATCH = 1000


def _answer_property(spec: FieldSpec, pump_ids: tuple[str, ...]) -> dict[str, Any]:
    kinds = {"enum": "string", "int": "integer", "number": "number", "bool": "boolean",
             "date": "string"}
    schema: dict[str, Any] = {"type": kinds[spec.kind], "description": spec.label}
    if spec.kind == "enum":
        schema["enum"] = list(spec.choices(pump_ids))
    if spec.kind == "date":
        schema["format"] = "date"
    if spec.minimum is not None:
        schema["minimum"] = spec.minimum
    if spec.maximum is not None:
        schema["maximum"] = spec.maximum
    if spec.nullable or spec.required is None:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


def _answers_schema(pump_ids: tuple[str, ...]) -> dict[str, Any]:
    always = [n for n, s in FIELDS.items() if s.required is not None and s.required({}) is True]
    return {
        "type": "object",
        "description": "The answers contract. Some fields are required only for some answers "
                       "(employer_plan_funding for coverage employer, denial_date after a "
                       "denial); a field that does not apply is dropped.",
        "properties": {name: _answer_property(spec, pump_ids) for name, spec in FIELDS.items()},
        "required": always,
        "additionalProperties": False,
    }


def _model_schemas(*models) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template=REF, mode="serialization")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def _errors_schema() -> dict[str, Any]:
    error = {"type": "object", "required": ["field", "message"], "additionalProperties": False,
             "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}
    return {"type": "object", "required": ["errors"],
            "properties": {"errors": {"type": "array", "items": error}}}


def _json(schema_ref: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": REF.format(model=schema_ref)}}}}


# The language of a plan's texts: ?lang= first, else the Accept-Language header, else English.
LANGUAGE_PARAMETERS = [
    {"name": "lang", "in": "query", "required": False,
     "schema": {"type": "string", "enum": ["en", "es"]},
     "description": "Language of the plan's texts (titles, details, reasons, notes). Keys, ids, "
                    "dates and urls are the same in every language. Default: the "
                    "Accept-Language header's best match, else en."},
    {"name": "Accept-Language", "in": "header", "required": False,
     "schema": {"type": "string"}, "description": "Used when ?lang= is not given, e.g. `es-US`."},
]


@functools.cache
def openapi_document(pump_ids: tuple[str, ...]) -> dict[str, Any]:
    """The document for the rules in use: `pump_ids` are the ids of their pump catalogue."""
    schemas = _model_schemas(Plan, PlanDocument)
    schemas["Answers"] = _answers_schema(pump_ids)
    schemas["Errors"] = _errors_schema()
    schemas["BatchItemErrors"] = {
        "type": "object", "required": ["index", "errors"], "additionalProperties": False,
        "properties": {"index": {"type": "integer", "minimum": 0},
                       "errors": _errors_schema()["properties"]["errors"]}}
    schemas["BatchResult"] = {
        "type": "object", "required": ["format", "plans", "invalid", "results"],
        "properties": {
            "format": {"const": "navigator.plan/2"},
            "plans": {"type": "integer"}, "invalid": {"type": "integer"},
            "results": {"type": "array", "items": {"oneOf": [
                {"$ref": REF.format(model="PlanDocument")},
                {"$ref": REF.format(model="BatchItemErrors")}]}}}}
    schemas["Rules"] = {
        "type": "object", "required": ["version", "reviewed", "counts"],
        "properties": {"version": {"type": "string"}, "reviewed": {"type": "string",
                                                                   "format": "date"},
                       "counts": {"type": "object",
                                  "additionalProperties": {"type": "integer"}}}}
    bad_input = {"400": _json("Errors", "The body is not valid JSON"),
                 "415": {"description": "The body is not application/json"},
                 "429": {"description": "Too many requests for this address or key"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Pump Access Navigator API", "version": f"1 (app {__version__})",
                 "description": "Answers in, an access plan out. Guidance, not legal or medical "
                                "advice. Plans are computed on the day of the request."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"apiKey": {
                "type": "http", "scheme": "bearer",
                "description": "An organisation's API key (`navigator api-key create`)."}},
        },
        "paths": {
            "/plan": {"post": {
                "summary": "One plan, in the full shape (each source written out where cited)",
                "security": [{}, {"apiKey": []}],
                "parameters": LANGUAGE_PARAMETERS,
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": REF.format(model="Answers")}}}},
                "responses": {"200": _json("Plan", "The access plan"),
                              "422": _json("Errors", "Answers that break the contract, by field"),
                              **bad_input}}},
            "/plans": {"post": {
                "summary": f"Up to {MAX_BATCH} plans at once, as plan documents (sources once)",
                "security": [{"apiKey": []}],
                "parameters": LANGUAGE_PARAMETERS,
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "array", "maxItems": MAX_BATCH,
                    "items": {"$ref": REF.format(model="Answers")}}}}},
                "responses": {"200": _json("BatchResult", "One result per answers object, in "
                                                          "order: a plan or its errors"),
                              "401": _json("Errors", "No API key, or a revoked or unknown one"),
                              "413": _json("Errors", f"More than {MAX_BATCH} answers"),
                              **bad_input}}},
            "/rules": {"get": {
                "summary": "The rules version in use",
                "responses": {"200": _json("Rules", "Version, review date and counts")}}},
        },
    }
