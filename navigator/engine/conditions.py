"""Conditions as data: a small typed vocabulary compiled to Python closures at load time.

    {field: F, equals: V} | {field: F, not_equals: V} | {field: F, in: [...]} | {field: F, not_in: [...]}
    {field: F, lt|le|gt|ge: N} | {field: F, is_set: true|false}
    {all: [...]} | {any: [...]} | {not: C}

No eval: each form becomes one closure over the facts dict, checked against the field's type.
"""
from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Facts = dict[str, Any]
Predicate = Callable[[Facts], bool]


@dataclass(frozen=True)
class FactType:
    kind: str               # enum | int | number | bool | date
    allowed: tuple = ()


class ConditionError(ValueError):
    def __init__(self, path: str, message: str):
        self.path = path
        super().__init__(f"{path}: {message}")


COMPARISONS = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}
FIELD_OPS = ("equals", "not_equals", "in", "not_in", "is_set", *COMPARISONS)


def compile_condition(node: Any, fields: dict[str, FactType], path: str = "when") -> Predicate:
    if not isinstance(node, dict) or not node:
        raise ConditionError(path, "must be a mapping such as {field: coverage, equals: medicaid}")
    if "field" in node:
        return _compile_field(node, fields, path)
    if len(node) != 1:
        raise ConditionError(path, f"use exactly one of all / any / not / field; got {sorted(node)}")
    (key, value), = node.items()
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            raise ConditionError(f"{path}.{key}", "must be a non-empty list of conditions")
        parts = tuple(compile_condition(item, fields, f"{path}.{key}[{i}]")
                      for i, item in enumerate(value))
        if key == "all":
            def all_of(facts: Facts) -> bool:
                for part in parts:
                    if not part(facts):
                        return False
                return True
            return all_of

        def any_of(facts: Facts) -> bool:
            for part in parts:
                if part(facts):
                    return True
            return False
        return any_of
    if key == "not":
        inner = compile_condition(value, fields, f"{path}.not")
        return lambda facts: not inner(facts)
    raise ConditionError(path, f"unknown key {key!r}; use all, any, not or field")


def _compile_field(node: dict, fields: dict[str, FactType], path: str) -> Predicate:
    name = node["field"]
    ops = [key for key in node if key != "field"]
    if not isinstance(name, str) or name not in fields:
        raise ConditionError(f"{path}.field", f"unknown field {name!r}; known fields: "
                             + ", ".join(sorted(fields)))
    if len(ops) != 1 or ops[0] not in FIELD_OPS:
        raise ConditionError(path, f"give exactly one test for {name!r}, one of: "
                             + ", ".join(FIELD_OPS))
    op = ops[0]
    value = node[op]
    fact_type = fields[name]
    where = f"{path}.{op}"
    if op == "is_set":
        if not isinstance(value, bool):
            raise ConditionError(where, "must be true or false")
        return (lambda f: f.get(name) is not None) if value else (lambda f: f.get(name) is None)
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise ConditionError(where, "must be a non-empty list")
        for i, item in enumerate(value):
            _check_value(item, fact_type, f"{where}[{i}]", name)
        members = frozenset(value)
        if op == "in":
            return lambda f: f.get(name) in members
        return lambda f: f.get(name) not in members
    if op in COMPARISONS:
        if fact_type.kind not in ("int", "number", "date"):
            raise ConditionError(where, f"{name!r} is {fact_type.kind}; only numbers and dates compare")
        _check_value(value, fact_type, where, name)
        compare = COMPARISONS[op]

        def compare_field(f: Facts) -> bool:
            current = f.get(name)
            return current is not None and compare(current, value)
        return compare_field
    _check_value(value, fact_type, where, name)
    if op == "equals":
        return lambda f: f.get(name) == value
    return lambda f: f.get(name) != value


def _check_value(value: Any, fact_type: FactType, where: str, name: str) -> None:
    kind = fact_type.kind
    if kind == "enum":
        if value not in fact_type.allowed:
            raise ConditionError(where, f"{value!r} is not a value of {name!r}; allowed: "
                                 + ", ".join(map(str, fact_type.allowed)))
    elif kind == "bool":
        if not isinstance(value, bool):
            raise ConditionError(where, f"{name!r} is true/false; got {value!r}")
    elif kind in ("int", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConditionError(where, f"{name!r} is a number; got {value!r}")
    elif kind == "date":
        from datetime import date
        if not isinstance(value, date):
            raise ConditionError(where, f"{name!r} is a date; got {value!r}")
