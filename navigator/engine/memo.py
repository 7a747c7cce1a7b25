"""What evaluations share, in one place. A RuleBook is immutable once built (loader.py); the
engine's memo lives here instead, bounded.

Every key holds the rules version (a hash of the rule files) and, for an output with words,
the RulesTranslation object the texts were read through (by identity: a catalogue edited and
reloaded is a new object), so an output is only ever reused under the same rules and words.
The rest of the key is exactly what the output is built from; evaluate.py says what that is
for each kind.

Program outputs: a program's assessment is kept as a decision tree over the facts it reads
(`decided`), and the Program objects (frozen pydantic models) are built once per (program,
outcome, reason) and shared between plans.

Step outputs: a step's texts, deadline and sources depend on the plan date, the person's
coverages, and the state, pump and few facts it reads, so most people in a state share most of
their steps. Measured in docs/BENCHMARKS.md ("engine", "batch"): the sweep 2-5 times and the
batch CLI about 2.2 times as fast per CPU second; plans whose people all differ 17-35%.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

# In the batch benchmark it added about 36 MB (the CLI peaked at 94 MB instead of 58);
# when full the memo starts over, so memory stays flat however many plans a process makes.
CACHE_SIZE = 20_000

_outputs: dict[Hashable, Any] = {}
_entries = [0]          # entries and decision-tree leaves stored since the memo last started over


def _make_room() -> None:
    if _entries[0] >= CACHE_SIZE:
        clear()
    _entries[0] += 1


def shared(key: Hashable, build: Callable[[], Any]) -> Any:
    """The output for `key`, built by `build()` on first use. `key` must hold the rules
    version, the translation and everything `build` reads (see the module's docstring)."""
    cached = _outputs.get(key)
    if cached is None:
        cached = build()
        _make_room()
        _outputs[key] = cached
    return cached


def derived(kind: Hashable, of: Any, build: Callable[[], Any]) -> Any:
    """What `build()` makes from the shared output `of` alone (its JSON form, an urgent step's
    copy with its programs): kept by the identity of `of`. The entry holds `of` itself, so that
    identity cannot pass to another object while the entry lives."""
    key = (kind, id(of))
    cached = _outputs.get(key)
    if cached is None or cached[0] is not of:
        cached = (of, build())
        _make_room()
        _outputs[key] = cached
    return cached[1]


def decided(key: Hashable, facts: dict[str, Any], decide: Callable[[Any], Any]) -> Any:
    """`decide(facts)` for a decision that reads the facts one at a time (`facts[name]`,
    `facts.get(name)`) and nothing else of the person, such as a program's assessment.

    What it read, in order, is kept as a path in a decision tree under `key` (which holds the
    rules version, the translation and the decision's own inputs, as for `shared`): a later
    person whose facts take the same path gets the same result without deciding again. Since
    the decision is a pure function, the facts it has read so far fix which one it reads next,
    so the tree needs no list of the facts a decision depends on; a change to the decision
    cannot make the memo stale. Values are compared with ==, so 2 and 2.0 share a path (the
    engine writes both as "2")."""
    node = _outputs.get(key)
    while type(node) is _Branch:
        node = node.children.get(facts.get(node.name, _MISSING))
    if node is not None:
        return node.result
    reader = _Reader(facts)
    result = decide(reader)
    _keep_path(key, reader.path, result)
    return result


_MISSING = object()


class _Branch:
    """A decision-tree node: the fact read next, and the subtree for each of its values."""
    __slots__ = ("name", "children")

    def __init__(self, name: str):
        self.name = name
        self.children: dict[Any, _Branch | _Leaf] = {}


class _Leaf:
    __slots__ = ("result",)

    def __init__(self, result: Any):
        self.result = result


class _Reader:
    """The facts as a decision sees them, noting each fact it reads and its value."""
    __slots__ = ("facts", "path")

    def __init__(self, facts: dict[str, Any]):
        self.facts = facts
        self.path: list[tuple[str, Any]] = []

    def __getitem__(self, name: str) -> Any:
        value = self.facts[name]
        self.path.append((name, value))
        return value

    def get(self, name: str, default: Any = None) -> Any:
        value = self.facts.get(name, _MISSING)
        self.path.append((name, value))
        return default if value is _MISSING else value

    def __contains__(self, name: str) -> bool:    # reads kept to get and [] (see decided)
        raise TypeError("a decision reads facts with get() or [] only")

    def __iter__(self):
        raise TypeError("a decision reads facts with get() or [] only")


def _keep_path(key: Hashable, path: list[tuple[str, Any]], result: Any) -> None:
    _make_room()
    parent: dict[Any, Any] = _outputs
    slot: Any = key
    for name, value in path:
        node = parent.get(slot)
        if node is None:
            node = parent[slot] = _Branch(name)
        elif type(node) is not _Branch or node.name != name:
            return      # another path through the same facts: not a pure decision, keep nothing
        try:
            hash(value)
        except TypeError:
            return      # a value that cannot be a key: this path is decided every time
        parent, slot = node.children, value
    parent.setdefault(slot, _Leaf(result))


def clear() -> None:
    _outputs.clear()
    _entries[0] = 0
