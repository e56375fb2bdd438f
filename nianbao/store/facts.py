"""Which cells the per-report facts table keeps, and how a record fills them.

The facts are the raw inputs of the derived metrics (``nianbao.analyse.metrics``):
table 三's 总计 column for every row, and every cell of table 四. Metrics are
computed from these at query time; nothing derived is stored.
"""
from __future__ import annotations

from functools import lru_cache

from ..template import T3_ROWS, T3_TOTAL_COL, T4_GROUPS, T4_WIDTH, CellRef, cell_value


@lru_cache(maxsize=4096)
def fact_column(ref: str | CellRef) -> str:
    """``t3.granted[6]`` → ``t3_granted_6``: the facts column holding that cell."""
    r = CellRef.parse(ref) if isinstance(ref, str) else ref
    return f"{r.table}_{r.key}" + ("" if r.index is None else f"_{r.index}")


FACT_REFS: tuple[str, ...] = tuple(
    [f"t3.{row.key}[{T3_TOTAL_COL}]" for row in T3_ROWS]
    + [f"t4.{key}[{i}]" for key, _, _ in T4_GROUPS for i in range(T4_WIDTH)]
)
FACT_COLUMNS: tuple[str, ...] = tuple(fact_column(r) for r in FACT_REFS)


def facts_of(record: dict) -> dict[str, float | None]:
    out = {}
    for ref in FACT_REFS:
        v = cell_value(record, CellRef.parse(ref))
        out[fact_column(ref)] = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None
    return out
