"""Readings of one block of numbers as rows of a table.

A block is the numbers printed between two labels. Most blocks are one row,
printed in order. Text flattened from PDFs also yields blocks of several rows,
printed row by row, column by column, or shuffled; crawled text yields runs of
digits with no separator. Each function here returns candidate readings
(:class:`Candidate`); the solver picks among them with the identities.
"""
from __future__ import annotations

from collections import Counter
from typing import Callable, Sequence

from .solver import Candidate
from itertools import product

from .budget import spend
from .splits import MAX_READINGS, split_tokens, split_with_total
from .tokens import BLANK, NUM, Item

MAX_MULTISET = 3000


class _Printed(tuple):
    """Where a cell of a reading was printed: (item, offsets in its text). Made into
    a provenance dict only for the reading the solver keeps; most are dropped."""
    __slots__ = ()


def _origin(item: Item, offsets: tuple[int, int] | None = None) -> _Printed:
    return _Printed((item, offsets))


def provenance(cand: Candidate) -> dict:
    """The reading's cell → provenance dict."""
    out = {}
    for cell, o in cand.origins.items():
        if type(o) is _Printed:
            item, offsets = o
            if offsets is None:
                o = item.span_origin()
            else:
                o = item.span_origin(item.start + offsets[0], item.start + offsets[1])
            if item.kind == BLANK:
                o["blank"] = True
        out[cell] = o
    return out


def _row_ok(row: Sequence, width: int) -> bool:
    if any(v is None for v in row[:width]):
        return False  # a cell without value: the row cannot be shown to add up
    return abs(sum(row[:width - 1]) - row[width - 1]) < 1e-6


def row_major(items: Sequence[Item], keys: Sequence[str], width: int, rank: float = 0.0,
              note: str = "row-major") -> Candidate:
    values, origins = {}, {}
    for i, it in enumerate(items[:len(keys) * width]):
        cell = (keys[i // width], i % width)
        values[cell] = it.value
        origins[cell] = _origin(it)
    return Candidate(values, rank, origins, note)


def column_major(items: Sequence[Item], keys: Sequence[str], width: int, rank: float = 1.0) -> Candidate:
    k = len(keys)
    values, origins = {}, {}
    for i, it in enumerate(items[:k * width]):
        cell = (keys[i % k], i // k)
        values[cell] = it.value
        origins[cell] = _origin(it)
    return Candidate(values, rank, origins, "column-major")


def rows_consistent(cand: Candidate, keys: Sequence[str], width: int) -> bool:
    return all(_row_ok([cand.values.get((k, c), 0) or 0 for c in range(width)], width) for k in keys)


def split_readings(items: Sequence[Item], keys: Sequence[str], width: int,
                   row_total: bool = True) -> list[Candidate]:
    """Readings of printed numbers as ``len(keys)`` rows when some runs of
    digits hold several cells."""
    n = len(keys) * width
    if row_total and len(items) == len(keys) and all(it.kind == NUM and it.text.isdigit() for it in items):
        runs = _row_runs(items, keys, width)
        if runs:
            return runs
        # as many runs as rows, but not one a row ("0000 | 0000 | 00332210" for three rows of
        # five: a separator fell inside a row): split across the runs below
    raws = [("0" if it.kind == BLANK else it.text) for it in items]
    splittable = [it.kind != BLANK and it.text.isdigit() and len(it.text) > 1 for it in items]
    check: Callable | None = (lambda row: _row_ok(row, width)) if row_total else None
    values = [0 if it.kind == BLANK else it.value for it in items]
    readings = split_tokens(raws, n, splittable, group=width if check else None, group_ok=check, values=values)
    out = []
    for reading in readings:
        values, origins = {}, {}
        # offsets of each piece inside its token
        pos_in_token: dict[int, int] = {}
        for i, (v, ti) in enumerate(reading):
            cell = (keys[i // width], i % width)
            values[cell] = v
            it = items[ti]
            start = pos_in_token.get(ti, 0)
            length = len(str(v)) if isinstance(v, int) else len(it.text)
            pos_in_token[ti] = start + length
            exact = it.end - it.start == len(it.text)
            origins[cell] = _origin(it, offsets=(start, start + length) if exact else None)
        out.append(Candidate(values, 0.0, origins, "split"))
    return _ranked_splits(out, keys, width)


def _row_runs(items: Sequence[Item], keys: Sequence[str], width: int) -> list[Candidate]:
    """One run of digits per row: each split so that the row adds up."""
    per_row = []
    for it, key in zip(items, keys):
        readings = split_with_total(it.text, width - 1)
        exact = it.end - it.start == len(it.text)
        cands = []
        for vals in readings:
            values, origins, pos = {}, {}, 0
            for c, v in enumerate(vals):
                length = len(str(v))
                values[(key, c)] = v
                origins[(key, c)] = _origin(it, offsets=(pos, pos + length) if exact else None)
                pos += length
            cands.append(Candidate(values, 0.0, origins, "split"))
        per_row.append(cands)
    out: list[Candidate] = []
    for combo in product(*per_row):
        merged = Candidate({}, 0.0, {}, "split")
        for c in combo:
            merged.values.update(c.values)
            merged.origins.update(c.origins)
        out.append(merged)
        if len(out) >= MAX_READINGS:
            break
    return _ranked_splits(out, keys, width)


def _ranked_splits(out: list[Candidate], keys: Sequence[str], width: int) -> list[Candidate]:
    """Split readings, most plausible first, ranked 0, 1, 2 …"""
    out.sort(key=lambda c: _split_rank(c, keys, width))
    return rank_in_order(out)


def _split_rank(cand: Candidate, keys: Sequence[str], width: int) -> float:
    """Plausibility of a split: few non-zero cells, the first column heaviest."""
    score = 0.0
    for k in keys:
        row = [cand.values[(k, c)] for c in range(width)]
        score += sum(1 for v in row[:width - 1] if v)
        if row[width - 1] and row[0] is not None:
            score += 1 - row[0] / row[width - 1]
    return score


def multiset_readings(items: Sequence[Item], keys: Sequence[str], width: int,
                      col_targets: Sequence[float | None]) -> list[Candidate]:
    """Readings of a shuffled block: the values are right, their order is not.

    Every row must add up; each column must add up to ``col_targets`` where
    known. Ranked by how far each value moves from its printed position.
    """
    k = len(keys)
    nonzero = [(it.value, idx) for idx, it in enumerate(items) if it.value]
    if not nonzero or len(items) != k * width:
        return []
    pool = Counter(v for v, _ in nonzero)
    budgets = list(col_targets)
    results: list[dict] = []

    def take(counter: Counter, v) -> bool:
        if counter[v] <= 0:
            return False
        counter[v] -= 1
        return True

    def parts_for(total, counter: Counter, col: int, acc: list, budgets_left: list):
        """Assign parts (columns col..width-2) adding up to ``total``."""
        if len(results) >= MAX_MULTISET:
            return
        spend()
        if col == width - 1:
            if total == 0:
                yield list(acc), list(budgets_left)
            return
        options = [0] + sorted({v for v, c in counter.items() if c > 0 and v <= total})
        for v in options:
            b = budgets_left[col]
            if v and b is not None and v > b:
                continue
            if v and not take(counter, v):
                continue
            if b is not None:
                budgets_left[col] = b - v
            acc.append(v)
            yield from parts_for(total - v, counter, col + 1, acc, budgets_left)
            acc.pop()
            if b is not None:
                budgets_left[col] = b
            if v:
                counter[v] += 1

    def rows(ri: int, counter: Counter, budgets_left: list, acc: list):
        if len(results) >= MAX_MULTISET:
            return
        spend()
        if ri == k:
            if sum(counter.values()) == 0 and all(b in (None, 0) for b in budgets_left[:width - 1]):
                results.append({keys[r]: row for r, row in enumerate(acc)})
            return
        totals = [0] + sorted({v for v, c in counter.items() if c > 0})
        for t in totals:
            if t and not take(counter, t):
                continue
            tb = budgets_left[width - 1]
            if tb is not None and t > tb:
                if t:
                    counter[t] += 1
                continue
            saved = list(budgets_left)
            if tb is not None:
                budgets_left[width - 1] = tb - t
            for parts, b2 in list(parts_for(t, counter.copy(), 0, [], list(budgets_left))):
                used = Counter(v for v in parts if v)
                c2 = counter.copy()
                c2.subtract(used)
                rows(ri + 1, c2, b2, acc + [parts + [t]])
            budgets_left[:] = saved
            if t:
                counter[t] += 1

    rows(0, pool.copy(), budgets, [])
    out = []
    for res in results:
        values, origins, cost = {}, {}, 0.0
        free = {}
        for v, idx in nonzero:
            free.setdefault(v, []).append(idx)
        used_idx: dict = {v: list(ix) for v, ix in free.items()}
        for r, key in enumerate(keys):
            for c in range(width):
                v = res[key][c]
                cell = (key, c)
                values[cell] = v
                pos = r * width + c
                if v:
                    # the printed occurrence of v nearest to this cell's row-major position
                    cands = used_idx[v]
                    best = min(cands, key=lambda i: abs(i - pos))
                    cands.remove(best)
                    cost += abs(best - pos)
                    origins[cell] = _origin(items[best])
                else:
                    origins[cell] = _origin(items[pos])
        first_rows = tuple(r for r, key in enumerate(keys) if any(res[key]))
        out.append((cost, first_rows, Candidate(values, 0.0, origins, "reordered")))
    out.sort(key=lambda x: (x[0], x[1]))
    return [c for _, _, c in out[:MAX_READINGS]]


def rank_in_order(cands: list[Candidate]) -> list[Candidate]:
    for i, c in enumerate(cands):
        c.rank = float(i)
    return cands
