"""Where each table sits in the item stream."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..template import T2_LAYOUT_MARKERS
from .labels import MAX_LABEL_CHARS, match_t3_rows, normalize
from .tokens import BLANK, NUM, QTY, TEXT, Item, wrapped_t3_row

_T4_HEADER = ("结果维持", "结果纠正", "其他结果", "尚未审结", "维持", "纠正", "审结", "未经复议", "复议后起诉", "直接起诉")


@dataclass
class Regions:
    t2: tuple[int, int] | None = None
    t3: tuple[int, int] | None = None
    t4: tuple[int, int] | None = None


def _norm(item: Item) -> str:
    return normalize(item.text) if item.kind == TEXT else ""


def _numbers_within(items: list[Item], start: int, window: int) -> int:
    return sum(1 for it in items[start:start + window] if it.kind in (NUM, BLANK))


def find_t3_start(items: list[Item]) -> int | None:
    for i, it in enumerate(items):
        if it.kind != TEXT or len(it.text) > MAX_LABEL_CHARS:
            continue
        nxt = items[i + 1] if i + 1 < len(items) else None
        if nxt is not None and nxt.kind == QTY and nxt.start - it.end <= 2:
            continue  # "新收政府信息公开申请275件": a sentence, not the table's row
        n = _norm(it)
        if (any(key == "new" and rank <= 1 for key, _, rank in match_t3_rows(n))
                or it.cell and wrapped_t3_row(items, i) == "new"):
            if _numbers_within(items, i + 1, 40) >= 1:
                # Reach back to the table header printed just before the row.
                j = i
                for back in range(i - 1, max(-1, i - 40), -1):
                    t = _norm(items[back])
                    if items[back].kind in (NUM,) :
                        break
                    if any(w in t for w in ("申请人情况", "勾稽关系", "自然人", "法人或其他组织")):
                        j = back
                return j
    return None


def find_t4_start(items: list[Item], after: int) -> int | None:
    for i in range(after, len(items)):
        it = items[i]
        if it.kind != TEXT:
            continue
        n = _norm(it)
        if not ("行政复议" in n or "行政法复议" in n or n in ("复议",)):
            continue
        # A flattened page runs the section heading and the whole two-row header
        # into one piece of text: long, but nothing but headings.
        if len(it.text) > MAX_LABEL_CHARS and sum(1 for w in _T4_HEADER if w in n) < 4:
            continue
        window = " ".join(_norm(x) for x in items[i:i + 40])
        hits = sum(1 for w in _T4_HEADER if w in window)
        if hits >= 2 and _numbers_within(items, i, 80) >= 1:
            return i
    return None


_T2_MARKERS = tuple(m for ms in T2_LAYOUT_MARKERS.values() for m in ms)


@lru_cache(maxsize=16384)
def _opens_t2(n: str) -> bool:
    """Whether a (normalized) label can open table 二 (every short text before table 三 is tried)."""
    return "第二十条" in n or n.startswith("信息内容") or any(m in n for m in _T2_MARKERS)


def find_t2_start(items: list[Item], before: int) -> int | None:
    first = None
    for i in range(0, before):
        it = items[i]
        if it.kind != TEXT or len(it.text) > MAX_LABEL_CHARS:
            continue
        if _opens_t2(_norm(it)):
            first = i
            break
    if first is None:
        return None
    # The header may come after the labels (flattened PDFs); start at the
    # earliest 信息内容 / 规章 nearby.
    for back in range(first - 1, max(-1, first - 30), -1):
        t = _norm(items[back])
        if items[back].kind == NUM:
            break
        if "信息内容" in t or "规章" in t or "第二十条" in t:
            first = back
    return first


def find_regions(items: list[Item]) -> Regions:
    r = Regions()
    t3 = find_t3_start(items)
    t4 = find_t4_start(items, t3 if t3 is not None else 0)
    if t3 is not None:
        r.t3 = (t3, t4 if t4 is not None else len(items))
    if t4 is not None:
        r.t4 = (t4, len(items))
    t2_limit = t3 if t3 is not None else (t4 if t4 is not None else len(items))
    t2 = find_t2_start(items, t2_limit)
    if t2 is not None:
        r.t2 = (t2, t2_limit)
    return r


