"""The source behind a value: the report's text with the span highlighted, or its PDF page with the box."""
from __future__ import annotations

import io
from functools import lru_cache
from typing import Mapping

from ..sources import read_bytes
from ..sources.base import SourceError

CONTEXT_LINES = 40


@lru_cache(maxsize=32)
def _document_text(sha: str, data: bytes, name: str) -> tuple[str, int | None]:
    doc = read_bytes(data, name)
    return doc.text, doc.pages


def document_text(data: bytes, name: str) -> tuple[str, int | None]:
    """The text that provenance spans index into (Document.text), and the page count."""
    import hashlib
    return _document_text(hashlib.sha256(data).hexdigest(), data, name)


def locate(record: Mapping, cells: list[str], evidence: str = "", text: str = "") -> dict:
    """Where to look: the provenance of the first cell that has one, else the evidence found in the text."""
    prov = record.get("provenance") or {}
    for ref in cells:
        p = prov.get(ref)
        if p and (p.get("span") or p.get("bbox")):
            return {"cell": ref, **p}
    if evidence and text:
        # Evidence quotes the source; its first line is usually a phrase that occurs verbatim.
        for probe in (evidence, *evidence.splitlines()):
            probe = probe.strip()
            if len(probe) >= 2:
                i = text.find(probe)
                if i >= 0:
                    return {"cell": None, "span": [i, i + len(probe)], "from": "evidence"}
    return {"cell": cells[0] if cells else None}


def split_text(text: str, span: list[int] | None) -> dict:
    """The text in three parts around the highlighted span (each escaped by the template)."""
    if not span or not (0 <= span[0] <= span[1] <= len(text)):
        return {"before": text, "mark": "", "after": "", "found": False}
    s, e = span
    return {"before": text[:s], "mark": text[s:e] or " ", "after": text[e:], "found": True}


def page_png(data: bytes, page: int, bbox: list[float] | None = None, dpi: int = 110) -> bytes:
    """One PDF page as PNG with ``bbox`` (x0, top, x1, bottom, PDF points from the top-left) outlined."""
    try:
        import pypdfium2 as pdfium
        from PIL import ImageDraw
    except ImportError as exc:  # pragma: no cover - both are dependencies of the web extra
        raise SourceError("无法渲染 PDF 页面 (cannot render PDF pages here)") from exc
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise SourceError("PDF 无法打开 (the PDF cannot be opened)") from exc
    try:
        if not (1 <= page <= len(pdf)):
            raise SourceError(f"没有第 {page} 页 (no page {page})")
        scale = dpi / 72
        image = pdf[page - 1].render(scale=scale).to_pil().convert("RGB")
    finally:
        pdf.close()
    if bbox and len(bbox) == 4:
        x0, top, x1, bottom = (v * scale for v in bbox)
        draw = ImageDraw.Draw(image, "RGBA")
        pad = 3
        draw.rectangle([x0 - pad, top - pad, x1 + pad, bottom + pad], outline=(220, 20, 60, 255), width=3,
                       fill=(255, 230, 0, 70))
    buf = io.BytesIO()
    image.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def scan_png(data: bytes, page: int, bbox: list[float] | None = None, max_width: int = 1400) -> bytes:
    """One frame of an uploaded image (a scan) as PNG, at most ``max_width`` wide, ``bbox`` outlined.

    ``bbox`` is in the image's own pixels (x0, top, x1, bottom), as OCR gives provenance. TIFF and other
    formats a browser cannot show come out as PNG too.
    """
    from PIL import Image, ImageDraw, UnidentifiedImageError
    from ..sources.image import MAX_PIXELS
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        img = Image.open(io.BytesIO(data))
        if img.width * img.height > MAX_PIXELS:
            raise SourceError("图像过大 (image too large)")
        n = getattr(img, "n_frames", 1)
        if not (1 <= page <= n):
            raise SourceError(f"没有第 {page} 页 (no page {page})")
        img.seek(page - 1)
        img = img.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise SourceError("图像无法打开 (the image cannot be opened)") from exc
    scale = min(1.0, max_width / img.width)
    if scale < 1.0:
        img = img.resize((int(img.width * scale), int(img.height * scale)))
    if bbox and len(bbox) == 4:
        x0, top, x1, bottom = (v * scale for v in bbox)
        draw = ImageDraw.Draw(img, "RGBA")
        draw.rectangle([x0 - 3, top - 3, x1 + 3, bottom + 3], outline=(220, 20, 60, 255), width=3,
                       fill=(255, 230, 0, 70))
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()
