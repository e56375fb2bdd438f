"""DOCX: paragraphs and tables in body order; tables walked into full grids
(gridSpan across, vMerge down), so merged cells look as html.expand_table
makes them.

The zip is checked before anything is inflated: a DOCX whose parts expand
past a cap (a zip bomb) is refused.
"""
from __future__ import annotations

import io
import re
import zipfile

from . import caps
from .base import Document, DocumentBuilder, SourceError

MAX_UNZIPPED = 120 * 1024 * 1024   # all parts together, inflated
MAX_XML = 40 * 1024 * 1024         # the XML parts together, inflated: each byte becomes a tree node's share
MAX_RATIO = 200                     # inflated / compressed for one large part
MAX_PARTS = 5000
MAX_GRID_BEFORE = caps.MAX_SPAN     # empty grid columns before a row's first cell

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def check_zip(data: bytes, path: str) -> None:
    """Refuse zips that are not DOCX or that would inflate beyond the caps."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SourceError(f"DOCX 文件损坏（不是有效的 zip）：{path} (broken DOCX, not a valid zip: {exc})",
                          reason="corrupt") from exc
    if len(infos) > MAX_PARTS:
        raise caps.refuse(path, "zip-members", len(infos), MAX_PARTS, "DOCX 内含文件过多",
                          "too many parts in the DOCX", reason="zip-bomb")
    total = sum(i.file_size for i in infos)
    worst = max(((i.file_size / max(i.compress_size, 1)) for i in infos if i.file_size > 1 << 20), default=0)
    if total > MAX_UNZIPPED or worst > MAX_RATIO:
        limit, value, cap = ("zip-bytes", total, MAX_UNZIPPED) if total > MAX_UNZIPPED else ("zip-ratio", worst, MAX_RATIO)
        raise caps.LimitError(
            f"DOCX 解压后过大（{total / 1e6:.0f} MB，压缩比 {worst:.0f}），疑似压缩炸弹：{path} "
            f"(DOCX inflates to {total / 1e6:.0f} MB, ratio {worst:.0f}: refused as a zip bomb)",
            limit=limit, value=value, cap=cap, reason="zip-bomb", path=path)
    xml = sum(i.file_size for i in infos if i.filename.lower().endswith((".xml", ".rels")))
    if xml > MAX_XML:
        raise caps.refuse(path, "xml-bytes", xml, MAX_XML, "DOCX 的 XML 内容过大",
                          "the DOCX's XML parts are too large (bytes)")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})[:3]
        raise SourceError(f"DOCX 文件损坏（同名部件 {', '.join(twice)} 出现多次）：{path} "
                          f"(broken DOCX: parts stored twice: {', '.join(twice)})", reason="corrupt", path=path)
    if "word/document.xml" not in names:
        raise SourceError(f"不是 Word 文档（缺少 word/document.xml）：{path} (not a Word document)",
                          reason="unsupported-format")


def _text(el) -> str:
    """Text of a paragraph or cell: runs joined, tabs and breaks as spaces."""
    parts = []
    for node in el.iter():
        tag = node.tag
        if tag == W + "t" and node.text:
            parts.append(node.text)
        elif tag == W + "tab":
            parts.append(" ")
        elif tag in (W + "br", W + "cr"):
            parts.append("\n")
        elif tag == W + "p" and parts and node is not el:
            parts.append("\n")
    return "".join(parts)


def _cell_text(tc) -> str:
    paras = [_text(p) for p in tc.iter(W + "p")]
    # paragraphs inside one cell are a label broken by hand: join like wrapped lines
    from .layout import join_wrapped
    return join_wrapped("\n".join(p for p in paras if p))


def _val(el, name: str, default=None):
    child = el.find(W + name) if el is not None else None
    if child is None:
        return default
    return child.get(W + "val", "continue" if name == "vMerge" else default)


_LEADING_NUMBER = re.compile(r"\s*[+]?(\d{1,6})")


def _count(value, default: int, low: int, high: int) -> int:
    """A w:val that counts grid columns, as Word reads it: its leading digits ("2", "1.5" → 1),
    ``default`` when it has none, kept within [low, high]."""
    m = _LEADING_NUMBER.match(value) if isinstance(value, str) else None
    n = int(m.group(1)) if m else default
    return max(low, min(n, high))


def table_grid(tbl, table_no: int, path: str = "") -> list[list[dict]]:
    """A w:tbl → rectangular grid of cell dicts with table/row/cell provenance.
    Spans and offsets are read leniently and bounded; the grid's size is checked against the
    cap as it grows, before a cell is repeated over its span."""
    rows = [tr for tr in tbl if tr.tag == W + "tr"]
    caps.check_table(sum(1 for tr in rows for _ in tr.iter(W + "tc")), path)
    grid: list[list[dict]] = []
    open_merge: dict[int, dict] = {}   # grid column → the cell a vMerge continues
    size = 0
    for r, tr in enumerate(rows):
        trpr = tr.find(W + "trPr")
        col = _count(_val(trpr, "gridBefore", 0), 0, 0, MAX_GRID_BEFORE)
        size += col
        caps.check_table(size, path)
        row: list[dict] = [{"text": "", "primary": True} for _ in range(col)]
        for ci, tc in enumerate(t for t in tr if t.tag in (W + "tc", W + "sdt")):
            if tc.tag == W + "sdt":  # content control wrapping a cell
                inner = tc.find(f"{W}sdtContent/{W}tc")
                if inner is None:
                    continue
                tc = inner
            tcpr = tc.find(W + "tcPr")
            span = _count(_val(tcpr, "gridSpan", 1), 1, 1, caps.MAX_SPAN)
            size += span
            caps.check_table(size, path)
            vmerge = _val(tcpr, "vMerge")
            if vmerge == "continue" and col in open_merge:
                top = open_merge[col]
                for k in range(span):
                    row.append(dict(top, primary=False))
            else:
                info = {"text": _cell_text(tc), "primary": True, "table": table_no, "row": r, "cell": ci}
                for k in range(span):
                    row.append(info if k == 0 else dict(info, primary=False))
                for k in range(span):
                    if vmerge == "restart":
                        open_merge[col + k] = info
                    else:
                        open_merge.pop(col + k, None)
            col += span
        grid.append(row)
    width = max((len(r) for r in grid), default=0)
    caps.check_table(width * len(grid), path)
    for row in grid:
        row.extend({"text": "", "primary": True} for _ in range(width - len(row)))
    return grid


def read(data: bytes, path: str, sha256: str, fmt: str = "docx") -> Document:
    check_zip(data, path)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise SourceError(f"无法打开 Word 文档：{path} (cannot open the Word document: {exc})",
                          reason="corrupt", path=path) from exc
    except Exception as exc:  # lxml XMLSyntaxError and friends from a damaged part; a main part of another kind
        raise SourceError(f"Word 文档内容损坏：{path} (damaged Word document: {type(exc).__name__}: {exc})",
                          reason="corrupt", path=path) from exc
    if body is None:
        raise SourceError(f"Word 文档没有正文：{path} (the Word document has no body)", reason="corrupt", path=path)
    builder = DocumentBuilder(path)
    tables = 0

    def walk(parent):
        nonlocal tables
        for el in parent:
            if el.tag == W + "p":
                for line in _text(el).split("\n"):
                    builder.add_text(" ".join(line.split()))
            elif el.tag == W + "tbl":
                builder.add_table(table_grid(el, tables, path))
                tables += 1
            elif el.tag == W + "sdt":
                content = el.find(W + "sdtContent")
                if content is not None:
                    walk(content)

    walk(body)
    return builder.build(path, sha256, fmt)
