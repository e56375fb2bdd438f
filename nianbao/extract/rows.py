"""From a stream of labels and numbers to candidate readings of table rows.

The decoder reads numbers in the template's row order and uses the labels it
recognises as anchors: numbers after a label start at that label's row. A
block of numbers longer than one row fills the following rows. This serves
every shape alike: grid rows, pipe rows and one cell per line put each label
right before its numbers; text flattened from a PDF puts labels and numbers
apart but keeps the numbers in order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

from .blocks import column_major, multiset_readings, row_major, rows_consistent, split_readings
from .budget import BudgetExceeded
from .solver import Candidate, Variable
from .tokens import BLANK, NUM, Item


@dataclass
class Segment:
    labels: list[str] = field(default_factory=list)
    label_items: list[Item] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)


def segments_of(events: Sequence[tuple]) -> list[Segment]:
    """events: ("label", key, item) | ("num", item) | ("row_end",)"""
    out: list[Segment] = []
    cur = Segment()

    def close():
        # Blank cells of a row that names no row (a header) are no data.
        if cur.labels or any(it.kind != BLANK for it in cur.items):
            out.append(cur)

    for ev in events:
        if ev[0] == "label":
            if cur.items:
                close()
                cur = Segment()
            if not cur.labels or cur.labels[-1] != ev[1]:
                cur.labels.append(ev[1])
                cur.label_items.append(ev[2])
        elif ev[0] == "num":
            cur.items.append(ev[1])
        elif ev[0] == "row_end":
            if cur.items:
                close()
                cur = Segment()
    if cur.items or cur.labels:
        close()
    return out


@dataclass
class Block:
    keys: list[str]
    items: list[Item]
    labelled: bool
    cell_structured: bool
    labels_shuffled: bool = False  # labels printed out of order: which row owns which group is open
    side_by_side: bool = False     # the "rows" are groups of one printed row (table 四): no column order


def assign_blocks(segments: Sequence[Segment], order: Sequence[str], width: int) -> list[Block]:
    """Which rows each segment's numbers belong to."""
    filled: set[str] = set()
    pos = {k: i for i, k in enumerate(order)}
    cursor = 0
    blocks: list[Block] = []
    for seg in segments:
        if not seg.items:
            continue
        if len(filled) == len(order):
            break
        unfilled_labels = [k for k in dict.fromkeys(seg.labels) if k in pos and k not in filled]
        shuffled_labels = [pos[k] for k in unfilled_labels] != sorted(pos[k] for k in unfilled_labels)
        if unfilled_labels:
            # numbers keep the table's order even when the labels around them do not
            start = min(pos[k] for k in unfilled_labels)
        else:
            start = cursor
            while start < len(order) and order[start] in filled:
                start += 1
        items = list(seg.items)
        # A cell-structured row may end in blanks that are really merge marks.
        while (items and items[-1].kind == BLANK and items[-1].cell and len(items) % width
               and len(items) > width * max(1, len(unfilled_labels))):
            items.pop()
        m = len(items)
        splittable = any(it.kind == NUM and it.text.isdigit() and len(it.text) > 1
                         for it in seg.items)
        want = max(1, len(unfilled_labels))
        if splittable and m < width * want:
            k = want
        else:
            k = max(1, math.ceil(m / width))
        keys = []
        i = start
        while i < len(order) and len(keys) < k:
            if order[i] not in filled:
                keys.append(order[i])
            i += 1
        if not keys:
            continue
        filled.update(keys)
        cursor = pos[keys[-1]] + 1
        blocks.append(Block(keys, items, bool(unfilled_labels), all(it.cell for it in items),
                            shuffled_labels and not all(it.cell for it in items)))
    return blocks


def needs_reordering(block: Block, width: int) -> bool:
    """A multi-row block of flattened text whose rows do not add up in
    either printed order: its cells were shuffled."""
    keys, items = block.keys, block.items
    if block.cell_structured or len(keys) < 2 or len(items) != len(keys) * width:
        return False
    return not (rows_consistent(row_major(items, keys, width), keys, width)
                or rows_consistent(column_major(items, keys, width), keys, width))


def block_variable(block: Block, width: int, *, row_total: bool,
                   col_targets: Sequence[float | None] | None = None) -> Variable:
    """Candidate readings of one block. ``col_targets`` (what each column of
    the block must add up to, where known) enables the reading of shuffled
    blocks. When the table's search budget runs out, the block's cells are
    left without value (candidate note ``budget``), never guessed."""
    try:
        return _block_readings(block, width, row_total=row_total, col_targets=col_targets)
    except BudgetExceeded:
        return over_budget(block, width)


def over_budget(block: Block, width: int) -> Variable:
    """The block read as nothing: its cells None, each pointing at the numbers printed."""
    items = block.items
    span = {"span": [items[0].start, items[-1].end]} if items else {}
    cells = [(k, c) for k in block.keys for c in range(width)]
    return Variable("+".join(block.keys), [Candidate({cell: None for cell in cells}, 0.0,
                                                     {cell: dict(span) for cell in cells} if span else {},
                                                     "budget")])


def _block_readings(block: Block, width: int, *, row_total: bool,
                    col_targets: Sequence[float | None] | None = None) -> Variable:
    keys, items = block.keys, block.items
    n = len(keys) * width
    name = "+".join(keys)
    if len(items) == n and block.labels_shuffled and 1 < len(keys) <= 5:
        return Variable(name, _any_row_order(items, keys, width, row_total))
    if len(items) == n:
        rm = row_major(items, keys, width)
        if not row_total or block.cell_structured or len(keys) == 1:
            return Variable(name, [rm])
        cands = [rm]
        cm = column_major(items, keys, width)
        if rows_consistent(rm, keys, width):
            if block.side_by_side:
                return Variable(name, [rm])
            # Flattened text does not say in which order the block was printed: when both orders
            # add up row by row, the identities with the other rows decide (or it stays open).
            if cm.values != rm.values and rows_consistent(cm, keys, width):
                cm.rank = 1.0
                return Variable(name, [rm, cm])
            return Variable(name, [rm])
        if rows_consistent(cm, keys, width):
            cm.rank = 0.0
            rm.rank = 1.0
            return Variable(name, [cm, rm])
        shuffled = multiset_readings(items, keys, width, col_targets) if col_targets is not None else []
        if shuffled:
            for i, c in enumerate(shuffled):
                c.rank = float(i)
            return Variable(name, shuffled)
        return Variable(name, cands)
    if len(items) < n:
        cands = split_readings(items, keys, width, row_total=row_total)
        if not cands and len(keys) > 1 and not block.side_by_side:
            # Several labels, numbers enough for one row: the others were printed empty.
            cands = _one_row_readings(items, keys, width, row_total)
        if not cands and row_total:
            cands = split_readings(items, keys, width, row_total=False)[:50]
            for c in cands:
                c.note = "split-inconsistent"
        if cands:
            return Variable(name, cands)
        # Too few numbers and nothing to split: read what is there, the rest unreadable.
        values, origins = {}, {}
        for i in range(n):
            cell = (keys[i // width], i % width)
            if i < len(items):
                values[cell] = items[i].value
                origins[cell] = items[i].span_origin()
            else:
                values[cell] = None
        return Variable(name, [Candidate(values, 0.0, origins, "short")])
    # More numbers than cells: keep the first ones (stray numbers follow).
    return Variable(name, [row_major(items[:n], keys, width, note="truncated")])


def _one_row_readings(items, keys, width, row_total: bool) -> list[Candidate]:
    """Readings of a block's numbers as one row of the block, the other rows printed
    without numbers: the row right before the numbers first."""
    out: list[Candidate] = []
    for j in reversed(range(len(keys))):
        row = [keys[j]]
        if len(items) == width:
            found = [row_major(items, row, width)]
            if row_total and not rows_consistent(found[0], row, width):
                found[0].rank = 1.0
        elif len(items) < width:
            found = split_readings(items, row, width, row_total=row_total)
        else:
            found = []
        for cand in found:
            for k in keys:
                if k != keys[j]:
                    cand.values.update({(k, c): None for c in range(width)})
            cand.note = "one-row"
            out.append(cand)
    for i, cand in enumerate(sorted(out, key=lambda c: c.rank)):
        cand.rank = float(i)
    return out


def _any_row_order(items, keys, width, row_total: bool) -> list[Candidate]:
    """Readings of a block whose labels were printed out of order: each group
    of numbers may belong to any of the rows (printed order first)."""
    from itertools import permutations
    out: list[Candidate] = []
    seen = set()
    # Whether the rows add up does not depend on which row gets which group:
    # asked once per print order, not once per permutation.
    orders = [make for make in (row_major, column_major)
              if not row_total or rows_consistent(make(items, keys, width), keys, width)]
    for rank, perm in enumerate(permutations(keys)):
        for reading in (make(items, list(perm), width) for make in orders):
            sig = tuple(sorted(reading.values.items()))
            if sig in seen:
                continue
            seen.add(sig)
            reading.rank = float(len(out))
            out.append(reading)
    return out or [row_major(items, keys, width)]
