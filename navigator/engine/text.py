"""Text with placeholders ({state.medicaid.phone}, {param.x|default}), parsed once at load."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

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

    @property
    def placeholders(self) -> tuple[Placeholder, ...]:
        return tuple(p for p in self.parts if isinstance(p, Placeholder))

    @property
    def is_literal(self) -> bool:
        return not self.placeholders

    def render(self, context: dict[str, Any]) -> str:
        if len(self.parts) == 1 and isinstance(self.parts[0], str):
            return self.parts[0]
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
    return Text(tuple(parts))


def lookup(placeholder: Placeholder, context: dict[str, Any]) -> Any:
    value = context.get(placeholder.root)
    for key in placeholder.path:
        if value is None:
            return None
        value = value.get(key) if hasattr(value, "get") else getattr(value, key, None)
    return value


def resolve(placeholder: Placeholder, context: dict[str, Any]) -> str:
    value = lookup(placeholder, context)
    if value is None or value == "":
        return placeholder.default or ""
    formatter = context.get("_format")
    return formatter(placeholder, value) if formatter else str(value)
