"""PDF: ruled tables rebuilt from the page's rules, text as lines in
reading order, pages without a text layer through OCR.

PDFium (pypdfium2) reads each page at C speed: the characters with their
boxes and the painted paths (:mod:`.pdfpage`). The visible rules give the
cells (:mod:`.lattice`), each ruled table becomes a full grid (merged cells
rebuilt from the cell boxes), a table that runs on at the top of the next
page across the same width is stitched onto it, and the words outside tables
become lines (:mod:`.words`) joined into paragraphs.
"""
from __future__ import annotations

import os
import re
from bisect import bisect_right

from ..findings import finding
from . import lattice, layout, words
from .base import Document, DocumentBuilder, SourceError
from .pdfpage import PageContent, read_page

_SECTION_HEADING = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]")
MAX_PAGES = int(os.environ.get("NIANBAO_MAX_PAGES", "60"))       # pages read per document
MAX_OCR_PAGES = int(os.environ.get("NIANBAO_MAX_OCR_PAGES", "12"))  # scanned pages OCRed per document
OCR_DPI = 200
MIN_TEXT = 5  # visible characters that make a text page


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


def _read_page(pdf, i: int) -> tuple[PageContent | None, bool]:
    """(the page's content when it has a text layer, whether it holds an
    image): a page without text is scanned when it shows an image, else blank."""
    import pypdfium2.raw as raw

    page = pdf[i]
    try:
        tp = page.get_textpage()
        try:
            if tp.count_chars() and len(tp.get_text_range().strip()) >= MIN_TEXT:
                return read_page(page, tp), False
        finally:
            tp.close()
        return None, any(obj.type == raw.FPDF_PAGEOBJ_IMAGE for obj in page.get_objects(max_depth=2))
    finally:
        page.close()


def _cell_texts(chars: list[dict], boxes: list[tuple]) -> list[list[dict]]:
    """The characters in each cell box, by the centre of each character
    (a box holds [x0, x1) × [top, bottom)), in page order."""
    ys = sorted({v for b in boxes for v in (b[1], b[3])})
    bands: list[list[int]] = [[] for _ in ys]
    for n, (x0, top, x1, bottom) in enumerate(boxes):
        for k in range(bisect_right(ys, top) - 1, bisect_right(ys, bottom) - 1):
            bands[k].append(n)
    out: list[list[dict]] = [[] for _ in boxes]
    for ch in chars:
        cy = (ch["top"] + ch["bottom"]) / 2
        k = bisect_right(ys, cy) - 1
        if k < 0 or k >= len(ys) - 1:
            continue
        cx = (ch["x0"] + ch["x1"]) / 2
        for n in bands[k]:
            x0, top, x1, bottom = boxes[n]
            if x0 <= cx < x1 and top <= cy < bottom:
                out[n].append(ch)
                break
    return out


def _cell_grid(boxes: list[tuple], chars: list[dict], page_no: int) -> list[list[dict]]:
    inside = _cell_texts(chars, boxes)
    cells = [{"x0": x0, "top": top, "x1": x1, "bottom": bottom,
              "text": layout.join_wrapped(words.text(cs)), "page": page_no}
             for (x0, top, x1, bottom), cs in zip(boxes, inside)]
    return layout.grid_from_cells(cells)


def _open_edges(edges: list[dict]) -> list[dict]:
    """Horizontal rules a page break left out. Chromium draws a collapsed
    border once, on the row above it, so a table continued on a new page has
    cell sides but no top rule (and a cut row has no bottom rule). Where
    three or more vertical rules start (or end) at the same height, each gap
    between them that no rule closes there, and that no rule passes beyond
    (above the top, below the bottom), is closed. A rule drawn row by row
    counts as one, so only the table's own ends are looked at."""
    horiz, vert = lattice.merge_edges(edges)
    vert = [e for e in vert if e["bottom"] - e["top"] > 5]
    out = []
    for key in ("top", "bottom"):
        for group in words.cluster(vert, lambda e: e[key], 1.5):
            if len(group) < 3:
                continue
            y = sum(e[key] for e in group) / len(group)
            xs = sorted({round(e["x0"], 1) for e in group})
            for a, b in zip(xs, xs[1:]):
                if b - a <= 3:
                    continue
                across = [h for h in horiz if h["x1"] > a + 2 and h["x0"] < b - 2]
                if any(abs(h["top"] - y) <= 2 for h in across):
                    continue  # closed
                if key == "top" and any(h["top"] < y for h in across) or \
                        key == "bottom" and any(h["top"] > y for h in across):
                    continue  # inside a table, not at its open end
                y0 = float(round(y))  # whole points, as the rules around it get snapped to it
                out.append({"x0": a, "x1": b, "top": y0, "bottom": y0, "orientation": "h"})
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


def _page_items(content: PageContent, page_no: int) -> list[dict]:
    """Tables and text lines of one page, top to bottom."""
    items: list[dict] = []
    chars = content.chars
    found = lattice.find_tables(content.edges, _open_edges(content.edges))
    boxes = []
    for cells in found:
        grid = _cell_grid(cells, chars, page_no)
        if grid and not layout.is_empty(grid):
            x0, top, x1, bottom = bbox = lattice.bbox(cells)
            boxes.append(bbox)
            items.append({"kind": "table", "top": top, "bottom": bottom, "grid": grid, "page": page_no})
    for x0, top, x1, bottom in boxes:  # the text around the tables (a margin of 1 pt)
        x0, top, x1, bottom = 2 * x0 - 2, 2 * top - 2, 2 * x1 + 2, 2 * bottom + 2
        chars = [ch for ch in chars if not (x0 <= ch["x0"] + ch["x1"] <= x1 and top <= ch["top"] + ch["bottom"] <= bottom)]
    lines = words.lines(chars)
    if lines and items:
        _overflow_into_cut_row(items, lines, content.height)
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


def _unreadable(no: int, exc: Exception) -> dict:
    return finding("source.page_unreadable", "warning", f"第 {no} 页无法解析，已跳过",
                   f"page {no} could not be parsed and was skipped", evidence=f"{type(exc).__name__}: {exc}"[:200])


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
        text_pages, scanned = [], []
        for i in range(n_read):
            try:
                content, image = _read_page(pdf, i)
            except Exception as exc:  # one damaged page: skip it, say so, read the rest
                notes.append(_unreadable(i + 1, exc))
                continue
            if content is not None:
                text_pages.append((i + 1, content))
            elif image:
                scanned.append(i + 1)
        if n_read and len(notes) >= n_read and all(n["rule"] == "source.page_unreadable" for n in notes[-n_read:]):
            raise SourceError(f"PDF 文件损坏：{path} (broken PDF: no page can be read)", reason="corrupt")
    except SourceError:
        pdf.close()
        raise
    except Exception as exc:  # pdfium raises on pages it cannot parse
        pdf.close()
        raise SourceError(f"PDF 文件损坏：{path} (broken PDF: {exc})", reason="corrupt") from exc

    items: list[dict] = []
    right_edge, left_edge = 0.0, 1e9
    for no, content in text_pages:
        try:
            page_items = _page_items(content, no)
        except Exception as exc:  # one damaged page: skip it, say so, read the rest
            notes.append(_unreadable(no, exc))
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
