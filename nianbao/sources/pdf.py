"""PDF: ruled tables from pdfplumber cell boxes, text as lines in reading
order, pages without a text layer through OCR.

pypdfium2 opens the file first (fast, strict): it refuses encrypted and
broken files, counts the pages and tells which pages carry no text. pdfplumber
then reads the pages that do: each ruled table becomes a full grid (merged
cells rebuilt from the cell boxes), a table that runs on at the top of the
next page across the same width is stitched onto it, and the words
outside tables become lines joined into paragraphs.
"""
from __future__ import annotations

import io
import logging
import os
import re
import unicodedata

from ..findings import finding
from . import layout
from .base import Document, DocumentBuilder, SourceError

_SECTION_HEADING = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]")
MAX_PAGES = int(os.environ.get("NIANBAO_MAX_PAGES", "60"))       # pages read per document
MAX_OCR_PAGES = int(os.environ.get("NIANBAO_MAX_OCR_PAGES", "12"))  # scanned pages OCRed per document
OCR_DPI = 200

# pdfminer logs every odd construct at WARNING; the findings say what matters.
logging.getLogger("pdfminer").setLevel(logging.ERROR)


def _open_pdfium(data: bytes, path: str):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        msg = str(exc).lower()
        if "password" in msg or "security" in msg:
            raise SourceError(f"PDF 已加密，无法读取：{path} (encrypted PDF, a password is required)",
                              reason="encrypted") from exc
        raise SourceError(f"PDF 文件损坏或不完整：{path} (broken or truncated PDF: {exc})",
                          reason="corrupt") from exc


def _text_pages(pdf, n: int) -> tuple[list[int], list[int]]:
    """(pages with a text layer, pages that look scanned), 1-based. A page with
    neither text nor an image is blank and in neither list."""
    import pypdfium2.raw as raw

    text, scanned = [], []
    for i in range(n):
        page = pdf[i]
        try:
            tp = page.get_textpage()
            chars = tp.count_chars()
            visible = len(tp.get_text_range().strip()) if chars else 0
            tp.close()
            if visible >= 5:
                text.append(i + 1)
            elif any(obj.type == raw.FPDF_PAGEOBJ_IMAGE for obj in page.get_objects(max_depth=2)):
                scanned.append(i + 1)
        finally:
            page.close()
    return text, scanned


def _cell_grid(table, page_no: int) -> list[list[dict]]:
    cells = []
    rows = table.rows
    texts = table.extract()
    for r, row in enumerate(rows):
        for c, bbox in enumerate(row.cells):
            if bbox is None:
                continue
            x0, top, x1, bottom = bbox
            cells.append({"x0": x0, "top": top, "x1": x1, "bottom": bottom,
                          "text": layout.join_wrapped(texts[r][c] or ""), "page": page_no})
    return layout.grid_from_cells(cells)


def _is_radical(ch: str) -> bool:
    return "\u2e80" <= ch <= "\u2fdf"


def fix_radicals(page, pdfium_page) -> int:
    """Some CJK fonts (Noto CJK printed by Chromium, among others) map shared
    glyphs to the Kangxi/supplement radical code points in their ToUnicode
    tables: pdfminer then reads 行 as ⾏ and 青 as ⻘. PDFium resolves the same
    glyphs to the ideographs, so each such char takes PDFium's reading of the
    char at the same place. Returns the number of chars fixed."""
    bad = [c for c in page.chars if _is_radical(c["text"])]
    if not bad:
        return 0
    tp = pdfium_page.get_textpage()
    try:
        height = pdfium_page.get_height()
        theirs = []
        for i in range(tp.count_chars()):
            ch = tp.get_text_range(i, 1)
            if not ch.strip() or _is_radical(ch):
                continue
            left, bottom, right, top = tp.get_charbox(i)
            theirs.append((ch, (left + right) / 2, height - (bottom + top) / 2))
    finally:
        tp.close()
    fixed = 0
    for c in bad:
        cx, cy = (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2
        tol = max(c["x1"] - c["x0"], 1.0) / 2
        near = [t for t in theirs if abs(t[1] - cx) <= tol and abs(t[2] - cy) <= tol]
        if near:
            c["text"] = min(near, key=lambda t: (t[1] - cx) ** 2 + (t[2] - cy) ** 2)[0]
            fixed += 1
        else:
            c["text"] = unicodedata.normalize("NFKC", c["text"])
    return fixed


def _open_edges(page) -> list[dict]:
    """Horizontal rules a page break left out. Chromium draws a collapsed
    border once, on the row above it, so a table continued on a new page has
    cell sides but no top rule (and a cut row has no bottom rule). Where
    three or more vertical edges start (or end) at the same height, each gap
    between them that no rule closes there, and that no rule passes beyond
    (above the top, below the bottom), is closed."""
    vert = [e for e in page.edges if e["orientation"] == "v" and e["bottom"] - e["top"] > 5]
    horiz = [e for e in page.edges if e["orientation"] == "h" and e["x1"] - e["x0"] > 3]
    out = []
    for key in ("top", "bottom"):
        groups: dict[int, list[dict]] = {}
        for e in vert:
            groups.setdefault(round(e[key]), []).append(e)
        for y, edges in groups.items():
            if len(edges) < 3:
                continue
            xs = sorted({round(e["x0"], 1) for e in edges})
            for a, b in zip(xs, xs[1:]):
                if b - a <= 3:
                    continue
                across = [h for h in horiz if h["x1"] > a + 2 and h["x0"] < b - 2]
                if any(abs(h["top"] - y) <= 2 for h in across):
                    continue  # closed
                if key == "top" and any(h["top"] < y for h in across) or \
                        key == "bottom" and any(h["top"] > y for h in across):
                    continue  # inside a table, not at its open end
                out.append({"x0": a, "x1": b, "top": float(y), "bottom": float(y), "width": b - a,
                            "height": 0.0, "orientation": "h", "object_type": "line"})
    return out


def _overflow_into_cut_row(tables: list[dict], lines: list[dict], page_height: float) -> None:
    """A row cut by the page break can leave the rest of its labels just
    under the table, outside the cells (Chromium prints the overflow and
    clips it). The last line of the page, right under the last table,
    without digits and within its columns, is that rest: its characters go
    back into the cells of the last row by position, and the line is dropped."""
    last_table = max(tables, key=lambda t: t["bottom"])
    last_line = max(lines, key=lambda ln: ln["top"])
    cols = layout.columns(last_table["grid"])
    height = last_line["bottom"] - last_line["top"]
    centre = (last_line["top"] + last_line["bottom"]) / 2
    if (cols is None or last_table["bottom"] < 0.8 * page_height  # a cut row ends at the foot of the page
            or centre < last_table["bottom"] or centre - last_table["bottom"] > 1.5 * height
            or layout.has_digit(last_line["text"])
            or last_line["x0"] < cols[0][0] - 2 or last_line["x1"] > cols[-1][1] + 2):
        return
    if _SECTION_HEADING.match(last_line["text"]):
        return  # the next section's heading, printed right under the table
    row = last_table["grid"][-1]
    extra: dict[int, str] = {}
    for ch in last_line["chars"]:
        mid = (ch["x0"] + ch["x1"]) / 2
        j = next((j for j, (x0, x1) in enumerate(cols) if x0 <= mid <= x1), None)
        if j is None or layout.is_number_text(row[j].get("text") or ""):
            return  # outside the table, or under a number: not the rest of a label
        region = row[j].get("_region")
        j = next(k for k, c in enumerate(row) if c.get("_region") == region)  # the merged cell's first column
        extra[j] = extra.get(j, "") + ch["text"]
    for j, text in extra.items():
        region = row[j].get("_region")
        for r in last_table["grid"]:
            for k, c in enumerate(r):
                if c.get("_region") == region:
                    r[k] = dict(c, text=layout.join_wrapped(c.get("text", "") + "\n" + text))
    lines.remove(last_line)


def _page_items(page, page_no: int) -> list[dict]:
    """Tables and text lines of one page, top to bottom."""
    items: list[dict] = []
    extra = _open_edges(page)
    settings = {"explicit_horizontal_lines": extra} if extra else {}
    tables = [t for t in page.find_tables(settings) if len(t.rows) >= 1]
    grids = []
    for t in tables:
        grid = _cell_grid(t, page_no)
        if grid and not layout.is_empty(grid):
            grids.append((t.bbox, grid))
    outside = page
    for bbox, grid in grids:
        x0, top, x1, bottom = bbox
        outside = outside.filter(lambda obj, b=bbox: not (
            obj.get("object_type") == "char" and b[0] - 1 <= (obj["x0"] + obj["x1"]) / 2 <= b[2] + 1
            and b[1] - 1 <= (obj["top"] + obj["bottom"]) / 2 <= b[3] + 1))
        items.append({"kind": "table", "top": top, "bottom": bottom, "grid": grid, "page": page_no})
    lines = [ln for ln in outside.extract_text_lines(return_chars=True) if ln["text"].strip()]
    if lines and items:
        _overflow_into_cut_row(items, lines, float(page.height))
    for ln in lines:
        items.append({"kind": "text", "text": ln["text"].strip(), "x0": ln["x0"], "x1": ln["x1"],
                      "top": ln["top"], "bottom": ln["bottom"], "page": page_no})
    items.sort(key=lambda it: it["top"])
    # page furniture: a lone page number at the top or bottom of the page
    if items and items[-1]["kind"] == "text" and layout.is_page_number(items[-1]["text"]):
        items.pop()
    if items and items[0]["kind"] == "text" and layout.is_page_number(items[0]["text"]):
        items.pop(0)
    return items


def read(data: bytes, path: str, sha256: str) -> Document:
    pdf = _open_pdfium(data, path)
    notes: list[dict] = []
    try:
        n_pages = len(pdf)
        if n_pages == 0:
            raise SourceError(f"PDF 没有页面：{path} (the PDF has no pages)", reason="empty")
        n_read = min(n_pages, MAX_PAGES)
        if n_pages > MAX_PAGES:
            notes.append(finding(
                "source.pages_truncated", "warning",
                f"文件共 {n_pages} 页，只读取了前 {MAX_PAGES} 页",
                f"the file has {n_pages} pages; only the first {MAX_PAGES} were read",
                evidence=f"{n_pages} pages"))
        text_pages, scanned = _text_pages(pdf, n_read)
    except SourceError:
        pdf.close()
        raise
    except Exception as exc:  # pdfium raises on pages it cannot parse
        pdf.close()
        raise SourceError(f"PDF 文件损坏：{path} (broken PDF: {exc})", reason="corrupt") from exc

    items: list[dict] = []
    right_edge, left_edge = 0.0, 1e9
    if text_pages:
        import pdfplumber

        try:
            doc = pdfplumber.open(io.BytesIO(data))
            plumber_pages = doc.pages
        except Exception as exc:  # pdfminer raises many kinds on damaged files
            pdf.close()
            raise SourceError(f"PDF 内容无法解析：{path} (cannot parse the PDF content: {exc})",
                              reason="corrupt") from exc
        with doc:
            for no in text_pages:
                try:
                    page = plumber_pages[no - 1]
                    pdfium_page = pdf[no - 1]
                    try:
                        fix_radicals(page, pdfium_page)
                    finally:
                        pdfium_page.close()
                    page_items = _page_items(page, no)
                    page.close()
                except Exception as exc:  # one damaged page: skip it, say so, read the rest
                    notes.append(finding(
                        "source.page_unreadable", "warning", f"第 {no} 页无法解析，已跳过",
                        f"page {no} could not be parsed and was skipped", evidence=f"{type(exc).__name__}: {exc}"[:200]))
                    continue
                for it in page_items:
                    if it["kind"] == "text":
                        right_edge = max(right_edge, it["x1"])
                        left_edge = min(left_edge, it["x0"])
                items.extend(page_items)

    ocr_pages: list[int] = []
    if scanned:
        from . import image

        to_ocr = scanned[:MAX_OCR_PAGES]
        if len(scanned) > len(to_ocr):
            notes.append(finding(
                "source.ocr_truncated", "warning",
                f"{len(scanned)} 页没有文字层，只识别了前 {len(to_ocr)} 页",
                f"{len(scanned)} pages have no text layer; only the first {len(to_ocr)} were OCRed",
                evidence=", ".join(map(str, scanned[:20]))))
        for no in to_ocr:
            page = pdf[no - 1]
            try:
                # a page's bitmap stays within the image cap, whatever size the page claims
                w, h = page.get_size()
                if not (w > 0 and h > 0):
                    continue
                render = min(OCR_DPI / 72.0, (image.MAX_PIXELS / (w * h)) ** 0.5)
                pil = page.render(scale=render, grayscale=True).to_pil()
            finally:
                page.close()
            if min(pil.size) < image.MIN_SIDE:
                continue
            page_items = image.page_items(pil, no, scale=1.0 / render)
            for it in page_items:
                if it["kind"] == "text":
                    right_edge = max(right_edge, it["x1"])
                    left_edge = min(left_edge, it["x0"])
            items.extend(page_items)
            ocr_pages.append(no)
        items.sort(key=lambda it: (it["page"], it["top"]))
    pdf.close()
    if ocr_pages:
        notes.append(finding(
            "source.ocr", "info", f"第 {', '.join(map(str, ocr_pages))} 页没有文字层，内容经 OCR 识别",
            f"page(s) {', '.join(map(str, ocr_pages))} have no text layer and were read by OCR",
            evidence=f"{len(ocr_pages)} page(s)"))

    items = layout.stitch_pages(items)
    builder = DocumentBuilder()
    layout.emit(builder, items, right_edge, left_edge if left_edge < 1e9 else 0.0)
    if not builder.blocks:
        notes.append(finding("source.no_text", "warning", "PDF 中没有可读取的文字",
                             "the PDF holds no readable text"))
    doc = builder.build(path, sha256, "pdf", pages=n_pages, notes=notes)
    doc.ocr_pages = ocr_pages
    return doc
