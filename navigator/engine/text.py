"""Text with placeholders ({state.medicaid.phone}, {param.x|default}), parsed once at load."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# {param.x} is a parameter's value on the plan date, {param_next_year.x} on the next January 1.
PARAMETER_ROOTS = ("param", "param_next_year")
PLACEHOLDER = re.compile(r"\{([^{}|]+)(?:\|([^{}]*))?\}")


@dataclass(frozen=True)
class Placeholder:
    root: str
    path: tuple[str, ...]
    default: str | None

    @property
    def dotted(self) -> str:
        return ".".join((self.root, *self.path))


@dataclass(frozen=True)
class Text:
    parts: tuple[str | Placeholder, ...]
    placeholders: tuple[Placeholder, ...] = ()
    literal: str | None = None       # the whole text when it has no placeholder
    source: str = ""                 # the text as written (its msgid in the rules domain)

    def render(self, context: dict[str, Any]) -> str:
        if self.literal is not None:
            return self.literal
        return "".join(part if isinstance(part, str) else resolve(part, context)
                       for part in self.parts)


def parse_text(source: str) -> Text:
    parts: list[str | Placeholder] = []
    position = 0
    for match in PLACEHOLDER.finditer(source):
        if match.start() > position:
            parts.append(source[position:match.start()])
        root, *path = match.group(1).strip().split(".")
        parts.append(Placeholder(root, tuple(path), match.group(2)))
        position = match.end()
    if position < len(source) or not parts:
        parts.append(source[position:])
    placeholders = tuple(p for p in parts if isinstance(p, Placeholder))
    plain = None if placeholders else "".join(p for p in parts if isinstance(p, str))
    return Text(tuple(parts), placeholders, plain, source)


def lookup(placeholder: Placeholder, context: dict[str, Any]) -> Any:
    value = context.get(placeholder.root)
    for key in placeholder.path:
        if value is None:
            return None
        value = value.get(key) if hasattr(value, "get") else getattr(value, key, None)
    return value


def resolve(placeholder: Placeholder, context: dict[str, Any]) -> str:
    value = lookup(placeholder, context)
    if value is None or value == "" or (isinstance(value, (list, tuple)) and not value):
        return placeholder.default or ""        # an empty list is "not found", as None is
    formatter = context.get("_format")
    return formatter(placeholder, value) if formatter else str(value)
