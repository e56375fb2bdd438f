"""Table 三 (requests received and handled) from the item stream."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ..template import T3_ROW_BY_KEY, T3_TOTAL_COL, T3_WIDTH, identities, t3_leaf_keys, t3_row_keys, t3_rows
from .labels import MAX_LABEL_CHARS, find_t3_rows, label_units, normalize
from .blocks import provenance
from . import budget
from .rows import assign_blocks, block_variable, needs_reordering, segments_of
from .infer import infer_missing
from .solver import Candidate, Equation, Variable, ambiguous_cells, solve
from .tokens import BLANK, NUM, QTY, ROW_END, TEXT, Item, wrapped_t3_row

_2021_ONLY = ("other_no_correction", "other_no_fee", "other_misc")


@dataclass
class Decoded:
    """A decoded table: values, where they came from, and what is uncertain."""
    values: dict                      # cell → value
    origins: dict = field(default_factory=dict)
    ambiguous: set = field(default_factory=set)
    unreadable: set = field(default_factory=set)
    inferred: set = field(default_factory=set)     # cells not printed, fixed by the identities
    breaks: list = field(default_factory=list)     # (identity, cells) broken where some cell is in doubt
    notes: list = field(default_factory=list)      # (rule, cells, evidence, message zh, message en)
    form: str | None = None


def detect_form(items: list[Item]) -> str:
    text = "".join(normalize(it.text) for it in items if it.kind == TEXT)
    if any(k in text for k in ("逾期不补正", "缴纳费用", "收费通知", "不补正")):
        return "2021"
    if "(六)其他处理" in text or "六)其他处理" in text:
        return "2019"
    numbers = sum(1 for it in items if it.kind in (NUM, BLANK))
    return "2019" if 7 * 22 < numbers <= 7 * 23 else "2021"


def last_label(events: list[tuple]) -> str | None:
    for ev in reversed(events):
        if ev[0] == "label":
            return ev[1]
    return None


_NUMBERED = re.compile(r"(\d)[.、．]")


def _numbered_next(unit: str, previous: str | None, form: str) -> list[str]:
    """A numbered label the patterns do not know (a misprint: ``7.属于行政执法案件``)
    that goes on the numbering of the group the last label belongs to: the template's
    row of that group with that number."""
    m = _NUMBERED.match(unit)
    if previous is None or not m or len(unit) < 4:
        return []
    rows = t3_rows(form)
    keys = [r.key for r in rows]
    if previous not in keys:
        return []
    group = T3_ROW_BY_KEY[previous].group
    for row in rows[keys.index(previous) + 1:]:
        if row.group != group:
            break
        if row.label.startswith(m.group(1)):
            return [row.key]
    return []


def counted_in_prose(items: list[Item], i: int) -> bool:
    """Whether the text at ``i`` is part of a sentence that counts (``其中予以公开0件``): a
    label followed by a number with its unit is prose, not the table's row."""
    nxt = items[i + 1] if i + 1 < len(items) else None
    return nxt is not None and nxt.kind == QTY and nxt.start - items[i].end <= 2  # (a PDF's "申请 22 件")


def label_events(items: list[Item], form: str) -> list[tuple]:
    events: list[tuple] = []
    seen: set[str] = set()
    started = False
    for i, it in enumerate(items):
        if it.kind == TEXT:
            if len(it.text) > MAX_LABEL_CHARS or counted_in_prose(items, i):
                continue
            norm = normalize(it.text)
            for unit, _ in label_units(norm):
                keys = []
                for key, _, _, rank in find_t3_rows(unit):
                    if key == "other" and form != "2019":
                        continue
                    if key in _2021_ONLY and form != "2021":
                        continue
                    if key == "total" and rank >= 2 and "new" not in seen:
                        continue
                    keys.append(key)
                if not keys and unit in ("其他", "3其他") and "other_no_fee" in seen and form == "2021":
                    keys = ["other_misc"]
                if not keys and events:
                    keys = _numbered_next(unit, last_label(events), form)
                if not keys and it.cell:
                    keys = [k for k in [wrapped_t3_row(items, i)] if k]
                for key in keys:
                    events.append(("label", key, it))
                    seen.add(key)
                    started = True
                if not keys and started and it.cell:
                    events.append(("text", it))
        elif it.kind in (NUM, BLANK):
            if started:
                events.append(("num", it))
        elif it.kind == ROW_END:
            events.append(("row_end",))
    return events


def equations(form: str, extra: list[Equation] = ()) -> list[Equation]:
    return list(_identity_equations(form)) + list(extra)


@lru_cache(maxsize=None)
def _identity_equations(form: str, table: str = "t3") -> tuple[Equation, ...]:
    """The identities of one table as equations over its cells (key, column)."""
    out = []
    for ident in identities(form):
        if ident.lhs[0].table != table:
            continue
        terms = tuple(((r.key, r.index), 1) for r in ident.lhs) + tuple(((r.key, r.index), -1) for r in ident.rhs)
        out.append(Equation(terms, 0.0, ident.rule))
    return tuple(out)


def _column_targets(block_keys, certain: dict, form: str) -> list[float | None]:
    """What each column of a block must add up to, from the rows known for certain."""
    leaves = t3_leaf_keys(form)
    targets: list[float | None] = []
    block_leaves = [k for k in block_keys if k in leaves]
    if len(block_leaves) != len(block_keys):
        return [None] * T3_WIDTH
    for c in range(T3_WIDTH):
        total = certain.get(("total", c))
        if total is None:
            targets.append(None)
            continue
        others = [certain.get((k, c)) for k in leaves if k not in block_keys]
        if any(v is None for v in others):
            targets.append(None)
        else:
            targets.append(total - sum(others))
    return targets


@budget.table_budget
def decode_t3(items: list[Item], claims: list[Equation] = ()) -> Decoded | None:
    form = detect_form(items)
    order = list(t3_row_keys(form))
    events = label_events(items, form)
    segments = segments_of(events)
    blocks = assign_blocks(segments, order, T3_WIDTH)
    if not blocks:
        return None
    variables: list[Variable] = []
    shuffled: list[int] = []
    for b in blocks:
        if needs_reordering(b, T3_WIDTH):
            shuffled.append(len(variables))
        variables.append(block_variable(b, T3_WIDTH, row_total=True))
    # Shuffled blocks are read once the certain rows tell what their columns must hold.
    if shuffled:
        certain = {}
        for vi, var in enumerate(variables):
            if vi not in shuffled and len(var.candidates) == 1:
                certain.update(var.candidates[0].values)
        for vi in shuffled:
            targets = _column_targets(blocks[vi].keys, certain, form)
            variables[vi] = block_variable(blocks[vi], T3_WIDTH, row_total=True, col_targets=targets)
    eqs = _usable_equations(variables, equations(form))
    sol = solve(variables, eqs)
    if claims and sol.satisfied and sol.feasible and any(len(f) > 1 for f in sol.feasible):
        with_claims = solve(variables, eqs + list(claims))
        if with_claims.satisfied:
            sol = with_claims
    dec = Decoded({}, form=form)
    for vi, var in enumerate(variables):
        cand = var.candidates[sol.choice[vi]]
        dec.values.update(cand.values)
        dec.origins.update(provenance(cand))
    amb = ambiguous_cells(variables, sol.feasible)
    for vi, var in enumerate(variables):
        amb |= misplaced_cells(var.candidates[sol.choice[vi]])
    dec.ambiguous = amb
    fill_in(dec, equations(form))
    dec.notes.extend(budget.notes(variables, sol.choice, sol.exhausted, amb))
    for vi, var in enumerate(variables):
        cand = var.candidates[sol.choice[vi]]
        if cand.note in ("reordered", "column-major") and not any(c in amb for c in cand.values):
            dec.notes.append(("extract.reordered", sorted(cand.values), "",
                              "表格单元格顺序错乱，已按勾稽关系唯一确定其位置",
                              "cells printed out of order; their places follow uniquely from the identities"))
    return dec


def misplaced_cells(cand: Candidate) -> set:
    """Cells of a row printed with too few numbers: which cell is the empty one is
    not known, so every value may sit one place off — unless they are all the same."""
    if cand.note != "short":
        return set()
    printed = {v for v in cand.values.values() if v is not None}
    return set(cand.values) if len(printed) > 1 else set()


def fill_in(dec: Decoded, eqs: list[Equation]) -> None:
    """Cells left empty get the value the identities fix, if any; the rest are unreadable.
    Then the identities still broken where a cell is in doubt are noted: whether the
    original or our reading breaks them is not known, so no one is accused."""
    inferred = infer_missing(dec.values, eqs, dec.ambiguous)
    dec.values.update(inferred)
    dec.inferred = set(inferred)
    dec.unreadable = {c for c, v in dec.values.items() if v is None}
    for eq in eqs:
        cells = [c for c, _ in eq.terms]
        if not any(c in dec.ambiguous for c in cells) or any(dec.values.get(c) is None for c in cells):
            continue
        if abs(sum(coef * dec.values[c] for c, coef in eq.terms) - eq.constant) > 1e-6:
            dec.breaks.append((eq.label, cells))


def _usable_equations(variables: list[Variable], eqs: list[Equation]) -> list[Equation]:
    """Drop identities the original breaks in cells read for certain: they
    cannot help choose a reading (the validator reports them)."""
    certain: dict = {}
    uncertain: set = set()
    for var in variables:
        if len(var.candidates) == 1:
            certain.update(var.candidates[0].values)
        else:
            for c in var.candidates:
                uncertain.update(c.values)
    out = []
    for eq in eqs:
        cells = [c for c, _ in eq.terms]
        if all(c in certain and c not in uncertain for c in cells):
            if any(certain[c] is None for c in cells):
                continue
            s = sum(coef * certain[c] for c, coef in eq.terms)
            if abs(s - eq.constant) > 1e-6:
                continue
        out.append(eq)
    return out


def rows_of(dec: Decoded, form: str) -> dict:
    rows = {}
    for key in t3_row_keys(form):
        vals = [dec.values.get((key, c)) for c in range(T3_WIDTH)]
        rows[key] = vals
    return rows


TOTAL_COL = T3_TOTAL_COL
