"""Table 二 (proactive disclosure), in its 2021 or 2019 layout."""
from __future__ import annotations

from ..template import T2_LAYOUT_MARKERS, T2_LAYOUTS, T2_SIGNED_COLUMNS
from .labels import MAX_LABEL_CHARS, find_t2_fields, label_units, normalize
from .rows import segments_of
from .blocks import provenance
from .solver import Candidate, Variable, ambiguous_cells
from .splits import MAX_READINGS, split_kinds
from .t3 import Decoded
from .tokens import BLANK, NUM, QTY, ROW_END, TEXT, Item


def detect_layout(items: list[Item]) -> str:
    text = "".join(normalize(it.text) for it in items if it.kind == TEXT)
    scores = {k: sum(text.count(m) for m in ms) for k, ms in T2_LAYOUT_MARKERS.items()}
    if "其他对外管理" in text or "集中采购" in text:
        scores["2019"] += 2
    if scores["2019"] > scores["2021"]:
        return "2019"
    return "2021"


# Units printed right after a cell of table 二 ("政府集中采购1个246900元"): the number is a cell.
_CELL_UNITS = ("个", "项", "元", "万元")


def _unit_after(items: list[Item], i: int) -> str:
    nxt = items[i + 1] if i + 1 < len(items) else None
    if nxt is None or nxt.kind != TEXT or nxt.start != items[i].end:
        return ""
    return nxt.text


def _in_row(items: list[Item], i: int, events: list[tuple]) -> bool:
    """Whether a number with a unit follows a field's label or another cell (``政府集中采购1个246900元``),
    not a sentence of the prose (``申请22件``)."""
    j = i - 1
    while j >= 0 and items[j].kind == TEXT and items[j].text.strip() in _CELL_UNITS:
        j -= 1
    if j < 0:
        return False
    if items[j].kind in (NUM, QTY):
        return bool(events) and events[-1][0] == "num" and events[-1][1].start == items[j].start
    return bool(events) and events[-1][0] == "label" and events[-1][2] is items[j]


def _events(items: list[Item], layout: str) -> list[tuple]:
    events = []
    started = False
    for i, it in enumerate(items):
        if it.kind == QTY and started and _unit_after(items, i).startswith(_CELL_UNITS) and _in_row(items, i, events):
            events.append(("num", Item(NUM, it.text, it.start, it.end, it.value, it.cell, it.origin)))
        elif it.kind == TEXT and len(it.text) <= MAX_LABEL_CHARS:
            norm = normalize(it.text)
            for unit, _ in label_units(norm):
                for key in find_t2_fields(unit, layout):
                    events.append(("label", key, it))
                    started = True
        elif it.kind in (NUM, BLANK) and started:
            events.append(("num", it))
        elif it.kind == ROW_END:
            events.append(("row_end",))
    return events


def decode_t2(items: list[Item]) -> tuple[str, Decoded] | None:
    layout = detect_layout(items)
    fields = T2_LAYOUTS[layout]
    widths = {f.key: len(f.columns) for f in fields}
    f_by_key = {f.key: f for f in fields}
    order = [f.key for f in fields]
    segments = segments_of(_events(items, layout))
    filled: set[str] = set()
    variables: list[Variable] = []
    cursor = 0
    for seg in segments:
        if not seg.items or len(filled) == len(order):
            continue
        labels = [k for k in dict.fromkeys(seg.labels) if k not in filled]
        start = order.index(labels[0]) if labels else cursor
        queue = list(seg.items)
        i = start
        while queue and i < len(order):
            key = order[i]
            i += 1
            if key in filled:
                continue
            w = widths[key]
            # Several labelled fields share this segment: give each its width.
            take = queue[:w]
            rest = queue[w:]
            single_label_run = len(labels) <= 1 and 1 <= len(queue) < w
            if single_label_run and all(it.kind == NUM for it in queue):
                # A run of digits holding the whole row ("50-1613007" = 50 | -16 | 13007).
                kinds = [_kind(col, f_by_key[key]) for col in f_by_key[key].columns]
                readings = _ranked(_token_readings([it.text for it in queue], kinds))
                if readings:
                    origin = {"span": [queue[0].start, queue[-1].end]}
                    cands = [Candidate({(key, c): v for c, v in enumerate(vals)}, float(r),
                                       {(key, c): dict(origin) for c in range(w)}, "split")
                             for r, vals in enumerate(readings)]
                    variables.append(Variable(key, cands))
                    filled.add(key)
                    queue = []
                    cursor = i
                    break
            values = {(key, c): (take[c].value if c < len(take) else None) for c in range(w)}
            origins = {(key, c): take[c].span_origin() for c in range(min(w, len(take)))}
            for c in range(min(w, len(take))):
                if take[c].kind == BLANK:
                    origins[(key, c)]["blank"] = True
            variables.append(Variable(key, [Candidate(values, 0.0, origins)]))
            filled.add(key)
            queue = rest
            cursor = i
            if all(it.kind == BLANK and it.cell for it in queue):
                break  # merge marks after the last cell of the row
    if not variables:
        return None
    dec = Decoded({})
    for var in variables:
        dec.values.update(var.candidates[0].values)
        dec.origins.update(provenance(var.candidates[0]))
    dec.ambiguous = ambiguous_cells(variables, None)
    dec.unreadable = {c for c, v in dec.values.items() if v is None}
    return layout, dec


def _token_readings(tokens: list[str], kinds: list[str]) -> list[list]:
    """Readings of printed numbers as cells of the given kinds, each number cut into
    one or more cells, never two numbers joined (a space between digits is a border)."""
    out: list[list] = []

    def rec(ti: int, ki: int, acc: list) -> None:
        if len(out) >= MAX_READINGS:
            return
        if ti == len(tokens):
            if ki == len(kinds):
                out.append(list(acc))
            return
        later = len(tokens) - ti - 1
        for n in range(1, len(kinds) - ki - later + 1):
            for parts in split_kinds(tokens[ti], kinds[ki:ki + n]):
                rec(ti + 1, ki + n, acc + parts)

    rec(0, 0, [])
    return out


def _kind(column: str, field) -> str:
    if column in T2_SIGNED_COLUMNS:
        return "s"
    if field.decimals and (field.scalar or "金额" in column):
        return "d"
    return "u"


def _ranked(readings: list[list]) -> list[list]:
    """Evenly sized numbers first: the most plausible reading of a run."""
    return sorted(readings, key=lambda vals: max(len(str(v)) for v in vals) - min(len(str(v)) for v in vals))
