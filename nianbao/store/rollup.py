"""Keeping ``facts_rollup`` in step with ``report_facts`` (see :class:`FactsRollup`).

Every change of a report's facts row subtracts the old row's contribution and adds
the new one, at each grain, in the same transaction. ``rebuild`` recomputes the
whole table from ``report_facts`` (after bulk loads, or to repair).
"""
from __future__ import annotations

from sqlalchemy import Integer, cast, delete, func, insert, literal, select, text
from sqlalchemy.orm import Session

from .facts import FACT_COLUMNS
from .schema import FactsRollup as R
from .schema import ReportFacts as F

GRAINS = ("province", "city", "county")
KEY = ("province_id", "city_id", "county_id", "level", "kind", "year", "template")
_BLANK = {"province_id": 0, "city_id": 0, "county_id": 0, "level": "", "kind": "", "year": 0, "template": ""}


def key_of(row: dict, grain: str) -> dict:
    k = {"grain": grain}
    for dim in KEY:
        v = row.get(dim)
        if _dropped(dim, grain):
            v = None
        k[dim] = _BLANK[dim] if v is None else v
    return k


# Plain SQL built once: constructing a 41-column UPDATE through the expression language for
# every report cost more than everything else the writer does.
_WHERE = " AND ".join(f"{k} = :k_{k}" for k in ("grain", *KEY))
_UPDATE = text(f"UPDATE facts_rollup SET n = n + :d_n, n_tables = n_tables + :d_n_tables, "
               + ", ".join(f"{c} = {c} + :d_{c}" for c in FACT_COLUMNS) + f" WHERE {_WHERE}")
_INSERT = text(f"INSERT INTO facts_rollup (grain, {', '.join(KEY)}, n, n_tables, {', '.join(FACT_COLUMNS)}) "
               f"VALUES (:k_grain, {', '.join(':k_' + k for k in KEY)}, :d_n, :d_n_tables, "
               f"{', '.join(':d_' + c for c in FACT_COLUMNS)})")
_DELETE_EMPTY = text(f"DELETE FROM facts_rollup WHERE {_WHERE} AND n <= 0")


def apply(s: Session, row: dict, sign: int) -> None:
    """Add (sign=1) or remove (sign=-1) one report's facts row at every grain."""
    deltas = {f"d_{c}": sign * (row.get(c) or 0.0) for c in FACT_COLUMNS}
    deltas["d_n"] = sign
    deltas["d_n_tables"] = sign * int(bool(row.get("has_t3")))
    for grain in GRAINS:
        params = {f"k_{k}": v for k, v in key_of(row, grain).items()}
        params.update(deltas)
        res = s.execute(_UPDATE, params)
        if res.rowcount == 0:
            if sign < 0:
                continue  # nothing to remove (a rollup rebuilt without this row)
            s.execute(_INSERT, params)
        elif sign < 0:
            s.execute(_DELETE_EMPTY, params)


def _dropped(dim: str, grain: str) -> bool:
    return (dim == "city_id" and grain == "province") or (dim == "county_id" and grain != "county")


def rebuild(s: Session) -> None:
    s.execute(delete(R))
    for grain in GRAINS:
        dims, grouped = [], []
        for dim in KEY:
            if _dropped(dim, grain):
                dims.append(literal(_BLANK[dim]).label(dim))
            else:
                expr = func.coalesce(getattr(F, dim), _BLANK[dim])
                dims.append(expr.label(dim))
                grouped.append(expr)
        sums = [func.coalesce(func.sum(getattr(F, c)), 0.0).label(c) for c in FACT_COLUMNS]
        sel = (select(literal(grain).label("grain"), *dims, func.count().label("n"),
                      func.coalesce(func.sum(cast(F.has_t3, Integer)), 0).label("n_tables"), *sums)
               .group_by(*grouped))
        s.execute(insert(R).from_select(["grain", *KEY, "n", "n_tables", *FACT_COLUMNS], sel))
