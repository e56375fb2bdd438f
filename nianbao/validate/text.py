"""The report's words as the rules read them: sections, sentences, numbers."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

from ..template import SECTIONS

SECTION_NUMBERS = tuple(s.number for s in SECTIONS)

# PDF flattening puts spaces (and line breaks) inside words and numbers:
# "信息处 理费", "99 件"; the rules read text with all whitespace removed.
_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """NFKC (full-width digits and brackets → ASCII) and no whitespace."""
    if text and len(text) <= 300:  # a sentence: every rule family reads it again
        return _squash_short(text)
    return _WS.sub("", unicodedata.normalize("NFKC", text or ""))


@lru_cache(maxsize=8192)
def _squash_short(text: str) -> str:
    return _WS.sub("", unicodedata.normalize("NFKC", text))


def _str(x) -> str:
    return x if isinstance(x, str) else ""


def sections_of(record: dict) -> list[dict]:
    """The record's sections with number, title and text always strings (damaged entries tolerated)."""
    raw = record.get("sections")
    return [{"number": _str(s.get("number")), "title": _str(s.get("title")), "text": _str(s.get("text"))}
            for s in (raw if isinstance(raw, list) else []) if isinstance(s, dict)]


def preamble(record: dict) -> str:
    """Text before section 一: ``record["preamble"]``, a section numbered "", or ``record["text"]``."""
    parts = [_str(record.get("preamble"))]
    parts += [s["text"] for s in sections_of(record) if not s["number"]]
    return "\n".join(p for p in parts if p)


def section(record: dict, number: str) -> dict | None:
    for s in sections_of(record):
        if s["number"] == number:
            return s
    return None


def full_text(record: dict) -> str:
    """Everything the report says: preamble, then each section with its heading."""
    parts = [preamble(record)]
    for s in sections_of(record):
        if s["number"]:
            parts.append(f"{s['number']}、{s['title']}")
            parts.append(s["text"])
    if _str(record.get("text")) and not any(parts):
        parts.append(record["text"])
    return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class Sentence:
    text: str         # as printed (whitespace collapsed), for evidence
    flat: str         # squashed, for matching
    where: str        # section number, "" for the preamble


_SENT_END = re.compile(r"(?<=[。！？!?])|\n")


def pieces(record: dict) -> Iterator[tuple[str, str]]:
    """(section number, sentence as printed) of the prose: ``sentences`` before squashing, for a
    rule that skips most sentences on sight (a table row flattened into text)."""
    sections = sections_of(record)
    parts = [_str(record.get("preamble"))] + [s["text"] for s in sections if not s["number"]]
    blocks = [("", "\n".join(p for p in parts if p))]     # (the preamble, as ``preamble`` makes it)
    blocks += [(s["number"], s["text"]) for s in sections if s["number"]]
    if not any(t for _, t in blocks) and _str(record.get("text")):
        blocks = [("", record["text"])]
    for where, text in blocks:
        for piece in _SENT_END.split(text):
            shown = " ".join(piece.split())
            if shown:
                yield where, shown


def sentences(record: dict) -> Iterator[Sentence]:
    """The prose split into sentences, each with the section it stands in."""
    for where, shown in pieces(record):
        yield Sentence(shown, squash(shown), where)


# --------------------------------------------------------------------------
# Numbers as written in prose
# --------------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
CN_NUM = "[零〇一二两三四五六七八九十百千]+"
NUM = rf"(?:\d[\d,]*(?:\.\d+)?|{CN_NUM})"


def parse_number(text: str) -> float | None:
    """``"1,234"`` → 1234; ``"三十五"`` → 35; ``"两"`` → 2; None if it is not a number."""
    text = text.replace(",", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        if len(text.partition(".")[0]) > 15:
            return None  # no count is that long (and float() would give infinity: no valid JSON)
        v = float(text)
        return int(v) if v.is_integer() else v
    if not re.fullmatch(CN_NUM, text):
        return None
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        else:
            unit = {"十": 10, "百": 100, "千": 1000}[ch]
            total += (current or 1) * unit
            current = 0
    return total + current


def clip(text: str, start: int, end: int, width: int = 60) -> str:
    """The sentence around ``text[start:end]``, shortened to about ``width`` characters each side."""
    a, b = max(0, start - width), min(len(text), end + width)
    return ("…" if a else "") + text[a:b] + ("…" if b < len(text) else "")


def sentence_at(text: str, start: int, end: int, limit: int = 120) -> str:
    """The sentence of ``text`` that holds ``text[start:end]`` (cut to ``limit`` characters)."""
    a = max(text.rfind(ch, 0, start) for ch in "。！？!?\n") + 1
    ends = [i for i in (text.find(ch, end) for ch in "。！？!?\n") if i >= 0]
    b = min(ends) + 1 if ends else len(text)
    out = text[a:b].strip()
    return out if len(out) <= limit else clip(text, start, end, (limit - (end - start)) // 2)
