"""Aggregates over the store: groups of reports (region, level, year …) and their derived metrics.

Sums of the metric inputs are computed in SQL over ``report_facts`` (one row per
report, indexed on region/level/year); the metrics themselves are evaluated from
those sums with the definitions in :mod:`nianbao.analyse.metrics`.
"""
from __future__ import annotations

from sqlalchemy import Integer, cast, func, literal, select, true

from ..store.facts import FACT_COLUMNS, fact_column
from ..store.schema import Agency, FactsRollup, Region, ReportFacts
from .metrics import METRICS, evaluate, metric, refs_needed

DIMENSIONS = {
    "province": "province_id", "city": "city_id", "county": "county_id", "region": "region_id",
    "level": "level", "year": "year", "kind": "kind", "template": "template", "agency": "agency_id",
}
DIMENSION_ZH = {"province": "省", "city": "市", "county": "县区", "region": "地区", "level": "层级", "year": "年度",
                "kind": "类别", "template": "模板", "agency": "机关"}


ROLLUP_DIMS = {"province": "province_id", "city": "city_id", "county": "county_id", "level": "level",
               "year": "year", "kind": "kind", "template": "template"}
_SENTINEL = {"province_id": 0, "city_id": 0, "county_id": 0, "level": "", "kind": "", "year": 0, "template": ""}


def _plan(store, group_by, filters) -> str | None:
    """The rollup grain that can answer the query, or None to read ``report_facts``."""
    if any(d not in ROLLUP_DIMS for d in group_by):
        return None
    need = set(group_by)
    if filters.get("region") not in (None, ""):
        _rid, level = store._region_ref(filters["region"])
        if level not in ("province", "city", "county"):
            return None
        need.add(level)
    return "county" if "county" in need else "city" if "city" in need else "province"


def _sums(store, group_by, filters, refs, order=None, limit=None):
    """Per group: report count, count with tables, and the sum of each needed facts column.

    ``order``: a sum/ratio metric to sort by in SQL (descending) and ``limit`` the groups
    kept, so that a top-N ranking over a hundred thousand agencies returns N rows.
    """
    grain = _plan(store, group_by, filters)
    cols = []
    for r in refs:
        col = fact_column(r)
        if col not in FACT_COLUMNS:
            raise KeyError(f"{r}: 该单元格不在统计表中 (cell not kept in report_facts)")
        cols.append(col)
    year = filters.get("year")
    one_per_group = group_by == ["agency"] and year not in (None, "") and not isinstance(year, (list, tuple))
    if grain is None and one_per_group:
        # (agency, year) is unique: every row is its own group, no GROUP BY needed
        F = ReportFacts
        dims = [F.agency_id.label("agency")]
        aggs = [literal(1).label("_n"), cast(F.has_t3, Integer).label("_n_tables")]
        aggs += [getattr(F, c).label(c) for c in cols]
        conds = store._filters(**_plain(filters))
        return _run(store, dims, aggs, conds, group_by, grain, cols, order, limit, grouped=False)
    if grain is None:
        F = ReportFacts
        dims = [getattr(F, DIMENSIONS[d]).label(d) for d in group_by]
        aggs = [func.count().label("_n"), func.sum(cast(F.has_t3, Integer)).label("_n_tables")]
        conds = store._filters(**_plain(filters))
    else:
        F = FactsRollup
        dims = [getattr(F, ROLLUP_DIMS[d]).label(d) for d in group_by]
        aggs = [func.sum(F.n).label("_n"), func.sum(F.n_tables).label("_n_tables")]
        conds = [F.grain == grain] + _rollup_filters(store, filters)
    aggs += [func.sum(getattr(F, c)).label(c) for c in cols]
    return _run(store, dims, aggs, conds, group_by, grain, cols, order, limit, grouped=True)


def _order_expr(m, col_expr):
    def total(refs):
        return sum((func.coalesce(col_expr(fact_column(r)), 0.0) for r in refs[1:]),
                   func.coalesce(col_expr(fact_column(refs[0])), 0.0))
    if m.kind == "sum":
        return total(m.num)
    return total(m.num) * 1.0 / func.nullif(total(m.den), 0.0)


def _run(store, dims, aggs, conds, group_by, grain, cols, order, limit, grouped):
    q = select(*dims, *aggs)
    for c in conds:
        q = q.where(c)
    if dims and grouped:
        q = q.group_by(*dims)
    if order is not None:
        table = FactsRollup if grain is not None else ReportFacts
        expr = _order_expr(order, (lambda c: func.sum(getattr(table, c))) if grouped
                           else (lambda c: getattr(table, c)))
        q = q.order_by(expr.is_(None), expr.desc())
        if limit:
            q = q.limit(limit)
    with store.session() as s:
        rows = [dict(r) for r in s.execute(q).mappings()]
    if grain is not None:
        for r in rows:
            for d in group_by:
                if r[d] == _SENTINEL[ROLLUP_DIMS[d]]:
                    r[d] = None
    for r in rows:  # a group without any table has no values, not zeros
        if not r["_n_tables"]:
            for c in cols:
                r[c] = None
    return rows


def _rollup_filters(store, filters) -> list:
    from ..store.regions import normalise_level
    R = FactsRollup
    conds = []
    if filters.get("region") not in (None, ""):
        rid, level = store._region_ref(filters["region"])
        conds.append(getattr(R, f"{level}_id") == rid)
    if filters.get("level"):
        conds.append(R.level == normalise_level(filters["level"]))
    year = filters.get("year")
    if year not in (None, ""):
        conds.append(R.year.in_([int(y) for y in year]) if isinstance(year, (list, tuple)) else R.year == int(year))
    if filters.get("kind"):
        conds.append(R.kind == filters["kind"])
    if filters.get("template"):
        conds.append(R.template == filters["template"])
    return conds


def report_counts(store, filters: dict | None = None) -> dict:
    """How many reports the filters select (``reports``), have open findings (``with_open``), repeat last
    year's prose — a ``cross.copied_prose`` finding not dismissed — (``copied``), have last year's report
    to compare with (``comparable``), and how many agencies they name (``agencies``).

    Read from ``facts_rollup`` (and ``facts_agencies``) where their keys allow, else from ``report_facts``."""
    from sqlalchemy import case

    from ..store.schema import FactsAgency
    filters = _plain(dict(filters or {}))
    conds = store._filters(**filters)  # (validates them too)
    grain = _plan(store, [], filters)
    year = filters.get("year")
    one_year = year not in (None, "") and not isinstance(year, (list, tuple))
    with store.session() as s:
        if grain is not None:
            R = FactsRollup
            q = select(func.sum(R.n), func.sum(R.n_with_open), func.sum(R.n_copied), func.sum(R.n_with_prev),
                       func.sum(R.n_with_agency)).where(R.grain == grain, *_rollup_filters(store, filters))
            reports, with_open, copied, comparable, with_agency = s.execute(q).one()
        else:
            F = ReportFacts

            def flag(cond):
                return func.sum(case((cond, 1), else_=0))
            q = select(func.count(), flag(F.n_open > 0), flag(F.n_copied > 0), flag(F.has_prev == true()),
                       flag(F.agency_id.is_not(None))).where(*conds)
            reports, with_open, copied, comparable, with_agency = s.execute(q).one()
        if one_year:
            # (agency, year) names one report: the reports with an agency are as many as the agencies
            agencies = with_agency
        elif year in (None, "") and not filters.get("template"):
            A = FactsAgency
            aconds = []
            if filters.get("region") not in (None, ""):
                aconds.append(store._region_cond(A, filters["region"]))
            if filters.get("level"):
                from ..store.regions import normalise_level
                aconds.append(A.level == normalise_level(filters["level"]))
            if filters.get("kind"):
                aconds.append(A.kind == filters["kind"])
            # (DISTINCT in a subquery: read in the order of the key's index, no sort)
            agencies = s.scalar(select(func.count()).select_from(
                select(A.agency_id).where(*aconds).distinct().subquery()))
        else:
            F = ReportFacts
            agencies = s.scalar(select(func.count(func.distinct(F.agency_id))).where(*conds))
    return {"reports": int(reports or 0), "with_open": int(with_open or 0), "copied": int(copied or 0),
            "comparable": int(comparable or 0), "agencies": int(agencies or 0)}


def _names(store, group_by, rows) -> dict[tuple[str, object], str]:
    """Display names of region and agency ids in the result."""
    out = {}
    region_ids = {r[d] for r in rows for d in group_by if d in ("province", "city", "county", "region")} - {None}
    agency_ids = {r["agency"] for r in rows if "agency" in group_by} - {None}
    with store.session() as s:
        for chunk in _chunks(sorted(region_ids)):
            for rid, name in s.execute(select(Region.id, Region.full_name).where(Region.id.in_(chunk))):
                out[("region", rid)] = name
        for chunk in _chunks(sorted(agency_ids)):
            for aid, name in s.execute(select(Agency.id, Agency.name).where(Agency.id.in_(chunk))):
                out[("agency", aid)] = name
    return out


def _chunks(seq, n=500):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def run_stats(store, group_by=("province",), filters: dict | None = None, metrics=None, rank: str | None = None,
              top: int | None = None) -> dict:
    group_by = [group_by] if isinstance(group_by, str) else list(group_by or [])
    for d in group_by:
        if d not in DIMENSIONS:
            raise ValueError(f"不能按 {d} 分组 (cannot group by {d}); 可用 (use) {', '.join(DIMENSIONS)}")
    chosen = [metric(m) for m in metrics] if metrics else list(METRICS)
    if rank and metric(rank) not in chosen:
        chosen.append(metric(rank))
    refs = refs_needed(chosen)
    filters = dict(filters or {})
    store._filters(**_plain(filters))  # validates the filters (unknown level → StoreError)
    in_sql = rank and top and metric(rank).kind in ("sum", "ratio")
    rows = _sums(store, group_by, filters, refs, order=metric(rank) if in_sql else None,
                 limit=top if in_sql else None)

    needs_yoy = any(m.kind == "yoy" for m in chosen)
    prev_of: dict[tuple, dict] = {}
    if needs_yoy:
        if "year" in group_by:
            yi = group_by.index("year")
            index = {tuple(r[d] for d in group_by): r for r in rows}
            for key, r in index.items():
                if key[yi] is not None:
                    pk = key[:yi] + (key[yi] - 1,) + key[yi + 1:]
                    if pk in index:
                        prev_of[key] = index[pk]
            missing_prev = {k[yi] - 1 for k in index if k[yi] is not None and k not in prev_of}
            if missing_prev and filters.get("year") not in (None, ""):
                extra = _sums(store, group_by, {**_plain(filters), "year": sorted(missing_prev)}, refs)
                for r in extra:
                    pk = tuple(r[d] for d in group_by)
                    ck = pk[:yi] + (pk[yi] + 1,) + pk[yi + 1:]
                    prev_of.setdefault(ck, r)
        elif filters.get("year") not in (None, "") and not isinstance(filters["year"], (list, tuple)):
            prev_rows = _sums(store, group_by, {**_plain(filters), "year": int(filters["year"]) - 1}, refs)
            pidx = {tuple(r[d] for d in group_by): r for r in prev_rows}
            for r in rows:
                k = tuple(r[d] for d in group_by)
                if k in pidx:
                    prev_of[k] = pidx[k]

    names = _names(store, group_by, rows)
    groups = []
    for r in rows:
        key = tuple(r[d] for d in group_by)
        sums = {ref: r[fact_column(ref)] for ref in refs}
        prev = prev_of.get(key)
        psums = {ref: prev[fact_column(ref)] for ref in refs} if prev else None
        labels = {}
        for d in group_by:
            v = r[d]
            if d in ("province", "city", "county", "region"):
                labels[d] = names.get(("region", v), "（未知）" if v is None else str(v))
            elif d == "agency":
                labels[d] = names.get(("agency", v), "（未知）" if v is None else str(v))
            else:
                labels[d] = "（未知）" if v is None else v
        groups.append({"key": {d: r[d] for d in group_by}, "label": labels, "reports": r["_n"],
                       "with_tables": r["_n_tables"] or 0,
                       "values": {m.key: evaluate(m, sums, psums) for m in chosen}})
    if rank:
        rk = metric(rank).key
        groups.sort(key=lambda g: (g["values"][rk] is None, -(g["values"][rk] or 0)))
        for i, g in enumerate(groups, start=1):
            g["rank"] = i if g["values"][rk] is not None else None
    else:
        groups.sort(key=lambda g: tuple((v is None, str(v)) for v in g["label"].values()))
    if top:
        groups = groups[:top]
    return {"group_by": group_by, "filters": filters, "rank": rank,
            "metrics": [{"key": m.key, "label": m.label, "label_en": m.label_en, "kind": m.kind,
                         "percent": m.percent, "note": m.note} for m in chosen],
            "groups": groups}


def _plain(filters: dict) -> dict:
    return {k: v for k, v in filters.items() if k in ("region", "level", "year", "kind", "template")}
