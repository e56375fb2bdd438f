"""Exports and the dashboard at scale: xlsx of 10,000 reports, dashboard server time on 100,000.

    .venv/bin/python benchmarks/export_dashboard.py                       # 10,000 reports; 100,000 facts rows
    .venv/bin/python benchmarks/export_dashboard.py --reports 2000 --rows 20000   # quicker
    .venv/bin/python benchmarks/export_dashboard.py --db FILE             # reuse a store of reports
    .venv/bin/python benchmarks/export_dashboard.py --skip-xlsx --pg temp # the dashboard, SQLite and PostgreSQL

xlsx: the wide export of every report (a row each, ~200 columns) written by the store's
streaming writer, beside the same rows through openpyxl's write-only mode (the baseline, same
run); the file is read back with openpyxl to check it.

Dashboard: ``Backend.stats`` (what ``/dashboard`` and ``/api/stats`` draw) on a store whose
``report_facts`` hold 100,000 rows (bulk-loaded as in ``store_speed.py``, with a version per
report and ~250,000 findings beside them), per filter set: cold — the cache emptied before each
call, as for the first call after a write — median of 5; cached; and the baselines of the same
run: the dashboard as computed before store_0009 (``old_build``: the old queries, on today's
schema and indexes) and a plain ``SELECT count(*)`` of the selected rows. "same figures" says the
two dashboards are equal. ``--pg temp`` repeats it on a throwaway PostgreSQL 15 cluster
(``store_speed.TempCluster``), vacuumed and analysed after the load as autovacuum would.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def bench_xlsx(url: str, work: Path) -> None:
    from nianbao.store import Store
    from nianbao.store import export as ex
    store = Store.open(url)
    try:
        out = work / "new.xlsx"
        t = time.perf_counter()
        n = store.export(str(out), fmt="xlsx", form="wide")
        new = time.perf_counter() - t
        columns, rows = ex.wide_rows(store, {})
        t = time.perf_counter()
        rows = list(rows)
        fetch = time.perf_counter() - t
        from openpyxl import Workbook
        t = time.perf_counter()
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("reports")
        ws.append(columns)
        for row in rows:
            ws.append([row[c] for c in columns])
        wb.save(work / "openpyxl.xlsx")
        old = time.perf_counter() - t + fetch
        from openpyxl import load_workbook
        back = load_workbook(out, read_only=True).active
        got = list(back.iter_rows(values_only=True))
        assert len(got) == n + 1 and list(got[0]) == columns
        print(f"xlsx, {n} reports × {len(columns)} columns: {new:.2f} s (streaming writer, "
              f"{out.stat().st_size / 1e6:.1f} MB); baseline openpyxl write-only: {old:.2f} s "
              f"(of which reading the rows {fetch:.2f} s)")
    finally:
        store.close()


# ---------------------------------------------------------------------- dashboard

FILTER_SETS = ({}, {"year": 2022}, {"level": "county"}, {"region": "省3"}, {"region": "省3市4"},
               {"region": "省3市4县5"})
RULES = ("arith.t3.row_total", "cross.carry_over", "format.t2.layout", "time.late", "text.fee_missing")


def add_findings(url: str, seed: int = 5) -> None:
    """What a real store holds beside ``report_facts``: a version per report, findings (open, confirmed,
    dismissed; ``cross.copied_prose`` on about one report in five that has last year's) and the reports
    (SQLite: fill_facts loads them on PostgreSQL only); then the counts recomputed and the rollup rebuilt."""
    import random
    from datetime import datetime, timezone

    from nianbao.store import Store
    rng = random.Random(seed)
    store = Store.open(url)
    with store.engine.connect() as conn:
        facts = conn.exec_driver_sql("SELECT report_id, agency_id, year FROM report_facts ORDER BY report_id").all()
    at = datetime.now(timezone.utc)
    have = {(a, y) for _, a, y in facts}
    versions = [(rid, rid, 1, "extracted", at, "{}", 0) for rid, _, _ in facts]
    findings, fid = [], 0
    for rid, a, y in facts:
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3, 5))):
            fid += 1
            findings.append((fid, rid, "report", rng.choice(RULES), "error", "合计不符", "[]",
                             rng.choice(("open", "open", "open", "confirmed", "dismissed"))))
        if (a, y - 1) in have and rng.random() < 0.2:
            fid += 1
            findings.append((fid, rid, "cross_year", "cross.copied_prose", "warning", "照抄上年", "[]",
                             rng.choice(("open", "confirmed", "dismissed"))))
    cols = {"versions": "id, report_id, number, kind, created_at, record, n_cells",
            "findings": "id, version_id, scope, rule, severity, message, cells, status"}
    if url.startswith("sqlite"):
        import sqlite3
        con = sqlite3.connect(url.split("///", 1)[1])
        con.executemany("INSERT INTO reports (id, agency_id, year, current_version_id, created_at) "
                        "VALUES (?,?,?,?,?)", [(rid, a, y, rid, at.isoformat()) for rid, a, y in facts])
        con.executemany(f"INSERT INTO versions ({cols['versions']}) VALUES (?,?,?,?,?,?,?)",
                        [v[:4] + (at.isoformat(),) + v[5:] for v in versions])
        con.executemany(f"INSERT INTO findings ({cols['findings']}) VALUES (?,?,?,?,?,?,?,?)", findings)
        con.commit()
        con.close()
    else:
        import psycopg
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            for table, rows in (("versions", versions), ("findings", findings)):
                with cur.copy(f"COPY {table} ({cols[table]}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
    store.rebuild_rollup(recount=True)
    store.close()
    print(f"  {len(versions):,} versions, {len(findings):,} findings "
          f"({sum(f[3] == 'cross.copied_prose' for f in findings):,} copied prose)")


def _old_filters(store):
    """``Store._filters`` before store_0009: a region as any of four columns (two of them not indexed)."""
    from sqlalchemy import or_

    from nianbao.store.schema import ReportFacts as F
    new = store._filters

    def filters(region=None, **kw):
        conds = new(**kw)
        if region not in (None, ""):
            rid = store._region_ref(region)[0]
            conds.insert(0, or_(F.region_id == rid, F.province_id == rid, F.city_id == rid, F.county_id == rid))
        return conds
    return filters


def old_build(backend, filters: dict, lang: str = "zh") -> dict:
    """The dashboard as it was computed before store_0009 (the baseline): the agencies grouped one by one to
    be counted, the totals of two list queries, the copied prose joined from the findings."""
    from sqlalchemy import and_, func, select
    from sqlalchemy.orm import aliased

    from nianbao.store.schema import Finding, Report, ReportFacts as F
    from nianbao.web.dashboard import _chart, _href, _v
    from nianbao.web.i18n import translator
    t = translator(lang)
    store = backend.store
    f = {k: filters.get(k) for k in ("region", "level", "year") if filters.get(k) not in (None, "")}
    keep = {k: f.get(k) for k in ("region", "level", "year")}

    def stats(group_by, metrics, **kw):
        return store.stats(group_by=group_by, filters=f, metrics=metrics, **kw)["groups"]

    def name(m: str) -> str:
        return t("dash.series." + m)

    years = [g for g in stats(("year",), ["applications", "disclosed", "disclosure_rate", "applications_yoy"])
             if g["key"]["year"] is not None]
    years.sort(key=lambda g: g["key"]["year"])
    by_year = _chart("line", [g["key"]["year"] for g in years],
                     [{"name": name("applications"), "data": [_v(g, "applications") for g in years]},
                      {"name": name("disclosed"), "data": [_v(g, "disclosed") for g in years]},
                      {"name": name("reports"), "data": [g["reports"] for g in years], "type": "bar", "axis": 1}],
                     [_href("/reports", **{**keep, "year": g["key"]["year"]}) for g in years])
    dims = ("city", "county", "region") if f.get("region") else ("province", "city", "county", "region")
    dim, regions = dims[-1], []
    for dim in dims:
        regions = [g for g in stats((dim,), ["applications", "disclosure_rate"], rank="applications", top=20)
                   if g["key"][dim] is not None]
        if regions:
            break
    by_region = _chart("bar", [g["label"][dim] for g in regions],
                       [{"name": name("applications"), "data": [_v(g, "applications") for g in regions]},
                        {"name": name("reports"), "data": [g["reports"] for g in regions], "axis": 1}],
                       [_href("/reports", **{**keep, "region": g["label"][dim]}) for g in regions])
    levels = [g for g in stats(("level",), ["applications"]) if g["key"]["level"] is not None]
    order = ("province", "city", "county", "township")
    levels.sort(key=lambda g: order.index(g["key"]["level"]) if g["key"]["level"] in order else 9)
    by_level = _chart("bar", [t("level." + g["key"]["level"]) for g in levels],
                      [{"name": name("reports"), "data": [g["reports"] for g in levels], "axis": 1},
                       {"name": name("applications"), "data": [_v(g, "applications") for g in levels]}],
                      [_href("/reports", **{**keep, "level": g["key"]["level"]}) for g in levels])
    worst = store.list_reports(order="open", limit=10, status="open", **f)["items"]
    labels = [f"{i.get('agency') or '#' + str(i['id'])} {i.get('year') or ''}".strip() for i in worst]
    ranking = _chart("bar-h", labels, [{"name": name("open"), "data": [i["n_open"] for i in worst]}],
                     [f"/reports/{i['id']}" for i in worst])
    agencies = stats(("agency",), ["applications"])
    totals = {"reports": sum(g["reports"] for g in years) if years else
              store.list_reports(limit=1, **f)["total"],
              "agencies": sum(1 for g in agencies if g["key"]["agency"] is not None),
              "applications": int(sum(_v(g, "applications") or 0 for g in years)),
              "open": store.list_reports(limit=1, status="open", **f)["total"]}
    whole = stats((), ["disclosure_rate", "reconsideration_correction_rate"])
    values = whole[0]["values"] if whole else {}
    latest = next((g for g in reversed(years) if g["values"].get("applications_yoy") is not None), None)
    prev = aliased(Report)
    conds = store._filters(**f)
    flagged = (select(func.count(func.distinct(F.report_id))).select_from(F)
               .join(Finding, and_(Finding.version_id == F.version_id, Finding.rule == "cross.copied_prose",
                                   Finding.status != "dismissed")))
    comparable = (select(func.count()).select_from(F)
                  .join(prev, and_(prev.agency_id == F.agency_id, prev.year == F.year - 1)))
    for c in conds:
        flagged, comparable = flagged.where(c), comparable.where(c)
    with store.session() as s:
        copied, comparable = s.scalar(flagged) or 0, s.scalar(comparable) or 0
    rates = {"disclosure_rate": values.get("disclosure_rate"),
             "correction_rate": values.get("reconsideration_correction_rate"),
             "yoy": latest["values"]["applications_yoy"] if latest else None,
             "yoy_year": latest["key"]["year"] if latest else None,
             "copy_rate": copied / comparable if comparable else None, "copied": copied, "comparable": comparable}
    return {"totals": totals, "rates": rates, "by_year": by_year, "by_region": by_region, "by_level": by_level,
            "ranking": ranking}


def _cold(store, fn, runs: int) -> list[float]:
    """``fn()`` timed ``runs`` times, the store's cache emptied before each (the first call after a write)."""
    out = []
    for _ in range(runs):
        store._memo.clear()
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def _ms(times: list[float]) -> str:
    return f"{statistics.median(times) * 1e3:7.1f} ms"


def bench_dashboard(url: str, name: str, runs: int = 5) -> None:
    """The dashboard cold (cache emptied before each call) per filter set, median of ``runs``, beside the same
    figures by the old query path and a plain count of the selected report_facts rows, same store and run."""
    from sqlalchemy import func, select

    from nianbao.store import Store
    from nianbao.store.schema import ReportFacts
    from nianbao.web.backend import Backend
    from nianbao.web.dashboard import build
    backend = Backend(Store.open(url))
    store = backend.store
    new_filters, old_filters = store._filters, _old_filters(store)
    print(f"{name}: dashboard server time, {store.report_counts()['reports']:,} reports, load average "
          f"{os.getloadavg()[0]:.2f} (before)")
    print(f"  {'filters':<24} {'cold (new)':>12} {'cached':>10} {'old path':>10} {'count(*)':>10}  same figures")
    worst = 0.0
    try:
        for filters in FILTER_SETS:
            backend.stats(filters)  # one call first: the page cache and statement caches of a running server
            new = _cold(store, lambda: backend.stats(filters), runs)
            cached = []
            for _ in range(runs):
                t = time.perf_counter()
                backend.stats(filters)
                cached.append(time.perf_counter() - t)
            store._filters = old_filters
            try:
                old_build(backend, filters)
                old = _cold(store, lambda: old_build(backend, filters), runs)
                want = old_build(backend, filters)
            finally:
                store._filters = new_filters
            conds = old_filters(**filters)

            def count():
                with store.session() as s:
                    return s.scalar(select(func.count()).select_from(ReportFacts).where(*conds))
            plain = _cold(store, count, runs)
            same = build(backend, filters) == want
            worst = max(worst, statistics.median(new))
            print(f"  {str(filters or '(all)'):<24} {_ms(new):>12} {_ms(cached):>10} {_ms(old):>10} {_ms(plain):>10}"
                  f"  {'yes' if same else 'NO'}", flush=True)
    finally:
        store.close()
    print(f"  slowest filter set cold: {worst * 1e3:.1f} ms (target ≤ 50 ms); load average "
          f"{os.getloadavg()[0]:.2f} (after)")


def dashboard_store(url: str, rows: int) -> None:
    from store_speed import fill_facts
    t = time.perf_counter()
    fill_facts(url, rows)
    filled = time.perf_counter()
    add_findings(url)
    found = time.perf_counter()
    if not url.startswith("sqlite"):
        from sqlalchemy import create_engine
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"),
                               isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:  # what autovacuum does soon after a bulk load
            conn.exec_driver_sql("VACUUM ANALYZE")
        engine.dispose()
    else:
        import sqlite3
        con = sqlite3.connect(url.split("///", 1)[1])
        con.execute("ANALYZE")
        con.close()
    print(f"  bulk-loaded {rows:,} report rows in {time.perf_counter() - t:.1f} s (facts {filled - t:.1f} s, "
          f"findings and counts {found - filled:.1f} s, ANALYZE {time.perf_counter() - found:.1f} s)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--db", help="a SQLite store of reports to export (kept)")
    ap.add_argument("--pg", metavar="URL|temp", help="the dashboard on PostgreSQL too: a server URL (no database; "
                                                     "the role needs CREATEDB), or temp for a throwaway cluster")
    ap.add_argument("--skip-xlsx", action="store_true", help="the dashboard only")
    ap.add_argument("--runs", type=int, default=5, help="cold runs per filter set (the median is shown)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nianbao-export-"))
    print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    pg = None
    try:
        if not args.skip_xlsx:
            db = Path(args.db) if args.db else work / "reports.sqlite"
            from web_load import build_store
            t = time.perf_counter()
            build_store(f"sqlite:///{db}", args.reports)
            print(f"store of {args.reports} reports ready in {time.perf_counter() - t:.1f} s")
            bench_xlsx(f"sqlite:///{db}", work)
        facts = f"sqlite:///{work / 'facts.sqlite'}"
        dashboard_store(facts, args.rows)
        bench_dashboard(facts, "SQLite", args.runs)
        if args.pg:
            from store_speed import PgTarget
            pg = PgTarget(args.pg, work)
            url = pg.new_url("dashboard")
            dashboard_store(url, args.rows)
            bench_dashboard(url, "PostgreSQL", args.runs)
    finally:
        if pg is not None:
            pg.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
