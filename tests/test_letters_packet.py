"""Letter packets: one tagged PDF per letter, rendered side by side, merged into one tagged PDF."""
from __future__ import annotations

import io
import re

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, String
from pypdf import PdfReader

from navigator.services import letters as L
from navigator.services import pdf as pdf_service
from navigator.services.pdf import PdfRenderError, render_pdf, render_pdfs
from navigator.services.pdf_merge import merge_tagged_pdfs
from tests.test_letters import DETAILS, flat, pdf_text, plan_for
from tests.test_letters_pdfua import kids_of, pdfua_problems

SMALL = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>@page {{ size: letter; @bottom-right {{ content: "Page " counter(page) " of "
counter(pages) }} }}</style></head><body>
<h1 id="top">{title}</h1>
<p>See <a href="#more">the next part</a> and <a href="https://example.org/">a site</a>.</p>
<table><caption>Codes</caption><tr><th>Code</th><th>Meaning</th></tr>
<tr><td>E0784</td><td>{title} pump</td></tr></table>
<h2 id="more" style="break-before: page">More of {title}</h2><p>Second page.</p>
</body></html>"""


def small_pdf(title: str) -> bytes:
    return render_pdf(SMALL.format(title=title), title, "Tester")


# --- what a merged PDF must keep -------------------------------------------------------------

def struct_elements(pdf: pikepdf.Pdf):
    """(element, parent) for every structure element, depth first."""
    root = pdf.Root.StructTreeRoot
    stack = [(kid, root) for kid in reversed(kids_of(root))]
    while stack:
        element, parent = stack.pop()
        if isinstance(element, Dictionary) and "/S" in element:
            yield element, parent
            stack.extend((kid, element) for kid in reversed(kids_of(element)))


def pdf_tree(node, entries: str, key) -> dict:
    """Every (key, value) of a PDF number tree (entries "/Nums") or name tree ("/Names")."""
    items = {}
    pairs = node.get(entries, Array())
    for position in range(0, len(pairs), 2):
        items[key(pairs[position])] = pairs[position + 1]
    for kid in node.get("/Kids", Array()):
        items.update(pdf_tree(kid, entries, key))
    return items


def number_tree(node) -> dict[int, object]:
    return pdf_tree(node, "/Nums", int)


def name_tree(node) -> dict[bytes, object]:
    return pdf_tree(node, "/Names", bytes)


def page_mcids(page: pikepdf.Page) -> list[int]:
    """The marked-content ids of a page's content stream, in drawing order."""
    return [int(operands[1]["/MCID"])
            for operands, operator in pikepdf.parse_content_stream(page)
            if str(operator) in ("BDC", "BMC") and len(operands) > 1
            and isinstance(operands[1], Dictionary) and "/MCID" in operands[1]]


def outline_titles(pdf: pikepdf.Pdf) -> list[str]:
    with pdf.open_outline() as outline:
        return [item.title for item in outline.root]


def assert_tagged_merge(merged: bytes, parts: list[bytes]) -> pikepdf.Pdf:
    """Everything a reader of the merged PDF relies on, checked against the parts."""
    pdf = pikepdf.open(io.BytesIO(merged))
    sources = [pikepdf.open(io.BytesIO(part)) for part in parts]
    assert pdf.check_pdf_syntax() == []
    assert len(pdf.pages) == sum(len(source.pages) for source in sources)
    root = pdf.Root
    assert root.MarkInfo.Marked is True and root.ViewerPreferences.DisplayDocTitle is True
    assert str(root.Lang) == "en"
    tree = root.StructTreeRoot
    assert tree.Type == Name.StructTreeRoot
    assert len(kids_of(tree)) == sum(len(kids_of(s.Root.StructTreeRoot)) for s in sources)
    assert all(kid.P.objgen == tree.objgen for kid in kids_of(tree))

    # Every element's parent link is right, and its page is one of the merged PDF's pages.
    page_ids = {page.objgen for page in pdf.pages}
    annotations = {annot.objgen for page in pdf.pages for annot in page.obj.get("/Annots", [])}
    elements = list(struct_elements(pdf))
    assert len(elements) == sum(len(list(struct_elements(s))) for s in sources)
    for element, parent in elements:
        assert element.P.objgen == parent.objgen
        if "/Pg" in element:
            assert element.Pg.objgen in page_ids
        for kid in kids_of(element):
            if isinstance(kid, Dictionary) and kid.get("/Type") == Name.OBJR:
                assert kid.Obj.objgen in annotations and kid.Pg.objgen in page_ids

    # ParentTree: each page's MCIDs map to elements on that page, the same MCIDs and element
    # types as in its source; each annotation maps to the element holding it.
    parent_tree = number_tree(tree.ParentTree)
    source_pages = [(source, page) for source in sources for page in source.pages]
    used_keys = []
    for page, (source, source_page) in zip(pdf.pages, source_pages, strict=True):
        mcids = page_mcids(page)
        assert mcids == page_mcids(source_page)
        key = int(page.obj.StructParents)
        used_keys.append(key)
        mapped = parent_tree[key]
        source_mapped = number_tree(source.Root.StructTreeRoot.ParentTree)[
            int(source_page.obj.StructParents)]
        for mcid in mcids:
            element = mapped[mcid]
            assert element.Pg.objgen == page.objgen
            assert mcid in [int(k) for k in kids_of(element) if isinstance(k, int)]
            assert element.S == source_mapped[mcid].S
        for annotation in page.obj.get("/Annots", []):
            used_keys.append(int(annotation.StructParent))
            holder = parent_tree[int(annotation.StructParent)]
            assert any(isinstance(k, Dictionary) and k.get("/Obj") is not None
                       and k.Obj.objgen == annotation.objgen for k in kids_of(holder))
    assert len(used_keys) == len(set(used_keys)) == len(parent_tree)

    # Element ids are unique and listed in the IDTree; table cells name headers of their table.
    ids = {bytes(element.ID): element for element, _ in elements if "/ID" in element}
    assert len(ids) == len([element for element, _ in elements if "/ID" in element])
    if ids:
        id_tree = name_tree(tree.IDTree)
        assert sorted(id_tree) == sorted(ids)
        assert all(id_tree[key].objgen == ids[key].objgen for key in ids)
    for element, _ in elements:
        attributes = element.get("/A")
        if isinstance(attributes, Dictionary) and "/Headers" in attributes:
            assert attributes.Headers, "a cell without headers"
            for header in attributes.Headers:
                assert table_of(ids[bytes(header)]) == table_of(element)

    # Every named destination and every internal link's target lands on a merged page.
    dests = name_tree(root.Names.Dests) if "/Names" in root else {}
    assert len(dests) == sum(len(name_tree(s.Root.Names.Dests)) for s in sources)
    assert all(dest[0].objgen in page_ids for dest in dests.values())
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", []):
            if isinstance(annotation.get("/Dest"), String):
                assert bytes(annotation.Dest) in dests
    for source in sources:
        source.close()
    return pdf


def table_of(element) -> tuple[int, int]:
    while element.S != Name.Table:
        element = element.P
    return element.objgen


def metadata_of(pdf: pikepdf.Pdf) -> str:
    return pdf.Root.Metadata.read_bytes().decode("utf-8")


# --- the merge on its own ----------------------------------------------------------------------

def test_two_small_pdfs_merge_into_one_tagged_pdf():
    parts = [small_pdf("Alpha"), small_pdf("Beta")]
    merged = merge_tagged_pdfs(parts, "Alpha & Beta", "Tester <t>")
    pdf = assert_tagged_merge(merged, parts)
    assert pdfua_problems(merged) == []
    assert outline_titles(pdf) == ["Alpha", "Beta"]
    with pdf.open_outline() as outline:
        assert [[kid.title for kid in item.children] for item in outline.root] == \
            [["More of Alpha"], ["More of Beta"]]
        assert outline.root[1].destination[0].objgen == pdf.pages[2].objgen
    assert str(pdf.docinfo.Title) == "Alpha & Beta" and str(pdf.docinfo.Author) == "Tester <t>"
    xmp = metadata_of(pdf)
    assert 'pdfuaid:part="1"' in xmp
    assert "<rdf:li xml:lang=\"x-default\">Alpha &amp; Beta</rdf:li>" in xmp
    assert "<rdf:li>Tester &lt;t&gt;</rdf:li>" in xmp
    with pdf.open_metadata() as meta:  # parses as XMP
        assert meta["dc:title"] == "Alpha & Beta"
    text = pdf_text(merged)
    assert text.index("Alpha") < text.index("Beta")
    assert [page.extract_text().count("Page 1 of 2") for page in PdfReader(io.BytesIO(merged)).pages] \
        == [1, 0, 1, 0]


def test_clashing_ids_and_destination_names_are_renamed_with_their_uses():
    part = small_pdf("Same")
    merged = merge_tagged_pdfs([part, part, part], "Three", "Tester")
    pdf = assert_tagged_merge(merged, [part, part, part])  # unique ids, links resolve
    assert len(name_tree(pdf.Root.Names.Dests)) == 6
    targets = [annotation.Dest for page in pdf.pages for annotation in page.obj.get("/Annots", [])
               if "/Dest" in annotation]
    dests = name_tree(pdf.Root.Names.Dests)
    # Each copy's "next part" link goes to its own second page, not to the first copy's.
    assert [dests[bytes(t)][0].objgen for t in targets] == \
        [pdf.pages[i].objgen for i in (1, 3, 5)]


def test_a_part_in_another_language_keeps_it_and_role_maps_are_merged():
    english = small_pdf("Alpha")
    spanish = render_pdf(SMALL.format(title="Beta").replace('lang="en"', 'lang="es"'), "B", "T")
    with pikepdf.open(io.BytesIO(spanish)) as pdf:
        pdf.Root.StructTreeRoot.RoleMap = Dictionary(Letter=Name.Art)
        buffer = io.BytesIO()
        pdf.save(buffer)
    merged = merge_tagged_pdfs([english, buffer.getvalue()], "t", "a")
    pdf = assert_tagged_merge(merged, [english, buffer.getvalue()])
    tree = pdf.Root.StructTreeRoot
    assert [str(kid.get("/Lang", "")) for kid in kids_of(tree)] == ["", "es"]
    assert tree.RoleMap.Letter == Name.Art


def test_each_pdf_joins_the_merge_as_soon_as_it_is_rendered(monkeypatch):
    """So that merging overlaps the rendering of the PDFs still to come."""
    from navigator.services import pdf_merge
    events = []
    real_render, real_open = pdf_service._render, pdf_merge.pikepdf.open

    def recording_render(html, title, *args):
        events.append(f"rendered {title}")
        return real_render(html, title, *args)

    def recording_open(*args, **kwargs):
        events.append("opened")
        return real_open(*args, **kwargs)

    monkeypatch.setattr(pdf_service, "_render", recording_render)
    monkeypatch.setattr(pdf_merge.pikepdf, "open", recording_open)
    documents = [(SMALL.format(title=title), title, "Tester") for title in ("Alpha", "Beta")]
    pdf_service.render_merged_pdf(documents, "t", "a")
    assert events == ["rendered Alpha", "opened", "rendered Beta", "opened"]


def test_a_pdf_that_is_not_tagged_is_refused():
    plain = io.BytesIO()
    untagged = pikepdf.new()
    untagged.add_blank_page()
    untagged.save(plain)
    with pytest.raises(ValueError, match="not tagged"):
        merge_tagged_pdfs([small_pdf("Alpha"), plain.getvalue()], "t", "a")
    with pytest.raises(ValueError):
        merge_tagged_pdfs([], "t", "a")


def test_merge_can_fail_the_checks_when_the_parent_tree_is_not_renumbered(monkeypatch):
    """The checks above catch a merge that forgets to shift /StructParents."""
    from navigator.services import pdf_merge

    monkeypatch.setattr(pdf_merge, "_shift_struct_parents", lambda src, offset: None)
    parts = [small_pdf("Alpha"), small_pdf("Beta")]
    with pytest.raises(AssertionError):
        assert_tagged_merge(merge_tagged_pdfs(parts, "t", "a"), parts)


# --- packets -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def packet_case(book):
    # Omnipod 5 on an employer plan: several assistance programs, so several cover letters.
    answers, plan = plan_for(book, coverage="employer", denial="claim", pump_wanted="omnipod_5")
    assert len(L.assistance_programs(plan)) >= 2
    return answers, plan, L.letter_ids_in_plan(plan)


def test_a_packet_holds_every_letter_in_plan_order_each_numbering_its_own_pages(book, packet_case):
    answers, plan, ids = packet_case
    assert len(ids) >= 3
    merged = L.packet_pdf(list(reversed(ids)), answers, DETAILS, plan, book)
    # One PDF per letter; the assistance cover letter is one letter per program.
    parts = [render_pdf(*document) for letter_id in ids
             for document in L.letter_documents(letter_id, answers, DETAILS, plan, book)]
    pdf = assert_tagged_merge(merged, parts)
    assert pdfua_problems(merged) == []

    titles = []
    for letter_id in ids:
        if letter_id == "assistance_cover_letter":
            titles += [f"Cover letter for my application to {program.name}"
                       for program in L.assistance_programs(plan)]
        else:
            titles.append(book.letters[letter_id].title)
    assert len(parts) == len(titles) > len(ids)
    assert outline_titles(pdf) == titles
    text = flat(pdf_text(merged))
    positions = [text.index(title) for title in titles]
    assert positions == sorted(positions)
    assert text.count("José Núñez") >= len(ids)

    reader = PdfReader(io.BytesIO(merged))
    first_pages = [i for i, page in enumerate(reader.pages) if "Page 1 of" in page.extract_text()]
    starts, at = [], 0
    for part in parts:
        starts.append(at)
        count = len(PdfReader(io.BytesIO(part)).pages)
        last = reader.pages[at + count - 1].extract_text()
        assert f"Page {count} of {count}" in last
        at += count
    assert first_pages == starts

    assert str(pdf.docinfo.Title) == L.document_title(ids, DETAILS, book)
    assert str(pdf.docinfo.Author) == L.AUTHOR
    assert 'pdfuaid:part="1"' in metadata_of(pdf)
    with pdf.open_metadata() as meta:
        assert meta["dc:title"] == f"Letter packet ({len(ids)} letters) — José Núñez"
        assert meta["dc:creator"] == [L.AUTHOR]


def test_one_failing_letter_fails_the_packet(book, packet_case, monkeypatch):
    answers, plan, ids = packet_case
    real_html = pdf_service.HTML

    def html_failing_for_one(string, **kwargs):
        if f'id="letter-{ids[1]}"' in string:
            raise MemoryError("out of memory in one letter")
        return real_html(string=string, **kwargs)

    monkeypatch.setattr(pdf_service, "HTML", html_failing_for_one)
    with pytest.raises(PdfRenderError, match="MemoryError"):
        L.packet_pdf(ids, answers, DETAILS, plan, book)


def test_a_merge_failure_is_a_render_error(book, packet_case, monkeypatch):
    answers, plan, ids = packet_case
    monkeypatch.setattr(pdf_service, "merge_tagged_pdfs",
                        lambda *args: (_ for _ in ()).throw(pikepdf.PdfError("broken")))
    with pytest.raises(PdfRenderError, match="PdfError"):
        L.packet_pdf(ids[:2], answers, DETAILS, plan, book)


def test_the_process_pool_renders_the_same_packet_and_reports_failures(book, packet_case):
    answers, plan, ids = packet_case
    in_thread = pdf_text(L.packet_pdf(ids, answers, DETAILS, plan, book))
    pdf_service.use_processes(2)
    try:
        pooled = L.packet_pdf(ids, answers, DETAILS, plan, book)
        good = L.letter_document(ids[0], answers, DETAILS, plan, book)
        with pytest.raises(PdfRenderError):
            render_pdfs([good, (None, "t", "a"), good])  # WeasyPrint fails inside a worker
    finally:
        pdf_service.use_processes(0)
    assert pdf_text(pooled) == in_thread
    assert re.search(r"Page 1 of \d", in_thread)
