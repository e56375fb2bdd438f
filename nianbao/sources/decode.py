"""Bytes → str for text and HTML sources.

Order: a byte-order mark; strict UTF-8; the charset the page declares (a
declared gb2312/gbk is read as gb18030, its superset); strict GB18030; then
chardet's guess. Binary data is refused rather than decoded into noise.
"""
from __future__ import annotations

import codecs
import re

from .base import SourceError

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_DECLARED = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
              "big5": "big5hkscs", "ascii": "utf-8", "us-ascii": "utf-8", "iso-8859-1": "cp1252"}


def _canonical(name: str) -> str | None:
    """The codec a declared or guessed charset names, or None: unknown names, and codecs that
    do not turn bytes into text (``undefined``, ``hex``, ``rot13`` …), are no charset."""
    name = name.strip().lower()
    name = _SUPERSETS.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name == "undefined":
        return None
    return info.name


def declared_charset(data: bytes) -> str | None:
    m = _DECLARED.search(data[:4096])
    return _canonical(m.group(1).decode("ascii", "ignore")) if m else None


# Control bytes no text holds (tab, newlines, form feed and escape excepted).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL)


def looks_binary(data: bytes) -> bool:
    sample = data[:65536]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    control = len(sample.translate(None, _NOT_CONTROL))
    return control / len(sample) > 0.02


def decode(data: bytes, *, html: bool = False) -> tuple[str, str]:
    """Decode ``data``; returns (text, encoding used)."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace"), enc
    if looks_binary(data):
        raise SourceError("不是文本文件：内容含二进制数据 (binary data, not text)", reason="binary")
    candidates = ["utf-8"]
    if html:
        declared = declared_charset(data)
        if declared and declared not in candidates:
            candidates.append(declared)
    candidates.append("gb18030")
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except (UnicodeError, LookupError):  # a codec may refuse bytes in its own way
            continue
    import chardet  # only for the rare file the strict decoders refuse

    guess = chardet.detect(data[:200000]) or {}
    enc = _canonical(guess.get("encoding") or "") or "utf-8"
    try:
        return data.decode(enc, errors="replace"), enc
    except (UnicodeError, LookupError):
        return data.decode("utf-8", errors="replace"), "utf-8"
