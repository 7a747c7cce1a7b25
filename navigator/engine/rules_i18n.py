"""The rules' own words in other languages: the `rules` gettext domain.

Every text of the rule files that a person reads (step titles and details, documents, why,
warnings, program reasons, the engine's sentences in texts.yaml, questions, letter titles, ...)
is a message of the `rules` domain; its English wording is the msgid. `extract_rules` lists
them with where they come from; `write_template` writes rules.pot; `update_catalogue` merges it
into a language's rules.po (as `pybabel update` does); `check_catalogue` names every text a
language lacks or whose placeholders differ. `translations(lang)` loads a language for the
engine: the compiled rules.mo when it is at least as new as rules.po, else rules.po itself (so
tests and a fresh checkout need no compile step). No Flask here.
"""
from __future__ import annotations

import fnmatch
import functools
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from navigator.engine.text import PLACEHOLDER, Text, parse_text

DOMAIN = "rules"
DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "es")
# Languages whose catalogue must hold every text of the rules (`navigator rules check` fails on a
# missing one); for the others only a placeholder mismatch fails and missing texts are counted.
REQUIRED_LANGUAGES: tuple[str, ...] = ("es",)
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
# Engine sentences written in Python are marked N_("...") and extracted from these files.
ENGINE_FILES = ("evaluate.py", "programs.py", "textplan.py")

# Which values of which rule files are words a person reads. A path is a tuple of keys; "*" is
# any list index or mapping key. Ids, urls, phone numbers, codes and proper names are left out.
_STEP = ("title", "detail", "documents", "confirm_with", "deadline.title",
         "deadline.if_passed", "contacts.name")
_QUESTION = ("question", "error", "hint", "help.summary", "help.text", "link.text",
             "prefer_not_label", "options.label")
TRANSLATABLE: dict[str, tuple[str, ...]] = {
    "plan/*.yaml": ("rules.why", "rules.warnings", *(f"rules.steps.{p}" for p in _STEP)),
    "program_reasons.yaml": ("reasons.*",),
    "texts.yaml": ("confirm.lead", "confirm.ask", "confirm.default_who", "confirm.source",
                   "state_fields.*", "pump_fields.*", "field_fallback"),
    "questions.yaml": ("topics.title", "pages.title", "pages.intro",
                       *(f"pages.questions.{p}" for p in _QUESTION)),
    "letters.yaml": ("letters.title",),
    "programs/*.yaml": ("programs.how_to_apply.text",),
    "resources.yaml": ("resources.what",),
    "coverages.yaml": ("coverages.*.label",),
    "parameters/*.yaml": ("parameters.*.label",),
    "sources/*.yaml": ("sources.*.claim",),
    # The pump catalogue's descriptions, shown on the /pumps pages (names and numbers stay).
    "pumps.yaml": tuple(f"pumps.{f}" for f in ("water", "controls", "algorithm", "aid_targets",
                                               "activity_modes", "alarms")),
    # State values that the rules print inside their sentences.
    "states/*.yaml": ("fair_hearing.counted_from", "external_review.which_agency", "chip.external_review_body",
                      "external_review.counted_from", "insulin_copay_cap.amount",
                      "insulin_copay_cap.effective", "insulin_copay_cap.devices",
                      "emergency_insulin_refill.amount", "emergency_insulin_refill.how_often", "emergency_insulin_refill.supplies"),
}
# Keys whose value is a list of texts (each item a message) rather than one text.
_ID_KEYS = ("id", "field", "value")


@dataclass
class Message:
    msgid: str
    locations: list[tuple[str, int]] = field(default_factory=list)   # (file, line)
    where: list[str] = field(default_factory=list)                   # "rule x: steps.y.title"

    @property
    def first(self) -> str:
        file, line = self.locations[0]
        return f"{file}:{line}" + (f" ({self.where[0]})" if self.where else "")


def placeholders(text: str) -> list[str]:
    """The placeholders of a text by name, sorted: {state.name}, {who}, ... A placeholder's
    default ({answers.denial_date|the date on the notice}) is words, so it is translated."""
    return sorted("{" + match.group(1).strip() + "}" for match in PLACEHOLDER.finditer(text))


# --- extraction -----------------------------------------------------------------------------

def _patterns_for(relative: str) -> tuple[tuple[str, ...], ...]:
    for pattern, paths in TRANSLATABLE.items():
        if fnmatch.fnmatch(relative, pattern) and relative.count("/") == pattern.count("/"):
            return tuple(tuple(p.split(".")) for p in paths)
    return ()


def _walk(node: yaml.Node, path: tuple[str, ...], item: str | None
          ) -> Iterator[tuple[tuple[str, ...], str | None, yaml.ScalarNode]]:
    """Every scalar under `node` with its key path (list indexes dropped) and the id of the
    list item it sits in."""
    if isinstance(node, yaml.ScalarNode):
        yield path, item, node
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            child_item = item
            if isinstance(child, yaml.MappingNode):
                for key, value in child.value:
                    if key.value in _ID_KEYS and isinstance(value, yaml.ScalarNode):
                        child_item = f"{path[-1].removesuffix('s') if path else 'item'} {value.value}"
                        break
            yield from _walk(child, path, child_item)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _walk(value, (*path, str(key.value)), item)


def _matches(path: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    return len(path) == len(wanted) and all(w in ("*", p) for p, w in zip(path, wanted, strict=True))


def extract_file(path: Path, relative: str) -> Iterator[tuple[str, int, str]]:
    """(text, line, where) for each translatable text of one rule file."""
    patterns = _patterns_for(relative)
    if not patterns:
        return
    try:
        with path.open(encoding="utf-8") as handle:
            root = yaml.compose(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return      # the rules loader names the broken file
    if root is None:
        return
    for key_path, item, node in _walk(root, (), None):
        if node.tag != "tag:yaml.org,2002:str" or not node.value.strip():
            continue
        if any(_matches(key_path, wanted) for wanted in patterns):
            where = ".".join(key_path) if item is None else f"{item}: {'.'.join(key_path[1:])}"
            yield node.value, node.start_mark.line + 1, where


def extract_python(path: Path) -> Iterator[tuple[str, int]]:
    """The N_("...") texts of one engine module."""
    from babel.messages.extract import extract_python as babel_python

    with path.open("rb") as handle:
        for line, _func, message, _comments in babel_python(handle, {"N_": None}, [], {}):
            if isinstance(message, str):
                yield message, line


def extract_rules(rules_root: str | Path) -> dict[str, Message]:
    """msgid -> Message for every translatable text of the rule files (tests left out) and of
    the engine's own Python sentences, in file order."""
    root = Path(rules_root)
    messages: dict[str, Message] = {}

    def add(text: str, file: str, line: int, where: str | None = None) -> None:
        message = messages.setdefault(text, Message(text))
        message.locations.append((file, line))
        if where:
            message.where.append(where)

    for path in sorted(root.rglob("*.yaml")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith("tests/"):
            continue
        for text, line, where in extract_file(path, relative):
            add(text, f"rules/{relative}", line, where)
    engine = Path(__file__).resolve().parent
    for name in ENGINE_FILES:
        for text, line in extract_python(engine / name):
            add(text, f"navigator/engine/{name}", line)
    return messages


def extract_rules_yaml(fileobj, keywords, comment_tags, options) -> Iterator:
    """A Babel extraction method for one rules/ YAML file (`pybabel extract` with a mapping
    `[navigator.engine.rules_i18n:extract_rules_yaml: rules/**.yaml]`)."""
    name = Path(getattr(fileobj, "name", ""))
    parts = name.parts
    relative = "/".join(parts[parts.index("rules") + 1:]) if "rules" in parts else name.name
    for text, line, where in extract_file(name, relative):
        yield line, None, text, [where]


# --- catalogues ------------------------------------------------------------------------------

def catalogue_path(lang: str, translations_dir: str | Path | None = None,
                   suffix: str = "po") -> Path:
    base = Path(translations_dir) if translations_dir else TRANSLATIONS_DIR
    return base / lang / "LC_MESSAGES" / f"{DOMAIN}.{suffix}"


def template(messages: dict[str, Message]):
    from babel.messages.catalog import Catalog

    catalog = Catalog(project="Pump Access Navigator", domain=DOMAIN, charset="utf-8",
                      fuzzy=False)
    for message in messages.values():
        comments = list(dict.fromkeys(message.where))[:5]
        flags = ("python-brace-format",) if placeholders(message.msgid) else ()
        catalog.add(message.msgid, locations=message.locations, auto_comments=comments,
                    flags=flags)
    return catalog


def write_template(messages: dict[str, Message], path: str | Path) -> None:
    from babel.messages.pofile import write_po

    with open(path, "wb") as handle:
        write_po(handle, template(messages), width=100, sort_output=False, omit_header=False,
                 include_lineno=False)


def read_catalogue(path: str | Path, lang: str):
    from babel.messages.pofile import read_po

    with open(path, "rb") as handle:
        return read_po(handle, locale=lang, domain=DOMAIN)


def update_catalogue(messages: dict[str, Message], lang: str,
                     translations_dir: str | Path | None = None) -> Path:
    """Merge the extracted texts into the language's rules.po: new texts come in empty,
    texts no longer in the rules are dropped, and a changed English text gets its old
    translation marked fuzzy (not used until reviewed)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    path = catalogue_path(lang, translations_dir)
    if path.exists():
        catalog = read_catalogue(path, lang)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale=lang, domain=DOMAIN, project="Pump Access Navigator")
    before = _entries(catalog)
    catalog.update(template(messages), no_fuzzy_matching=False, update_header_comment=False)
    if path.exists() and _entries(catalog) == before:
        return path         # nothing changed: the file (and its dates) stay as they are
    with open(path, "wb") as handle:
        # Files without line numbers: an edit above a text does not touch the catalogue.
        write_po(handle, catalog, width=100, sort_output=False, ignore_obsolete=True,
                 include_lineno=False)
    return path


def _entries(catalog) -> list[tuple]:
    return [(m.id, m.string, sorted(m.flags), sorted({f for f, _line in m.locations}),
             list(m.auto_comments)) for m in catalog if m.id]


def compile_catalogue(lang: str, translations_dir: str | Path | None = None) -> Path:
    from babel.messages.mofile import write_mo

    source = catalogue_path(lang, translations_dir)
    target = catalogue_path(lang, translations_dir, "mo")
    catalog = read_catalogue(source, lang)
    with open(target, "wb") as handle:
        write_mo(handle, catalog, use_fuzzy=False)
    return target


@dataclass(frozen=True)
class CatalogueProblem:
    msgid: str
    where: str
    message: str
    kind: str = "missing"      # missing | fuzzy | placeholders | catalogue

    def __str__(self) -> str:
        short = self.msgid if len(self.msgid) <= 80 else self.msgid[:77] + "..."
        return f"{self.where}: {self.message}: {short!r}"


def check_catalogue(messages: dict[str, Message], lang: str,
                    translations_dir: str | Path | None = None) -> list[CatalogueProblem]:
    """Every text of the rules must have a reviewed (not fuzzy) translation in `lang` with
    exactly the same placeholders."""
    path = catalogue_path(lang, translations_dir)
    if not path.exists():
        return [CatalogueProblem("", str(path), "the catalogue is missing (run "
                                 "`navigator rules extract`)", "catalogue")]
    catalog = read_catalogue(path, lang)
    problems = []
    for msgid, message in messages.items():
        entry = catalog.get(msgid)
        if entry is None or not entry.string:
            problems.append(CatalogueProblem(msgid, message.first, f"no {lang} translation"))
        elif entry.fuzzy:
            problems.append(CatalogueProblem(
                msgid, message.first, f"the {lang} translation is marked fuzzy (the English "
                "changed; review it and remove the fuzzy flag)", "fuzzy"))
        elif placeholders(entry.string) != placeholders(msgid):
            problems.append(CatalogueProblem(
                msgid, message.first,
                f"the {lang} translation's placeholders {placeholders(entry.string)} differ "
                f"from the English {placeholders(msgid)}", "placeholders"))
    return problems


# --- loading a language for the engine -----------------------------------------------------

class RulesTranslation:
    """One language of the rules domain. `gettext` gives the translation of an English text or
    the text itself; `text` does the same for a parsed Text (placeholders kept, so values are
    filled in after translation)."""

    def __init__(self, lang: str, messages: dict[str, str]):
        self.lang = lang
        self.messages = messages
        self._texts: dict[str, Text] = {}

    def gettext(self, text: str) -> str:
        return self.messages.get(text) or text

    def text(self, text: Text) -> Text:
        english = text.source
        translated = self.messages.get(english)
        if not translated:
            return text
        parsed = self._texts.get(english)
        if parsed is None:
            parsed = self._texts[english] = parse_text(translated)
        return parsed

    def __contains__(self, text: str) -> bool:
        return bool(self.messages.get(text))


class _English(RulesTranslation):
    def __init__(self):
        super().__init__(DEFAULT_LANGUAGE, {})


ENGLISH = _English()
_loaded: dict[tuple[str, str], tuple[tuple, RulesTranslation]] = {}
_lock = threading.Lock()


def normalise_language(value: str | None) -> str | None:
    """'es', 'es-US', 'es_MX' -> 'es'; None for a language the rules are not written in."""
    if not value:
        return None
    code = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return code if code in LANGUAGES else None


def translations(lang: str | None, translations_dir: str | Path | None = None
                 ) -> RulesTranslation:
    """The rules' texts in `lang` ('en' or unknown: the English itself). Reloaded when the
    catalogue file changes."""
    code = normalise_language(lang) or DEFAULT_LANGUAGE
    if code == DEFAULT_LANGUAGE:
        return ENGLISH
    po = catalogue_path(code, translations_dir)
    mo = catalogue_path(code, translations_dir, "mo")
    stamp = tuple(p.stat().st_mtime_ns if p.exists() else None for p in (po, mo))
    key = (str(po), code)
    with _lock:
        cached = _loaded.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    messages = _read_messages(po, mo, code)
    loaded = RulesTranslation(code, messages)
    with _lock:
        _loaded[key] = (stamp, loaded)
    return loaded


def _read_messages(po: Path, mo: Path, lang: str) -> dict[str, str]:
    if mo.exists() and (not po.exists() or mo.stat().st_mtime_ns >= po.stat().st_mtime_ns):
        from babel.support import Translations

        with mo.open("rb") as handle:
            compiled = Translations(handle, domain=DOMAIN)
        return {k: v for k, v in compiled._catalog.items() if isinstance(k, str) and k}
    if not po.exists():
        return {}
    catalog = read_catalogue(po, lang)
    return {m.id: m.string for m in catalog
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def format_date(value, lang: str | None) -> str:
    """A date as the language writes it: December 1, 2026 / 1 de diciembre de 2026."""
    from navigator.textformat import us_date

    code = normalise_language(lang) or DEFAULT_LANGUAGE
    if code == DEFAULT_LANGUAGE or value is None or value == "":
        return us_date(value)
    return _long_date(value, code)


@functools.lru_cache(maxsize=4096)
def _long_date(value, code: str) -> str:
    from babel.dates import format_date as babel_date

    return babel_date(value, format="long", locale=f"{code}_US")


def english_texts(rules_root: str | Path) -> Iterable[str]:
    """Every English text of the rules (the msgids), for tests that look for English left."""
    return extract_rules(rules_root).keys()


def N_(text: str) -> str:
    """Marks an engine sentence for extraction; translated where it is used."""
    return text


__all__ = [
    "DOMAIN",
    "ENGLISH",
    "LANGUAGES",
    "N_",
    "Message",
    "RulesTranslation",
    "check_catalogue",
    "extract_rules",
    "normalise_language",
    "placeholders",
    "translations",
    "update_catalogue",
    "write_template",
]

