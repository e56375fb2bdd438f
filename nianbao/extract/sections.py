"""The six sections of a report: headings found in order, text between them."""
from __future__ import annotations

import re

from ..template import SECTIONS

# A numeral at the start or after a space or stop. The numeral comes first in
# the pattern (the check on the character before it follows), so the regex
# engine jumps from numeral to numeral instead of trying every position.
_MARK = re.compile(r"([一二三四五六])(?<![^\s。；;：:|][一二三四五六])\s*[、.．]\s*")
_BARE_TITLE = re.compile(r"(?:^|\n)[ \t]*([^\n]{4,30})[ \t]*(?=\n)")
_NOT_TITLE = re.compile(r"数量|结果|办理$|继续|^[(（]")


def _title_at(text: str, pos: int, pats) -> tuple[str, int] | None:
    """The section title starting at ``pos``, and where the body begins."""
    chunk = text[pos:pos + 80].split("\n", 1)[0]
    words = list(re.finditer(r"\S+", chunk))
    for n in range(1, min(3, len(words)) + 1):
        title = "".join(w.group() for w in words[:n])
        if len(title) > 40:
            break
        if any(p.search(title) for p in pats) and not _NOT_TITLE.search(title):
            return title, pos + words[n - 1].end()
    return None


def find_sections(text: str) -> tuple[list[dict], int | None]:
    """Sections as dicts (number, title, text, span) and where section 一 starts."""
    marks = [(m.group(1), m.start(1), m.end()) for m in _MARK.finditer(text)]
    found = []
    pos = 0
    for sec in SECTIONS:
        pats = [re.compile(p) for p in sec.patterns]
        hit = None
        for number, start, after in marks:
            if number != sec.number or start < pos:
                continue
            got = _title_at(text, after, pats)
            if got:
                hit = (start, got[0], got[1])
                break
        if hit is None:
            # A heading printed without its numeral, on a line of its own.
            nxt = min((s for n, s, _ in marks if s > pos and "一二三四五六".index(n) > "一二三四五六".index(sec.number)),
                      default=len(text))
            for m in _BARE_TITLE.finditer(text, pos, nxt):
                line = m.group(1).strip()
                if any(p.search(line) for p in pats) and not _NOT_TITLE.search(line) and len(line) <= 24:
                    hit = (m.start(1), line, m.end(1))
                    break
        if hit is None:
            continue
        start, title, body = hit
        found.append({"number": sec.number, "title": "".join(title.split()), "start": start, "body": body})
        pos = body
    out = []
    for i, s in enumerate(found):
        end = found[i + 1]["start"] if i + 1 < len(found) else len(text)
        out.append({"number": s["number"], "title": s["title"], "text": text[s["body"]:end].strip(),
                    "span": [s["start"], end]})
    return out, (found[0]["start"] if found else None)
