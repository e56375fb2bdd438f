"""Exports and the dashboard at scale: xlsx of 10,000 reports, dashboard server time on 100,000.

    .venv/bin/python benchmarks/export_dashboard.py                       # 10,000 reports; 100,000 facts rows
    .venv/bin/python benchmarks/export_dashboard.py --reports 2000 --rows 20000   # quicker
    .venv/bin/python benchmarks/export_dashboard.py --db FILE             # reuse a store of reports

xlsx: the wide export of every report (a row each, ~200 columns) written by the store's
streaming writer, beside the same rows through openpyxl's write-only mode (the baseline, same
run); the file is read back with openpyxl to check it. Dashboard: ``Backend.stats`` (what
``/dashboard`` and ``/api/stats`` draw) on a store whose ``report_facts`` hold 100,000 rows
(bulk-loaded as in ``store_speed.py``): the first call computes (cold), the next ones come from
the cache kept until the next write; medians of 5.
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


def bench_dashboard(url: str) -> None:
    from nianbao.web.backend import Backend
    from nianbao.store import Store
    backend = Backend(Store.open(url))
    try:
        for filters in ({}, {"year": 2022}, {"level": "county"}):
            backend.store._memo.clear()
            t = time.perf_counter()
            backend.stats(filters)
            cold = time.perf_counter() - t
            warm = []
            for _ in range(5):
                t = time.perf_counter()
                backend.stats(filters)
                warm.append(time.perf_counter() - t)
            facets = []
            for _ in range(5):
                t = time.perf_counter()
                backend.facets()
                facets.append(time.perf_counter() - t)
            print(f"dashboard {filters or '(all)'}: {cold * 1e3:.0f} ms computed, "
                  f"{statistics.median(warm) * 1e3:.1f} ms cached (median of 5); facets "
                  f"{statistics.median(facets) * 1e3:.1f} ms")
    finally:
        backend.store.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--db", help="a SQLite store of reports to export (kept)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nianbao-export-"))
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    try:
        db = Path(args.db) if args.db else work / "reports.sqlite"
        from web_load import build_store
        t = time.perf_counter()
        build_store(f"sqlite:///{db}", args.reports)
        print(f"store of {args.reports} reports ready in {time.perf_counter() - t:.1f} s")
        bench_xlsx(f"sqlite:///{db}", work)
        from store_speed import fill_facts
        facts = f"sqlite:///{work / 'facts.sqlite'}"
        t = time.perf_counter()
        fill_facts(facts, args.rows)
        print(f"bulk-loaded {args.rows:,} report rows in {time.perf_counter() - t:.1f} s")
        bench_dashboard(facts)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
