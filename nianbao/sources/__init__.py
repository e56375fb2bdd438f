"""Sources: the bytes of one file → a :class:`Document` (text blocks, table grids).

One module per format; :func:`read` picks it from the bytes themselves, the
file name only breaking ties.
"""
from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path

from .base import Document, LimitError, SourceError, StageError
from .guard import guarded

# format → module under nianbao.sources providing ``read(data, path, sha256) -> Document``
READERS = {
    "txt": "text",
    "html": "html",
    "pdf": "pdf",
    "docx": "docx",
    "doc": "office",
    "wps": "office",
    "image": "image",
}

MAX_BYTES = 200 * 1024 * 1024  # refuse anything larger outright

_EXT = {
    ".txt": "txt", ".text": "txt", ".htm": "html", ".html": "html", ".shtml": "html", ".xhtml": "html",
    ".pdf": "pdf", ".docx": "docx", ".doc": "doc", ".wps": "wps",
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".tif": "image", ".tiff": "image",
    ".bmp": "image", ".webp": "image", ".gif": "image",
}


def sniff_format(data: bytes, name: str = "") -> str:
    """The format of a file, from its magic bytes first and its extension second."""
    head = data[:2048]
    ext = _EXT.get(Path(name).suffix.lower())
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        if ext in ("docx", "wps"):
            return ext
        return "docx"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: .doc or .wps
        return "wps" if ext == "wps" else "doc"
    if (head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff") or head[:4] in (b"II*\x00", b"MM\x00*")
            or head.startswith(b"BM") and ext == "image" or head.startswith(b"GIF8")
            or head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    low = head.lower()
    if ext == "html" or b"<html" in low or b"<!doctype html" in low or b"<table" in low or b"<body" in low:
        return "html"
    return ext if ext in ("txt",) else "txt"


def read_bytes(data: bytes, path: str = "<bytes>", fmt: str | None = None) -> Document:
    """Read one report given as bytes."""
    fmt = fmt or sniff_format(data, path)
    module_name = READERS.get(fmt)
    if module_name is None:
        raise SourceError(f"不支持的格式 {fmt} (unsupported format)", reason="unsupported-format")
    try:
        module = importlib.import_module(f"{__name__}.{module_name}")
    except ModuleNotFoundError as exc:
        raise SourceError(f"尚不支持读取 {fmt} 文件 (reading {fmt} is not supported here: {exc.name} missing)",
                          reason="unsupported-format") from exc
    sha = hashlib.sha256(data).hexdigest()
    return guarded(f"sources.{module_name}", path, module.read, data, path, sha)


def read(path: str | os.PathLike) -> Document:
    """Read one report file."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise SourceError(f"无法打开文件 (cannot open file): {exc.strerror}", reason="unreadable") from exc
    if p.is_dir():
        raise SourceError("这是一个目录，不是文件 (a directory, not a file)", reason="unreadable")
    if size > MAX_BYTES:
        raise SourceError(f"文件过大 {size / 1e6:.0f} MB，上限 {MAX_BYTES / 1e6:.0f} MB (file too large)",
                          reason="too-large")
    try:
        with open(p, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:  # no permission, a special file, a disk error
        raise SourceError(f"无法读取文件：{p} (cannot read file: {exc.strerror or exc})", reason="unreadable",
                          path=str(p)) from None
    if len(data) > MAX_BYTES:  # grew since stat, or a device that never ends
        raise SourceError(f"文件过大，上限 {MAX_BYTES / 1e6:.0f} MB：{p} (file too large)", reason="too-large",
                          path=str(p))
    return read_bytes(data, str(p))


__all__ = ["Document", "SourceError", "LimitError", "StageError", "read", "read_bytes", "sniff_format", "READERS"]
