"""DOCX: paragraphs and tables in body order; tables walked into full grids
(gridSpan across, vMerge down), so merged cells look as html.expand_table
makes them.

The zip is checked before anything is inflated: a DOCX whose parts expand
past a cap (a zip bomb) is refused.
"""
from __future__ import annotations

import io
import zipfile

from .base import Document, DocumentBuilder, SourceError

MAX_UNZIPPED = 120 * 1024 * 1024   # all parts together, inflated
MAX_RATIO = 200                     # inflated / compressed for one large part
MAX_PARTS = 5000

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
        raise SourceError(f"DOCX 内含文件过多（{len(infos)} 个）：{path} (too many parts in the DOCX)",
                          reason="zip-bomb")
    total = sum(i.file_size for i in infos)
    worst = max(((i.file_size / max(i.compress_size, 1)) for i in infos if i.file_size > 1 << 20), default=0)
    if total > MAX_UNZIPPED or worst > MAX_RATIO:
        raise SourceError(
            f"DOCX 解压后过大（{total / 1e6:.0f} MB，压缩比 {worst:.0f}），疑似压缩炸弹：{path} "
            f"(DOCX inflates to {total / 1e6:.0f} MB, ratio {worst:.0f}: refused as a zip bomb)",
            reason="zip-bomb")
    if "word/document.xml" not in {i.filename for i in infos}:
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


def table_grid(tbl, table_no: int) -> list[list[dict]]:
    """A w:tbl → rectangular grid of cell dicts with table/row/cell provenance."""
    rows = [tr for tr in tbl if tr.tag == W + "tr"]
    grid: list[list[dict]] = []
    open_merge: dict[int, dict] = {}   # grid column → the cell a vMerge continues
    for r, tr in enumerate(rows):
        trpr = tr.find(W + "trPr")
        col = int(_val(trpr, "gridBefore", 0) or 0)
        row: list[dict] = [{"text": "", "primary": True} for _ in range(col)]
        for ci, tc in enumerate(t for t in tr if t.tag in (W + "tc", W + "sdt")):
            if tc.tag == W + "sdt":  # content control wrapping a cell
                inner = tc.find(f"{W}sdtContent/{W}tc")
                if inner is None:
                    continue
                tc = inner
            tcpr = tc.find(W + "tcPr")
            span = max(1, min(int(_val(tcpr, "gridSpan", 1) or 1), 64))
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
    for row in grid:
        row.extend({"text": "", "primary": True} for _ in range(width - len(row)))
    return grid


def read(data: bytes, path: str, sha256: str, fmt: str = "docx") -> Document:
    check_zip(data, path)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise SourceError(f"无法打开 Word 文档：{path} (cannot open the Word document: {exc})",
                          reason="corrupt") from exc
    except Exception as exc:  # lxml XMLSyntaxError and friends from a damaged part
        raise SourceError(f"Word 文档内容损坏：{path} (damaged Word document: {exc})", reason="corrupt") from exc
    builder = DocumentBuilder()
    tables = 0

    def walk(parent):
        nonlocal tables
        for el in parent:
            if el.tag == W + "p":
                for line in _text(el).split("\n"):
                    builder.add_text(" ".join(line.split()))
            elif el.tag == W + "tbl":
                builder.add_table(table_grid(el, tables))
                tables += 1
            elif el.tag == W + "sdt":
                content = el.find(W + "sdtContent")
                if content is not None:
                    walk(content)

    walk(document.element.body)
    return builder.build(path, sha256, fmt)
