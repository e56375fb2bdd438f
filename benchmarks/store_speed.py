"""Store speed: ingest of generated text reports, and `stats` queries over a million report rows.

    .venv/bin/python benchmarks/store_speed.py                 # 10,000 reports; 1,000,000 rows
    .venv/bin/python benchmarks/store_speed.py --docs 500 --rows 100000   # quicker

Part 1 renders generated records (nianbao.generate.records) as plain-text reports, then
runs the real ingest (process pool, real extractor, SQLite) with 1 and with 2 workers
into fresh stores: docs/s and store size.
Part 2 bulk-inserts synthetic rows into ``report_facts`` (the table `stats` reads) of a
fresh SQLite store, then times typical `stats` and `list` calls (median of 5 runs).
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nianbao.generate.records import random_record  # noqa: E402
from nianbao.store import Store  # noqa: E402
from nianbao.store.facts import FACT_COLUMNS  # noqa: E402
from nianbao.template import T3_ROW_BY_KEY, T4_GROUPS  # noqa: E402


def render_text(rec: dict) -> str:
    m = rec["meta"]
    lines = [f"{m['agency']}{m['year']}年政府信息公开工作年度报告", "", "一、总体情况",
             "本机关认真贯彻落实政府信息公开条例，全面推进政务公开工作。", ""]
    for key, vals in (rec.get("t3") or {}).get("rows", {}).items():
        lines.append(T3_ROW_BY_KEY[key].label + " | " + " | ".join(str(v) for v in vals))
    for key, label, _ in T4_GROUPS:
        if rec.get("t4"):
            lines.append(label + " | " + " | ".join(str(v) for v in rec["t4"][key]))
    return "\n".join(lines) + "\n"


def make_corpus(folder: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        rec = random_record(rng, rng.choice(["2021", "2021", "2019"]))
        (folder / f"r{i:05d}.txt").write_text(render_text(rec), encoding="utf-8")


def size_of(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def bench_ingest(corpus: Path, workers: int, work: Path) -> dict:
    db = work / f"ingest-{workers}.sqlite"
    store = Store.open(f"sqlite:///{db}")
    t = time.perf_counter()
    res = store.ingest_paths([corpus], workers=workers, timeout=120)
    dt = time.perf_counter() - t
    with store.engine.connect() as conn:  # fold the WAL into the file before measuring
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return {"workers": workers, "stored": len(res.stored), "failed": len(res.failed), "seconds": dt,
            "docs_per_s": len(res.stored) / dt, "size_mb": size_of(db) / 1e6}


def fill_facts(db: Path, rows: int, seed: int = 2) -> None:
    """Synthetic report_facts rows over a realistic region tree (31 provinces, ~330 cities, ~2800 counties)."""
    Store.open(f"sqlite:///{db}").close()  # schema via the migrations
    rng = random.Random(seed)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    regions, counties = [], []
    rid = 0
    for p in range(31):
        rid += 1
        prov = rid
        regions.append((prov, f"省{p}", f"省{p}", "province", None))
        for c in range(11):
            rid += 1
            city = rid
            regions.append((city, f"市{c}", f"省{p}市{c}", "city", prov))
            for k in range(9):
                rid += 1
                regions.append((rid, f"县{k}", f"省{p}市{c}县{k}", "county", city))
                counties.append((prov, city, rid))
    con.executemany("INSERT INTO regions (id, name, full_name, level, parent_id) VALUES (?,?,?,?,?)", regions)
    n_agencies = max(1, rows // 10)  # ten years per agency
    agencies = []
    for a in range(1, n_agencies + 1):
        prov, city, county = rng.choice(counties)
        level = rng.choices(["province", "city", "county", "township"], [1, 5, 12, 3])[0]
        agencies.append((a, prov, city, county if level in ("county", "township") else None, level))
    con.executemany("INSERT INTO agencies (id, name, region_id, kind, level) VALUES (?,?,?,?,?)",
                    [(a, f"机关{a}", county or city or prov, "department", lv) for a, prov, city, county, lv in agencies])
    cols = ["report_id", "version_id", "agency_id", "region_id", "province_id", "city_id", "county_id", "level",
            "kind", "year", "template", "n_findings", "n_open", "has_t3", *FACT_COLUMNS]
    sql = f"INSERT INTO report_facts ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    batch = []
    rid = 0
    for a, prov, city, county, level in agencies:
        for year in range(2014, 2024):
            rid += 1
            if rid > rows:
                break
            vals = [float(rng.randint(0, 300)) for _ in FACT_COLUMNS]
            batch.append((rid, rid, a, county or city or prov, prov, city, county, level, "department", year,
                          "2021" if year >= 2021 else "2019", rng.randint(0, 3), rng.randint(0, 2), 1, *vals))
            if len(batch) >= 20000:
                con.executemany(sql, batch)
                batch.clear()
    if batch:
        con.executemany(sql, batch)
    con.commit()
    con.close()
    store = Store.open(f"sqlite:///{db}")
    t = time.perf_counter()
    store.rebuild_rollup()  # what ingest maintains row by row, rebuilt in one pass after the bulk load
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
        n = conn.exec_driver_sql("SELECT count(*) FROM facts_rollup").scalar()
    store.close()
    print(f"rollup rebuilt in {time.perf_counter() - t:.1f} s: {n:,} rows")


def timed(fn, repeat: int = 5) -> float:
    fn()  # warm the page cache, as a long-running server would be
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def bench_stats(db: Path) -> list[tuple[str, float]]:
    store = Store.open(f"sqlite:///{db}")
    queries = [
        ("stats by province (all years, all metrics)", lambda: store.stats(["province"])),
        ("stats by province × year", lambda: store.stats(["province", "year"])),
        ("stats by level, year=2023 (+ yoy from 2022)", lambda: store.stats(["level"], {"year": 2023})),
        ("stats by year, one province", lambda: store.stats(["year"], {"region": "省3"})),
        ("stats by county, one city, year=2023", lambda: store.stats(["county"], {"region": "省3市4", "year": 2023})),
        ("ranking: agencies by 公开率, year=2023, top 20",
         lambda: store.stats(["agency"], {"year": 2023}, metrics=["公开率"], rank="公开率", top=20)),
        ("list reports: county level, 2023, page 3", lambda: store.list_reports(level="county", year=2023, offset=100)),
    ]
    out = [(name, timed(fn)) for name, fn in queries]
    store.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--skip-ingest", action="store_true")
    ap.add_argument("--skip-stats", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    try:
        if not args.skip_ingest:
            corpus = work / "corpus"
            t = time.perf_counter()
            make_corpus(corpus, args.docs)
            print(f"generated {args.docs} text reports in {time.perf_counter() - t:.1f} s")
            for w in (1, 2):
                r = bench_ingest(corpus, w, work)
                print(f"ingest, {w} worker(s): {r['stored']} stored, {r['failed']} failed, {r['seconds']:.1f} s, "
                      f"{r['docs_per_s']:.1f} docs/s, store {r['size_mb']:.1f} MB "
                      f"({r['size_mb'] * 1e3 / max(1, r['stored']):.1f} kB/report)")
        if not args.skip_stats:
            db = work / "facts.sqlite"
            t = time.perf_counter()
            fill_facts(db, args.rows)
            print(f"bulk-inserted {args.rows:,} report rows in {time.perf_counter() - t:.1f} s, "
                  f"file {size_of(db) / 1e6:.0f} MB")
            for name, ms in bench_stats(db):
                print(f"  {ms:8.1f} ms  {name}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
