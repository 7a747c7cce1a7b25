"""What a reader sees of a page, and which English words of the catalogue are left in it.

The visible text is the page's text nodes plus the attributes read aloud or shown (alt,
aria-label, placeholder, title, a button's value), minus scripts and styles and minus any part
marked as another language (`lang="en"`: a letter to an insurer, an official document's title),
which WCAG 3.1.2 allows and the marking makes honest.
"""
from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser

from babel.messages.pofile import read_po

from navigator import i18n

SPOKEN_ATTRIBUTES = ("alt", "aria-label", "placeholder", "title")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


class _Visible(HTMLParser):
    def __init__(self, page_lang: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []      # (tag, language) of open elements
        self.page_lang = page_lang
        self.parts: list[str] = []
        self.html_lang: str | None = None

    def _lang(self) -> str:
        return self.stack[-1][1] if self.stack else self.page_lang

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        lang = (attrs.get("lang") or self._lang()).split("-")[0]
        if lang == self.page_lang and tag not in ("script", "style"):
            for name in SPOKEN_ATTRIBUTES:
                if attrs.get(name):
                    self.parts.append(attrs[name])
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.parts.append(attrs["value"])
        if tag not in VOID:
            self.stack.append((tag, "skip" if tag in ("script", "style") else lang))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if self._lang() == self.page_lang and data.strip():
            self.parts.append(data)


def visible_text(html: str, page_lang: str = "es") -> tuple[str | None, str]:
    """(the <html lang> value, the text shown in `page_lang`, whitespace collapsed)."""
    parser = _Visible(page_lang)
    parser.feed(html)
    parser.close()
    return parser.html_lang, " ".join(" ".join(parser.parts).split())


@lru_cache(maxsize=1)
def english_fragments() -> tuple[str, ...]:
    """The English sentences and phrases of the messages catalogue whose Spanish differs: each
    msgid's text between placeholders, when it is at least two words long. Found on a Spanish
    page, one of them is an English sentence left behind."""
    path = i18n.TRANSLATIONS_DIR / "es" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po_file:
        catalogue = read_po(po_file, locale="es")
    fragments = set()
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if set(ids) & set(strings):
            continue        # the same in both languages (a name, "NPI")
        for text in ids:
            for piece in PLACEHOLDER.split(text):
                piece = " ".join(piece.split()).strip(" ,.:;()“”")
                if len(piece.split()) >= 2:
                    fragments.add(piece)
    return tuple(sorted(fragments, key=len, reverse=True))


def english_left(text: str) -> list[str]:
    """Catalogue English found in `text` (whole words only)."""
    return [fragment for fragment in english_fragments()
            if re.search(r"(?<!\w)" + re.escape(fragment) + r"(?!\w)", text)]


# Words common in any English sentence and never Spanish words: three or more of them in one
# sentence means an English sentence, wherever it came from (a rule text, a label in Python).
_ENGLISH = {"the", "your", "you", "and", "with", "this", "that", "for", "are", "is", "of",
            "to", "or", "not", "it", "be", "if", "have", "has", "from", "will", "can",
            "what", "which", "when", "who", "we", "our", "they", "their", "an", "at", "by",
            "on", "in", "do", "does", "after", "before", "than", "only", "each", "every"}
# Spanish words spelled like English function words: a sentence counted on them is Spanish.
_SHARED = {"no", "a", "de", "en", "un", "con", "son", "is"}


def english_sentences(text: str) -> list[str]:
    """Sentences of `text` with three or more English function words (names such as
    "Medicare Part B" or "t:slim X2" have none)."""
    found = []
    for sentence in re.split(r"(?<=[.!?:;])\s+|\s+[–—]\s+", text):
        words = re.findall(r"[a-z']+", sentence.lower())
        if sum(1 for word in words if word in _ENGLISH and word not in _SHARED) >= 3:
            found.append(sentence)
    return found
