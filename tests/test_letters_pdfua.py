"""PDF/UA-1 structure of every letter PDF, checked with pikepdf: a stand-in for veraPDF.

The issue asks for veraPDF, the maintained PDF/UA validator. It cannot be installed on this
machine kind (not on PyPI, Debian or npm; its download site and Maven Central are not
reachable), so `pdfua_problems` checks the parts of PDF/UA-1 (ISO 14289-1) that these letters
could get wrong. It is narrower than veraPDF: passing it does not make a PDF valid PDF/UA.
"""
from __future__ import annotations

import io

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from navigator.services import letters as L
from tests.test_letters import DETAILS, plan_for

# Plans that, together, call for every letter the rules know.
SITUATIONS = (
    {"coverage": "employer", "denial": "appeal", "health_at_risk": True},
    {"coverage": "employer", "pump_wanted": "omnipod_5", "denial": "claim"},
    {"coverage": "medicare_original", "age": 70, "denial": "appeal"},
    {"coverage": "medicare_original", "age": 70, "pump_wanted": "omnipod_5", "denial": "claim"},
    {"coverage": "medicare_advantage", "age": 70, "denial": "prior_authorization"},
    {"coverage": "medicaid", "age": 12, "denial": "claim"},
)
TABLE_PARTS = {"/TR", "/THead", "/TBody", "/TFoot", "/Caption"}
ROW_GROUPS = {"/THead", "/TBody", "/TFoot"}
CELLS = {"/TH", "/TD"}


def kids_of(element) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, Array) else [kids]


def elements(pdf: pikepdf.Pdf):
    """(element, parent) for every structure element."""
    stack = [(kid, pdf.Root.StructTreeRoot) for kid in kids_of(pdf.Root.StructTreeRoot)]
    while stack:
        element, parent = stack.pop()
        if isinstance(element, Dictionary) and "/S" in element:
            yield element, parent
            stack.extend((kid, element) for kid in kids_of(element))


def fonts(resources, seen=None):
    """Every font dictionary reachable from `resources` (form XObjects included)."""
    seen = set() if seen is None else seen
    if not isinstance(resources, Dictionary) or resources.objgen in seen and resources.is_indirect:
        return
    if resources.is_indirect:
        seen.add(resources.objgen)
    for font in resources.get("/Font", Dictionary()).values():
        yield font
        yield from font.get("/DescendantFonts", Array())
    for xobject in resources.get("/XObject", Dictionary()).values():
        if xobject.get("/Subtype") == Name.Form:
            yield from fonts(xobject.get("/Resources"), seen)


def untagged_text_operators(page: pikepdf.Page) -> int:
    """Text shown outside any marked-content sequence (neither tagged nor an artifact)."""
    depth = untagged = 0
    for _operands, operator in pikepdf.parse_content_stream(page):
        name = str(operator)
        if name in ("BDC", "BMC"):
            depth += 1
        elif name == "EMC":
            depth -= 1
        elif name in ("Tj", "TJ", "'", '"') and depth == 0:
            untagged += 1
    return untagged


def pdfua_problems(data: bytes) -> list[str]:
    """What this PDF lacks of PDF/UA-1's document, font, content, link and table rules."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/StructTreeRoot" not in pdf.Root:
            return ["no structure tree (StructTreeRoot)"]
        return [*_document_problems(pdf), *_page_problems(pdf), *_structure_problems(pdf)]


def _document_problems(pdf: pikepdf.Pdf) -> list[str]:
    problems, root = [], pdf.Root
    if root.get("/MarkInfo", Dictionary()).get("/Marked") is not True:
        problems.append("MarkInfo /Marked is not true")
    if not str(root.get("/Lang", "")):
        problems.append("no document language (/Lang)")
    if root.get("/ViewerPreferences", Dictionary()).get("/DisplayDocTitle") is not True:
        problems.append("ViewerPreferences /DisplayDocTitle is not true")
    title = str(pdf.docinfo.get("/Title", ""))
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        if meta.get("pdfuaid:part") != "1":
            problems.append("XMP metadata lacks pdfuaid:part 1")
        if not title or meta.get("dc:title") != title:
            problems.append(f"XMP dc:title {meta.get('dc:title')!r} is not the title {title!r}")
    return problems


def _page_problems(pdf: pikepdf.Pdf) -> list[str]:
    problems = []
    for number, page in enumerate(pdf.pages, 1):
        for font in fonts(page.obj.get("/Resources")):
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None and not any(
                    key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                problems.append(f"page {number}: font {font.get('/BaseFont')} not embedded")
        if untagged_text_operators(page):
            problems.append(f"page {number}: text neither tagged nor marked as an artifact")
        annotations = page.obj.get("/Annots", Array())
        if len(annotations) and page.obj.get("/Tabs") != Name.S:
            problems.append(f"page {number}: annotations without /Tabs /S")
        for annotation in annotations:
            if annotation.get("/Subtype") == Name.Link and (
                    "/StructParent" not in annotation or not str(annotation.get("/Contents", ""))):
                problems.append(f"page {number}: a link without a structure parent or /Contents")
    return problems


def _structure_problems(pdf: pikepdf.Pdf) -> list[str]:
    problems = []
    for element, parent in elements(pdf):
        kind, parent_kind = str(element.S), str(parent.get("/S", ""))
        if kind == "/Figure" and not str(element.get("/Alt", "")):
            problems.append("a Figure without /Alt")
        if parent_kind == "/Table" and kind not in TABLE_PARTS:
            problems.append(f"a {kind} directly inside a Table")
        if parent_kind in ROW_GROUPS and kind != "/TR":
            problems.append(f"a {kind} inside a {parent_kind}")
        if parent_kind == "/TR" and kind not in CELLS:
            problems.append(f"a {kind} inside a TR")
        if kind == "/Table" and not any(str(cell.S) == "/TH" for cell, _ in _descendants(element)):
            problems.append("a Table without a header cell (TH)")
    return problems


def _descendants(element):
    stack = [(kid, element) for kid in kids_of(element)]
    while stack:
        kid, parent = stack.pop()
        if isinstance(kid, Dictionary) and "/S" in kid:
            yield kid, parent
            stack.extend((grandkid, kid) for grandkid in kids_of(kid))


@pytest.fixture(scope="module")
def every_letter(book):
    """(letter id, answers, plan) for every letter the rules know, once each."""
    seen: dict[str, tuple] = {}
    for overrides in SITUATIONS:
        answers, plan = plan_for(book, **overrides)
        for letter in plan.letters:
            seen.setdefault(letter.id, (answers, plan))
    assert sorted(seen) == sorted(book.letters), "a letter no situation here calls for"
    return seen


def test_every_letter_pdf_passes_the_pdfua_structure_checks_standing_in_for_verapdf(
        book, every_letter):
    for letter_id, (answers, plan) in every_letter.items():
        pdf = L.letter_pdf(letter_id, answers, DETAILS, plan, book)
        assert pdfua_problems(pdf) == [], letter_id
    answers, plan = every_letter["assistance_cover_letter"]   # in the family's language
    spanish = L.letter_pdf("assistance_cover_letter", answers, DETAILS, plan, book, lang="es")
    assert pdfua_problems(spanish) == []
    with pikepdf.open(io.BytesIO(spanish)) as pdf:
        assert str(pdf.Root.Lang) == "es"


def test_the_pdfua_structure_checks_find_each_kind_of_defect(book, every_letter):
    answers, plan = every_letter["medicare_redetermination"]   # a reference and a codes table
    good = L.letter_pdf("medicare_redetermination", answers, DETAILS, plan, book)
    with pikepdf.open(io.BytesIO(good)) as pdf:
        del pdf.Root["/Lang"]
        pdf.Root.MarkInfo.Marked = False
        del pdf.Root.ViewerPreferences["/DisplayDocTitle"]
        pdf.Root.Metadata = pdf.make_stream(b'<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
        page = pdf.pages[-1].obj
        del page["/Tabs"]
        del page.Annots[0]["/Contents"]
        font = next(fonts(page.Resources))["/DescendantFonts"][0]
        del font.FontDescriptor["/FontFile2"]
        pdf.pages[0].contents_add(pdf.make_stream(b"BT /F0 1 Tf (x) Tj ET"))
        table = next(element for element, _ in elements(pdf) if element.S == Name.Table)
        table.K.append(pdf.make_indirect(Dictionary(S=Name.Figure, P=table)))
        for element, _ in elements(pdf):
            if element.S == Name.TH:
                element.S = Name.TD
        buffer = io.BytesIO()
        pdf.save(buffer)
    problems = pdfua_problems(buffer.getvalue())
    for expected in ("MarkInfo", "/Lang", "DisplayDocTitle", "pdfuaid:part", "dc:title", "not embedded",
                     "neither tagged", "/Tabs /S", "a link without", "a Figure without /Alt",
                     "a /Figure directly inside a Table", "without a header cell"):
        assert any(expected in problem for problem in problems), (expected, problems)
    assert pdfua_problems(pikepdf_untagged()) == ["no structure tree (StructTreeRoot)"]


def pikepdf_untagged() -> bytes:
    buffer = io.BytesIO()
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(buffer)
    return buffer.getvalue()
