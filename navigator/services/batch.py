"""Plans for many answers at once, streamed: read one answers object, write one plan.

Memory stays flat however long the input: the input is decoded one JSON value at a time
(JSON Lines, concatenated objects, or the elements of one top-level array) and each plan is
written before the next answers are read.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import IO, Any

import orjson

from navigator import clock
from navigator.engine import RuleBook, evaluate, validate_answers
from navigator.engine.document import plan_document
from navigator.engine.plan import Plan

_CHUNK = 1 << 16
_DECODER = json.JSONDecoder()
_SPACE = " \t\r\n"


class InputInvalid(ValueError):
    """The input is not a sequence of JSON values; the message says where it broke."""


def iter_json_values(stream: IO[str]) -> Iterator[Any]:
    """Each JSON value of the stream in turn; a top-level array yields its elements."""
    reader = _ValueReader(stream)
    first = reader.peek()
    if first == "[":
        reader.take("[")
        yield from reader.array_elements()
    elif first:
        yield from reader.values()


def plan_records(items: Iterable[Any], as_of: date | None, book: RuleBook,
                 lang: str | None = None,
                 document: Callable[[Plan], Any] = plan_document) -> Iterator[Any]:
    """A plan document per item, or `{"index": i, "errors": [...]}` for answers that are invalid.
    Without `as_of` each plan is dated its person's local date (navigator.clock).
    `lang`: the language of the plans' texts. `document`: plan_document, or plan_document_json
    for the document as JSON text."""
    for index, item in enumerate(items):
        day = as_of or clock.today_for(item, book)
        answers, problems = validate_answers(item, day, book)
        if answers is None:
            yield {"index": index, "errors": [p.as_dict() for p in problems]}
        else:
            yield document(evaluate(answers, day, book, lang=lang))


def write_json_lines(records: Iterable[dict | bytes], out: IO[bytes]) -> tuple[int, int]:
    """Write one compact JSON line per record (a plan document already as JSON text is written
    as it is); return (plans, invalid answers)."""
    plans = invalid = 0
    for record in records:
        if isinstance(record, bytes):
            out.write(record + b"\n")
            plans += 1
        else:
            out.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
            if "errors" in record:
                invalid += 1
            else:
                plans += 1
    return plans, invalid


class _ValueReader:
    """Decodes JSON values one by one from a text stream, holding at most one value's text."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.buffer = ""
        self.pos = 0
        self.eof = False
        self.lines_before = 0   # line breaks dropped from the front of `buffer`, for messages

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.lines_before += self.buffer.count("\n", 0, self.pos)
        self.buffer = self.buffer[self.pos:] + chunk
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next character that is not white space ("" at the end)."""
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in _SPACE:
                self.pos += 1
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._fill():
                return ""

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise InputInvalid(f"expected {char!r} at {self._where(self.pos)}")
        self.pos += 1

    def value(self) -> Any:
        self.peek()                     # raw_decode does not skip leading white space
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                if self._fill():        # the value may continue in the next chunk
                    continue
                raise InputInvalid(f"not valid JSON at {self._where(exc.pos)}: {exc.msg}") from None
            # A number at the very end of the buffer may have more digits to come.
            if end == len(self.buffer) and not self.eof and self._fill():
                continue
            self.pos = end
            return value

    def _where(self, pos: int) -> str:
        line = self.lines_before + self.buffer.count("\n", 0, pos) + 1
        column = pos - self.buffer.rfind("\n", 0, pos)
        return f"line {line}, column {column}"

    def values(self) -> Iterator[Any]:
        while self.peek():
            yield self.value()

    def array_elements(self) -> Iterator[Any]:
        if self.peek() == "]":
            self.take("]")
        else:
            while True:
                yield self.value()
                if self.peek() == ",":
                    self.take(",")
                    continue
                self.take("]")
                break
        if self.peek():
            raise InputInvalid(f"text after the closing ']' at {self._where(self.pos)}")
