"""HTML: lxml parse, page debris dropped, tables expanded into full grids."""
from __future__ import annotations

import re

import lxml.html
from lxml import etree

from . import caps
from .base import Document, DocumentBuilder, SourceError
from .decode import decode
from .text import check_not_empty, check_size

# lxml.html's own parser gives every element visited a Python class lookup;
# the reader uses none of those classes' extras, so plain elements do.
_PARSER = etree.HTMLParser()

# Elements that never hold report content.
_DROP_TAGS = ("script", "style", "noscript", "iframe", "object", "embed", "select", "button", "input",
              "textarea", "nav", "svg", "canvas", "template", "head")
# class/id words of page furniture: navigation, footers, share bars, banners.
_DEBRIS_ATTR = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|footer|foot|breadcrumb|crumb|share|sharing|toolbar|banner|sidebar|side-bar|"
    r"topbar|top-bar|login|search|copyright|friendlink|links?|pager|pagination|ad|ads|advert|qrcode|wza|"
    r"fontsize|font-size|print)([\s_-]|$)", re.I)
_BLOCK_TAGS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "article", "header",
               "footer", "blockquote", "pre", "dl", "dt", "dd", "center", "form", "main", "aside", "address",
               "figure", "figcaption", "hr", "caption", "title", "body", "html", "font-block"}


def _is_debris(el) -> bool:
    attrs = " ".join(filter(None, (el.get("class"), el.get("id"))))
    if not attrs or not _DEBRIS_ATTR.search(attrs):
        return False
    # Furniture is short; a container that holds the report text is not debris.
    return not _text_reaches(el, 400) and el.find(".//table") is None


def _text_reaches(el, n: int) -> bool:
    """Whether the element's stripped text is ``n`` characters or more, reading no more of it
    than that takes (nested furniture must not read its whole subtree once per level)."""
    pieces: list[str] = []
    size, check_at = 0, n
    for piece in el.itertext():
        pieces.append(piece)
        size += len(piece)
        if size >= check_at:
            if len("".join(pieces).strip()) >= n:
                return True
            check_at = 2 * size  # mostly whitespace so far: look again when it doubles
    return False


def _cell_text(el) -> str:
    if not len(el):  # most cells: text and nothing else
        return " ".join(el.text.split()) if el.text else ""
    parts: list[str] = []

    def walk(node):
        if node.tag in _DROP_TAGS:
            return
        if node.tag == "br":
            parts.append(" ")
        elif node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return " ".join("".join(parts).split())


def _span(value, limit: int) -> int:
    if value == 1:  # the attribute is absent
        return 1
    try:
        digits = value if isinstance(value, str) and value.isdecimal() else re.sub(r"[^\d]", "", str(value))
        n = int(digits or 1)
    except ValueError:
        n = 1
    return max(1, min(n, limit))


def data_rows(table, path: str = "") -> list[list[tuple]] | None:
    """A data table's rows as (cell, text) pairs; None for a table used for
    page layout (one holding tables, a single row, at most two cells, or a
    cell of page-long text)."""
    if table.find(".//table") is not None:
        return None
    caps.check_table(sum(1 for _ in table.iter("td", "th")), path)
    # No table inside: every row is this table's own.
    rows = [[(td, _cell_text(td)) for td in tr if td.tag in ("td", "th")] for tr in table.iter("tr")]
    if len(rows) <= 1:
        return None
    longest = max((len(text) for row in rows for _, text in row), default=0)
    if sum(len(row) for row in rows) <= 2 or longest > 600:
        return None
    return rows


def expand_table(rows: list[list[tuple]], path: str = "") -> list[list[dict]]:
    """The table as a rectangular grid, a merged cell repeated over its span.
    Spans are counted against the cap before a cell is repeated over them; a row span
    ends at the table's last row."""
    grid: dict[tuple[int, int], dict] = {}
    width = 0
    height = len(rows)
    for r, cells in enumerate(rows):
        c = 0
        for td, text in cells:
            while (r, c) in grid:
                c += 1
            rs, cs = td.get("rowspan"), td.get("colspan")
            if rs is None and cs is None:  # most cells
                grid[(r, c)] = {"text": text, "primary": True}
                c += 1
                width = max(width, c)
                continue
            rs, cs = min(_span(rs or 1, caps.MAX_ROW_SPAN), height - r), _span(cs or 1, caps.MAX_SPAN)
            caps.check_table(len(grid) + rs * cs, path)
            for dr in range(rs):
                for dc in range(cs):
                    grid[(r + dr, c + dc)] = {"text": text, "primary": dr == 0 and dc == 0}
            c += cs
            width = max(width, c)
    caps.check_table(height * width, path)
    return [[grid.get((r, c), {"text": "", "primary": True}) for c in range(width)] for r in range(height)]


class _Walker:
    def __init__(self, builder: DocumentBuilder, path: str = ""):
        self.b = builder
        self.path = path
        self.line: list[str] = []

    def flush(self):
        text = " ".join("".join(self.line).split())
        self.line = []
        if text:
            self.b.add_text(text)

    def walk(self, el):
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _DROP_TAGS or (tag and _is_debris(el)):
            return
        rows = data_rows(el, self.path) if tag == "table" else None
        if rows is not None:
            self.flush()
            self.b.add_table(expand_table(rows, self.path))
            return
        block = tag in _BLOCK_TAGS or tag in ("table", "tr")
        if block:
            self.flush()
        if tag == "br":
            self.flush()
        elif tag in ("td", "th"):
            self.line.append(" ")
        if el.text and tag:
            self.line.append(el.text)
        for child in el:
            if isinstance(child.tag, str):
                self.walk(child)
            if child.tail:
                self.line.append(child.tail)
        if block:
            self.flush()


def read(data: bytes, path: str, sha256: str) -> Document:
    check_not_empty(data)
    caps.check_text_bytes(data, path, caps.MAX_MARKUP_CHARS)
    text, encoding = decode(data, html=True)
    if len(text) > caps.MAX_MARKUP_CHARS:
        raise caps.refuse(path, "markup-chars", len(text), caps.MAX_MARKUP_CHARS, "网页过大",
                          "HTML file too large (characters)")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    try:
        root = lxml.html.document_fromstring(text, parser=_PARSER) if text.strip() else None
    except (etree.ParserError, ValueError) as exc:
        raise SourceError(f"无法解析 HTML：{path} (cannot parse HTML: {exc})", reason="unparseable",
                          path=path) from exc
    builder = DocumentBuilder(path)
    if root is not None:
        elements = sum(1 for _ in root.iter())
        if elements > caps.MAX_ELEMENTS:
            raise caps.refuse(path, "elements", elements, caps.MAX_ELEMENTS, "网页元素过多",
                              "too many HTML elements")
        title = root.find(".//title")
        walker = _Walker(builder, path)
        body = root.find("body")
        walker.walk(body if body is not None else root)
        walker.flush()
        if title is not None and title.text and not builder.blocks:
            builder.add_text(title.text)
    doc = builder.build(path, sha256, "html", encoding=encoding)
    check_size(doc.text, path)
    return doc
