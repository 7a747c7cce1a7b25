"""Spanish (issue 16), the web side: choosing the language, keeping it, `<html lang>` telling the
truth, the switch link, and the `messages` catalogue itself (complete, same placeholders)."""
from __future__ import annotations

import re
from datetime import date

import pytest
from babel.messages.pofile import read_po

from navigator import i18n

PO = i18n.TRANSLATIONS_DIR / "es" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


def _lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


# --- choosing and keeping the language ---------------------------------------------------------

def test_lang_parameter_chooses_spanish_and_a_cookie_keeps_it(client):
    response = client.get("/?lang=es")
    html = response.get_data(as_text=True)
    assert _lang(html) == "es"
    assert "Empezar ahora" in html and "Start now" not in html
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("lang="))
    assert cookie.startswith("lang=es;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    html = client.get("/pumps").get_data(as_text=True)        # no parameter: still Spanish
    assert _lang(html) == "es" and "Comparar bombas de insulina" in html
    html = client.get("/?lang=en").get_data(as_text=True)      # and back
    assert _lang(html) == "en" and "Start now" in html
    assert _lang(client.get("/").get_data(as_text=True)) == "en"


def test_browser_language_is_used_until_a_choice_is_made(client):
    html = client.get("/", headers={"Accept-Language": "es-US,es;q=0.9,en;q=0.5"}).get_data(
        as_text=True)
    assert _lang(html) == "es" and "Empezar ahora" in html
    client.get("/?lang=en")
    html = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert _lang(html) == "en", "the visitor's own choice wins over the browser's"


@pytest.mark.parametrize("asked", ["fr", "xx", "../es", "<script>", ""])
def test_a_language_not_on_offer_gives_english_and_sets_no_cookie(client, asked):
    response = client.get("/", query_string={"lang": asked})
    assert response.status_code == 200
    assert _lang(response.get_data(as_text=True)) == "en"
    assert not any(c.startswith("lang=") for c in response.headers.getlist("Set-Cookie"))


def test_without_a_compiled_catalogue_spanish_is_not_offered(client, monkeypatch):
    """`<html lang="es">` on English words is what issue 16 reports: never again."""
    monkeypatch.setattr(i18n, "available_languages", lambda: ("en",))
    html = client.get("/?lang=es", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert _lang(html) == "en" and "Start now" in html
    assert 'class="language-switch"' not in html


def test_every_page_has_a_switch_link_to_the_same_page_without_javascript(client):
    html = client.get("/pumps?diabetes=type1").get_data(as_text=True)
    switch = re.search(r'<p class="language-switch">(.*?)</p>', html).group(1)
    assert 'href="?diabetes=type1&amp;lang=es"' in switch
    assert 'lang="es"' in switch and ">Español<" in switch
    html = client.get("/pumps?diabetes=type1&lang=es").get_data(as_text=True)
    switch = re.search(r'<p class="language-switch">(.*?)</p>', html).group(1)
    assert 'href="?diabetes=type1&amp;lang=en"' in switch and ">English<" in switch
    assert "<script" not in html


def test_dates_and_money_are_written_the_spanish_way():
    assert i18n.format_day(date(2026, 11, 3), "es") == "3 de noviembre de 2026"
    assert i18n.format_day(date(2026, 11, 3), "en") == "November 3, 2026"
    assert i18n.format_money(1500, "es") == "$1,500"
    assert i18n.format_money(1234.5, "es") == "$1,234.50"
    assert i18n.format_money(1500, "en") == "$1,500"
    assert i18n.format_number(12345.5, "es") == "12,345.5"


# --- the catalogue -------------------------------------------------------------------------------

def _catalogue():
    with PO.open("rb") as po_file:
        return read_po(po_file, locale="es")


def test_every_message_has_a_spanish_translation_with_the_same_placeholders():
    problems = []
    for message in _catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if "fuzzy" in message.flags or not all(strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        wanted = sorted(PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            if sorted(PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"placeholders differ: {ids[0]!r} -> {text!r}")
    assert not problems, "\n".join(problems)


def test_the_catalogue_says_usted_not_tu():
    """One register throughout: usted. The informal forms of common verbs give tú away."""
    informal = re.compile(r"\b(tienes|puedes|quieres|debes|eres|estás|necesitas|sabes|tu|tus|ti|"
                          r"contigo)\b", re.IGNORECASE)
    found = [m.string for m in _catalogue() if m.id and isinstance(m.string, str)
             and informal.search(m.string)]
    assert not found, found


def test_the_catalogue_holds_every_message_of_the_code_and_templates():
    """A message added to a template or to Python without its Spanish shows English on a
    Spanish page: `make messages` brings it into messages.po, and a translator fills it in."""
    import warnings

    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    root = i18n.TRANSLATIONS_DIR.parent.parent
    with (root / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "N_": None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = {(message if isinstance(message, str) else message[0]): filename
                 for filename, _line, message, _comments, _context in
                 extract_from_dir(str(root), method_map, options_map, keywords=keywords)}
    catalogue = {m.id if isinstance(m.id, str) else m.id[0]: m for m in _catalogue() if m.id}
    missing = [f"{where}: {msgid!r}" for msgid, where in found.items()
               if msgid not in catalogue or not catalogue[msgid].string]
    assert not missing, "run `make messages` and translate:\n" + "\n".join(missing)
    assert len(found) > 700        # the extraction itself found the app's words


def test_each_english_letter_has_a_summary_and_each_family_letter_is_translated(book):
    """A letter to an insurer or a doctor stays English and its preview tells the family what
    it says; a letter in the family's language has its template's words in the catalogue."""
    from navigator.services.letters import FAMILY_LANGUAGE_LETTERS
    from navigator.web.letters import LETTER_SUMMARIES

    english = set(book.letters) - FAMILY_LANGUAGE_LETTERS
    assert english - set(LETTER_SUMMARIES) == set(), "letters without a summary"
    assert set(LETTER_SUMMARIES) <= english
    cfg = (i18n.TRANSLATIONS_DIR.parent.parent / "babel.cfg").read_text()
    for letter_id in FAMILY_LANGUAGE_LETTERS:
        assert f"[jinja2: templates/letters/{letter_id}.html]" in cfg, letter_id
