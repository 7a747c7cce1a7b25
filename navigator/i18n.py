"""Languages: the catalogues under navigator/translations, and dates, money and numbers written
the way each language writes them. No Flask: services (calendar, letters, the plan PDF's title)
use it directly; the web layer picks the request's language (navigator.extensions).

A translator edits navigator/translations/<lang>/LC_MESSAGES/<domain>.po; the compiled .mo beside
it is built (`make translations`, `make run`, `make test`, the image build, or
`python -m navigator.i18n`) and never committed. A language is offered only when its `messages`
catalogue is compiled: a page is never labelled Spanish while its words are English.
"""
from __future__ import annotations

import os
import sys
from datetime import date
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date, get_month_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DEFAULT_LANGUAGE = "en"
# Code -> the language's own name (the switch link shows it in that language).
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
# Formats are those of the language as written in the United States ($1,500; 12,345.6).
FORMAT_LOCALES: dict[str, str] = {"en": "en_US", "es": "es_US"}


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; it is translated where it is shown."""
    return message


class Phrase(str):
    """A message filled in, in English, that remembers its msgid and values: plain services and
    the engine (no Flask, no language) return these, the API shows them as they are, and the
    web layer says them in the page's language (`say`)."""

    template: str
    values: dict

    def __new__(cls, template: str, **values):
        phrase = super().__new__(cls, template % values if values else template)
        phrase.template = template
        phrase.values = values
        return phrase


def say(lang: str, message: str) -> str:
    """`message` in `lang`: a Phrase through its msgid and values, any other text through the
    catalogue (a marked constant), else as it is."""
    template = getattr(message, "template", message)
    values = dict(getattr(message, "values", {}))
    if "month" in values and "month_name" in values and lang != DEFAULT_LANGUAGE:
        values["month_name"] = get_month_names("wide", locale=FORMAT_LOCALES.get(lang, lang))[
            values["month"]]
    text = translations(lang).gettext(template)
    return text % values if values else text


def compile_catalogues(directory: Path = TRANSLATIONS_DIR, force: bool = False) -> list[Path]:
    """Compile every .po under `directory` whose .mo is missing or older; returns those built.
    Fuzzy entries are left out (shown in English), as `pybabel compile` does."""
    built = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if (not force and mo_path.exists()
                and mo_path.stat().st_mtime >= po_path.stat().st_mtime):
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        tmp = mo_path.with_suffix(f".mo.{os.getpid()}.tmp")   # test workers may build at once
        with tmp.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        tmp.replace(mo_path)
        built.append(mo_path)
    if built:
        translations.cache_clear()
        available_languages.cache_clear()
    return built


@lru_cache(maxsize=1)
def available_languages() -> tuple[str, ...]:
    """English, and each language whose `messages` catalogue is compiled."""
    return tuple(code for code in LANGUAGES if code == DEFAULT_LANGUAGE
                 or (TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.mo").exists())


def supported(lang: str | None) -> str:
    """`lang` when it is offered, else English (unknown codes never fail)."""
    lang = (lang or "").strip().lower().replace("_", "-").split("-")[0]
    return lang if lang in available_languages() else DEFAULT_LANGUAGE


@lru_cache(maxsize=8)
def translations(lang: str, domain: str = "messages") -> NullTranslations:
    """The catalogue of `lang` (English: none, the msgids are English)."""
    if lang == DEFAULT_LANGUAGE or lang not in available_languages():
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [lang], domain=domain)


def gettext(lang: str, message: str, **variables) -> str:
    text = translations(lang).gettext(message)
    return text % variables if variables else text


def format_day(value: date | str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """November 23, 2026 in English; 23 de noviembre de 2026 in Spanish."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if lang == DEFAULT_LANGUAGE:
        return f"{value:%B} {value.day}, {value.year}"
    return format_date(value, "long", locale=FORMAT_LOCALES.get(lang, lang))


def format_money(amount: float | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """$1,500 (whole dollars without cents) or $1,234.50, in the language's US form."""
    if amount is None:
        return ""
    whole = float(amount).is_integer()
    return format_currency(amount, "USD", format="¤#,##0" if whole else "¤#,##0.00",
                           currency_digits=False, locale=FORMAT_LOCALES.get(lang, lang))


def format_number(value: float, lang: str = DEFAULT_LANGUAGE) -> str:
    return format_decimal(value, locale=FORMAT_LOCALES.get(lang, lang))


def css_page_counter(lang: str = DEFAULT_LANGUAGE) -> str:
    """The CSS `content` of a PDF's page footer in `lang`: "Page " counter(page) " of "
    counter(pages), from the catalogue's words (quotes and backslashes escaped)."""
    text = translations(lang).gettext(N_("Page %(page)s of %(pages)s"))

    def quoted(part: str) -> str:
        return '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"'

    before, rest = text.split("%(page)s", 1)
    middle, after = rest.split("%(pages)s", 1)
    return " ".join(part for part in (quoted(before), "counter(page)", quoted(middle),
                                      "counter(pages)", quoted(after)) if part != '""')


def main(argv: list[str]) -> int:
    if argv[:1] != ["compile"]:
        print("usage: python -m navigator.i18n compile [--force]", file=sys.stderr)
        return 2
    for path in compile_catalogues(force="--force" in argv):
        print(f"compiled {path.relative_to(TRANSLATIONS_DIR.parent.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
