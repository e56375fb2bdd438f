"""Two reports side by side: cell-by-cell table differences and section text with 重复率."""
from __future__ import annotations

import difflib
import re

from ..store.cells import iter_cells, numeric


def repeat_rate(old: str, new: str) -> float | None:
    """重复率: the share of ``new``'s characters found in text shared with ``old`` (whitespace ignored)."""
    a, b = _norm(old), _norm(new)
    if not b:
        return None
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    # count only runs of 8+ characters: shared phrases, not stray common characters
    same = sum(m.size for m in sm.get_matching_blocks() if m.size >= 8)
    return same / len(b)


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def compare_records(a: dict, b: dict) -> dict:
    va = {ref: v for ref, *_rest, v in iter_cells(a)}
    vb = {ref: v for ref, *_rest, v in iter_cells(b)}
    cells = []
    for ref in list(va) + [r for r in vb if r not in va]:
        x, y = va.get(ref), vb.get(ref)
        if x == y:
            continue
        nx, ny = numeric(x), numeric(y)
        cells.append({"ref": ref, "a": x, "b": y,
                      "delta": (ny - nx) if nx is not None and ny is not None else None})
    same = sum(1 for r in va if r in vb and va[r] == vb[r])

    sa = {s.get("number") or s.get("title"): s for s in a.get("sections") or []}
    sb = {s.get("number") or s.get("title"): s for s in b.get("sections") or []}
    sections = []
    for key in list(sa) + [k for k in sb if k not in sa]:
        ta, tb = (sa.get(key) or {}).get("text") or "", (sb.get(key) or {}).get("text") or ""
        diff = list(difflib.unified_diff(_sentences(ta), _sentences(tb), "a", "b", lineterm="", n=0))
        sections.append({"number": key, "title": (sb.get(key) or sa.get(key) or {}).get("title"),
                         "repeat_rate": repeat_rate(ta, tb), "diff": diff[2:]})
    full_a = "".join((s.get("text") or "") for s in a.get("sections") or [])
    full_b = "".join((s.get("text") or "") for s in b.get("sections") or [])
    return {"cells": cells, "cells_same": same, "cells_changed": len(cells),
            "sections": sections, "repeat_rate": repeat_rate(full_a, full_b)}


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。；！？\n])", text or "") if s.strip()]
