"""The three tables as an agency prints them: the official forms' grids, with the form's punctuation.

The grids come from ``nianbao.generate.tables`` (the one place the forms are laid out as rows of
cells with their spans, from ``nianbao.template``); this module only says how a cell reads on paper:
labels with the full-width brackets and colons of the official template, numbers as plain digits
(money keeps its decimals), a blank cell empty. Every renderer (Word, HTML, Excel) draws these grids.
"""
from __future__ import annotations

from ..generate.tables import Cell, Grid, t2_grid, t3_grid, t4_grid

__all__ = ["Cell", "Grid", "grids", "cell_text", "number_text", "printed", "TABLE_TITLES"]

# The template prints its labels with full-width punctuation: （一）予以公开, （单位：万元）.
_FULL = str.maketrans({"(": "（", ")": "）", ":": "：", ",": "，"})

# Which section each table stands in, and its name for messages.
TABLE_TITLES = {"t2": ("二", "表二", "table 2"), "t3": ("三", "表三", "table 3"), "t4": ("四", "表四", "table 4")}


def printed(label: str) -> str:
    return label.translate(_FULL)


def number_text(v) -> str:
    """A value as the form prints it: ``12``, ``917.7``, ``-3``; blank for None."""
    if v is None or isinstance(v, bool):
        return ""
    if isinstance(v, float):
        if v.is_integer():
            return str(int(v))
        return f"{v:.6f}".rstrip("0").rstrip(".")
    return str(v)


def cell_text(cell: Cell) -> str:
    return number_text(cell.value) if cell.kind == "value" else printed(cell.text)


def grids(record: dict) -> dict[str, Grid]:
    """The grids of the tables the record holds (``t2``, ``t3``, ``t4``), laid out like the template.

    The record must have the shape :func:`nianbao.author.draft.normalise` gives (every row present).
    """
    out: dict[str, Grid] = {}
    if record.get("t2"):
        out["t2"] = t2_grid(record["t2"])
    if record.get("t3"):
        out["t3"] = t3_grid(record["t3"]["rows"], (record.get("meta") or {}).get("template") or "2021")
    if record.get("t4"):
        out["t4"] = t4_grid(record["t4"])
    return out


def spans(grid: Grid):
    """(row, column, cell) of every cell with its place in the full rectangular grid."""
    taken: set[tuple[int, int]] = set()
    for r, row in enumerate(grid.rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            yield r, c, cell
            c += cell.colspan
