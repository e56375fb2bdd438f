"""Oversight speed: reconcile one city (1 government + 200 departments), score 100,000 stored reports.

    .venv/bin/python benchmarks/oversight_speed.py                   # SQLite
    .venv/bin/python benchmarks/oversight_speed.py --pg temp         # a throwaway PostgreSQL 15 cluster
    .venv/bin/python benchmarks/oversight_speed.py --reports 20000   # quicker

Part 1 stores a generated city (nianbao.generate.hierarchy: its government, its office and 200
departments, one year) through the real store (validation included), then times the hierarchy
inference and ``reconcile`` (median of 5) and counts the SQL statements reconcile issues.

Part 2 bulk-loads ``reports``, ``versions``, ``report_facts`` and ``findings`` (a realistic mix of
rules, about three findings a report) and times the set-based scoring: every report's score in one
statement, one year, a page of 50, and rankings by province and by agency. The baseline beside it,
from the same run, scores reports one at a time (``score.explain``: its findings read per report)
on a sample and extrapolates. A sample of the SQL scores is checked against that reference.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import event  # noqa: E402

from nianbao.analyse import hierarchy, rankings  # noqa: E402
from nianbao.analyse import score as scoring  # noqa: E402
from nianbao.analyse.reconcile import reconcile  # noqa: E402
from nianbao.generate.hierarchy import city_hierarchy  # noqa: E402
from nianbao.store import Store  # noqa: E402
from nianbao.store.facts import FACT_COLUMNS  # noqa: E402
from store_speed import FACT_INSERT_COLUMNS, PgTarget, SqliteTarget, _facts_rows  # noqa: E402

# (rule, severity, share of reports carrying it, how many per report, measure drawn)
FINDING_MIX = (
    ("time.late", "error", 0.12, 1, lambda r: float(r.randint(1, 200))),
    ("form.missing_section", "error", 0.08, 2, None),
    ("form.missing_table", "error", 0.03, 1, None),
    ("arith.t3.row_total", "error", 0.15, 2, None),
    ("arith.t3.balance", "error", 0.06, 1, None),
    ("prose.mismatch", "error", 0.07, 1, None),
    ("prose.mismatch_scope", "warning", 0.10, 1, None),
    ("cross.carry_over", "error", 0.09, 2, None),
    ("cross.section_repeat", "info", 0.45, 3, lambda r: round(r.uniform(0.3, 1.0), 3)),
    ("cross.copied_prose", "warning", 0.15, 1, lambda r: round(r.uniform(0.5, 1.0), 3)),
    ("fees.silent", "warning", 0.20, 1, None),
    ("extract.ambiguous", "warning", 0.10, 1, None),
)


def timed(fn, repeat: int = 5) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


class Statements:
    """Counts the SQL statements an engine runs (to show there is no query per report)."""

    def __init__(self, engine):
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_):
        self.n += 1

    def during(self, fn) -> int:
        before = self.n
        fn()
        return self.n - before


# ---------------------------------------------------------------------- part 1

def bench_reconcile(target, departments: int) -> None:
    store = Store.open(target.new_url("city"))
    h = city_hierarchy(11, (2023,), departments=departments, districts=0, missing=0, gaps=False)
    t = time.perf_counter()
    for rec in h.records:
        store.store_record(rec)
    stored = time.perf_counter() - t
    print(f"stored {len(h.records)} reports of one city (1 government + {departments + 1} departments, "
          f"validated) in {stored:.1f} s")
    t = time.perf_counter()
    hierarchy.infer(store)
    print(f"  hierarchy inferred: {(time.perf_counter() - t) * 1000:.0f} ms")
    gov = h.agencies[0].name
    res = reconcile(store, gov, 2023)
    assert res["included"] == departments + 1 and not res["gaps"], res["summary"]
    stmts = Statements(store.engine)
    n = stmts.during(lambda: reconcile(store, gov, 2023))
    ms = timed(lambda: reconcile(store, gov, 2023))
    print(f"  reconcile {gov} 2023: {ms:.0f} ms (median of 5), {res['summary']['cells']} cells, "
          f"{res['included']} reports summed, {n} SQL statements")
    store.close()


# ---------------------------------------------------------------------- part 2

def _findings(rows: int, seed: int):
    rng = random.Random(seed)
    fid = 0
    for vid in range(1, rows + 1):
        for rule, sev, share, most, measure in FINDING_MIX:
            if rng.random() < share:
                for k in range(rng.randint(1, most)):
                    fid += 1
                    m = measure(rng) if measure else None
                    status = "dismissed" if rng.random() < 0.03 else "confirmed" if rng.random() < 0.05 else "open"
                    yield (fid, vid, "check", rule, sev, f"{rule} 第{k + 1}条", json.dumps([f"t3.total[{k}]"]),
                           status), m


FINDING_COLUMNS = ("id", "version_id", "scope", "rule", "severity", "message", "cells", "status")


def _split(findings, measures: list):
    """The findings' rows; each measure goes to ``measures`` (finding_measures is filled after them)."""
    for row, m in findings:
        if m is not None:
            measures.append((row[0], m))
        yield row


def fill(url: str, rows: int, seed: int = 3) -> int:
    """Regions, agencies, reports, versions, report_facts and findings, bulk-loaded."""
    Store.open(url).close()
    regions, agency_rows, facts, reports = _facts_rows(rows, seed)
    at = datetime.now(timezone.utc)
    reports = list(reports)
    versions = ((rid, rid, 1, "extracted", at, "{}", 0) for rid, *_ in reports)
    vcols = "id, report_id, number, kind, created_at, record, n_cells"
    n_findings = 0

    def counted(gen):
        nonlocal n_findings
        for row in gen:
            n_findings += 1
            yield row
    if url.startswith("sqlite"):
        con = sqlite3.connect(url.split("///", 1)[1])
        con.execute("PRAGMA synchronous=OFF")
        con.executemany("INSERT INTO regions (id, name, full_name, level, parent_id) VALUES (?,?,?,?,?)", regions)
        con.executemany("INSERT INTO agencies (id, name, region_id, kind, level) VALUES (?,?,?,?,?)", agency_rows)
        con.executemany("INSERT INTO reports (id, agency_id, year, current_version_id, created_at) VALUES (?,?,?,?,?)",
                        [(a, b, c, d, e.isoformat()) for a, b, c, d, e in reports])
        con.executemany(f"INSERT INTO versions ({vcols}) VALUES (?,?,?,?,?,?,?)",
                        [(a, b, c, d, e.isoformat(), f, g) for a, b, c, d, e, f, g in versions])
        con.executemany(f"INSERT INTO report_facts ({', '.join(FACT_INSERT_COLUMNS)}) "
                        f"VALUES ({', '.join('?' * len(FACT_INSERT_COLUMNS))})", facts)
        measures = []
        con.executemany(f"INSERT INTO findings ({', '.join(FINDING_COLUMNS)}) VALUES (?,?,?,?,?,?,?,?)",
                        counted(_split(_findings(rows, seed), measures)))
        con.executemany("INSERT INTO finding_measures (finding_id, measure) VALUES (?,?)", measures)
        con.commit()
        con.execute("ANALYZE")
        con.close()
    else:
        import psycopg
        measures = []
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            for table, cols, data in (("regions", "id, name, full_name, level, parent_id", regions),
                                      ("agencies", "id, name, region_id, kind, level", agency_rows),
                                      ("reports", "id, agency_id, year, current_version_id, created_at", reports),
                                      ("versions", vcols, versions),
                                      ("report_facts", ", ".join(FACT_INSERT_COLUMNS), facts),
                                      ("findings", ", ".join(FINDING_COLUMNS),
                                       counted(_split(_findings(rows, seed), measures))),
                                      ("finding_measures", "finding_id, measure", measures)):
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in data:
                        copy.write_row(row)
            cur.execute("ANALYZE")
    return n_findings


def bench_scores(target, rows: int, sample: int) -> None:
    url = target.new_url("scores")
    t = time.perf_counter()
    n_findings = fill(url, rows)
    print(f"bulk-loaded {rows:,} reports and {n_findings:,} findings in {time.perf_counter() - t:.1f} s")
    store = Store.open(url)
    w = scoring.load_weights()
    stmts = Statements(store.engine)
    every = []
    n = stmts.during(lambda: every.extend(scoring.scores(store, weights=w)))
    assert len(every) == rows
    figures = [
        (f"score every report ({rows:,}), one statement", lambda: scoring.scores(store, weights=w), n),
        ("score one year (year=2023)", lambda: scoring.scores(store, filters={"year": 2023}, weights=w), None),
        ("a list page: 50 reports by id", lambda: scoring.score_map(store, list(range(1000, 1050)), w), None),
        ("rank provinces by mean score, 2023", lambda: rankings.rank(store, group="province", filters={"year": 2023},
                                                                    weights=w), None),
        ("rank agencies by score, 2023, top 20", lambda: rankings.rank(store, group="agency", filters={"year": 2023},
                                                                      top=20, weights=w), None),
    ]
    for name, fn, count in figures:
        ms = timed(fn, repeat=3)
        count = count if count is not None else stmts.during(fn)
        print(f"  {name}: {ms:,.0f} ms, {count} SQL statements")
    # the baseline: one report at a time, its findings read per report
    rng = random.Random(1)
    ids = rng.sample(range(1, rows + 1), sample)
    t = time.perf_counter()
    ref = {rid: scoring.explain(store, rid, w)["score"] for rid in ids}
    per = (time.perf_counter() - t) / sample
    print(f"  baseline: one report at a time (score.explain), {sample} reports: {per * 1000:.2f} ms each "
          f"→ {per * rows:,.0f} s for {rows:,}")
    by_id = {r["report_id"]: r["score"] for r in every}
    wrong = [rid for rid in ids if abs(by_id[rid] - ref[rid]) > 1e-9]
    print(f"  SQL scores equal to the reference on the sample: {sample - len(wrong)}/{sample}")
    dist = [r["score"] for r in every]
    print(f"  scores: mean {statistics.fmean(dist):.1f}, min {min(dist):g}, max {max(dist):g}")
    store.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--departments", type=int, default=200)
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=500, help="reports scored one at a time for the baseline")
    ap.add_argument("--pg", metavar="URL|temp", help="run on PostgreSQL: a server URL, or temp for a throwaway one")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nianbao-oversight-"))
    target = PgTarget(args.pg, work) if args.pg else SqliteTarget(work)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; backend: {target.name}")
    try:
        bench_reconcile(target, args.departments)
        bench_scores(target, args.reports, args.sample)
    finally:
        target.close()
        import shutil
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
