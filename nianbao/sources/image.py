"""Images and scanned pages: OCR, then ruled tables rebuilt from the lines
in the picture and the recognised text dropped into their cells.

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
from . import layout, ocr, ruling
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
    with coordinates multiplied by ``scale`` (pixels → PDF points for scans)."""
    gray = _to_gray(pil)
    if max(gray.shape) > MAX_SIDE:
        import cv2

        f = MAX_SIDE / max(gray.shape)
        # a side never shrinks to nothing (a 3 × 12000 strip would: cv2 refuses a zero size)
        size = (max(1, int(gray.shape[1] * f)), max(1, int(gray.shape[0] * f)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        scale /= f
    gray, _angle = ruling.deskew(gray)
    boxes = ocr.recognise(gray)
    tables = ruling.table_cells(gray)
    boxes = _cut_at_rules(boxes, [c for cells in tables for c in cells])
    items: list[dict] = []
    used: set[int] = set()
    for cells in tables:
        filled = []
        for cell in cells:
            inside = [i for i, b in enumerate(boxes) if i not in used and _centre_in(b, cell)]
            used.update(inside)
            lines = layout.group_rows([boxes[i] for i in inside])
            for part, part_lines in _split_enumerated(cell, lines, cells):
                members = [b for line in part_lines for b in line]
                part["text"] = layout.join_wrapped("\n".join(layout.line_text(line) for line in part_lines))
                part["confidence"] = min((b["confidence"] for b in members), default=None)
                filled.append(part)
        cells = filled
        grid = layout.grid_from_cells(cells, tol=12.0)
        if not grid or layout.is_empty(grid):
            continue
        for row in grid:
            for cell in row:
                cell["page"] = page_no
                if cell.get("bbox"):
                    cell["bbox"] = tuple(round(v * scale, 1) for v in cell["bbox"])
        top = min(c["top"] for c in cells) * scale
        bottom = max(c["bottom"] for c in cells) * scale
        items.append({"kind": "table", "top": top, "bottom": bottom, "grid": grid, "page": page_no})
    rest = [b for i, b in enumerate(boxes) if i not in used]
    for row in layout.group_rows(rest):
        x0, top, x1, bottom = layout.bbox_of(row)
        items.append({"kind": "text", "text": layout.line_text(row), "x0": x0 * scale, "x1": x1 * scale,
                      "top": top * scale, "bottom": bottom * scale, "page": page_no,
                      "confidence": min(b["confidence"] for b in row)})
    items.sort(key=lambda it: it["top"])
    return items


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


def _cut_at_rules(boxes: list[dict], cells: list[dict]) -> list[dict]:
    """OCR reads text on both sides of a faint vertical rule as one box
    (a label and its number: "行政规范性文件19"). Such a box, whose words fall
    in different cells of its row, becomes one box per cell."""
    out = []
    for b in boxes:
        cy = (b["top"] + b["bottom"]) / 2
        row = [c for c in cells if c["top"] <= cy <= c["bottom"] and c["x0"] < b["x1"] and c["x1"] > b["x0"]]
        if len(row) < 2 or not b.get("words"):
            out.append(b)
            continue
        parts: dict[int, list] = {}
        for w in b["words"]:
            mid = (w[1] + w[2]) / 2
            k = next((k for k, c in enumerate(row) if c["x0"] <= mid <= c["x1"]), None)
            if k is None:
                parts = {}
                break
            parts.setdefault(k, []).append(w)
        if len(parts) < 2:
            out.append(b)
            continue
        for k in sorted(parts, key=lambda k: row[k]["x0"]):
            ws = parts[k]
            text = "".join(w[0] for w in ws).strip()
            if text:
                out.append(dict(b, text=text, x0=min(w[1] for w in ws), x1=max(w[2] for w in ws), words=ws))
    return out


def _centre_in(box: dict, cell: dict) -> bool:
    cx, cy = (box["x0"] + box["x1"]) / 2, (box["top"] + box["bottom"]) / 2
    return cell["x0"] <= cx <= cell["x1"] and cell["top"] <= cy <= cell["bottom"]


MIN_SIDE = 16                     # pixels: a narrower picture holds no line of text


def _check_size(img, path: str) -> None:
    """Before decoding a frame: its pixels within the cap, its sides wide enough for text."""
    width, height = img.size
    if width * height > MAX_PIXELS:
        raise LimitError(f"图像过大（{width}×{height} 像素，上限 {MAX_PIXELS:,}）：{path} "
                         f"(image too large: {width}×{height} pixels, the cap is {MAX_PIXELS:,})",
                         limit="pixels", value=width * height, cap=MAX_PIXELS, path=path)
    if min(width, height) < MIN_SIDE:
        raise SourceError(f"图像过窄（{width}×{height} 像素），容不下文字：{path} "
                          f"(image too narrow to hold text: {width}×{height} pixels)", reason="no-text", path=path)


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
