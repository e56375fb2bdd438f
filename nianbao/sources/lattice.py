"""Ruled tables from a page's edges: the rules snapped and joined, their
crossings found, and every smallest rectangle the rules close is a cell.

The same reading as pdfplumber's "lines" strategy (snap, join and
intersection tolerances of 3 points, edges shorter than 3 points dropped, a
table is a group of cells sharing corners, a lone cell is no table), done
with sorted indexes instead of all-pairs scans, so that a page of hundreds
of rules costs milliseconds.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right

SNAP = 3.0
JOIN = 3.0
MIN_LENGTH = 3.0
PREFILTER = 1.0
CROSS = 3.0
MAX_CROSSINGS = 20_000  # a drawing (a hatched map, a chart grid), not a table: no cells looked for


def _snap(edges: list[dict], key: str, other: str) -> None:
    """Edges whose positions chain within SNAP move to their cluster's mean
    (in place; the mean is taken over edges in their given order)."""
    if not edges:
        return
    values = sorted({e[key] for e in edges})
    cluster_of: dict[float, int] = {}
    cid = 0
    last = values[0]
    for v in values:
        if v > last + SNAP:
            cid += 1
        cluster_of[v] = cid
        last = v
    groups: dict[int, list[dict]] = {}
    for e in edges:
        groups.setdefault(cluster_of[e[key]], []).append(e)
    for group in groups.values():
        mean = sum(e[key] for e in group) / len(group)
        for e in group:
            shift = mean - e[key]
            if shift:
                e[key] += shift
                e[other] += shift


def _join(edges: list[dict], pos: str, lo: str, hi: str) -> list[dict]:
    """Edges on one line (same ``pos``) that overlap or nearly touch → one."""
    out: list[dict] = []
    for e in sorted(edges, key=lambda e: (e[pos], e[lo])):
        last = out[-1] if out else None
        if last is not None and last[pos] == e[pos] and e[lo] <= last[hi] + JOIN:
            if e[hi] > last[hi]:
                last[hi] = e[hi]
        else:
            out.append(dict(e))
    return out


def merge_edges(edges: list[dict]) -> tuple[list[dict], list[dict]]:
    """(horizontal, vertical) rules, snapped, joined and long enough to count."""
    h = [dict(e) for e in edges if e["orientation"] == "h" and e["x1"] - e["x0"] >= PREFILTER]
    v = [dict(e) for e in edges if e["orientation"] == "v" and e["bottom"] - e["top"] >= PREFILTER]
    _snap(v, "x0", "x1")
    _snap(h, "top", "bottom")
    h = [e for e in _join(h, "top", "x0", "x1") if e["x1"] - e["x0"] >= MIN_LENGTH]
    v = [e for e in _join(v, "x0", "top", "bottom") if e["bottom"] - e["top"] >= MIN_LENGTH]
    return h, v


def intersections(h: list[dict], v: list[dict]) -> dict[tuple[float, float], tuple[set, set]]:
    """Crossing point → (ids of vertical edges, ids of horizontal edges) through it."""
    h_sorted = sorted(range(len(h)), key=lambda i: (h[i]["top"], h[i]["x0"]))
    tops = [h[i]["top"] for i in h_sorted]
    out: dict[tuple[float, float], tuple[set, set]] = {}
    for vi in sorted(range(len(v)), key=lambda i: (v[i]["x0"], v[i]["top"])):
        e = v[vi]
        x = e["x0"]
        lo = bisect_left(tops, e["top"] - CROSS)
        hi = bisect_right(tops, e["bottom"] + CROSS)
        for k in range(lo, hi):
            he = h[h_sorted[k]]
            if he["x0"] - CROSS <= x <= he["x1"] + CROSS:
                vs, hs = out.setdefault((x, he["top"]), (set(), set()))
                vs.add(vi)
                hs.add(h_sorted[k])
    return out


def cells(points: dict[tuple[float, float], tuple[set, set]]) -> list[tuple[float, float, float, float]]:
    """For each crossing, the smallest rectangle with it as top-left corner
    whose four sides are rules (pdfplumber's find_smallest_cell)."""
    by_x: dict[float, list[float]] = {}
    by_y: dict[float, list[float]] = {}
    for x, y in sorted(points):
        by_x.setdefault(x, []).append(y)
        by_y.setdefault(y, []).append(x)
    out = []
    for (x, y) in sorted(points):
        vs, hs = points[(x, y)]
        col = by_x[x]
        row = by_y[y]
        below = col[bisect_right(col, y):]
        right = row[bisect_right(row, x):]
        found = None
        for by in below:
            if not (vs & points[(x, by)][0]):
                continue
            for rx in right:
                if not (hs & points[(rx, y)][1]):
                    continue
                corner = points.get((rx, by))
                if corner is not None and corner[0] & points[(rx, y)][0] and corner[1] & points[(x, by)][1]:
                    found = (x, y, rx, by)
                    break
            if found:
                break
        if found:
            out.append(found)
    return out


def tables(boxes: list[tuple[float, float, float, float]]) -> list[list[tuple[float, float, float, float]]]:
    """Cells grouped into tables: cells sharing a corner belong together; the
    tables top to bottom, then left to right; a single cell is not a table."""
    parent = list(range(len(boxes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[tuple[float, float], int] = {}
    for i, (x0, top, x1, bottom) in enumerate(boxes):
        for corner in ((x0, top), (x0, bottom), (x1, top), (x1, bottom)):
            j = owner.setdefault(corner, i)
            if j != i:
                a, b = find(i), find(j)
                if a != b:
                    parent[a] = b
    groups: dict[int, list] = {}
    for i, box in enumerate(boxes):
        groups.setdefault(find(i), []).append(box)
    found = [g for g in groups.values() if len(g) > 1]
    found.sort(key=lambda t: min((c[1], c[0]) for c in t))
    return found


def find_tables(edges: list[dict], extra: list[dict] = ()) -> list[list[tuple[float, float, float, float]]]:
    """Cell boxes (x0, top, x1, bottom) of each ruled table, from a page's
    edges and any rules a page break left out (``extra``)."""
    h, v = merge_edges(list(edges) + list(extra))
    if not h or not v or len(h) * len(v) > 50 * MAX_CROSSINGS:
        return []
    points = intersections(h, v)
    if len(points) > MAX_CROSSINGS:
        return []
    return tables(cells(points))


def bbox(cells_: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    return (min(c[0] for c in cells_), min(c[1] for c in cells_), max(c[2] for c in cells_),
            max(c[3] for c in cells_))
