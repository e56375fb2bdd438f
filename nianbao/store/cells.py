"""A record's tables ↔ cells in long form (``t3.granted[6]`` → value)."""
from __future__ import annotations

import copy
from typing import Iterator

from ..template import CellRef

TABLES = ("t2", "t3", "t4", "legacy")


def iter_cells(record: dict) -> Iterator[tuple[str, str, str, int | None, object]]:
    """(ref, table, row_key, col, value) for every value of the record's tables.

    Non-numeric leaves (``t2.layout``, ``t2.procurement_unit``) are yielded too;
    the caller keeps them as text.
    """
    for tbl, key, value in table_rows(record):
        if isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                yield f"{tbl}.{key}[{i}]", tbl, key, i, v
        else:
            yield f"{tbl}.{key}", tbl, key, None, value


def table_rows(record: dict) -> Iterator[tuple[str, str, object]]:
    """(table, row key, the row's values or one value) for every row of the record's tables."""
    for tbl in TABLES:
        table = record.get(tbl)
        if not isinstance(table, dict):
            continue
        rows = table.get("rows") if tbl == "t3" else table
        if not isinstance(rows, dict):
            continue
        for key, value in rows.items():
            if tbl == "t2" and key == "layout":
                continue
            yield tbl, key, value


def set_cell(record: dict, ref: str, value) -> None:
    """Write ``value`` at ``ref`` in ``record`` (in place), creating the row if needed."""
    r = CellRef.parse(ref)
    if r.table not in TABLES:
        raise KeyError(f"未知的表 (unknown table): {ref}")
    table = record.get(r.table)
    if table is None:
        table = {"rows": {}} if r.table == "t3" else {}
        record[r.table] = table
    rows = table.setdefault("rows", {}) if r.table == "t3" else table
    if r.index is None:
        rows[r.key] = value
        return
    row = rows.get(r.key)
    if not isinstance(row, list):
        row = []
        rows[r.key] = row
    while len(row) <= r.index:
        row.append(None)
    row[r.index] = value


def with_values(record: dict, values: dict[str, object]) -> dict:
    """A copy of ``record`` with the given cells replaced."""
    out = copy.deepcopy(record)
    for ref, v in values.items():
        set_cell(out, ref, v)
    return out


def numeric(v) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    return None
