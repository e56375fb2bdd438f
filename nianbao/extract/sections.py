"""The six sections of a report: headings found in order, text between them.

A heading is a numeral (一 … 六) with 、 or . and the section's title. On a
page whose lines were kept it starts a line or follows a stop; on a flattened
page it sits anywhere in the running text, right after the last number of a
table (``…0000000三、收到和处理政府信息公开申请情况…``) — there it is taken only
when the title follows the numeral at once, and the title ends where the
heading's wording ends (情况, 事项, 措施), not at the next space.
"""
from __future__ import annotations

import re

from ..template import SECTIONS

# A numeral at the start or after a space or stop. The numeral comes first in
# the pattern (the check on the character before it follows), so the regex
# engine jumps from numeral to numeral instead of trying every position.
_MARK = re.compile(r"([一二三四五六])(?<![^\s。；;：:|#][一二三四五六])\s*[、.．]\s*")
# The same numeral anywhere in the text (flattened pages), never inside a number word
# such as 十二、 or 第三、.
_ANY_MARK = re.compile(r"([一二三四五六])(?<![十第])\s*[、．]\s*")
# A numeral with no mark at all, right before a section's core wording ("一总体情况").
_NUMERAL_ONLY = re.compile("([一二三四五六])(?<![十第])(?=" + "|".join(sec.patterns[0] for sec in SECTIONS) + ")")
_BARE_TITLE = re.compile(r"(?:^|\n)[ \t#]*([^\n]{4,30})[ \t]*(?=\n)")
_NOT_TITLE = re.compile(r"数量|结果|办理$|继续|^[(（]")
# Where a heading's wording ends, when nothing else (a space, a line end) says so.
_TITLE_END = re.compile(r"情况|事项|措施|问题|概述")
_PATTERNS = {sec.number: [re.compile(p) for p in sec.patterns] for sec in SECTIONS}


def _trim(title: str) -> int:
    """The length of the heading in ``title`` when body text runs on after it."""
    m = None
    for m in _TITLE_END.finditer(title):
        if title[m.end():m.end() + 2] not in ("及改", "和改", "及下", "及其", "与改", "及整"):
            return m.end()
    return len(title)


def _title_at(text: str, pos: int, pats) -> tuple[str, int] | None:
    """The section title starting at ``pos``, and where the body begins."""
    chunk = text[pos:pos + 80].split("\n", 1)[0]
    words = list(re.finditer(r"\S+", chunk))
    for n in range(1, min(3, len(words)) + 1):
        title = "".join(w.group() for w in words[:n])
        if len(title) > 40:
            break
        if any(p.search(title) for p in pats) and not _NOT_TITLE.search(title):
            last = words[n - 1]
            keep = _trim(last.group())
            if keep < len(last.group()) and any(p.search(title[:len(title) - len(last.group()) + keep])
                                                for p in pats):
                return title[:len(title) - len(last.group()) + keep], pos + last.start() + keep
            return title, pos + last.end()
    return None


def _flat_title_at(text: str, pos: int, pats) -> tuple[str, int] | None:
    """A title run together with the text after it: the section's wording must
    begin within a few characters of the numeral."""
    chunk = text[pos:pos + 60].split("\n", 1)[0]
    for p in pats:
        m = p.search(chunk)
        if m and m.start() <= 16:
            end = m.end()
            # the wording runs on to its end word (情况, 事项 …), not past "问题及改进情况"
            cut = m.start() + _trim(chunk[m.start():])
            if end <= cut <= end + 16:
                end = cut
            title = chunk[:end]
            if _NOT_TITLE.search(title):
                continue
            return title, pos + end
    return None


def find_sections(text: str) -> tuple[list[dict], int | None]:
    """Sections as dicts (number, title, text, span) and where section 一 starts."""
    marks = [(m.group(1), m.start(1), m.end()) for m in _MARK.finditer(text)]
    loose = None  # numerals anywhere: looked for only when a section is not found otherwise
    found = []
    pos = 0
    for sec in SECTIONS:
        pats = _PATTERNS[sec.number]
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
            if loose is None:
                loose = sorted([(m.group(1), m.start(1), m.end()) for m in _ANY_MARK.finditer(text)]
                               + [(m.group(1), m.start(1), m.end()) for m in _NUMERAL_ONLY.finditer(text)],
                               key=lambda m: m[1])
            for number, start, after in loose:
                if number != sec.number or start < pos:
                    continue
                got = _flat_title_at(text, after, pats)
                if got:
                    hit = (start, got[0], got[1])
                    break
        if hit is None:
            # Numbered otherwise: a report that adds a section of its own shifts the
            # numbers of the template's sections after it ("三、主动公开政府信息情况").
            for number, start, after in sorted(set(marks) | set(loose or ()), key=lambda m: m[1]):
                if number == sec.number or start < pos:
                    continue
                got = _title_at(text, after, pats[:1]) or _flat_title_at(text, after, pats[:1])
                if got:
                    hit = (start, got[0], got[1])
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
