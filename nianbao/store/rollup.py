"""Keeping ``facts_rollup`` and ``facts_agencies`` in step with ``report_facts``.

Every change of a report's facts row subtracts the old row's contribution and adds the new
one, at each grain, in the same transaction (:func:`apply`). ``rebuild`` recomputes both tables
from ``report_facts`` (after bulk loads, or to repair).

``facts_rollup`` (see :class:`~nianbao.store.schema.FactsRollup`) holds, per key, the number of
reports, the sums of their metric inputs, and how many of them have a table 三, open findings,
live copied prose, last year's report, a known agency. ``facts_agencies`` counts the reports of
each agency (by its place), so that "how many agencies" is a count over agencies, not reports.
"""
from __future__ import annotations

from sqlalchemy import (Integer, bindparam, case, cast, delete, exists, func, insert, literal, select, text,
                        update)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .facts import FACT_COLUMNS
from .schema import FactsAgency as A
from .schema import FactsRollup as R
from .schema import Finding, Report
from .schema import ReportFacts as F

GRAINS = ("province", "city", "county")
KEY = ("province_id", "city_id", "county_id", "level", "kind", "year", "template")
AGENCY_KEY = ("agency_id", "region_id", "province_id", "city_id", "county_id", "level", "kind")
_BLANK = {"province_id": 0, "city_id": 0, "county_id": 0, "region_id": 0, "level": "", "kind": "", "year": 0,
          "template": ""}
# What one report adds to its rollup rows besides the sums: (column, does the facts row count)
COUNTS = {
    "n": lambda row: True,
    "n_tables": lambda row: bool(row.get("has_t3")),
    "n_with_open": lambda row: (row.get("n_open") or 0) > 0,
    "n_copied": lambda row: (row.get("n_copied") or 0) > 0,
    "n_with_prev": lambda row: bool(row.get("has_prev")),
    "n_with_agency": lambda row: row.get("agency_id") is not None,
}
SUMS = (*COUNTS, *FACT_COLUMNS)
COPIED_PROSE = "cross.copied_prose"


def finding_counts(c) -> tuple:
    """What ``report_facts`` counts of a version's findings (``c``: the findings table's columns or the
    mapped class): all of them, the open ones, the live (not dismissed) copied-prose ones."""
    return (func.count(c.id), func.count(c.id).filter(c.status == "open"),
            func.count(c.id).filter(c.rule == COPIED_PROSE, c.status != "dismissed"))


def key_of(row: dict, grain: str) -> dict:
    k = {"grain": grain}
    for dim in KEY:
        v = row.get(dim)
        if _dropped(dim, grain):
            v = None
        k[dim] = _BLANK[dim] if v is None else v
    return k


def agency_key_of(row: dict) -> tuple:
    return tuple(row.get(c) if row.get(c) is not None else _BLANK.get(c) for c in AGENCY_KEY)


def _dropped(dim: str, grain: str) -> bool:
    return (dim == "city_id" and grain == "province") or (dim == "county_id" and grain != "county")


def apply(s: Session | Connection, changes: list[tuple[dict, int]]) -> None:
    """Add (+1) or take away (-1) facts rows: one upsert per rollup key at every grain, one per agency key.

    Keys are written in one sorted order, so that writers side by side wait for each other but
    never deadlock; rows left with no report are deleted."""
    conn = s.connection() if isinstance(s, Session) else s
    deltas: dict[tuple, dict[str, float]] = {}
    per_agency: dict[tuple, int] = {}
    for row, sign in changes:
        d = {c: sign * int(counts(row)) for c, counts in COUNTS.items()}
        d.update({c: sign * (row.get(c) or 0.0) for c in FACT_COLUMNS})
        for grain in GRAINS:
            k = key_of(row, grain)
            key = tuple(k[c] for c in ("grain", *KEY))
            acc = deltas.get(key)
            if acc is None:
                deltas[key] = dict(d)
            else:
                for c, v in d.items():
                    acc[c] += v
        if row.get("agency_id") is not None:
            ak = agency_key_of(row)
            per_agency[ak] = per_agency.get(ak, 0) + sign
    live = {k: v for k, v in deltas.items() if any(v[c] for c in SUMS)}
    upsert, prune, a_upsert, a_prune = _statements(conn.dialect.name)
    if live:
        cols = ("grain", *KEY)
        rows = [{**dict(zip(cols, k)), **v} for k, v in sorted(live.items(), key=lambda kv: tuple(map(str, kv[0])))]
        conn.execute(upsert, rows)
        shrunk = [dict(zip(cols, k)) for k, v in live.items() if v["n"] < 0]
        if shrunk:
            conn.execute(prune, [{"k_" + c: r[c] for c in cols} for r in shrunk])
    moved = sorted(((k, n) for k, n in per_agency.items() if n), key=lambda kn: tuple(map(str, kn[0])))
    if moved:
        conn.execute(a_upsert, [{**dict(zip(AGENCY_KEY, k)), "n": n} for k, n in moved])
        shrunk = [k for k, n in moved if n < 0]
        if shrunk:
            conn.execute(a_prune, [{"k_" + c: v for c, v in zip(AGENCY_KEY, k)} for k in shrunk])


_STATEMENTS: dict[str, tuple] = {}


def _statements(dialect: str):
    """The upserts and prunes, built once (building a 47-column upsert costs more than running it)."""
    if dialect not in _STATEMENTS:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert_of
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert_of
        Rt, At = R.__table__, A.__table__
        cols = ("grain", *KEY)
        stmt = upsert_of(Rt)
        upsert = stmt.on_conflict_do_update(index_elements=list(cols),
                                            set_={c: Rt.c[c] + stmt.excluded[c] for c in SUMS})
        prune = delete(Rt).where(*[Rt.c[c] == bindparam("k_" + c) for c in cols], Rt.c.n <= 0)
        astmt = upsert_of(At)
        a_upsert = astmt.on_conflict_do_update(index_elements=list(AGENCY_KEY), set_={"n": At.c.n + astmt.excluded.n})
        a_prune = delete(At).where(*[At.c[c] == bindparam("k_" + c) for c in AGENCY_KEY], At.c.n <= 0)
        _STATEMENTS[dialect] = (upsert, prune, a_upsert, a_prune)
    return _STATEMENTS[dialect]


def _flag(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def rebuild(s: Session) -> None:
    """``facts_rollup`` and ``facts_agencies`` recomputed from ``report_facts``."""
    s.execute(delete(R))
    counts = {"n": func.count(), "n_tables": func.coalesce(func.sum(cast(F.has_t3, Integer)), 0),
              "n_with_open": _flag(F.n_open > 0), "n_copied": _flag(F.n_copied > 0),
              "n_with_prev": func.coalesce(func.sum(cast(F.has_prev, Integer)), 0),
              "n_with_agency": _flag(F.agency_id.is_not(None))}
    assert set(counts) == set(COUNTS)
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
        sel = (select(literal(grain).label("grain"), *dims, *[v.label(k) for k, v in counts.items()], *sums)
               .group_by(*grouped))
        s.execute(insert(R).from_select(["grain", *KEY, *counts, *FACT_COLUMNS], sel))
    s.execute(delete(A))
    keys = [F.agency_id] + [func.coalesce(getattr(F, c), _BLANK[c]) for c in AGENCY_KEY[1:]]
    s.execute(insert(A).from_select([*AGENCY_KEY, "n"], select(*keys, func.count())
                                    .where(F.agency_id.is_not(None)).group_by(*keys)))


def recount(s: Session) -> None:
    """The counts ``report_facts`` keeps of each report's current findings (all, open, live copied prose)
    and whether last year's report exists, recomputed from ``findings`` and ``reports`` (after a bulk
    load, or to repair); ``rebuild`` then brings the rollup in line."""
    if s.get_bind().dialect.name == "postgresql":
        # after a bulk load the planner knows nothing of these tables yet, and plans (and JIT-compiles)
        # the correlated counts as if findings were huge: minutes instead of seconds
        for table in ("findings", "reports", "report_facts"):
            s.execute(text(f"ANALYZE {table}"))

    def count(*conds):
        return (select(func.count(Finding.id)).where(Finding.version_id == F.version_id, *conds)
                .correlate(F).scalar_subquery())
    prev = exists().where(Report.agency_id == F.agency_id, Report.year == F.year - 1).correlate(F)
    s.execute(update(F).values(n_findings=count(), n_open=count(Finding.status == "open"),
                               n_copied=count(Finding.rule == COPIED_PROSE, Finding.status != "dismissed"),
                               has_prev=prev))
