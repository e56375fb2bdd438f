"""The statistical tables of a record as grids of cells, laid out like the official forms.

A :class:`Grid` is the printed form of one table: rows of cells with their
row/column spans, label cells carrying text and value cells carrying the cell
reference (``t3.new[0]``) and the number. Every renderer (HTML, text with
pipes, flattened PDF text, crawled text) starts from these grids, so the forms
are laid out once.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..template import T2_LAYOUTS, T3_COLUMNS, T3_ROW_BY_KEY, T4_COLUMNS, T4_GROUPS, t3_row_keys


@dataclass
class Cell:
    text: str = ""                 # label text; for value cells filled in by the renderer
    colspan: int = 1
    rowspan: int = 1
    ref: str | None = None         # value cells: "t3.new[0]"
    value: object = None           # value cells: the number
    kind: str = "label"            # "label" | "header" | "value" | "group"
    signed: bool = False           # may print negative (2019 本年增/减)
    decimals: bool = False         # money: printed with decimals


@dataclass
class Grid:
    name: str                      # "t2" | "t3" | "t4" | "legacy"
    width: int
    rows: list[list[Cell]] = field(default_factory=list)
    # For t3: the record row key printed on each grid row (None for header rows).
    row_keys: list[str | None] = field(default_factory=list)
    layout: str | None = None      # for t2: "2021" | "2019"

    def add(self, cells: list[Cell], key: str | None = None) -> None:
        self.rows.append(cells)
        self.row_keys.append(key)


def V(ref: str, value, **kw) -> Cell:
    return Cell(ref=ref, value=value, kind="value", **kw)


def H(text: str, **kw) -> Cell:
    return Cell(text=text, kind="header", **kw)


def L(text: str, **kw) -> Cell:
    return Cell(text=text, kind="label", **kw)


# ---------------------------------------------------------------- table 二

def t2_grid(t2: dict) -> Grid:
    layout = t2["layout"]
    fields = T2_LAYOUTS[layout]
    g = Grid("t2", 4, layout=layout)
    by_item: dict[str, list] = {}
    for f in fields:
        by_item.setdefault(f.item, []).append(f)
    for item, group in by_item.items():
        g.add([H(f"第二十条第{item}项", colspan=4)])
        cols = [c + ("(单位:万元)" if c == "采购总金额" else "") for c in group[0].columns]
        head = [H("信息内容")]
        if len(cols) == 3:
            head += [H(c) for c in cols]
        elif len(cols) == 1:
            head += [H(cols[0], colspan=3)]
        else:
            second = cols[1]
            if second == "采购总金额" and t2.get("procurement_unit"):
                second += f"(单位:{t2['procurement_unit']})"
            head += [H(cols[0]), H(second, colspan=2)]
        g.add(head)
        for f in group:
            val = t2[f.key]
            row = [L(f.label)]
            if f.scalar:
                row.append(V(f"t2.{f.key}", val, colspan=3, decimals=f.decimals))
            else:
                n = len(f.columns)
                for i, v in enumerate(val):
                    span = 2 if (n == 2 and i == 1) else 1
                    row.append(V(f"t2.{f.key}[{i}]", v, colspan=span,
                                 signed=f.columns[i] == "本年增/减",
                                 decimals=f.decimals and i == 1))
            g.add(row, f.key)
    return g


# ---------------------------------------------------------------- table 三

T3_NOTE = "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)"


def t3_grid(rows: dict, form: str) -> Grid:
    g = Grid("t3", 10)
    g.add([H(T3_NOTE, colspan=3, rowspan=3), H("申请人情况", colspan=7)])
    g.add([H("自然人", rowspan=2), H("法人或其他组织", colspan=5), H("总计", rowspan=2)])
    g.add([H(c.label) for c in T3_COLUMNS[1:6]])
    keys = t3_row_keys(form)
    results = [k for k in keys if k not in ("new", "carried", "carry_next")]
    group_sizes: dict[str, int] = {}
    for k in results:
        grp = T3_ROW_BY_KEY[k].group
        if grp:
            group_sizes[grp] = group_sizes.get(grp, 0) + 1
    seen_groups: set[str] = set()
    from ..template import T3_GROUPS
    for k in keys:
        row = T3_ROW_BY_KEY[k]
        values = [V(f"t3.{k}[{c}]", v) for c, v in enumerate(rows[k])]
        if k in ("new", "carried", "carry_next"):
            g.add([L(row.label, colspan=3)] + values, k)
            continue
        cells: list[Cell] = []
        if k == results[0]:
            cells.append(Cell(T3_GROUPS["results"], rowspan=len(results), kind="group"))
        grp = row.group if row.group != "results" else None
        if grp:
            if grp not in seen_groups:
                seen_groups.add(grp)
                cells.append(Cell(T3_GROUPS[grp], rowspan=group_sizes[grp], kind="group"))
            cells.append(L(row.label))
        else:
            cells.append(L(row.label, colspan=2))
        g.add(cells + values, k)
    return g


# ---------------------------------------------------------------- table 四

def t4_grid(t4: dict) -> Grid:
    g = Grid("t4", 15)
    g.add([H("行政复议", colspan=5), H("行政诉讼", colspan=10)])
    g.add([H(c.label, rowspan=2) for c in T4_COLUMNS] + [H("未经复议直接起诉", colspan=5), H("复议后起诉", colspan=5)])
    g.add([H(c.label) for c in T4_COLUMNS] * 2)
    values = []
    for key, _, _ in T4_GROUPS:
        values += [V(f"t4.{key}[{i}]", v) for i, v in enumerate(t4[key])]
    g.add(values, "values")
    return g


# ---------------------------------------------------------------- appendix (before 2019)

def legacy_grid(printed: list[tuple[str, str]], values: dict, year: int, *, year_header: bool,
                show_units: bool) -> Grid:
    from .records import legacy_key
    cumulative = any(len(v) > 1 for v in values.values())
    g = Grid("legacy", 4 if cumulative else 3)
    head = [H("指标名称"), H("单位"), H(f"{year}年" if year_header else "本年")]
    if cumulative:
        head.append(H("历年累计"))
    g.add(head)
    for label, unit in printed:
        key = legacy_key(label)
        row = [L(label), L(unit if show_units else "")]
        for i, v in enumerate(values[key]):
            row.append(V(f"legacy.{key}[{i}]", v, decimals=unit == "万元"))
        g.add(row, key)
    return g


def value_cells(grid: Grid) -> list[Cell]:
    return [c for row in grid.rows for c in row if c.kind == "value"]
