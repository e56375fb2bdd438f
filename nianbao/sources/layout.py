"""Geometry shared by the paginated sources: positioned words → lines, cell
boxes → expanded grids, tables continued across pages → one grid.

Everything here works on plain dicts (``text``, ``x0``, ``top``, ``x1``,
``bottom``, optional ``confidence``) so PDF words, OCR boxes and table cells
go through the same code.
"""
from __future__ import annotations

import itertools
import re
from bisect import bisect_left
from statistics import median

_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"^[\s\d.,，+\-—/]*$")
_HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+\s*、|[(（][一二三四五六七八九十]+[)）])")
_PAGE_NUMBER = re.compile(r"^[-—–\s]*(第\s*)?\d{1,4}(\s*页)?([/／]\s*\d{1,4})?(\s*页)?[-—–\s]*$")


def join_wrapped(text: str) -> str:
    """Join the lines of one cell or paragraph. Chinese wraps anywhere with no
    space at the break, so lines join directly unless both sides are Latin words."""
    lines = [ln.strip() for ln in str(text).splitlines()]
    out = ""
    for ln in lines:
        if not ln:
            continue
        if out and out[-1].isascii() and out[-1].isalpha() and ln[0].isascii() and ln[0].isalpha():
            out += " "
        out += ln
    return out


def is_page_number(text: str) -> bool:
    return bool(_PAGE_NUMBER.match(text.strip()))


def is_number_text(text: str) -> bool:
    """A cell holding a number (or nothing but number punctuation), not a label."""
    return bool(text.strip()) and bool(_NUMBER.match(text)) and has_digit(text)


def has_digit(text: str) -> bool:
    return bool(_DIGIT.search(text or ""))


# --------------------------------------------------------------------------
# Words → lines
# --------------------------------------------------------------------------

def group_rows(boxes: list[dict], overlap: float = 0.5) -> list[list[dict]]:
    """Boxes whose vertical extents overlap by more than ``overlap`` of the
    smaller height share a row; rows top to bottom, boxes left to right."""
    rows: list[dict] = []  # {"top", "bottom", "items"}
    for b in sorted(boxes, key=lambda b: ((b["top"] + b["bottom"]) / 2, b["x0"])):
        h = max(b["bottom"] - b["top"], 1e-6)
        best, best_ov = None, 0.0
        for row in rows[-4:]:
            ov = min(b["bottom"], row["bottom"]) - max(b["top"], row["top"])
            frac = ov / max(min(h, row["bottom"] - row["top"]), 1e-6)
            if frac > overlap and frac > best_ov:
                best, best_ov = row, frac
        if best is None:
            rows.append({"top": b["top"], "bottom": b["bottom"], "items": [b]})
        else:
            best["items"].append(b)
            # keep the row's band to its median box so one tall box cannot swallow the next row
            best["top"] = median(x["top"] for x in best["items"])
            best["bottom"] = median(x["bottom"] for x in best["items"])
    return [sorted(r["items"], key=lambda b: b["x0"]) for r in sorted(rows, key=lambda r: r["top"])]


def line_text(items: list[dict], gap: float | None = None) -> str:
    """The text of a row of boxes; a wide gap becomes two spaces (a column break)."""
    if not items:
        return ""
    heights = [b["bottom"] - b["top"] for b in items]
    gap = gap if gap is not None else max(median(heights), 1.0) * 1.2
    out = items[0]["text"]
    for prev, cur in zip(items, items[1:]):
        d = cur["x0"] - prev["x1"]
        sep = "  " if d > gap else ("" if not (prev["text"][-1:].isascii() and cur["text"][:1].isascii()) else " ")
        out += sep + cur["text"]
    return out


def bbox_of(items: list[dict]) -> tuple[float, float, float, float]:
    return (min(b["x0"] for b in items), min(b["top"] for b in items),
            max(b["x1"] for b in items), max(b["bottom"] for b in items))


def paragraphs(lines: list[dict], right_edge: float, left_edge: float) -> list[dict]:
    """Join lines that wrap (the previous one runs to the right margin) into one
    paragraph so prose sentences are not cut in half. ``lines``: dicts with text
    and a bbox, in reading order."""
    out: list[dict] = []
    for ln in lines:
        prev = out[-1] if out else None
        # a sentence that ends flush with the margin, then a heading (二、…): two paragraphs
        heading_next = prev is not None and prev["text"].rstrip()[-1:] in "。；;：:" and _HEADING.match(ln["text"])
        if prev is not None and prev.get("_wraps") and not heading_next and ln["x0"] - left_edge < 40 \
                and ln["page"] == prev["page"] \
                and 0 <= ln["top"] - prev["bottom"] < (prev["bottom"] - prev["top"]) * 1.6 + 2:
            prev["text"] = join_wrapped(prev["text"] + "\n" + ln["text"])
            prev["x0"], prev["x1"] = min(prev["x0"], ln["x0"]), max(prev["x1"], ln["x1"])
            prev["bottom"] = ln["bottom"]
            if ln.get("confidence") is not None:
                prev["confidence"] = min(prev.get("confidence") or 1.0, ln["confidence"])
            prev["_wraps"] = right_edge - ln["x1"] < 2.5 * (ln["bottom"] - ln["top"])
            continue
        cur = dict(ln)
        cur["_wraps"] = right_edge - ln["x1"] < 2.5 * (ln["bottom"] - ln["top"])
        out.append(cur)
    return out


# --------------------------------------------------------------------------
# Cell boxes → grid
# --------------------------------------------------------------------------

def _cluster(values: list[float], tol: float) -> list[float]:
    """Distinct coordinates, values within ``tol`` merged into their mean."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def merge_close(values: list[float], tol: float) -> list[float]:
    """Sorted coordinates with those within ``tol`` of each other merged."""
    return _cluster(values, tol)


def _index(bounds: list[float], v: float) -> int:
    """The index of the (sorted) bound nearest ``v``; the lower one on a tie."""
    i = bisect_left(bounds, v)
    if i == 0:
        return 0
    if i == len(bounds) or v - bounds[i - 1] <= bounds[i] - v:
        return i - 1
    return i


_REGIONS = itertools.count()  # merged-cell ids, unique across the grids of a document


def grid_from_cells(cells: list[dict], tol: float = 3.0) -> list[list[dict]]:
    """Cell boxes (``x0, top, x1, bottom, text`` + anything else to carry) →
    a full grid: a merged cell is repeated over every position it covers, with
    ``primary`` true only at its top-left, as html.expand_table does."""
    if not cells:
        return []
    xs = _cluster([c["x0"] for c in cells] + [c["x1"] for c in cells], tol)
    ys = _cluster([c["top"] for c in cells] + [c["bottom"] for c in cells], tol)
    grid: dict[tuple[int, int], dict] = {}
    for c in sorted(cells, key=lambda c: (c["top"], c["x0"])):
        c0, c1 = _index(xs, c["x0"]), _index(xs, c["x1"])
        r0, r1 = _index(ys, c["top"]), _index(ys, c["bottom"])
        base = {k: v for k, v in c.items() if k not in ("x0", "top", "x1", "bottom")}
        base["bbox"] = (c["x0"], c["top"], c["x1"], c["bottom"])
        base["_region"] = next(_REGIONS)
        for r in range(r0, max(r1, r0 + 1)):
            for col in range(c0, max(c1, c0 + 1)):
                if (r, col) not in grid:
                    grid[(r, col)] = dict(base, primary=(r == r0 and col == c0))
    height, width = len(ys) - 1, len(xs) - 1
    out = []
    for r in range(height):
        row = [dict(grid.get((r, c)) or {"text": "", "primary": True, "_region": next(_REGIONS)},
                    _x=(xs[c], xs[c + 1]), _y=(ys[r], ys[r + 1])) for c in range(width)]
        if any(cell["text"] or not cell["primary"] for cell in row):
            out.append(row)
    return out


def columns(grid: list[list[dict]]) -> list[tuple[float, float]] | None:
    """The x-extent of each grid column, when the grid was built from boxes."""
    if not grid or any("_x" not in c for c in grid[0]):
        return None
    return [c["_x"] for c in grid[0]]


def refine(grid: list[list[dict]], bounds: list[float]) -> list[list[dict]]:
    """The grid re-cut at finer column boundaries ``bounds``: a column split in
    two becomes a merged cell over both (primary on the left part only)."""
    old = columns(grid)
    out = []
    for row in grid:
        new_row = []
        for a, b in zip(bounds, bounds[1:]):
            mid = (a + b) / 2
            j = next((j for j, (x0, x1) in enumerate(old) if x0 - 1 <= mid <= x1 + 1), len(old) - 1)
            first = abs(a - old[j][0]) < 6
            cell = row[j]
            new_row.append(dict(cell, _x=(a, b), primary=cell.get("primary", True) and first))
        out.append(new_row)
    return out


def _offset(a: list[list[dict]], b: list[list[dict]]) -> float | None:
    """How far ``b`` sits right of ``a`` when both are one table of the same
    width; None when they are not. A scanned sheet lies a little differently
    on the glass than the one before it: the table moves whole (up to 5% of
    its width), its width stays (within 2%, and never less than 6 units)."""
    ca, cb = columns(a), columns(b)
    if ca is None or cb is None:
        return 0.0
    width = ca[-1][1] - ca[0][0]
    tol = max(6.0, 0.02 * width)
    shift = cb[0][0] - ca[0][0]
    if abs((cb[-1][1] - cb[0][0]) - width) > tol or abs(shift) > max(tol, 0.05 * width):
        return None
    return shift


def _same_span(a: list[list[dict]], b: list[list[dict]]) -> bool:
    """The same width, at (nearly) the same place (when the grids know their geometry)."""
    return _offset(a, b) is not None


def _shifted(grid: list[list[dict]], dx: float) -> list[list[dict]]:
    if not dx:
        return grid
    return [[dict(c, _x=(c["_x"][0] - dx, c["_x"][1] - dx)) if "_x" in c else c for c in row] for row in grid]


def _align(first: list[list[dict]], cont: list[list[dict]]):
    """Both grids cut at the union of their column boundaries, or None when
    they do not span the same width (then they are not one table)."""
    shift = _offset(first, cont)
    if shift is None or columns(first) is None or columns(cont) is None:
        return None
    cont = _shifted(cont, shift)
    a, b = columns(first), columns(cont)
    # rows of one table may place a rule a few points apart (LibreOffice does)
    bounds = _cluster([x for x0, x1 in a + b for x in (x0, x1)], 6.0)
    return refine(first, bounds), refine(cont, bounds)


def strip_private(grid: list[list[dict]]) -> list[list[dict]]:
    return [[{k: v for k, v in cell.items() if not k.startswith("_")} for cell in row] for row in grid]


def is_empty(grid: list[list[dict]]) -> bool:
    return not any(cell.get("text") for row in grid for cell in row)


# --------------------------------------------------------------------------
# Empty cells that are layout, not values
# --------------------------------------------------------------------------

def _is_label(cell: dict) -> bool:
    text = str(cell.get("text") or "").strip()
    return bool(text) and not is_number_text(text)


def _absorb(grid: list[list[dict]], r: int, c: int, into: dict) -> None:
    """The empty merged cell at (r, c) becomes part of the merged cell ``into``."""
    region, gone = into.get("_region"), grid[r][c].get("_region")
    box, own = into.get("bbox"), grid[r][c].get("bbox")
    if box and own:
        box = (min(box[0], own[0]), min(box[1], own[1]), max(box[2], own[2]), max(box[3], own[3]))
    for row in grid:
        for k, cell in enumerate(row):
            if cell.get("_region") == region:
                row[k] = dict(cell, bbox=box or cell.get("bbox"))
            elif cell.get("_region") == gone:
                row[k] = dict(cell, text=into.get("text", ""), _region=region, bbox=box or cell.get("bbox"))


def _primary_first(grid: list[list[dict]]) -> None:
    """Each merged cell is primary at its first position, row by row."""
    seen: set = set()
    for row in grid:
        for k, cell in enumerate(row):
            region = cell.get("_region")
            first = region not in seen
            seen.add(region)
            if cell.get("primary", True) != first:
                row[k] = dict(cell, primary=first)


def tidy(grid: list[list[dict]]) -> list[list[dict]]:
    """A ruled grid with the empty cells that only the drawing made: a
    header row whose merged heading is drawn as an empty box beside the
    heading's box (``行政复议 | | 行政诉讼``), a label written across two
    boxes of which one stays empty (``（六）其他处理 | | 0``), a group label
    whose box the page break cut (an empty box above a sub-label). Such a
    box joins the heading or label it belongs to, so the numbers of each row
    keep their columns and no empty box passes for a blank value.

    Only cells left of the first column holding a number (the label
    columns) and cells of the header rows above the first row holding one
    are touched; an empty box among the value columns stays a blank value."""
    if not grid or not any(has_digit(str(c.get("text") or "")) for row in grid for c in row):
        return grid
    grid = [list(row) for row in grid]
    first_row = next(r for r, row in enumerate(grid) if any(is_number_text(str(c.get("text") or "")) for c in row)) \
        if any(is_number_text(str(c.get("text") or "")) for row in grid for c in row) else len(grid)
    value_cols = [k for row in grid[first_row:] for k, c in enumerate(row)
                  if c.get("primary", True) and is_number_text(str(c.get("text") or ""))]
    first_col = min(value_cols) if value_cols else 0
    changed = False
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            if not cell.get("primary", True) or str(cell.get("text") or "").strip():
                continue
            if r < first_row:
                target = _header_owner(grid, r, c)
            elif c < first_col:
                target = _label_owner(grid, r, c, first_row)
            else:
                continue
            if target is not None:
                _absorb(grid, r, c, target)
                changed = True
    if changed:
        _primary_first(grid)
    return grid


def _header_owner(grid: list[list[dict]], r: int, c: int) -> dict | None:
    """The heading beside an empty header box that the box belongs to: the
    one whose columns the box below it reaches into, else the one to its left."""
    row = grid[r]
    region = row[c].get("_region")
    span = [k for k, cell in enumerate(row) if cell.get("_region") == region]
    left = next((row[k] for k in range(span[0] - 1, -1, -1) if _is_label(row[k])), None)
    right = next((row[k] for k in range(span[-1] + 1, len(row)) if _is_label(row[k])), None)
    if r + 1 < len(grid):
        below = grid[r + 1]
        reach = {below[k].get("_region") for k in span if k < len(below)}
        for side, k in ((right, span[-1] + 1), (left, span[0] - 1)):
            if side is None or not 0 <= k < len(below):
                continue
            if below[k].get("_region") in reach:
                return side
    return left or right


def _label_owner(grid: list[list[dict]], r: int, c: int, first_row: int) -> dict | None:
    """The label an empty box of a label column belongs to: the group label
    above it when a sub-label follows it on its row (a group cut by the page
    break), else the label on its left (one label drawn over two boxes)."""
    row = grid[r]
    above = grid[r - 1][c] if r > first_row and c < len(grid[r - 1]) else None
    right = row[c + 1] if c + 1 < len(row) else None
    if above is not None and _is_label(above) and right is not None and _is_label(right):
        return above
    left = row[c - 1] if c > 0 else None
    if left is not None and _is_label(left):
        return left
    return None


# --------------------------------------------------------------------------
# Tables continued on the next page
# --------------------------------------------------------------------------

def _row_texts(row: list[dict]) -> list[str]:
    return ["".join(str(c.get("text") or "").split()) for c in row]


_WORDLIKE = re.compile(r"[\w\u3400-\u9fff]+")


def _same_row(a: list[dict], b: list[dict]) -> bool:
    """Two rows print the same words (OCR may read the colons and brackets
    of a repeated header as their half-width twins, or drop them)."""
    ta, tb = _row_texts(a), _row_texts(b)
    if ta == tb:
        return True
    return len(ta) == len(tb) and all("".join(_WORDLIKE.findall(x)) == "".join(_WORDLIKE.findall(y))
                                      for x, y in zip(ta, tb))


def stitch(first: list[list[dict]], cont: list[list[dict]]) -> list[list[dict]]:
    """``first`` followed by ``cont``, the same table continued on the next
    page (same column count): a repeated header is dropped, a row the page
    break cut in two is joined back, and merged label cells that ran over
    the break carry their text on."""
    cont = [list(r) for r in cont]
    # repeated header: the continuation starts with the first table's first k rows
    k = 0
    while k < min(len(first), len(cont)) - 1 and _same_row(first[k], cont[k]) \
            and not all(has_digit(t) for t in _row_texts(cont[k]) if t):
        k += 1
    cont = cont[k:]
    if not cont:
        return first
    first = [list(r) for r in first]
    last = first[-1]
    top = cont[0]
    # a row cut by the page break: no numbers on the continued part, only the
    # rest of a label, while the cut row above already holds its numbers
    top_texts = [c.get("text") or "" for c in top if c.get("primary", True)]
    if top_texts and not any(has_digit(t) for t in top_texts) and any(top_texts) \
            and any(has_digit(c.get("text") or "") for c in last):
        for c, cell in enumerate(top):
            if c < len(last) and cell.get("primary", True) and cell.get("text"):
                region = last[c].get("_region")
                merged = join_wrapped(str(last[c].get("text") or "") + "\n" + cell["text"])
                for row in first:
                    if c < len(row) and row[c].get("_region") == region:
                        row[c] = dict(row[c], text=merged)
        cont = cont[1:]
        if not cont:
            return first
        top = cont[0]
    # a merged cell (an empty label region at the top of the continuation)
    # that is the lower part of a label cell of the first page. Between two
    # header rows (no digits on either side of the break) an empty cell under
    # a label can only be the rest of that label: data rows hold the numbers.
    headers_cut = not any(has_digit(c.get("text") or "") for c in top) \
        and not any(has_digit(c.get("text") or "") for c in last)
    for c, cell in enumerate(top):
        if c >= len(last) or cell.get("text") or not last[c].get("text") or _NUMBER.match(last[c]["text"]):
            continue
        region = cell.get("_region")
        spans = sum(1 for row in cont if c < len(row) and row[c].get("_region") == region)
        if spans < 2 and cell.get("primary", True) and len(cont) > 1 and not headers_cut:
            # a single empty cell is not evidence of a merged label
            continue
        for row in cont:
            if c < len(row) and row[c].get("_region") == region:
                row[c] = dict(row[c], text=last[c]["text"], primary=False, _region=last[c].get("_region"))
    return first + cont


def stitch_pages(items: list[dict]) -> list[dict]:
    """A table ending page N and one starting page N+1 with the same column
    count are one table split by the page break."""
    out: list[dict] = []
    for it in items:
        prev = out[-1] if out else None
        if (it["kind"] == "table" and prev is not None and prev["kind"] == "table"
                and it["page"] == prev["last_page"] + 1 and _first_on_page(items, it)):
            if len(it["grid"][0]) == len(prev["grid"][0]) and _same_span(prev["grid"], it["grid"]):
                prev["grid"] = stitch(prev["grid"], it["grid"])
                prev["last_page"] = it["page"]
                continue
            # a cut header row can leave the two parts with different column
            # cuts: same outer edges → one table at the finer cut
            aligned = _align(prev["grid"], it["grid"])
            if aligned is not None:
                prev["grid"] = stitch(*aligned)
                prev["last_page"] = it["page"]
                continue
        it = dict(it)
        it["last_page"] = it["page"]
        out.append(it)
    return out


def _first_on_page(items: list[dict], item: dict) -> bool:
    for it in items:
        if it["page"] == item["page"]:
            return it is item
    return False


def emit(builder, items: list[dict], right_edge: float, left_edge: float) -> None:
    """Items (tables and text lines, in reading order) into a DocumentBuilder;
    consecutive lines are joined into paragraphs first."""
    pending: list[dict] = []

    def flush():
        for para in paragraphs(pending, right_edge, left_edge):
            builder.add_text(para["text"], page=para["page"],
                             bbox=(para["x0"], para["top"], para["x1"], para["bottom"]),
                             confidence=para.get("confidence"))
        pending.clear()

    for it in items:
        if it["kind"] == "text":
            pending.append(it)
        else:
            flush()
            builder.add_table(strip_private(tidy(it["grid"])), page=it["page"])
    flush()
