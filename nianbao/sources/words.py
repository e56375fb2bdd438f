"""Characters with boxes → words → lines of text, as pdfplumber groups them
(x and y tolerances of 3 points): characters of one line share their top
within the tolerance, a word ends at a space, at a gap wider than the
tolerance or where the next character steps back, and the words of a line
are joined by one space.

Works on the plain char dicts of :mod:`nianbao.sources.pdfpage` (``text``,
``x0``, ``top``, ``x1``, ``bottom``, ``upright``).
"""
from __future__ import annotations

from itertools import groupby
from operator import itemgetter

X_TOL = 3.0
Y_TOL = 3.0

_top = itemgetter("top")
_x0 = itemgetter("x0")
_upright = itemgetter("upright")
_first = itemgetter(0)


def cluster(objs: list, key, tol: float, keep_order: bool = False) -> list[list]:
    """pdfplumber's cluster_objects: distinct key values chained within
    ``tol`` form one cluster; clusters in order of their values (or, with
    ``keep_order``, runs of consecutive objects in one cluster)."""
    values = sorted({key(o) for o in objs})
    if not values:
        return []
    cluster_of: dict[float, int] = {}
    cid = 0
    last = values[0]
    for v in values:
        if v > last + tol:
            cid += 1
        cluster_of[v] = cid
        last = v
    if keep_order:
        return [list(g) for _, g in groupby(objs, key=lambda o: cluster_of[key(o)])]
    tagged = sorted(((cluster_of[key(o)], n) for n, o in enumerate(objs)))
    out: list[list] = []
    last_c = None
    for c, n in tagged:
        if c != last_c:
            out.append([])
            last_c = c
        out[-1].append(objs[n])
    return out


def _words_of_line(chars: list[dict]) -> list[list[dict]]:
    words: list[list[dict]] = []
    cur: list[dict] = []
    for ch in chars:
        if ch["text"].isspace():
            if cur:
                words.append(cur)
            cur = []
            continue
        if cur:
            prev = cur[-1]
            if ch["x0"] < prev["x0"] or ch["x0"] > prev["x1"] + X_TOL or abs(ch["top"] - prev["top"]) > Y_TOL:
                words.append(cur)
                cur = [ch]
                continue
        cur.append(ch)
    if cur:
        words.append(cur)
    return words


def _words_of_vertical(chars: list[dict]) -> list[list[dict]]:
    """Rotated characters read top to bottom, lines left to right."""
    words: list[list[dict]] = []
    for line in cluster(chars, _x0, X_TOL):
        cur: list[dict] = []
        for ch in sorted(line, key=lambda c: (c["top"], c["bottom"])):
            if ch["text"].isspace():
                if cur:
                    words.append(cur)
                cur = []
                continue
            if cur:
                prev = cur[-1]
                if ch["top"] < prev["top"] or ch["top"] > prev["bottom"] + Y_TOL or abs(ch["x0"] - prev["x0"]) > X_TOL:
                    words.append(cur)
                    cur = [ch]
                    continue
            cur.append(ch)
        if cur:
            words.append(cur)
    return words


def _pieces(chars: list[dict]) -> list[list[dict]]:
    """The characters cut into words, in reading order."""
    out: list[list[dict]] = []
    for upright, group in groupby(chars, key=_upright):
        group = list(group)
        if upright:
            for line in cluster(group, _top, Y_TOL):
                line.sort(key=_x0)
                out.extend(_words_of_line(line))
        else:
            out.extend(_words_of_vertical(group))
    return out


def words(chars: list[dict]) -> list[dict]:
    """Words in reading order: dicts with text, x0, top, x1, bottom and chars."""
    return [{"text": "".join(c["text"] for c in w), "x0": min(c["x0"] for c in w),
             "top": min(c["top"] for c in w), "x1": max(c["x1"] for c in w),
             "bottom": max(c["bottom"] for c in w), "chars": w} for w in _pieces(chars)]


def lines(chars: list[dict]) -> list[dict]:
    """Lines of text, top to bottom: dicts with text (words joined by one
    space), x0, top, x1, bottom and chars (pdfplumber's extract_text_lines)."""
    out = []
    for line in cluster(words(chars), _top, Y_TOL, keep_order=True):
        text = " ".join(w["text"] for w in line).strip()
        if not text:
            continue
        members = [c for w in line for c in w["chars"]]
        out.append({"text": text, "x0": min(c["x0"] for c in members), "top": min(c["top"] for c in members),
                    "x1": max(c["x1"] for c in members), "bottom": max(c["bottom"] for c in members),
                    "chars": members})
    return out


def text(chars: list[dict]) -> str:
    """The text of a box's characters: its lines joined by newlines
    (pdfplumber's extract_text without layout, as a table cell is read)."""
    if not chars:
        return ""
    pieces = _pieces(chars)
    if len(pieces) == 1:
        return "".join(c["text"] for c in pieces[0])
    tops = [(min(c["top"] for c in w), "".join(c["text"] for c in w)) for w in pieces]
    return "\n".join(" ".join(t for _, t in line) for line in cluster(tops, _first, Y_TOL))
