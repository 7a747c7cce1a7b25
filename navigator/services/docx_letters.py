"""Letters as editable Word documents, from the same HTML the PDF is made from. No Flask.

A prescriber's office edits and signs on its own letterhead, so each letter the plan calls for
is also a .docx: the letter's <article> (already escaped, blanks marked) is walked once and
written with python-docx as real Word structure: headings, paragraphs, bulleted and numbered
lists, and the reference table as a Word table. Blanks to fill in stay highlighted.
"""
from __future__ import annotations

import io
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any

from docx import Document
from docx.enum.text import WD_COLOR_INDEX
from docx.shared import Inches, Pt

from navigator.engine import Plan, RuleBook
from navigator.services.letters import AUTHOR, document_title, letter_language, render_letter

_SPACE = re.compile(r"\s+")
_BLOCKS = {"p", "address", "h1", "h2", "h3", "li"}
_SKIPPED_CLASSES = {"visually-hidden"}


def letter_docx(letter_id: str, answers: dict, details: dict, plan: Plan, book: RuleBook,
                calls: Iterable = (), lang: str = "en") -> bytes:
    """The letter as render_letter makes it (with the call log entries it quotes), as .docx;
    `plan` in the letter's language (letter_language)."""
    lang = letter_language(letter_id, lang)
    article = render_letter(letter_id, answers, details, plan, book, calls, lang)
    document = Document()
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(11)
    properties = document.core_properties
    properties.title = document_title([letter_id], details, book, plan)
    properties.author = AUTHOR
    properties.language = f"{lang}-US"
    _ArticleWriter(document).feed(str(article))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_filename(letter_id: str, on) -> str:
    return f"letter-{letter_id.replace('_', '-')}-{on.isoformat()}.docx"


class _ArticleWriter(HTMLParser):
    """Writes the letter's HTML into a python-docx Document as it is parsed."""

    def __init__(self, document) -> None:
        super().__init__(convert_charrefs=True)
        self.document = document
        self.paragraph = None           # the paragraph being filled, or None between blocks
        self.lists: list[str] = []      # "ul" / "ol" for each open list
        self.inline: list[str] = []     # open inline tags: strong, em, mark
        self.skip_depth = 0             # inside visually hidden text (for screen readers only)
        self.table: Any = None       # the python-docx table being filled, or None
        self.row: Any = None
        self.cell_is_header = False
        self.pending_space = False
        self.quote_depth = 0            # inside a <blockquote>: its paragraphs are quotes

    # --- structure -------------------------------------------------------------------------
    def handle_starttag(self, tag, attrs):
        classes = set((dict(attrs).get("class") or "").split())
        if self.skip_depth or classes & _SKIPPED_CLASSES:
            self.skip_depth += 1
            return
        if tag in ("ul", "ol"):
            self.lists.append(tag)
        elif tag == "table":
            self.table = self.document.add_table(rows=0, cols=1)
            self.table.style = "Table Grid"
        elif tag == "tr" and self.table is not None:
            self.row = self.table.add_row()
            self.cell_index = 0
        elif tag in ("th", "td") and self.row is not None:
            if self.cell_index >= len(self.table.columns):     # a row wider than the table
                self.table.add_column(Inches(1.5))
            cell = self.row.cells[self.cell_index]
            self.cell_index += 1
            self.paragraph = cell.paragraphs[0]
            self.cell_is_header = tag == "th"
            self.pending_space = False
        elif tag == "caption":
            self.skip_depth += 1          # the table's caption is for screen readers
        elif tag == "blockquote":
            self.quote_depth += 1
            self.paragraph = None
        elif tag in _BLOCKS:
            self._start_block(tag)
        elif tag == "br" and self.paragraph is not None:
            self.paragraph.add_run().add_break()
            self.pending_space = False
        elif tag in ("strong", "b", "em", "i", "mark"):
            self.inline.append("mark" if tag == "mark" else tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag != "br":
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self.skip_depth:
            self.skip_depth -= 1
            return
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        elif tag == "table" and self.table is not None:
            self._fit_table_to_page()
            self.table = self.row = None
        elif tag in ("th", "td"):
            self.paragraph = None
        elif tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
            self.paragraph = None
        elif tag in _BLOCKS:
            self.paragraph = None
        elif tag in ("strong", "b", "em", "i", "mark"):
            wanted = "mark" if tag == "mark" else tag
            if wanted in self.inline:
                self.inline.remove(wanted)

    def _start_block(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3"):
            self.paragraph = self.document.add_heading(level=int(tag[1]))
        elif tag == "li":
            kind = self.lists[-1] if self.lists else "ul"
            self.paragraph = self.document.add_paragraph(
                style="List Number" if kind == "ol" else "List Bullet")
        else:
            self.paragraph = self._new_paragraph()
        self.pending_space = False

    def _fit_table_to_page(self) -> None:
        """Labels (first column) take two fifths of the text width, the rest share the others."""
        section = self.document.sections[-1]
        width = section.page_width - section.left_margin - section.right_margin
        count = len(self.table.columns)
        widths = [width] if count == 1 else \
            [int(width * 0.4)] + [int(width * 0.6 / (count - 1))] * (count - 1)
        self.table.autofit = False
        for column, column_width in zip(self.table.columns, widths, strict=True):
            column.width = column_width          # the grid, which LibreOffice follows
        for row in self.table.rows:
            for cell, cell_width in zip(row.cells, widths, strict=True):
                cell.width = cell_width

    def _new_paragraph(self):
        return self.document.add_paragraph(style="Quote" if self.quote_depth else None)

    # --- text ------------------------------------------------------------------------------
    def handle_data(self, data):
        if self.skip_depth:
            return
        text = _SPACE.sub(" ", data)
        if not text.strip():
            self.pending_space = self.paragraph is not None and bool(text)
            return
        if self.paragraph is None:          # loose text between blocks: its own paragraph
            self.paragraph = self._new_paragraph()
        leading = text[0] == " " or self.pending_space
        text = text.strip()
        if leading and self.paragraph.text and not self.paragraph.text.endswith((" ", "\n")):
            text = " " + text
        self.pending_space = data[-1:].isspace()
        run = self.paragraph.add_run(text)
        run.bold = "strong" in self.inline or "b" in self.inline or self.cell_is_header and \
            self.table is not None
        run.italic = "em" in self.inline or "i" in self.inline
        if "mark" in self.inline:
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW
