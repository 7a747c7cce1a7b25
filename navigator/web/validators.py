"""Form validators shared by the web areas."""
from __future__ import annotations

import unicodedata

from flask_babel import gettext as _
from wtforms.validators import ValidationError

from navigator.services.text_checks import has_bidi_controls, is_invisible

LINE_CONTROLS = "\n\r\t"


def has_control_characters(text: str, multiline: bool = False) -> bool:
    allowed = LINE_CONTROLS if multiline else ""
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in text)


class NoControlCharacters:
    """Refuses NUL and other control characters: PostgreSQL cannot store NUL in text, and
    none belongs in a name, address or note. Line breaks and tabs only where `multiline`.
    Also refuses what text_checks finds: direction overrides that make text show reversed, and
    text made only of invisible characters (review L21)."""

    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, _form, field) -> None:
        if not isinstance(field.data, str):
            return
        if has_control_characters(field.data, self.multiline):
            raise ValidationError(_(
                "%(label)s must not contain control characters%(lines)s.",
                label=field.label.text, lines="" if self.multiline else _(" or line breaks")))
        if has_bidi_controls(field.data):
            raise ValidationError(_("%(label)s must not contain right-to-left or left-to-right "
                                    "override characters.", label=field.label.text))
        if is_invisible(field.data):
            raise ValidationError(_("%(label)s must contain letters or digits you can see, not "
                                    "only invisible characters.", label=field.label.text))


def without_control_characters(text: str) -> str:
    """Text from a query string made safe to search for (PostgreSQL refuses NUL)."""
    return "".join(c for c in text if unicodedata.category(c) != "Cc")
