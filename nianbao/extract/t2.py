"""Table 二 (proactive disclosure), in its 2021 or 2019 layout."""
from __future__ import annotations

from ..template import T2_LAYOUT_MARKERS, T2_LAYOUTS
from .labels import MAX_LABEL_CHARS, find_t2_fields, label_units, normalize
from .rows import segments_of
from .solver import Candidate, Variable, ambiguous_cells
from .splits import split_plain
from .t3 import Decoded
from .tokens import BLANK, NUM, ROW_END, TEXT, Item


def detect_layout(items: list[Item]) -> str:
    text = "".join(normalize(it.text) for it in items if it.kind == TEXT)
    scores = {k: sum(text.count(m) for m in ms) for k, ms in T2_LAYOUT_MARKERS.items()}
    if "其他对外管理" in text or "集中采购" in text:
        scores["2019"] += 2
    if scores["2019"] > scores["2021"]:
        return "2019"
    return "2021"


def _events(items: list[Item], layout: str) -> list[tuple]:
    events = []
    started = False
    for it in items:
        if it.kind == TEXT and len(it.text) <= MAX_LABEL_CHARS:
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
            single_label_run = (len(labels) <= 1 and len(queue) < w and len(queue) >= 1)
            if single_label_run and any(it.kind == NUM and not it.cell and it.text.isdigit() for it in queue):
                raws = "".join("0" if it.kind == BLANK else it.text for it in queue)
                cands = [Candidate({(key, c): v for c, v in enumerate(vals)}, float(r),
                                   {(key, c): queue[0].span_origin() for c in range(w)}, "split")
                         for r, vals in enumerate(_ranked_splits(raws, w))]
                if cands:
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
        dec.origins.update(var.candidates[0].origins)
    dec.ambiguous = ambiguous_cells(variables, None)
    dec.unreadable = {c for c, v in dec.values.items() if v is None}
    return layout, dec


def _ranked_splits(digits: str, n: int) -> list[list[int]]:
    """Readings of a digit run as ``n`` numbers, evenly sized ones first."""
    readings = split_plain(digits, n)
    readings.sort(key=lambda vals: (max(len(str(v)) for v in vals) - min(len(str(v)) for v in vals)))
    return readings
