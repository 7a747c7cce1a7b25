"""Checks for typed text that looks fine but is not (review L21). No Flask.

- Bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069)
  reverse or reorder the text after them: a name typed with U+202E shows backwards on screen
  and in printed letters. Right-to-left scripts do not need them (the marks U+200E/U+200F stay
  allowed).
- Text made only of invisible characters (zero-width spaces, joiners, format characters and
  spaces) looks empty but is not: an empty-looking client row nobody can find.
"""
from __future__ import annotations

import unicodedata

from navigator.i18n import N_

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
BIDI_PROBLEM = N_("must not contain right-to-left or left-to-right override characters")
INVISIBLE_PROBLEM = N_("must contain letters or digits you can see, not only invisible "
                       "characters")


def has_bidi_controls(text: str) -> bool:
    return any(c in BIDI_CONTROLS for c in text)


def is_invisible(text: str) -> bool:
    """Non-empty text with nothing visible in it."""
    return bool(text) and all(
        c.isspace() or unicodedata.category(c) in ("Cf", "Cc", "Zs", "Zl", "Zp", "Mn")
        for c in text)


def text_problem(text: str) -> str | None:
    """What is wrong with `text` for a name, an address or a note, or None."""
    if has_bidi_controls(text):
        return BIDI_PROBLEM
    if is_invisible(text):
        return INVISIBLE_PROBLEM
    return None
