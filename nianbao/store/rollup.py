"""Keeping ``facts_rollup`` in step with ``report_facts`` (see :class:`FactsRollup`).

Every change of a report's facts row subtracts the old row's contribution and adds
the new one, at each grain, in the same transaction. ``rebuild`` recomputes the
whole table from ``report_facts`` (after bulk loads, or to repair).
"""
from __future__ import annotations

from sqlalchemy import Integer, cast, delete, func, insert, literal, select, update
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


def apply(s: Session, row: dict, sign: int) -> None:
    """Add (sign=1) or remove (sign=-1) one report's facts row at every grain."""
    n_tables = sign * int(bool(row.get("has_t3")))
    deltas = {c: sign * (row.get(c) or 0.0) for c in FACT_COLUMNS}
    for grain in GRAINS:
        key = key_of(row, grain)
        where = [getattr(R, k) == v for k, v in key.items()]
        res = s.execute(update(R).where(*where).values(
            n=R.n + sign, n_tables=R.n_tables + n_tables, **{c: getattr(R, c) + d for c, d in deltas.items()}))
        if res.rowcount == 0:
            if sign < 0:
                continue  # nothing to remove (a rollup rebuilt without this row)
            s.execute(insert(R).values(**key, n=1, n_tables=n_tables, **deltas))
        elif sign < 0:
            s.execute(delete(R).where(*where, R.n <= 0))


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
