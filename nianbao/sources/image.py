"""Images and scanned pages: ruled tables rebuilt from the lines in the
picture, their cells read line by line, the text around them found and
read by OCR.

Also used by pdf.py for pages without a text layer (:func:`page_items`).
Every cell carries its OCR confidence (the lowest of its text boxes) so the
decoder and :mod:`nianbao.extract.ocr_repair` can tell doubtful digits.
"""
from __future__ import annotations

import io
import os
import re

import numpy as np

from ..findings import finding
from . import cellocr, layout, ocr, ruling
from .base import Document, DocumentBuilder, LimitError, SourceError

MAX_PIXELS = 60_000_000          # refuse decompression bombs before decoding
MAX_SIDE = 3600                   # larger images are scaled down before OCR (OCR works at ≤3000 anyway)
MAX_FRAMES = int(os.environ.get("NIANBAO_MAX_OCR_PAGES", "12"))
_ENUMERATED = re.compile(r"^\s*(?:[(（]\s*[一二三四五六七八九十\d]+\s*[)）]|[一二三四五六七八九十]+\s*、|\d+\s*[.、．])")
MIN_TEXT_CHARS = 6                # fewer confidently read characters: not a document


def _to_gray(pil) -> np.ndarray:
    if pil.mode not in ("L", "RGB"):
        if "A" in pil.getbands():
            from PIL import Image

            bg = Image.new("RGB", pil.size, "white")
            bg.paste(pil.convert("RGBA"), mask=pil.convert("RGBA").split()[-1])
            pil = bg
        pil = pil.convert("RGB")
    return np.asarray(pil.convert("L"))


def page_items(pil, page_no: int, scale: float = 1.0) -> list[dict]:
    """OCR one page image → items (tables and text lines) like pdf.py's,
    with coordinates multiplied by ``scale`` (pixels → PDF points for scans).

    The ruled tables are found first; their cells are read line by line
    without text detection (:mod:`.cellocr`), all in one batch; the text
    around them is found by detection on the page with the tables blanked
    out, on a copy as small as its text size allows."""
    gray = _to_gray(pil)
    if max(gray.shape) > MAX_SIDE:
        import cv2

        f = MAX_SIDE / max(gray.shape)
        # a side never shrinks to nothing (a 3 × 12000 strip would: cv2 refuses a zero size)
        size = (max(1, int(gray.shape[1] * f)), max(1, int(gray.shape[0] * f)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        scale /= f
    gray, _angle = ruling.deskew(gray)
    tables = [cells for cells in ruling.table_cells(gray) if _on_paper(gray, cells)]
    cell_boxes = _read_cells(gray, tables)
    outside = gray
    if tables:
        # each cell that was read is blanked out (with the rules around it);
        # text in a part of a table whose rules were lost is still found
        outside = gray.copy()
        for cells in tables:
            for c in cells:
                x0, top, x1, bottom = int(c["x0"]) - 6, int(c["top"]) - 6, int(c["x1"]) + 6, int(c["bottom"]) + 6
                outside[max(top, 0):bottom, max(x0, 0):x1] = 255
    rest = _read_outside(outside)
    items: list[dict] = []
    k = 0
    for cells in tables:
        filled = []
        for cell in cells:
            lines = layout.group_rows(cell_boxes[k])
            k += 1
            for part, part_lines in _split_enumerated(cell, lines, cells):
                members = [b for line in part_lines for b in line]
                part["text"] = layout.join_wrapped("\n".join(layout.line_text(line) for line in part_lines))
                part["confidence"] = min((b["confidence"] for b in members), default=None)
                filled.append(part)
        grid = layout.grid_from_cells(filled, tol=12.0)
        rest = _fill_lost_cells(grid, rest)
        if not grid or layout.is_empty(grid):
            continue
        _digits(grid)
        for row in grid:
            for cell in row:
                cell["page"] = page_no
                if cell.get("bbox"):
                    cell["bbox"] = tuple(round(v * scale, 1) for v in cell["bbox"])
        top = min(c["top"] for c in cells) * scale
        bottom = max(c["bottom"] for c in cells) * scale
        items.append({"kind": "table", "top": top, "bottom": bottom, "grid": grid, "page": page_no})
    for row in layout.group_rows(rest):
        x0, top, x1, bottom = layout.bbox_of(row)
        items.append({"kind": "text", "text": layout.line_text(row), "x0": x0 * scale, "x1": x1 * scale,
                      "top": top * scale, "bottom": bottom * scale, "page": page_no,
                      "confidence": min(b["confidence"] for b in row)})
    items.sort(key=lambda it: it["top"])
    return items


def _fill_lost_cells(grid: list[list[dict]], boxes: list[dict]) -> list[dict]:
    """Text found by detection inside a table, where a faint rule was lost
    and no cell was read: a box whose centre falls in an empty position of
    the grid is that position's text. Returns the boxes left over."""
    if not grid or not boxes:
        return boxes
    rows = [row[0]["_y"] for row in grid]
    cols = [c["_x"] for c in grid[0]]
    left = []
    for b in boxes:
        cx, cy = (b["x0"] + b["x1"]) / 2, (b["top"] + b["bottom"]) / 2
        r = next((k for k, (a, z) in enumerate(rows) if a <= cy <= z), None)
        c = next((k for k, (a, z) in enumerate(cols) if a <= cx <= z), None)
        cell = grid[r][c] if r is not None and c is not None else None
        if cell is None or cell.get("text") or not cell.get("primary", True):
            left.append(b)
            continue
        grid[r][c] = dict(cell, text=b["text"], confidence=b["confidence"],
                          bbox=(b["x0"], b["top"], b["x1"], b["bottom"]))
    return left


def _on_paper(gray: np.ndarray, cells: list[dict]) -> bool:
    """A table printed on paper is light: its rules and text darken a small
    part of it. Lines found in a photograph's dark patches are no table."""
    x0, top = int(min(c["x0"] for c in cells)), int(min(c["top"] for c in cells))
    x1, bottom = int(max(c["x1"] for c in cells)), int(max(c["bottom"] for c in cells))
    area = gray[top:bottom, x0:x1]
    return area.size > 0 and float(np.median(area)) >= 180 and float((area < 128).mean()) <= 0.3


def _read_cells(gray: np.ndarray, tables: list[list[dict]]) -> list[list[dict]]:
    """The recognised lines of every cell of every table (in table order),
    as boxes with text and confidence."""
    boxes = cellocr.read(gray, [c for t in tables for c in t], ocr.read)
    return [[b for b in cell if b["confidence"] >= ocr.MIN_SCORE] for cell in boxes]


def _read_outside(gray: np.ndarray) -> list[dict]:
    """The text of a page whose tables are blanked out: text detection runs
    on the bands of the page that hold ink (a heading over a table is a
    band of a few lines, not a page), each on a copy as small as its text
    size allows."""
    ink_rows = (gray < 150).sum(axis=1) >= 2
    bands = cellocr.runs(ink_rows, min_gap=40)
    out: list[dict] = []
    h = gray.shape[0]
    for a, b in bands:
        if b - a < 6:
            continue  # a speck, a rule's end
        a, b = max(a - 16, 0), min(b + 16, h)
        part = gray[a:b]
        for box in ocr.recognise(part, _det_scale(part)):
            box["top"] += a
            box["bottom"] += a
            out.append(box)
    return out


TEXT_PX = 18  # height of a line of text at which the detector still finds every line


def _det_scale(gray: np.ndarray) -> float:
    """How much smaller the page may be for text detection: its text height
    (the tall end of its ink blobs, on a half-size copy) brought down to
    about TEXT_PX pixels, never below a third."""
    import cv2

    half = cv2.resize(gray, (max(gray.shape[1] // 2, 1), max(gray.shape[0] // 2, 1)), interpolation=cv2.INTER_AREA)
    ink = (half < 150).astype(np.uint8)
    n, _labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    h, w, area = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_AREA]
    blobs = h[(h >= 3) & (h <= 100) & (area >= 6) & (w <= 3 * h)]
    if blobs.size < 5:
        return 1.0
    text = 2.0 * float(np.percentile(blobs, 90))
    return float(min(1.0, max(1 / 3, TEXT_PX / text)))


_CONFUSED = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "|": "1", "i": "1",
                           "!": "1", "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "g": "9", "q": "9",
                           "b": "6", "G": "6", "T": "7"})
_NUMERIC = re.compile(r"^\d+(\.\d+)?$")


def _digits(grid: list[list[dict]]) -> None:
    """Digit-aware check of the value cells: the recogniser, made for text,
    reads a lone 0 as O and 1 as l. In a table holding numbers, a cell whose
    letters all look like digits (O → 0, l → 1, S → 5 …) is that number when
    most cells of its column (below the header) or of its row are numbers;
    its confidence is then no higher than half."""
    if not any(_NUMERIC.match(_flat(c)) for row in grid for c in row):
        return
    cells = [(r, j) for r, row in enumerate(grid) for j, c in enumerate(row) if c.get("primary", True)]
    numeric = {(r, j) for r, j in cells if _NUMERIC.match(_flat(grid[r][j]).translate(_CONFUSED))}
    filled = {(r, j) for r, j in cells if _flat(grid[r][j])}

    def mostly(group: list[tuple[int, int]]) -> bool:
        first = next((k for k, rc in enumerate(group) if rc in numeric), None)
        rest = [rc for rc in group[first:] if rc in filled] if first is not None else []
        return len(rest) >= 2 and sum(rc in numeric for rc in rest) >= 0.6 * len(rest)

    width = max(len(row) for row in grid)
    columns = {j for j in range(width) if mostly([(r, j) for r, jj in cells if jj == j])}
    rows = {r for r in range(len(grid)) if mostly([(rr, j) for rr, j in cells if rr == r])}
    for r, j in sorted(numeric):
        c = grid[r][j]
        text = _flat(c)
        if _NUMERIC.match(text) or not (j in columns or r in rows):
            continue
        fixed, conf = text.translate(_CONFUSED), min(c.get("confidence") or 0.5, 0.5)
        region = c.get("_region")
        for row in grid:
            for k, cell in enumerate(row):
                if cell.get("_region") == region:
                    row[k] = dict(cell, text=fixed, confidence=conf)


def _flat(cell: dict) -> str:
    return "".join(str(cell.get("text") or "").split())


def _split_enumerated(cell: dict, lines: list[list[dict]], cells: list[dict]) -> list[tuple[dict, list]]:
    """A label cell that covers several rows of the table because a faint
    rule between them was lost in the scan: when the rows' boundaries (from
    the other cells) cut its text lines into bands that each begin a numbered
    label (1. 2. / (一) / 一、), it is one cell per band again. A real merged
    cell holds one label, however its lines wrap, so it stays whole."""
    tol = 8.0
    inner = sorted({y for c in cells for y in (c["top"], c["bottom"])
                    if cell["top"] + tol < y < cell["bottom"] - tol and c["x1"] > cell["x1"] - tol})
    if not inner or len(lines) < 2:
        return [(dict(cell), lines)]
    cuts = [cell["top"]] + layout.merge_close(inner, tol) + [cell["bottom"]]
    bands: list[list] = [[] for _ in cuts[1:]]
    for line in lines:
        centre = sum((b["top"] + b["bottom"]) / 2 for b in line) / len(line)
        k = next((k for k, (a, b) in enumerate(zip(cuts, cuts[1:])) if a <= centre <= b), None)
        if k is None:
            return [(dict(cell), lines)]
        bands[k].append(line)
    if not all(band and _ENUMERATED.match(layout.line_text(band[0])) for band in bands):
        return [(dict(cell), lines)]
    return [(dict(cell, top=a, bottom=b), band) for a, b, band in zip(cuts, cuts[1:], bands)]


def _frames(data: bytes, path: str):
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        img = Image.open(io.BytesIO(data))
        _check_size(img, path)
        n = getattr(img, "n_frames", 1)
        frames = []
        for i in range(min(n, MAX_FRAMES)):
            img.seek(i)
            _check_size(img, path)  # each frame of a TIFF has a size of its own
            frames.append(img.copy())
            frames[-1].load()
        return frames, n
    except SourceError:
        raise
    except MemoryError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own check, at twice our cap, before ours
        raise LimitError(f"图像过大，疑似解压炸弹：{path} (image too large, a decompression bomb: {exc})",
                         limit="pixels", value=0, cap=MAX_PIXELS, path=path) from None
    except Exception as exc:
        # Pillow's decoders raise what they meet (OSError, SyntaxError, ValueError, TypeError,
        # struct.error, EOFError, IndexError …) on damaged files: all of it means the same here.
        raise SourceError(f"无法读取图像（损坏或格式不支持）：{path} "
                          f"(cannot read the image: {type(exc).__name__}: {exc})", reason="corrupt", path=path) from exc


def read(data: bytes, path: str, sha256: str) -> Document:
    frames, n = _frames(data, path)
    notes = []
    if n > len(frames):
        notes.append(finding("source.ocr_truncated", "warning", f"图像共 {n} 页，只识别了前 {len(frames)} 页",
                             f"the image has {n} pages; only the first {len(frames)} were OCRed"))
    items = []
    for i, frame in enumerate(frames):
        items.extend(page_items(frame, i + 1))
    confident = sum(len(c["text"]) for it in items for row in it.get("grid", [])
                    for c in row if c.get("primary", True) and (c.get("confidence") or 0) >= 0.5)
    confident += sum(len(it["text"]) for it in items if it["kind"] == "text" and it["confidence"] >= 0.5)
    if confident < MIN_TEXT_CHARS:
        raise SourceError(f"图像中没有识别出文字，不像是报告的扫描件：{path} "
                          f"(no text recognised in the image: not a scanned report)", reason="no-text")
    items = layout.stitch_pages(items)
    right = max((it["x1"] for it in items if it["kind"] == "text"), default=0.0)
    left = min((it["x0"] for it in items if it["kind"] == "text"), default=0.0)
    builder = DocumentBuilder()
    layout.emit(builder, items, right, left)
    notes.append(finding("source.ocr", "info", "图像文件，内容经 OCR 识别", "an image: its content was read by OCR",
                         evidence=f"{len(frames)} page(s)"))
    doc = builder.build(path, sha256, "image", pages=n, notes=notes)
    doc.ocr_pages = list(range(1, len(frames) + 1))
    return doc
