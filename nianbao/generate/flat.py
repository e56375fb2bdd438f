"""Grids written out as the cell-less shapes: text flattened from a PDF, and crawled text with no separators.

Both return, besides the text, the *runs* the ambiguity oracle needs: the
places where the source leaves more than one reading open.

- ``pdf_flat``: labels drift away from their numbers; a block of rows prints
  all its labels and then all its numbers, row by row or column by column
  (which one is recorded). A block of several rows can be read either way, so
  each such block is a run with two candidate readings.
- ``concat``: each row's numbers run together (``640020470``); each run's
  candidates are its splits into the right number of numbers.
"""
from __future__ import annotations

import itertools
import re

from ..template import T2_LAYOUTS, T3_ROW_BY_KEY, T3_ROWS
from .noise import Noise, fmt_number, normalise, still_identifies
from .oracle import Budget, split_run
from .tables import Grid

# ---------------------------------------------------------------- pdf_flat


def _fragments(text: str, n: int) -> list[str]:
    step = max(1, -(-len(text) // n))
    return [text[i:i + step] for i in range(0, len(text), step)]


def _clean_cut(text: str, i: int, key: str) -> bool:
    """A label may wrap at ``i`` only if its first line still names the row and its
    second line names no row: otherwise the source itself would be unreadable."""
    head, tail = text[:i], text[i:]
    if not still_identifies(key, head):
        return False
    norm = normalise(tail)
    return not any(re.search(p, norm) for row in T3_ROWS for p in row.patterns)


def _flat_value(cell, noise: Noise, slash_zero: bool) -> str:
    if cell.value == 0 and isinstance(cell.value, int) and slash_zero and not cell.decimals:
        return "/"
    return fmt_number(cell.value)


def pdf_flat_t2(grid: Grid, noise: Noise, slash_zero: bool) -> list[str]:
    rng = noise.rng
    tokens: list[str] = []
    labels_first = rng.random() < 0.5
    items: list[tuple[list, list, list]] = []   # (header texts, label texts, value texts)
    for row in grid.rows:
        if len(row) == 1 and row[0].kind == "header":
            items.append(([row[0].text], [], []))
        elif row[0].kind == "header":
            items[-1][0].extend(noise.header(c.text) for c in row[1:])
            items[-1][1].append(noise.header(row[0].text))
        else:
            items[-1][1].append(noise.label(row[0].text))
            items[-1][2].extend(_flat_value(c, noise, slash_zero) for c in row[1:])
    if labels_first:
        for _, labels, _ in items:
            tokens += labels
        for heads, _, values in items:
            tokens += heads + values
    else:
        for heads, labels, values in items:
            tokens += heads[:1] + labels[:1] + heads[1:]
            per = len(values) // max(1, len(labels) - 1)
            for i, lab in enumerate(labels[1:]):
                tokens += [lab] + values[i * per:(i + 1) * per]
    return tokens


T3_HEADER_FLAT = ("申请人情况", "法人或其他组织", "(本列数据的勾稽关系为:第一项加第二项之和,", "社会", "法律",
                  "等于第三项加第四项之和)", "自然人", "商业", "科研", "公益", "服务", "其他", "企业", "机构", "组织", "机构", "总", "计")


def pdf_flat_t3(grid: Grid, noise: Noise, slash_zero: bool, page: list[int]) -> tuple[list[str], list[dict]]:
    """Tokens of table 三 and its blocks: ``{"rows": [keys], "order": "row"|"column"}``."""
    rng = noise.rng
    tokens = list(T3_HEADER_FLAT)
    rows = [(row, key) for row, key in zip(grid.rows, grid.row_keys) if key]
    blocks: list[dict] = []
    p_block = rng.choice([0.0, 0.3, 0.5])
    scrambled_used = False
    i = 0
    while i < len(rows):
        size = 1
        if rng.random() < p_block and i + 1 < len(rows):
            size = rng.randint(2, min(5, len(rows) - i))
        chunk = rows[i:i + size]
        i += size
        label_tokens: list[str] = []
        values: list[list[str]] = []
        for row, key in chunk:
            lab = [c for c in row if c.kind == "label"][0]
            heads, rests = [], []
            # A group label printed vertically in a narrow cell comes out in pieces around the row label.
            for g in (c for c in row if c.kind == "group"):
                pieces = _fragments(g.text, rng.choice([1, 2, 3]))
                heads.append(pieces[0])
                rests.extend(pieces[1:])
            label_tokens.append((heads, noise.label(lab.text, key), rests))
            values.append([_flat_value(c, noise, slash_zero) for c in row if c.kind == "value"])
        if size == 1:
            heads, text, rests = label_tokens[0]
            cuts = [i for i in range(6, len(text) - 3) if _clean_cut(text, i, chunk[0][1])]
            if len(text) >= 14 and cuts and rng.random() < 0.5:
                # A wrapped label: its second line lands after the numbers.
                cut = rng.choice(cuts)
                tokens += heads + [text[:cut]] + values[0] + [text[cut:]] + rests
            else:
                tokens += heads + [text] + rests + values[0]
            blocks.append({"rows": [chunk[0][1]], "order": "row"})
        else:
            order = rng.choice(["row", "column"])
            printed = list(range(size))
            if not scrambled_used and size <= 4 and rng.random() < 0.35:
                # The text layer lists the labels out of order (seed 002's 不予处理 block): the numbers
                # still run in the table's order, but nothing in the text says which row is which.
                while printed == sorted(printed):
                    rng.shuffle(printed)
                scrambled_used = True
            for j in printed:
                heads, text, rests = label_tokens[j]
                tokens += heads + [text] + rests
            if order == "row":
                for v in values:
                    tokens += v
            else:
                for c in range(len(values[0])):
                    tokens += [v[c] for v in values]
            block = {"rows": [k for _, k in chunk], "order": order}
            if printed != sorted(printed):
                block["labels"] = [chunk[j][1] for j in printed]
            blocks.append(block)
        if rng.random() < 0.08:
            page[0] += 1
            tokens.append(f"— {page[0]} —")
    return tokens, blocks


def pdf_flat_t4(grid: Grid, noise: Noise, slash_zero: bool) -> list[str]:
    vals = [_flat_value(c, noise, slash_zero) for c in grid.rows[-1]]
    cols = [c.text for c in grid.rows[2][:5]]
    tops = [c[:2] for c in cols]
    bottoms = [c[2:] for c in cols]
    if noise.rng.random() < 0.5:
        return (["行政复议", "行政诉讼", "未经复议直接起诉"] + tops + bottoms + vals[:5] + ["复议后起诉"]
                + tops * 2 + bottoms * 2 + vals[5:])
    return ["行政复议", "行政诉讼"] + cols + ["未经复议直接起诉", "复议后起诉"] + cols * 2 + vals


def t3_block_readings(blocks: list[dict], rows: dict) -> list[list[dict]]:
    """For each block of several rows, every reading a careful reader must keep open.

    Labels in template order: the numbers read row by row or column by column.
    Labels out of order (``"labels"`` recorded): either order, and any row may own any
    group of seven numbers.
    """
    runs = []
    for b in blocks:
        keys = b["rows"]
        n = len(keys)
        if n < 2:
            continue
        printed = []
        if b["order"] == "row":
            for k in keys:
                printed += rows[k]
        else:
            for c in range(7):
                printed += [rows[k][c] for k in keys]
        groups_by_row = [printed[r * 7:(r + 1) * 7] for r in range(n)]
        groups_by_col = [[printed[c * n + r] for c in range(7)] for r in range(n)]
        assignments = itertools.permutations(range(n)) if b.get("labels") else [tuple(range(n))]
        readings: list[dict] = []
        for perm in assignments:
            for groups in (groups_by_row, groups_by_col):
                reading = {f"t3.{keys[perm[r]]}[{c}]": groups[r][c] for r in range(n) for c in range(7)}
                if reading not in readings:
                    readings.append(reading)
        runs.append(readings)
    return runs


# ---------------------------------------------------------------- concat

def _kinds_t2(layout: str, key: str) -> str:
    for f in T2_LAYOUTS[layout]:
        if f.key != key:
            continue
        if f.scalar:
            return "d" if f.decimals else "u"
        return "".join("s" if col == "本年增/减" else ("d" if f.decimals and i == 1 else "u")
                       for i, col in enumerate(f.columns))
    raise KeyError(key)


def _spaced_run(values, rng, share: float) -> tuple[str, set[int]]:
    """The digits of a row run together, with a space at some of the borders between
    cells (crawled pages keep a few: `` 30 0 0 0 03``), and where those borders are."""
    pieces = [fmt_number(c.value) for c in values]
    digits, cuts, pos = "", set(), 0
    for i, piece in enumerate(pieces):
        if i and rng.random() < share:
            digits += rng.choice([" ", " ", "\xa0", "\u200b"])
            cuts.add(pos)
        digits += piece
        pos += len(piece)
    return digits, cuts


def _cut_at(reading: list, cuts: set[int]) -> bool:
    """Whether a reading of a run (whole numbers) has a border at every printed space."""
    ends, pos = set(), 0
    for v in reading[:-1]:
        pos += len(str(v))
        ends.add(pos)
    return cuts <= ends


def concat_table(grid: Grid, noise: Noise, budget: Budget, spaces: float = 0.0) -> tuple[list[str], list[list[dict]]]:
    """Lines of a table with no separators, and the candidate readings of every digit run.
    ``spaces``: the share of borders between cells that keep a space (whole-number rows)."""
    lines: list[str] = []
    runs: list[list[dict]] = []
    for row, key in zip(grid.rows, grid.row_keys):
        labels = [c for c in row if c.kind != "value"]
        values = [c for c in row if c.kind == "value"]
        if grid.name == "t3" and key:
            text = "".join(noise.label(c.text, key if c.kind == "label" else None) for c in labels)
        elif grid.name == "legacy":
            text = "".join(c.text for c in labels)
        else:
            text = "".join(noise.header(c.text) if c.kind == "header" else noise.label(c.text) for c in labels)
        digits = "".join(fmt_number(c.value) for c in values)
        cuts: set[int] = set()
        if spaces and values and all(isinstance(c.value, int) for c in values):
            printed, cuts = _spaced_run(values, noise.rng, spaces)
        else:
            printed = digits
        lines.append(text + printed)
        if not values:
            continue
        refs = [c.ref for c in values]
        if grid.name == "t3":
            segments = [("sum", 6)]
        elif grid.name == "t4":
            segments = [("sum", 4)] * 3
        elif grid.name == "t2":
            segments = [("free", _kinds_t2(grid.layout, key))]
        else:
            segments = [("free", "".join("d" if c.decimals else "u" for c in values))]
        readings = split_run(digits, segments, budget)
        if grid.name == "legacy" and len(values) == 2:
            # 历年累计 includes this year's figure: a reading with a smaller cumulative is no reading.
            readings = [r for r in readings if r[1] >= r[0]]
        if cuts:
            readings = [r for r in readings if _cut_at(r, cuts)]
        runs.append([dict(zip(refs, r)) for r in readings])
    return lines, runs


def t3_label_ok(key: str) -> bool:
    return key in T3_ROW_BY_KEY
