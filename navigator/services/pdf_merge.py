"""Several tagged (PDF/UA-1) PDFs into one tagged PDF, with pikepdf. No Flask.

Each source brings its pages, its structure tree, its outline and its named destinations; the
result keeps all of them, in order:

- pages are copied with `Pdf.pages.append` (copy_foreign underneath); qpdf keeps one object map
  per source file, so the structure elements (/Pg, /Obj), the outline and the destinations copied
  afterwards point at the copied pages and annotations, not at new duplicates;
- one StructTreeRoot holds every source's top-level structure elements in order (their /P is the
  new root); the ParentTree keys of each source are shifted past those of the sources before it,
  and so is every /StructParents and /StructParent that uses them (pages, annotations, forms);
- element identifiers (/ID, e.g. WeasyPrint's table header ids, made from object numbers, which
  repeat from one file to the next) are made unique, /Headers references renamed with them, and
  listed in an IDTree;
- outlines are chained (each source's top-level items, then the next source's), named
  destinations merged (a clashing name is renamed, with the links and bookmarks that use it);
- the catalog says /Lang (the first source's; a source in another language keeps its own on its
  elements), /MarkInfo /Marked true, /DisplayDocTitle; title and author go in the document
  information and the XMP metadata, which keeps pdfuaid:part.

Anything in a source's catalog that this does not know how to merge (forms, page labels, other
name trees...) is refused with ValueError rather than silently dropped.
"""
from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape

import pikepdf
from pikepdf import Array, Dictionary, Name, String

# Catalog entries merged below; anything else in a source is refused.
KNOWN_CATALOG_KEYS = {"/Type", "/Pages", "/StructTreeRoot", "/MarkInfo", "/Lang",
                      "/ViewerPreferences", "/Metadata", "/Outlines", "/Names"}
KNOWN_STRUCT_ROOT_KEYS = {"/Type", "/K", "/ParentTree", "/ParentTreeNextKey", "/IDTree",
                          "/RoleMap", "/ClassMap"}


def merge_tagged_pdfs(pdfs: Iterable[bytes], title: str, author: str) -> bytes:
    """One tagged PDF holding the pages of `pdfs` in order, with the given title and author.
    Each PDF is merged as it comes (`pdfs` may be a generator of PDFs still being rendered)."""
    sources: list[pikepdf.Pdf] = []   # open until the output is saved: it reads their streams
    try:
        merged = None
        for index, data in enumerate(pdfs):
            sources.append(pikepdf.open(io.BytesIO(data)))
            if merged is None:
                merged = _Merged(lang=sources[0].Root.get("/Lang"))
            merged.add(sources[-1], index)
        if merged is None:
            raise ValueError("nothing to merge")
        producer = str(sources[0].docinfo.get("/Producer", "")) or None
        version = max((source.pdf_version for source in sources),
                      key=lambda v: tuple(map(int, v.split("."))))
        return merged.finish(title, author, producer, version)
    finally:
        for source in sources:
            source.close()


@dataclass
class _Merged:
    """The output PDF and what the sources added so far to its catalog."""
    lang: pikepdf.Object | None
    out: pikepdf.Pdf = field(default_factory=pikepdf.new)
    top_elements: list[pikepdf.Object] = field(default_factory=list)
    parent_tree: dict[int, pikepdf.Object] = field(default_factory=dict)
    next_key: int = 0               # the first ParentTree key free for the next source
    next_key_used: bool = False     # a source wrote /ParentTreeNextKey
    ids: dict[bytes, pikepdf.Object] = field(default_factory=dict)
    dests: dict[bytes, pikepdf.Object] = field(default_factory=dict)
    outline_items: list[pikepdf.Object] = field(default_factory=list)
    outline_count: int = 0
    role_map: pikepdf.Dictionary = field(default_factory=Dictionary)
    class_map: pikepdf.Dictionary = field(default_factory=Dictionary)

    def add(self, src: pikepdf.Pdf, index: int) -> None:
        """Append one source's pages, structure, outline and destinations."""
        out = self.out
        _check_catalog(src, index)
        # First, in the source: shift its ParentTree keys, rename clashing destinations.
        struct_root = _indirect(src, src.Root, "/StructTreeRoot")
        offset = self.next_key
        keys = [int(key) for key, _ in _tree_items(struct_root.get("/ParentTree"), "/Nums")]
        self.next_key += max(keys, default=-1) + 1
        if "/ParentTreeNextKey" in struct_root:
            self.next_key_used = True
            self.next_key = max(self.next_key, offset + int(struct_root.ParentTreeNextKey))
        if offset:
            _shift_struct_parents(src, offset)
        dest_renames = _unique_names(_dests(src), self.dests, index)
        if dest_renames:
            _rename_dest_uses(src, dest_renames)

        # Then copy: pages first, so that everything copied after refers to these copies.
        for page in src.pages:  # append, not extend: extend warns about what we merge here
            out.pages.append(page)
        root = out.copy_foreign(struct_root)
        for key, value in _tree_items(root.get("/ParentTree"), "/Nums"):
            self.parent_tree[int(key) + offset] = value
        kids = root.get("/K", Array())
        if not isinstance(kids, Array):
            kids = Array([kids])
        src_lang = src.Root.get("/Lang", String(""))
        for element in kids:
            if self.lang is not None and src_lang != self.lang and "/Lang" not in element:
                element.Lang = src_lang
            self.top_elements.append(element)
        _collect_ids(kids, self.ids, index)
        _merge_dict(self.role_map, root.get("/RoleMap"), "/RoleMap")
        _merge_dict(self.class_map, root.get("/ClassMap"), "/ClassMap")

        if "/Names" in src.Root and "/Dests" in src.Root.Names:
            names = out.copy_foreign(_indirect(src, src.Root, "/Names"))
            for name, dest in _tree_items(names.Dests, "/Names"):
                self.dests[dest_renames.get(bytes(name), bytes(name))] = dest
        if "/Outlines" in src.Root:
            outlines = out.copy_foreign(_indirect(src, src.Root, "/Outlines"))
            self.outline_items.extend(_siblings(outlines.get("/First")))
            self.outline_count += max(0, int(outlines.get("/Count", 0)))

    def finish(self, title: str, author: str, producer: str | None, version: str) -> bytes:
        """The catalog, document information and metadata; the PDF's bytes."""
        out, catalog = self.out, self.out.Root
        struct_root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot,
                                                   K=Array(self.top_elements)))
        for element in self.top_elements:
            element.P = struct_root
        struct_root.ParentTree = _flat_tree(out, "/Nums", self.parent_tree)
        if self.next_key_used:
            struct_root.ParentTreeNextKey = self.next_key
        if self.ids:
            struct_root.IDTree = _flat_tree(out, "/Names", self.ids)
        if len(self.role_map):
            struct_root.RoleMap = self.role_map
        if len(self.class_map):
            struct_root.ClassMap = self.class_map
        catalog.StructTreeRoot = struct_root
        catalog.MarkInfo = Dictionary(Marked=True)
        catalog.ViewerPreferences = Dictionary(DisplayDocTitle=True)
        if self.lang is not None:
            catalog.Lang = self.lang
        if self.outline_items:
            catalog.Outlines = _chain_outline(out, self.outline_items, self.outline_count)
        if self.dests:
            catalog.Names = Dictionary(Dests=_flat_tree(out, "/Names", self.dests))

        out.docinfo = out.make_indirect(Dictionary(Title=String(title), Author=String(author)))
        if producer:
            out.docinfo.Producer = String(producer)
        catalog.Metadata = out.make_stream(_xmp(title, author, producer).encode("utf-8"),
                                           Type=Name.Metadata, Subtype=Name.XML)
        buffer = io.BytesIO()
        out.save(buffer, min_version=version, fix_metadata_version=False,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return buffer.getvalue()


def _tree_items(node, kind: str):
    """(key, value) of a number tree (kind "/Nums") or name tree ("/Names"), leaves in order."""
    if node is None:
        return
    pairs = node.get(kind, Array())
    for position in range(0, len(pairs) - 1, 2):
        yield pairs[position], pairs[position + 1]
    for kid in node.get("/Kids", Array()):
        yield from _tree_items(kid, kind)


def _flat_tree(out: pikepdf.Pdf, kind: str, items: dict) -> pikepdf.Object:
    """A number or name tree of a single node, keys sorted (bytes order for names)."""
    pairs = Array()
    for key in sorted(items):
        pairs.append(String(key) if isinstance(key, bytes) else key)
        pairs.append(items[key])
    return out.make_indirect(Dictionary({kind: pairs}))


def _check_catalog(src: pikepdf.Pdf, index: int) -> None:
    catalog = src.Root
    unknown = set(catalog.keys()) - KNOWN_CATALOG_KEYS
    if "/Names" in catalog:
        unknown |= {f"/Names{key}" for key in catalog.Names if key != "/Dests"}
    if "/StructTreeRoot" not in catalog or not catalog.get("/MarkInfo", {}).get("/Marked"):  # type: ignore[call-overload]  # pikepdf's stubs
        raise ValueError(f"PDF {index} is not tagged")
    unknown |= set(catalog.StructTreeRoot.keys()) - KNOWN_STRUCT_ROOT_KEYS
    if unknown:
        raise ValueError(f"PDF {index} has entries the merge does not carry: "
                         + ", ".join(sorted(unknown)))


def _indirect(src: pikepdf.Pdf, parent: pikepdf.Object, key: str) -> pikepdf.Object:
    """parent[key], made an indirect object first so that copy_foreign accepts it."""
    value = parent[key]
    if not value.is_indirect:
        value = parent[key] = src.make_indirect(value)
    return value


def _shift_struct_parents(src: pikepdf.Pdf, offset: int) -> None:
    """Every ParentTree key used in `src` (pages, annotations, form XObjects), plus offset."""
    for obj in src.objects:
        if isinstance(obj, (Dictionary, pikepdf.Stream)):
            for key in ("/StructParents", "/StructParent"):
                if key in obj:
                    obj[key] = int(obj[key]) + offset


def _dests(src: pikepdf.Pdf) -> list[bytes]:
    if "/Names" not in src.Root or "/Dests" not in src.Root.Names:
        return []
    return [bytes(name) for name, _ in _tree_items(src.Root.Names.Dests, "/Names")]


def _unique_names(names: list[bytes], taken, index: int) -> dict[bytes, bytes]:
    """New names for those of `names` already in `taken`: {old: new}."""
    renames = {}
    for name in names:
        if name in taken:
            number = index
            while (new := name + f"~{number}".encode()) in taken or new in names:
                number += 1
            renames[name] = new
    return renames


def _rename_dest_uses(src: pikepdf.Pdf, renames: dict[bytes, bytes]) -> None:
    """Links and bookmarks that name a renamed destination use its new name."""
    def rename(holder: pikepdf.Object, key: str) -> None:
        target = holder.get(key)
        if isinstance(target, String) and bytes(target) in renames:
            holder[key] = String(renames[bytes(target)])

    def fix(holder: pikepdf.Object) -> None:
        rename(holder, "/Dest")
        action = holder.get("/A")
        if isinstance(action, Dictionary) and action.get("/S") == Name.GoTo:
            rename(action, "/D")

    for page in src.pages:
        for annotation in page.obj.get("/Annots", []):
            fix(annotation)
    if "/Outlines" in src.Root:
        stack = list(_siblings(src.Root.Outlines.get("/First")))
        while stack:
            item = stack.pop()
            fix(item)
            stack.extend(_siblings(item.get("/First")))


def _collect_ids(kids: pikepdf.Array, ids: dict[bytes, pikepdf.Object], index: int) -> None:
    """Walk a source's structure elements: unique /ID values, /Headers renamed to match."""
    found: list[pikepdf.Object] = []
    with_attributes: list[pikepdf.Object] = []
    stack = list(kids)
    while stack:
        element = stack.pop()
        if not isinstance(element, Dictionary) or "/S" not in element:
            continue  # a marked-content id, a marked-content or object reference
        if "/ID" in element:
            found.append(element)
        if "/A" in element:
            with_attributes.append(element)
        children = element.get("/K")
        if isinstance(children, Array):
            stack.extend(children)
        elif children is not None:
            stack.append(children)
    renames = _unique_names([bytes(element.ID) for element in found], ids, index)
    for element in found:
        key = bytes(element.ID)
        if key in renames:
            key = renames[key]
            element.ID = String(key)
        if not element.is_indirect:
            raise ValueError("a structure element with an /ID is not an indirect object")
        ids[key] = element
    if renames:
        for element in with_attributes:
            attributes = element.A if isinstance(element.A, Array) else [element.A]
            for attribute in attributes:
                if isinstance(attribute, Dictionary) and "/Headers" in attribute:
                    attribute.Headers = Array([String(renames.get(bytes(h), bytes(h)))
                                               for h in attribute.Headers])


def _merge_dict(target: pikepdf.Dictionary, source, what: str) -> None:
    for key, value in (source.items() if source is not None else ()):
        if key in target and repr(target[key]) != repr(value):
            raise ValueError(f"{what} {key} differs between the PDFs")
        target[key] = value


def _siblings(item):
    while item is not None:
        yield item
        item = item.get("/Next")


def _chain_outline(out: pikepdf.Pdf, items: list[pikepdf.Object], count: int) -> pikepdf.Object:
    """One outline root whose top-level items are `items`, in order."""
    root = out.make_indirect(Dictionary(Type=Name.Outlines, First=items[0], Last=items[-1],
                                        Count=count))
    for previous, item in zip([None, *items], items, strict=False):
        item.Parent = root
        if previous is None:
            if "/Prev" in item:
                del item["/Prev"]
        else:
            item.Prev = previous
            previous.Next = item
    if "/Next" in items[-1]:
        del items[-1]["/Next"]
    return root


def _xmp(title: str, author: str, producer: str | None) -> str:
    """XMP metadata as WeasyPrint writes it for PDF/UA-1: pdfuaid:part, title, creator."""
    about = 'rdf:about=""'
    producer_part = (f'<rdf:Description {about} pdf:Producer="{escape(producer)}" />'
                     if producer else "")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:pdf="http://ns.adobe.com/pdf/1.3/" '
        'xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description {about} pdfuaid:part="1" />{producer_part}'
        f'<rdf:Description {about}><dc:title><rdf:Alt><rdf:li xml:lang="x-default">'
        f'{escape(title)}</rdf:li></rdf:Alt></dc:title></rdf:Description>'
        f'<rdf:Description {about}><dc:creator><rdf:Seq><rdf:li>{escape(author)}</rdf:li>'
        '</rdf:Seq></dc:creator></rdf:Description></rdf:RDF>\n'
        '</x:xmpmeta>\n<?xpacket end="r"?>')
